using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>An owner invites a colleague, who joins through the invitation and works in the same workspace.</summary>
[Collection(BrowserGroup.Name)]
public sealed class TeamFlowTests(BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public Task An_invited_engineer_joins_through_the_token_and_shows_on_the_owners_team_page() => browser.RunAsync(output, TimeSpan.FromMinutes(3), async page =>
    {
        var owner = Account.New();
        await owner.SignUpAsync(page, browser);
        var colleague = Account.New() with { DisplayName = $"Grace Colleague {Guid.NewGuid():N}"[..28] };

        // The free plan a sign-up starts on allows one member: the owner moves the workspace to a bigger plan first.
        await page.GotoAsync("/billing");
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        await page.GetByTestId("choose-enterprise").ClickAsync();
        await page.GetByTestId("confirm-plan").ClickAsync();
        await Expect(page.GetByTestId("current-plan-name")).ToContainTextAsync("Enterprise");

        await page.GotoAsync("/team");
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        await page.GetByTestId("invite-email").FillAsync(colleague.Email);
        await page.GetByTestId("invite-submit").ClickAsync();
        var invitations = page.GetByTestId("invitation-table");
        await Expect(invitations).ToContainTextAsync(colleague.Email);
        await Expect(invitations.Locator("tr").Filter(new() { HasText = colleague.Email })).ToContainTextAsync("engineer");
        await Shots.TakeAsync(page, "invited");

        // The invitation really went out by mail: the colleague opens the link it carries.
        var (token, link) = await Flows.InvitationMailAsync(browser, colleague.Email);
        Assert.Equal(browser.WebUrl.Port, new Uri(link).Port);
        await using var colleagueContext = await Flows.OtherContextAsync(page, browser);
        var joining = await colleagueContext.NewPageAsync();
        await joining.GotoAsync(link);
        await Expect(joining.GetByTestId("accept-token")).ToHaveValueAsync(token);
        await joining.GetByTestId("accept-display-name").FillAsync(colleague.DisplayName);
        await joining.GetByTestId("accept-password").FillAsync(colleague.Password);
        await Shots.TakeAsync(joining, "accept");
        await joining.GetByTestId("accept-submit").ClickAsync();

        await Expect(joining).ToHaveURLAsync(Account.FlowsheetsUrl);
        await Expect(joining.GetByTestId("signed-in-as")).ToContainTextAsync(colleague.DisplayName);
        await Expect(joining.GetByTestId("signed-in-as")).ToContainTextAsync(owner.TenantName);
        await Shots.TakeAsync(joining, "joined");

        await page.ReloadAsync();
        var members = page.GetByTestId("member-table");
        await Expect(members).ToContainTextAsync(colleague.Email);
        await Expect(members).ToContainTextAsync(colleague.DisplayName);
        await Expect(invitations).Not.ToContainTextAsync(colleague.Email);
        await Shots.TakeAsync(page, "team");
    });
}

/// <summary>The platform operator suspends a workspace: its people are signed out and cannot sign in again.</summary>
[Collection(BrowserGroup.Name)]
public sealed class OperatorTests(BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public Task A_suspended_workspace_is_signed_out_at_its_next_page_and_refused_at_sign_in() => browser.RunAsync(output, TimeSpan.FromMinutes(3), async page =>
    {
        var user = Account.New();
        await user.SignUpAsync(page, browser);

        await using var operatorContext = await Flows.OtherContextAsync(page, browser);
        var console = await operatorContext.NewPageAsync();
        await Flows.SignInAsOperatorAsync(console, browser);
        await console.GetByTestId("tenant-search").FillAsync(user.Slug);
        await Expect(console.GetByTestId($"tenant-status-{user.Slug}")).ToHaveTextAsync("active");
        await console.GetByTestId($"suspend-{user.Slug}").ClickAsync();
        await console.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Suspend" }).ClickAsync();
        await Expect(console.GetByTestId($"tenant-status-{user.Slug}")).ToHaveTextAsync("suspended");
        await Shots.TakeAsync(console, "suspended");

        await page.GotoAsync("/runs");
        await Expect(page).ToHaveURLAsync(new Regex("/account/signin", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await Expect(page.GetByTestId("session-ended-note")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToHaveCountAsync(0);
        await Shots.TakeAsync(page, "signed-out");

        await page.GotoAsync("/account/signin");
        await user.SubmitSignInAsync(page, user.Password);
        await Expect(page.GetByTestId("form-error")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToHaveCountAsync(0);
        output.WriteLine($"sign-in refused: {await page.GetByTestId("form-error").InnerTextAsync()}");
        await Shots.TakeAsync(page, "refused");
    });
}
