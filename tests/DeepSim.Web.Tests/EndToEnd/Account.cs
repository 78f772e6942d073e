using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>A new workspace and its first user, unique per test so tests never share a tenant.</summary>
internal sealed record Account(string TenantName, string Slug, string DisplayName, string Email, string Password)
{
    /// <summary>The web app's session cookie (WebExtensions.CookieName).</summary>
    public const string SessionCookie = "deepsim.session";

    public static Account New()
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        return new($"E2E Process Co {id}", $"e2e-{id}", $"Ada Tester {id}", $"ada-{id}@e2e.example.com", "correct horse battery staple");
    }

    public async Task FillSignUpAsync(IPage page)
    {
        await page.GotoAsync("/account/signup");
        await page.GetByTestId("signup-tenant-name").FillAsync(TenantName);
        await page.GetByTestId("signup-slug").FillAsync(Slug);
        await page.GetByTestId("signup-display-name").FillAsync(DisplayName);
        await page.GetByTestId("signup-email").FillAsync(Email);
        await page.GetByTestId("signup-password").FillAsync(Password);
    }

    /// <summary>
    /// Signs up through the form as a customer does: asks, opens the link from the confirmation mail (at the platform's
    /// mail catcher), confirms, and waits until the flowsheets page shows this user signed in and its circuit runs (a
    /// sign-out clicked while the circuit is still starting races the page's first Api call, which then finds the
    /// session gone and sends the browser to "your session ended" instead).
    /// </summary>
    public async Task SignUpAsync(IPage page, BrowserFixture browser)
    {
        await FillSignUpAsync(page);
        await page.GetByTestId("signup-submit").ClickAsync();
        await Expect(page.GetByTestId("signup-sent")).ToBeVisibleAsync();
        await ConfirmFromMailAsync(page, browser);
        await Expect(page).ToHaveURLAsync(FlowsheetsUrl);
        await Expect(page.GetByTestId("signed-in-as")).ToContainTextAsync(DisplayName);
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
    }

    /// <summary>Opens the link in the newest confirmation mail to this address and presses "Create the workspace".</summary>
    public async Task ConfirmFromMailAsync(IPage page, BrowserFixture browser)
    {
        var (token, link) = Flows.TokenAndLink(await Flows.MailTextAsync(browser, Email, "Confirm your new DeepSim workspace"));
        await page.GotoAsync(link);
        await Expect(page.GetByTestId("confirm-token")).ToHaveValueAsync(token);
        await page.GetByTestId("confirm-submit").ClickAsync();
    }

    public async Task SubmitSignInAsync(IPage page, string password)
    {
        await page.GetByTestId("signin-email").FillAsync(Email);
        await page.GetByTestId("signin-password").FillAsync(password);
        await page.GetByTestId("signin-submit").ClickAsync();
    }

    public static readonly Regex FlowsheetsUrl = new(@"/flowsheets(\?[^#]*)?$", RegexOptions.None, TimeSpan.FromSeconds(1));

    public static async Task<BrowserContextCookiesResult?> SessionCookieAsync(IBrowserContext context) =>
        (await context.CookiesAsync()).SingleOrDefault(c => c.Name == SessionCookie);
}
