using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>One workspace's flowsheets and runs stay out of another's reach, even by their addresses.</summary>
[Collection(BrowserGroup.Name)]
public sealed class TenancyTests(BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public Task Another_workspace_opening_a_flowsheet_or_run_by_its_address_sees_nothing_of_it() => browser.RunAsync(output, TimeSpan.FromMinutes(3), async page =>
    {
        var owner = Account.New();
        await owner.SignUpAsync(page, browser);
        var secretName = $"Secret recipe {Guid.NewGuid():N}"[..26];
        var flowsheetId = await Flows.CreateFromTemplateAsync(page, "benzene-toluene-flash", secretName);
        await Expect(page.GetByTestId("flowsheet-name")).ToHaveTextAsync(secretName);
        var runId = await Flows.RunAsync(page);

        await using var otherContext = await Flows.OtherContextAsync(page, browser);
        var other = await otherContext.NewPageAsync();
        var intruder = Account.New();
        await intruder.SignUpAsync(other, browser);

        await other.GotoAsync($"/flowsheets/{flowsheetId}");
        await Expect(other.Locator("[data-testid=problem].mud-alert")).ToBeVisibleAsync();
        await Expect(other.GetByTestId("flowsheet-name")).ToHaveCountAsync(0);
        await Expect(other.GetByTestId("flowsheet-designer")).ToHaveCountAsync(0);
        await Expect(other.Locator("body")).Not.ToContainTextAsync(secretName);
        await Expect(other.Locator("body")).Not.ToContainTextAsync("DRUM");
        await Expect(other.GetByTestId("signed-in-as")).ToContainTextAsync(intruder.TenantName);
        output.WriteLine($"flowsheet of another workspace: {await other.Locator("[data-testid=problem].mud-alert").InnerTextAsync()}");
        await Shots.TakeAsync(other, "flowsheet");

        await other.GotoAsync($"/runs/{runId}");
        await Expect(other.Locator("[data-testid=problem].mud-alert")).ToBeVisibleAsync();
        await Expect(other.GetByTestId("stream-table")).ToHaveCountAsync(0);
        await Expect(other.Locator("body")).Not.ToContainTextAsync("flowsheet v");
        await Expect(other.Locator("body")).Not.ToContainTextAsync("DRUM");
        output.WriteLine($"run of another workspace: {await other.Locator("[data-testid=problem].mud-alert").InnerTextAsync()}");
        await Shots.TakeAsync(other, "run");

        // The owner still sees both (the refusal is about the workspace, not a broken page).
        await page.GotoAsync($"/runs/{runId}");
        await Expect(page.GetByTestId("stream-table")).ToBeVisibleAsync(new() { Timeout = Flows.RunMilliseconds });
    });
}
