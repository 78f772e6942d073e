using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>
/// The operator makes a customer a platform analyst on the Analysts page; that person signs in as analyst, reads the
/// platform dashboard (their own workspace's upgrade among its figures), downloads its CSV through the web app, and once
/// the operator revokes the role their dashboard sends them to sign in again.
/// </summary>
[Collection(BrowserGroup.Name)]
public sealed class AnalystFlowTests(BrowserFixture browser, ITestOutputHelper output)
{
    // The ingester polls the outbox feed: an event reaches the dashboard within seconds; this is the most it waits.
    private static readonly TimeSpan IngestBudget = TimeSpan.FromSeconds(60);

    [Fact]
    public Task An_operator_grants_the_analyst_role_and_the_analyst_reads_the_platform_dashboard() => browser.RunAsync(output, TimeSpan.FromMinutes(4), async page =>
    {
        var person = Account.New();
        await person.SignUpAsync(page, browser);
        // A paying workspace, so the dashboard has revenue of this test's own to show.
        await page.GotoAsync("/billing");
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        await page.GetByTestId("choose-pro").ClickAsync();
        await page.GetByTestId("confirm-plan").ClickAsync();
        await Expect(page.GetByTestId("current-plan-name")).ToContainTextAsync("Pro");

        await using var operatorContext = await Flows.OtherContextAsync(page, browser);
        var console = await operatorContext.NewPageAsync();
        await Flows.SignInAsOperatorAsync(console, browser);
        await console.GetByRole(AriaRole.Link, new() { Name = "Analysts" }).ClickAsync();
        await Expect(console).ToHaveURLAsync(new Regex("/operator/analysts$", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await console.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        // An address nobody has is refused where it was typed.
        await console.GetByTestId("analyst-email").FillAsync("nobody-" + person.Email);
        await console.GetByTestId("analyst-grant").ClickAsync();
        await Expect(console.Locator(".mud-input-helper-text")).ToContainTextAsync("No person has that email address");
        await console.GetByTestId("analyst-email").FillAsync(person.Email);
        await console.GetByTestId("analyst-grant").ClickAsync();
        await Expect(console.GetByTestId("analyst-table")).ToContainTextAsync(person.Email);
        await Expect(console.GetByTestId("analyst-table")).ToContainTextAsync(person.DisplayName);
        await Shots.TakeAsync(console, "operator-analysts");

        // The same person, now signing in as analyst: one choice on the sign-in page.
        await page.GetByTestId("sign-out").ClickAsync();
        await Expect(page.GetByTestId("signed-out-note")).ToBeVisibleAsync();
        await page.GetByTestId("signin-email").FillAsync(person.Email);
        await page.GetByTestId("signin-password").FillAsync(person.Password);
        await page.GetByTestId("signin-as").SelectOptionAsync("analyst");
        await Shots.TakeAsync(page, "signin-as-analyst");
        await page.GetByTestId("signin-submit").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/analytics/platform$", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await Expect(page.GetByTestId("signed-in-as")).ToContainTextAsync("Platform analyst");

        // The upgrade arrives through the outbox and the ingester: reload until it is among the top tenants by MRR.
        var deadline = DateTime.UtcNow + IngestBudget;
        while (true)
        {
            await page.GotoAsync("/analytics/platform");
            await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
            await Expect(page.GetByTestId("kpi-mrr-value")).ToBeVisibleAsync();
            await page.GetByRole(AriaRole.Tab, new() { Name = "By MRR" }).ClickAsync();
            if (await page.GetByTestId("top-by-mrr").GetByText(person.TenantName).CountAsync() > 0 || DateTime.UtcNow > deadline)
            {
                break;
            }
            await Task.Delay(1000);
        }
        var mine = page.GetByTestId("top-by-mrr").Locator("tr", new() { HasText = person.TenantName });
        await Expect(mine).ToContainTextAsync("pro");
        await Expect(mine).ToContainTextAsync("$99.00");
        await Expect(page.GetByTestId("kpi-mrr-value")).ToHaveTextAsync(new Regex(@"^\$[1-9][0-9,]*\.\d\d$", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await Expect(page.GetByTestId("kpi-paying-value")).Not.ToHaveTextAsync("0");
        await Expect(page.Locator("[data-testid=chart-activity] .js-plotly-plot")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(page.Locator(".js-plotly-plot")).ToHaveCountAsync(3);
        await Expect(page.GetByTestId("churn-table")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("quota-table")).ToContainTextAsync("pro");
        output.WriteLine($"dashboard: MRR {await page.GetByTestId("kpi-mrr-value").InnerTextAsync()}, paying {await page.GetByTestId("kpi-paying-value").InnerTextAsync()}, "
            + $"active {await page.GetByTestId("kpi-active-value").InnerTextAsync()}");
        await Shots.TakeAsync(page, "dashboard");

        // Monthly buckets, and the CSV of what is shown (through the web app: the browser holds no token).
        await page.GetByTestId("platform-granularity").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "month" }).ClickAsync();
        await Expect(page.GetByTestId("platform-csv")).ToHaveAttributeAsync("href", new Regex("granularity=month", RegexOptions.None, TimeSpan.FromSeconds(1)));
        // Each chart drawn again (new buckets, new charts): the plan mix has its bars, revenue its lines.
        await Expect(page.Locator("[data-testid=chart-plan-mix] g.trace.bars").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(page.Locator("[data-testid=chart-revenue] g.trace.scatter").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(page.Locator("[data-testid=chart-activity] g.trace.scatter").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        // 90 days by month: three or four rows, the last one this month.
        await Expect(page.GetByTestId("churn-table").Locator("tbody tr").Nth(2)).ToBeVisibleAsync();
        await Expect(page.GetByTestId("churn-table").Locator("tbody tr").Last).ToContainTextAsync(DateTime.UtcNow.ToString("yyyy-MM-01", System.Globalization.CultureInfo.InvariantCulture));
        await Shots.TakeAsync(page, "dashboard-monthly");
        var href = await page.GetByTestId("platform-csv").GetAttributeAsync("href") ?? throw new InvalidOperationException("no CSV link");
        var csv = await page.Context.APIRequest.GetAsync(new Uri(new Uri(page.Url), "/" + href.TrimStart('/')).ToString());
        Assert.Equal(200, csv.Status);
        var text = await csv.TextAsync();
        Assert.StartsWith("period,start,end,active_tenants,new_tenants,runs,solver_hours", text, StringComparison.Ordinal);
        Assert.Contains("\ntotal,", text, StringComparison.Ordinal);

        // Revoked: the analyst's next page is refused and they are sent to sign in.
        await console.GetByTestId($"analyst-revoke-{person.Email}").ClickAsync();
        await console.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(console.GetByTestId("analyst-table")).Not.ToContainTextAsync(person.Email);
        await page.GotoAsync("/analytics/platform");
        await Expect(page).ToHaveURLAsync(new Regex("/account/signin", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await Shots.TakeAsync(page, "revoked");
    });
}
