using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting.Testing;
using DeepSim.ServiceDefaults;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>Steps the flow tests share: flowsheets made and run through the pages, second browser contexts, the platform's secrets.</summary>
internal static class Flows
{
    /// <summary>A run is queued, picked up by a worker and solved: a few seconds here, this much at the most.</summary>
    public const float RunMilliseconds = 90_000;

    public static readonly Regex FlowsheetUrl = new(@"/flowsheets/([0-9a-f-]{36})$", RegexOptions.None, TimeSpan.FromSeconds(1));

    /// <summary>Creates a flowsheet from a template on the flowsheets page; returns its id once its designer shows.</summary>
    public static async Task<Guid> CreateFromTemplateAsync(IPage page, string templateKey, string? name = null)
    {
        await page.GotoAsync("/flowsheets");
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        await page.GetByTestId("new-flowsheet").ClickAsync();
        await page.GetByTestId($"template-{templateKey}").ClickAsync();
        // Choosing a template also sets the name box (same render): typing before it arrives gets appended to.
        await Expect(page.GetByTestId($"template-{templateKey}")).ToHaveClassAsync(new Regex(@"\bchosen\b", RegexOptions.None, TimeSpan.FromSeconds(1)));
        if (name is not null)
        {
            await page.GetByTestId("new-flowsheet-name").FillAsync(name);
        }
        await page.GetByTestId("create-flowsheet").ClickAsync();
        await Expect(page).ToHaveURLAsync(FlowsheetUrl);
        await Expect(page.GetByTestId("designer-canvas")).ToBeVisibleAsync();
        return Guid.Parse(FlowsheetUrl.Match(page.Url).Groups[1].Value);
    }

    /// <summary>Imports a flowsheet document through the flowsheets page's import button (a file named <paramref name="fileName"/>).</summary>
    public static async Task<Guid> ImportAsync(IPage page, string fileName, string json)
    {
        await page.GotoAsync("/flowsheets");
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        await page.Locator("input[type=file]").SetInputFilesAsync(new FilePayload
        {
            Name = fileName, MimeType = "application/json", Buffer = System.Text.Encoding.UTF8.GetBytes(json),
        });
        await Expect(page).ToHaveURLAsync(FlowsheetUrl);
        return Guid.Parse(FlowsheetUrl.Match(page.Url).Groups[1].Value);
    }

    /// <summary>Clicks Run on the flowsheet page and waits (bounded) for the results under the designer; returns the run's id.</summary>
    public static async Task<Guid> RunAsync(IPage page)
    {
        var link = page.GetByTestId("last-run-link");
        var previous = await link.CountAsync() == 0 ? null : await link.GetAttributeAsync("href");
        await page.GetByTestId("run-flowsheet").ClickAsync();
        if (previous is not null)
        {
            // The previous run's results stay on the page until the new run is submitted.
            await Expect(link).Not.ToHaveAttributeAsync("href", previous);
        }
        await Expect(page.GetByTestId("designer-results")).ToBeVisibleAsync(new() { Timeout = RunMilliseconds });
        var href = await link.GetAttributeAsync("href") ?? throw new InvalidOperationException("no run link");
        return Guid.Parse(href[(href.LastIndexOf('/') + 1)..]);
    }

    /// <summary>A second browser (its own cookies), as another person at another computer; dispose it.</summary>
    public static async Task<IBrowserContext> OtherContextAsync(IPage page, BrowserFixture browser)
    {
        var chromium = page.Context.Browser ?? throw new InvalidOperationException("the page has no browser");
        var context = await chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = browser.WebUrl.ToString() });
        context.SetDefaultTimeout(BrowserFixture.WaitMilliseconds);
        context.SetDefaultNavigationTimeout(BrowserFixture.WaitMilliseconds);
        return context;
    }

    public static async Task SignInAsOperatorAsync(IPage page, BrowserFixture browser)
    {
        await page.GotoAsync("/account/signin");
        await page.GetByTestId("signin-email").FillAsync("operator@deepsim.local");
        await page.GetByTestId("signin-password").FillAsync(Secret(browser, "operator-password"));
        await page.GetByTestId("signin-as").SelectOptionAsync("operator");
        await page.GetByTestId("signin-submit").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/operator$", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
    }

    /// <summary>
    /// The text of the newest mail to <paramref name="email"/> whose subject contains <paramref name="subject"/>, as it
    /// arrived at the platform's mail catcher (maildev, under the AppHost).
    /// </summary>
    public static async Task<string> MailTextAsync(BrowserFixture browser, string email, string subject)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var http = new HttpClient { BaseAddress = browser.Platform.App.GetEndpoint(ResourceNames.Mail, "http") };
        while (true)
        {
            var messages = await http.GetFromJsonAsync<JsonElement>("api/email", timeout.Token);
            var found = messages.EnumerateArray().LastOrDefault(message =>
                message.GetProperty("to").EnumerateArray().Any(to => to.GetProperty("address").GetString() == email)
                && (message.GetProperty("subject").GetString() ?? "").Contains(subject, StringComparison.OrdinalIgnoreCase));
            if (found.ValueKind == JsonValueKind.Object)
            {
                return found.GetProperty("text").GetString() ?? "";
            }
            await Task.Delay(250, timeout.Token);
        }
    }

    /// <summary>The token and the link into the web app a mail carries ("…token: X" and "Or open: URL").</summary>
    public static (string Token, string Link) TokenAndLink(string text)
    {
        var token = Regex.Match(text, @"token: (\S+)", RegexOptions.None, TimeSpan.FromSeconds(1));
        var link = Regex.Match(text, @"Or open: (\S+)", RegexOptions.None, TimeSpan.FromSeconds(1));
        Assert.True(token.Success && link.Success, $"no token or link in the mail: {text}");
        return (token.Groups[1].Value, link.Groups[1].Value);
    }

    /// <summary>The invitation mailed to <paramref name="email"/>: its token and link.</summary>
    public static async Task<(string Token, string Link)> InvitationMailAsync(BrowserFixture browser, string email) =>
        TokenAndLink(await MailTextAsync(browser, email, "invited"));

    private static string Secret(BrowserFixture browser, string name)
    {
        using var secrets = JsonDocument.Parse(File.ReadAllText(Path.Combine(browser.Platform.StateDirectory, "secrets.json")));
        return secrets.RootElement.GetProperty(name).GetString() ?? throw new InvalidOperationException($"secret {name} is empty");
    }
}
