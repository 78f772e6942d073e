using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>Sign-up, sign-in and sign-out as a person does them, in Chromium, against the whole platform.</summary>
[Collection(BrowserGroup.Name)]
public sealed class AccountTests(BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public Task Signing_up_mails_a_link_that_lands_on_the_flowsheets_page_signed_in_as_the_new_user() => browser.RunAsync(output, async page =>
    {
        var account = Account.New();
        await account.FillSignUpAsync(page);
        await Shots.TakeAsync(page, "signup");

        await page.GetByTestId("signup-submit").ClickAsync();

        // Nothing exists and nobody is signed in until the mailed link is confirmed.
        await Expect(page.GetByTestId("signup-sent")).ToContainTextAsync("Check your mail");
        Assert.Null(await Account.SessionCookieAsync(page.Context));
        await Shots.TakeAsync(page, "signup-sent");
        await account.ConfirmFromMailAsync(page, browser);

        await Expect(page).ToHaveURLAsync(Account.FlowsheetsUrl);
        await Expect(page.GetByTestId("signed-in-as")).ToContainTextAsync(account.DisplayName);
        await Expect(page.GetByTestId("signed-in-as")).ToContainTextAsync(account.TenantName);
        Assert.NotNull(await Account.SessionCookieAsync(page.Context));
        await Shots.TakeAsync(page, "flowsheets");
    });

    [Fact]
    public Task Signing_up_again_with_a_registered_address_says_the_same_and_the_owner_gets_a_notice_not_a_link() => browser.RunAsync(output, async page =>
    {
        var owner = Account.New();
        await owner.SignUpAsync(page, browser);
        await page.Context.ClearCookiesAsync();

        var impostor = Account.New() with { Email = owner.Email, Password = "not the owner's password" };
        await impostor.FillSignUpAsync(page);
        await page.GetByTestId("signup-submit").ClickAsync();

        await Expect(page.GetByTestId("signup-sent")).ToContainTextAsync("Check your mail");
        Assert.Null(await Account.SessionCookieAsync(page.Context));
        var notice = await Flows.MailTextAsync(browser, owner.Email, "Someone tried to sign up");
        Assert.Contains("nothing was created", notice, StringComparison.Ordinal);
        Assert.DoesNotContain("dss_", notice, StringComparison.Ordinal);
    });

    [Fact]
    public Task A_too_short_password_is_refused_at_its_field_with_the_Apis_message_and_the_other_values_are_kept() => browser.RunAsync(output, async page =>
    {
        var account = Account.New() with { Password = "short" };
        await account.FillSignUpAsync(page);

        await page.GetByTestId("signup-submit").ClickAsync();

        // The Api's words (AuthEndpoints: "must be 10 to 256 characters"), shown at the field they name.
        await Expect(page.GetByTestId("error-password")).ToContainTextAsync("10 to 256 characters");
        await Expect(page).ToHaveURLAsync(new Regex("/account/signup$", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await Expect(page.GetByTestId("signup-tenant-name")).ToHaveValueAsync(account.TenantName);
        await Expect(page.GetByTestId("signup-slug")).ToHaveValueAsync(account.Slug);
        await Expect(page.GetByTestId("signup-display-name")).ToHaveValueAsync(account.DisplayName);
        await Expect(page.GetByTestId("signup-email")).ToHaveValueAsync(account.Email);
        await Expect(page.GetByTestId("error-email")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("signed-in-as")).ToHaveCountAsync(0);
        Assert.Null(await Account.SessionCookieAsync(page.Context));
        await Shots.TakeAsync(page, "signup-refused");
    });

    [Fact]
    public Task A_wrong_password_shows_the_form_error_and_signs_nobody_in() => browser.RunAsync(output, async page =>
    {
        var account = Account.New();
        await account.SignUpAsync(page, browser);
        await page.Context.ClearCookiesAsync();

        await page.GotoAsync("/account/signin");
        await account.SubmitSignInAsync(page, account.Password + "-wrong");

        await Expect(page.GetByTestId("form-error")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToHaveCountAsync(0);
        Assert.Null(await Account.SessionCookieAsync(page.Context));
        await Shots.TakeAsync(page, "signin-refused");
    });

    [Theory]
    [InlineData("/flowsheets")]
    [InlineData("/runs")]
    public Task After_signing_out_a_signed_in_page_asks_to_sign_in_and_signing_in_returns_there(string target) => browser.RunAsync(output, async page =>
    {
        var account = Account.New();
        await account.SignUpAsync(page, browser);

        await page.GetByTestId("sign-out").ClickAsync();
        await Expect(page.GetByTestId("signed-out-note")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToHaveCountAsync(0);
        Assert.Null(await Account.SessionCookieAsync(page.Context));

        await page.GotoAsync(target);
        await Expect(page).ToHaveURLAsync(new Regex(@"/account/signin\?returnUrl=", RegexOptions.None, TimeSpan.FromSeconds(1)));
        var returnUrl = System.Web.HttpUtility.ParseQueryString(new Uri(page.Url).Query)["returnUrl"];
        Assert.Equal(target, "/" + returnUrl?.TrimStart('/'));
        await Expect(page.GetByTestId("signed-in-as")).ToHaveCountAsync(0);

        await account.SubmitSignInAsync(page, account.Password);
        await Expect(page).ToHaveURLAsync(new Regex(Regex.Escape(target) + @"(\?[^#]*)?$", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await Expect(page.GetByTestId("signed-in-as")).ToContainTextAsync(account.DisplayName);
    }, $"{nameof(After_signing_out_a_signed_in_page_asks_to_sign_in_and_signing_in_returns_there)}{target.Replace('/', '-')}");
}
