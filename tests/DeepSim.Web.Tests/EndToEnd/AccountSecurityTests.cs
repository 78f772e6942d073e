using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting.Testing;
using DeepSim.ServiceDefaults;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>The account area's defences as a browser meets them: antiforgery, the session cookie, tokens kept server-side.</summary>
[Collection(BrowserGroup.Name)]
public sealed class AccountSecurityTests(BrowserFixture browser, ITestOutputHelper output)
{
    private static readonly TimeSpan Match = TimeSpan.FromSeconds(1);
    // The Api's token shapes: access tokens are JWTs, refresh tokens "rt_{tenant}_{id}_{secret}" (TokenService).
    private static readonly Regex Jwt = new(@"eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}", RegexOptions.None, Match);
    private static readonly Regex RefreshToken = new(@"\brt_[0-9a-f]{32}_[0-9a-f]{32}_[0-9a-f]+", RegexOptions.None, Match);

    [Fact]
    public Task A_sign_in_post_without_the_antiforgery_token_is_refused_with_400_and_sets_no_session_cookie() => browser.RunAsync(output, async page =>
    {
        var account = Account.New();
        await account.SignUpAsync(page, browser);
        await page.Context.ClearCookiesAsync();
        await page.GotoAsync("/account/signin");
        var token = await page.Locator("form:has([data-testid=signin-submit]) input[name=__RequestVerificationToken]").GetAttributeAsync("value");
        Assert.False(string.IsNullOrEmpty(token), "the sign-in form carries no antiforgery token");

        // The browser's own cookies (the antiforgery cookie among them) go with these posts; only the form field differs.
        var refused = await PostSignInAsync(page, account, antiforgeryToken: null);
        Assert.Equal(400, refused.Status);
        Assert.DoesNotContain(refused.HeadersArray, h => h.Name.Equals("set-cookie", StringComparison.OrdinalIgnoreCase)
            && h.Value.Contains(Account.SessionCookie, StringComparison.Ordinal));
        Assert.Null(await Account.SessionCookieAsync(page.Context));

        // The same post with the form's token signs in: the 400 above was the missing token, not the request's shape.
        var accepted = await PostSignInAsync(page, account, token);
        Assert.True(accepted.Status is 302 or 303, $"sign-in with the token: {accepted.Status}");
        Assert.NotNull(await Account.SessionCookieAsync(page.Context));
    });

    [Fact]
    public Task The_session_cookie_is_HttpOnly_and_SameSite_and_no_Api_token_reaches_the_browser() => browser.RunAsync(output, async page =>
    {
        var account = Account.New();
        await account.SignUpAsync(page, browser);

        var cookie = await Account.SessionCookieAsync(page.Context) ?? throw new InvalidOperationException("no session cookie after sign-up");
        Assert.True(cookie.HttpOnly, "the session cookie is readable from script");
        Assert.True(cookie.SameSite is SameSiteAttribute.Lax or SameSiteAttribute.Strict, $"the session cookie is SameSite={cookie.SameSite}");
        Assert.DoesNotContain(Account.SessionCookie, await page.EvaluateAsync<string>("() => document.cookie"), StringComparison.Ordinal);

        // The patterns find real tokens: the Api's own answer to the same credentials is matched by them.
        var issued = await SignInAtTheApiAsync(account);
        Assert.Matches(Jwt, issued.GetProperty("accessToken").GetString());
        Assert.Matches(RefreshToken, issued.GetProperty("refreshToken").GetString());

        var storage = await page.EvaluateAsync<string>(
            "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])");
        var dom = await page.ContentAsync();
        var served = await (await page.Context.APIRequest.GetAsync("/flowsheets")).TextAsync();
        foreach (var (where, text) in new[] { ("web storage", storage), ("the page", dom), ("the served HTML", served) })
        {
            Assert.DoesNotMatch(Jwt, text);
            Assert.DoesNotMatch(RefreshToken, text);
            output.WriteLine($"{where}: {text.Length} characters, no Api token");
        }
    });

    private static async Task<IAPIResponse> PostSignInAsync(IPage page, Account account, string? antiforgeryToken)
    {
        var form = page.Context.APIRequest.CreateFormData();
        form.Set("_handler", "signin");
        form.Set("Input.Email", account.Email);
        form.Set("Input.Password", account.Password);
        if (antiforgeryToken is not null)
        {
            form.Set("__RequestVerificationToken", antiforgeryToken);
        }
        return await page.Context.APIRequest.PostAsync("/account/signin", new() { Form = form, MaxRedirects = 0 });
    }

    private async Task<JsonElement> SignInAtTheApiAsync(Account account)
    {
        using var api = browser.Platform.App.CreateHttpClient(ResourceNames.Api, "http");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await api.PostAsJsonAsync("/api/v1/auth/signin", new { email = account.Email, password = account.Password }, timeout.Token);
        var body = await response.Content.ReadAsStringAsync(timeout.Token);
        Assert.True(response.IsSuccessStatusCode, $"Api sign-in: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
