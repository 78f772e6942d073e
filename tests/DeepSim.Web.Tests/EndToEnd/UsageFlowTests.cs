using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>
/// The usage page against the whole platform: a run goes Api → outbox → the Analytics ingester → ClickHouse, and the
/// page (through Analytics' API with the person's token) counts it; the CSVs come through the web app.
/// </summary>
[Collection(BrowserGroup.Name)]
public sealed class UsageFlowTests(BrowserFixture browser, ITestOutputHelper output)
{
    /// <summary>The ingester polls the outbox every second; a run's events reach ClickHouse within seconds. This much at most.</summary>
    private static readonly TimeSpan IngestBudget = TimeSpan.FromSeconds(90);

    private static string Today => DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Fact]
    public Task An_owner_sees_a_run_counted_changes_the_range_and_downloads_it_as_csv() => browser.RunAsync(output, TimeSpan.FromMinutes(5), async page =>
    {
        var owner = Account.New();
        await owner.SignUpAsync(page, browser);
        var name = $"Usage flash {Guid.NewGuid():N}"[..20];
        var flowsheetId = await Flows.CreateFromTemplateAsync(page, "benzene-toluene-flash", name);
        await Flows.RunAsync(page);

        await page.GetByTestId("nav-usage").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/usage$", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        await Expect(page.GetByTestId($"preset-{Components.Pages.Usage.UsagePreset.Last30Days}")).ToHaveAttributeAsync("data-chosen", "true");
        await WaitForRunsAsync(page, "1");
        await Expect(page.GetByTestId("total-runs")).ToContainTextAsync("1 converged");
        await Expect(page.GetByTestId("runs-row")).ToContainTextAsync(name);
        await Expect(page.Locator("[data-testid=chart-runs] .js-plotly-plot")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(page.Locator("[data-testid=usage] [data-testid=usage-runs]")).ToContainTextAsync(new Regex(@"month\s*1\s*/", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await Shots.TakeAsync(page, "01-counted");

        // Another range and granularity: the choice goes into the address and the figures follow it.
        await page.GetByTestId($"preset-{Components.Pages.Usage.UsagePreset.Last7Days}").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"from={DateTime.UtcNow.AddDays(-6):yyyy-MM-dd}&to={Today}", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await page.GetByTestId("usage-granularity").Locator(".mud-select").First.ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = "Week" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("granularity=week", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await Expect(page.GetByTestId("total-runs-value")).ToHaveTextAsync("1");
        await page.GetByTestId("runs-by-user").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("by=user", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await Expect(page.GetByTestId("runs-row")).ToContainTextAsync(owner.DisplayName);
        await Shots.TakeAsync(page, "02-last-7-days-weekly-by-person");

        // The downloads: the web app streams Analytics' CSV with the person's token; the browser never holds one.
        var usageCsv = await DownloadAsync(page, "usage-csv");
        Assert.StartsWith("usage-", usageCsv.FileName, StringComparison.Ordinal);
        var usageRows = Rows(usageCsv.Text);
        Assert.Equal("period,runs_submitted,runs_converged,runs_not_converged,runs_failed,runs_cancelled,solver_hours,api_calls,active_users,flowsheets_created",
            usageRows[0]);
        Assert.Equal(1, usageRows.Skip(1).Sum(r => int.Parse(r.Split(',')[1], CultureInfo.InvariantCulture)));
        var runsCsv = await DownloadAsync(page, "runs-csv");
        var runsRows = Rows(runsCsv.Text);
        Assert.Equal("user,runs,converged,not_converged,failed,cancelled,in_progress,solver_hours", runsRows[0]);
        Assert.Single(runsRows.Skip(1));
        Assert.StartsWith(",1,1,", runsRows[1][runsRows[1].IndexOf(',')..], StringComparison.Ordinal);

        await page.GetByTestId("runs-by-flowsheet").ClickAsync();
        await Expect(page.GetByTestId("runs-row")).ToContainTextAsync(name);
        var byFlowsheet = Rows((await DownloadAsync(page, "runs-csv")).Text);
        Assert.StartsWith($"{flowsheetId},1,1,", byFlowsheet[1], StringComparison.Ordinal);

        // The picker itself: this month's 1st to 2nd, two clicks in its calendar.
        var month = DateTime.UtcNow.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        await page.GetByTestId($"preset-{Components.Pages.Usage.UsagePreset.ThisMonth}").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"from={month}-01&to={Today}", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await page.GetByTestId("usage-range").Locator("input").First.ClickAsync();
        var days = page.Locator(".mud-popover-open button.mud-picker-calendar-day:not(.mud-hidden)");
        await days.Filter(new() { HasTextRegex = new Regex("^1$", RegexOptions.None, TimeSpan.FromSeconds(1)) }).First.ClickAsync();
        await days.Filter(new() { HasTextRegex = new Regex("^2$", RegexOptions.None, TimeSpan.FromSeconds(1)) }).First.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"from={month}-01&to={month}-02", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await Expect(page.GetByTestId("usage-range").Locator("input").First).ToHaveValueAsync($"{month}-01");
        // A picked range is no preset: no chip shows as chosen (unless it happens to be one).
        if (Today != $"{month}-02")
        {
            await Expect(page.GetByTestId($"preset-{Components.Pages.Usage.UsagePreset.ThisMonth}")).ToHaveAttributeAsync("data-chosen", "false");
            // It fades out (a CSS transition): the picture is taken once it has.
            await page.WaitForFunctionAsync(
                $"() => getComputedStyle(document.querySelector('[data-testid=preset-{Components.Pages.Usage.UsagePreset.ThisMonth}]')).backgroundColor === 'rgba(0, 0, 0, 0)'");
        }
        await page.Mouse.MoveAsync(0, 0); // the pointer left over a chip would show it hovered in the picture
        await Shots.TakeAsync(page, "03-picked");

        // A range with nothing in it says so; one longer than Analytics allows is refused at the picker, unasked.
        await page.GotoAsync("/usage?from=2025-01-01&to=2025-01-31");
        await Expect(page.GetByTestId("usage-empty")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("runs-empty-table")).ToContainTextAsync("No runs in this range");
        await Shots.TakeAsync(page, "04-empty");
        await page.GotoAsync($"/usage?from=2024-01-01&to={Today}");
        await Expect(page.GetByTestId("usage-range")).ToContainTextAsync("at most 366 days");
        await Expect(page.GetByTestId("usage-totals")).ToHaveCountAsync(0);
        await Shots.TakeAsync(page, "05-range-too-long");
    });

    [Fact]
    public Task An_engineer_has_no_usage_page_and_no_usage_download() => browser.RunAsync(output, TimeSpan.FromMinutes(4), async page =>
    {
        var owner = Account.New();
        await owner.SignUpAsync(page, browser);
        // The free plan allows one member: the owner moves to a bigger plan, then invites an engineer.
        await page.GotoAsync("/billing");
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        await page.GetByTestId("choose-enterprise").ClickAsync();
        await page.GetByTestId("confirm-plan").ClickAsync();
        await Expect(page.GetByTestId("current-plan-name")).ToContainTextAsync("Enterprise");
        await page.GotoAsync("/team");
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        var engineer = Account.New();
        await page.GetByTestId("invite-email").FillAsync(engineer.Email);
        await page.GetByTestId("invite-submit").ClickAsync();
        await Expect(page.GetByTestId("invitation-table")).ToContainTextAsync(engineer.Email);

        var (_, link) = await Flows.InvitationMailAsync(browser, engineer.Email);
        await using var engineerContext = await Flows.OtherContextAsync(page, browser);
        var joined = await engineerContext.NewPageAsync();
        await joined.GotoAsync(link);
        await joined.GetByTestId("accept-display-name").FillAsync(engineer.DisplayName);
        await joined.GetByTestId("accept-password").FillAsync(engineer.Password);
        await joined.GetByTestId("accept-submit").ClickAsync();
        await Expect(joined).ToHaveURLAsync(Account.FlowsheetsUrl);
        await joined.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        await Expect(joined.GetByTestId("nav-usage")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("nav-usage")).ToBeVisibleAsync(); // the owner has it

        await joined.GotoAsync("/usage");
        await Expect(joined.GetByTestId("problem")).ToContainTextAsync("analytics.read");
        await Expect(joined.GetByTestId("usage-range")).ToHaveCountAsync(0);
        await Expect(joined.GetByTestId("usage-totals")).ToHaveCountAsync(0);
        await Expect(joined.GetByTestId("usage-csv")).ToHaveCountAsync(0);
        await Shots.TakeAsync(joined, "engineer-refused");

        // The download endpoint refuses the same way (Analytics decides, the web passes its refusal on).
        var download = await engineerContext.APIRequest.GetAsync($"/downloads/analytics/usage?from={Today}&to={Today}");
        Assert.Equal(403, download.Status);
        Assert.Contains("analytics.read", await download.TextAsync(), StringComparison.Ordinal);
    });

    /// <summary>Refreshes the page until the range's runs show <paramref name="expected"/> (the ingester polls), bounded.</summary>
    private async Task WaitForRunsAsync(IPage page, string expected)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var value = page.GetByTestId("total-runs-value");
        while (true)
        {
            try
            {
                await Expect(value).ToHaveTextAsync(expected, new() { Timeout = 3_000 });
                output.WriteLine($"the run was counted {clock.Elapsed.TotalSeconds:F0} s after the page opened");
                return;
            }
            catch (Exception ex) when (ex is PlaywrightException or TimeoutException && clock.Elapsed < IngestBudget)
            {
                await page.GetByTestId("usage-refresh").ClickAsync();
            }
        }
    }

    private static async Task<(string FileName, string Text)> DownloadAsync(IPage page, string testId)
    {
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId(testId).ClickAsync());
        var path = await download.PathAsync();
        return (download.SuggestedFilename, await File.ReadAllTextAsync(path));
    }

    private static List<string> Rows(string csv) => csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
}
