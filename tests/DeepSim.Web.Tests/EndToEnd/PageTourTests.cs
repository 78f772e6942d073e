using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>Every page of the app, visited as a person uses it, each checked for its key content and photographed.</summary>
[Collection(BrowserGroup.Name)]
public sealed class PageTourTests(BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public Task Every_page_shows_its_content_to_a_signed_in_user_and_the_operator() => browser.RunAsync(output, TimeSpan.FromMinutes(5), async page =>
    {
        var account = Account.New();
        await account.SignUpAsync(page, browser);
        await Expect(page.GetByTestId("page-title")).ToHaveTextAsync("Flowsheets");
        await Expect(page.GetByTestId("no-flowsheets")).ToBeVisibleAsync();
        await Shots.TakeAsync(page, "01-flowsheets");

        await page.GetByTestId("new-flowsheet").ClickAsync();
        await Expect(page.GetByTestId("new-flowsheet-panel")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("template-benzene-toluene-flash")).ToBeVisibleAsync();
        await Shots.TakeAsync(page, "02-new-flowsheet");

        var id = await Flows.CreateFromTemplateAsync(page, "benzene-toluene-flash");
        await Expect(page.GetByTestId("unit-DRUM")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("flowsheet-version")).ToHaveTextAsync("v1");
        var firstRun = await Flows.RunAsync(page);
        await Shots.TakeAsync(page, "03-designer");

        // A second version (the drum at 100 °C) and its run, for the versions and compare pages.
        await page.GetByTestId("unit-DRUM").ClickAsync();
        await page.GetByTestId("field-temperature").FillAsync("100");
        await page.GetByTestId("field-temperature").PressAsync("Tab");
        await page.GetByTestId("designer-save").ClickAsync();
        await Expect(page.GetByTestId("save-message")).ToContainTextAsync("Saved as version 2");
        await Expect(page.GetByTestId("flowsheet-version")).ToHaveTextAsync("v2");
        var secondRun = await Flows.RunAsync(page);
        Assert.NotEqual(firstRun, secondRun);

        await OpenAsync(page, $"/runs/{firstRun}");
        await Expect(page.GetByText($"Run {firstRun.ToString()[..8]}")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("cell-V-temperature")).ToBeVisibleAsync(new() { Timeout = Flows.RunMilliseconds });
        await Shots.TakeAsync(page, "04-run");

        await OpenAsync(page, "/runs");
        await Expect(page.GetByTestId("run-link")).ToHaveCountAsync(2);
        await Shots.TakeAsync(page, "05-runs");

        await OpenAsync(page, $"/runs/compare?a={firstRun}&b={secondRun}");
        await Expect(page.GetByTestId("run-compare")).ToBeVisibleAsync();
        // The drum temperature differs between the runs, so the vapour stream's temperature row differs.
        await Expect(page.Locator("[data-testid=run-compare] tr[data-differs=true]").First).ToBeVisibleAsync();
        await Shots.TakeAsync(page, "06-compare");

        await OpenAsync(page, $"/flowsheets/{id}/versions");
        await Expect(page.GetByTestId("version-table")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("version-table").Locator("tbody tr")).ToHaveCountAsync(2);
        await Shots.TakeAsync(page, "07-versions");

        await OpenAsync(page, $"/flowsheets/{id}/study");
        await Expect(page.GetByTestId("study-name")).ToHaveValueAsync(new Regex("study$", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await page.GetByTestId("study-start").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/studies/[0-9a-f-]{36}$", RegexOptions.None, TimeSpan.FromSeconds(1)));
        var studyUrl = page.Url;
        await Expect(page.GetByTestId("study-progress")).ToHaveAttributeAsync("data-total", "5");

        await OpenAsync(page, "/studies");
        await Expect(page.GetByTestId("study-table")).ToContainTextAsync("study");
        await Shots.TakeAsync(page, "08-studies");

        await OpenAsync(page, studyUrl);
        await Expect(page.GetByTestId("study-progress")).ToHaveAttributeAsync("data-done", "5", new() { Timeout = 120_000 });
        await Expect(page.Locator("[data-testid=study-chart] .js-plotly-plot").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Shots.TakeAsync(page, "09-study");

        await OpenAsync(page, "/team");
        await Expect(page.GetByTestId("member-table")).ToContainTextAsync(account.Email);
        await Expect(page.GetByTestId("member-table")).ToContainTextAsync(account.DisplayName);
        await Shots.TakeAsync(page, "10-team");

        await OpenAsync(page, "/api-keys");
        await page.GetByTestId("key-name").FillAsync("tour script");
        await page.GetByTestId("key-create").ClickAsync();
        await Expect(page.GetByTestId("new-key-secret")).ToHaveTextAsync(new Regex(@"\S{20,}", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await Expect(page.GetByTestId("copy-key")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("key-table")).ToContainTextAsync("tour script");
        await Shots.TakeAsync(page, "11-api-keys");

        await OpenAsync(page, "/settings");
        await Expect(page.GetByTestId("tenant-name")).ToHaveValueAsync(account.TenantName);
        await Expect(page.GetByTestId("usage-runs")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("usage-flowsheets")).ToContainTextAsync("1");
        await Shots.TakeAsync(page, "12-settings");

        await OpenAsync(page, "/audit");
        await Expect(page.GetByTestId("audit-table")).ToContainTextAsync("flowsheets.create");
        await Shots.TakeAsync(page, "13-audit");

        await OpenAsync(page, "/profile");
        await Expect(page.GetByTestId("profile-name")).ToHaveTextAsync(account.DisplayName);
        await Expect(page.GetByTestId("profile-role")).ToHaveTextAsync("owner");
        await Shots.TakeAsync(page, "14-profile");

        await using var operatorContext = await Flows.OtherContextAsync(page, browser);
        var console = await operatorContext.NewPageAsync();
        await Flows.SignInAsOperatorAsync(console, browser);
        await console.GetByTestId("tenant-search").FillAsync(account.Slug);
        await Expect(console.GetByTestId($"tenant-status-{account.Slug}")).ToHaveTextAsync("active");
        await Shots.TakeAsync(console, "15-operator");

        await OpenAsync(console, "/operator/audit");
        await Expect(console.GetByRole(AriaRole.Heading, new() { Name = "Platform audit" })).ToBeVisibleAsync();
        await Expect(console.GetByTestId("audit-table").Locator("tbody tr code").First).ToBeVisibleAsync();
        output.WriteLine($"platform audit, newest: {await console.GetByTestId("audit-table").Locator("tbody tr").First.InnerTextAsync()}");
        await Shots.TakeAsync(console, "16-operator-audit");
    });

    /// <summary>
    /// Opens a page and waits for its interactive circuit: the prerendered content is replaced while the circuit loads
    /// the page's data again, so checks and screenshots come after that.
    /// </summary>
    private static async Task OpenAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
    }
}
