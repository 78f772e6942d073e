using System.Diagnostics;
using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;
using DeepSim.ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>A person edits their own profile: name and password; and a web session outlives the web process.</summary>
[Collection(BrowserGroup.Name)]
public sealed class ProfileFlowTests(BrowserFixture browser, ITestOutputHelper output)
{
    private static readonly Regex SignInUrl = new(@"/account/signin", RegexOptions.None, TimeSpan.FromSeconds(1));

    private static async Task OpenAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
    }

    [Fact]
    public Task A_person_renames_themselves_and_changes_their_password_and_only_the_new_one_signs_in() => browser.RunAsync(output, TimeSpan.FromMinutes(3), async page =>
    {
        var user = Account.New();
        await user.SignUpAsync(page, browser);
        // The same person in another browser: its session ends with the password change.
        await using var elsewhere = await Flows.OtherContextAsync(page, browser);
        var other = await elsewhere.NewPageAsync();
        await other.GotoAsync("/account/signin");
        await user.SubmitSignInAsync(other, user.Password);
        await Expect(other).ToHaveURLAsync(Account.FlowsheetsUrl);

        await OpenAsync(page, "/profile");
        var renamed = "Grace " + user.DisplayName;
        await page.GetByTestId("profile-display-name").FillAsync(renamed);
        await page.GetByTestId("profile-save-name").ClickAsync();
        await Expect(page.GetByText("Your name was saved.")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToContainTextAsync(renamed);
        await Expect(page.GetByTestId("profile-name")).ToHaveTextAsync(renamed);

        const string NewPassword = "a-new-and-longer-password-7";
        await page.GetByTestId("profile-current-password").FillAsync("not-the-password-at-all");
        await page.GetByTestId("profile-new-password").FillAsync(NewPassword);
        await page.GetByTestId("profile-change-password").ClickAsync();
        await Expect(page.GetByText("is incorrect", new() { Exact = false })).ToBeVisibleAsync();
        await page.GetByTestId("profile-current-password").FillAsync(user.Password);
        await page.GetByTestId("profile-new-password").FillAsync("short");
        await page.GetByTestId("profile-change-password").ClickAsync();
        await Expect(page.GetByText("must be 10 to 256 characters")).ToBeVisibleAsync();
        await page.GetByTestId("profile-new-password").FillAsync(NewPassword);
        await page.GetByTestId("profile-change-password").ClickAsync();
        await Expect(page.GetByText("Password changed.", new() { Exact = false })).ToBeVisibleAsync();
        await Shots.TakeAsync(page, "profile-changed");

        // This browser stays signed in, and a fresh page load (a new cookie) still shows the new name.
        await OpenAsync(page, "/profile");
        await Expect(page.GetByTestId("signed-in-as")).ToContainTextAsync(renamed);
        // The other browser is signed out on its next request.
        await other.GotoAsync("/flowsheets");
        await Expect(other).ToHaveURLAsync(SignInUrl);
        await Expect(other.GetByTestId("signed-in-as")).ToHaveCountAsync(0);

        await page.GetByTestId("sign-out").ClickAsync();
        await Expect(page.GetByTestId("signed-out-note")).ToBeVisibleAsync();
        await user.SubmitSignInAsync(page, user.Password);
        await Expect(page.GetByTestId("form-error")).ToBeVisibleAsync();
        await user.SubmitSignInAsync(page, NewPassword);
        await Expect(page).ToHaveURLAsync(Account.FlowsheetsUrl);
        await Expect(page.GetByTestId("signed-in-as")).ToContainTextAsync(renamed);
        Assert.Contains("signed out", await Flows.MailTextAsync(browser, user.Email, "password was changed"), StringComparison.Ordinal);
    });

    [Fact]
    public Task A_web_session_survives_a_restart_of_the_web_app() => browser.RunAsync(output, TimeSpan.FromMinutes(3), async page =>
    {
        var user = Account.New();
        await user.SignUpAsync(page, browser);
        var before = await browser.Platform.WaitForAsync(ResourceNames.Web,
            e => Pid(e) is not null && e.Snapshot.HealthStatus == HealthStatus.Healthy, TimeSpan.FromSeconds(30));
        var pid = Pid(before)!.Value;

        using (var process = Process.GetProcessById(pid))
        {
            // The web process dies (a deploy, a crash); the AppHost starts a new one: nothing of the old one's memory.
            process.Kill(entireProcessTree: true);
        }
        await browser.Platform.WaitForAsync(ResourceNames.Web,
            e => Pid(e) is { } next && next != pid && e.Snapshot.HealthStatus == HealthStatus.Healthy, TimeSpan.FromMinutes(2));

        // The same cookie (its keys in Redis) names the same session (in Redis): still signed in, and the Api answers.
        await OpenAsync(page, "/profile");
        await Expect(page.GetByTestId("signed-in-as")).ToContainTextAsync(user.DisplayName);
        await Expect(page.GetByTestId("profile-name")).ToHaveTextAsync(user.DisplayName);
    });

    private static int? Pid(ResourceEvent e) =>
        e.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value switch
        {
            int value => value,
            long value => (int)value,
            string text when int.TryParse(text, out var value) => value,
            _ => null,
        };
}
