using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>A parameter study started from a saved flowsheet, followed to its end and charted.</summary>
[Collection(BrowserGroup.Name)]
public sealed class StudyFlowTests(BrowserFixture browser, ITestOutputHelper output)
{
    /// <summary>Five points of a flash: seconds here; the bound leaves room for a busy machine.</summary>
    private const float StudyMilliseconds = 120_000;

    [Fact]
    public Task A_study_of_the_drum_temperature_runs_every_point_and_draws_its_chart() => browser.RunAsync(output, TimeSpan.FromMinutes(4), async page =>
    {
        await Account.New().SignUpAsync(page, browser);
        var id = await Flows.CreateFromTemplateAsync(page, "benzene-toluene-flash");

        await page.GetByTestId("study-flowsheet").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/flowsheets/{id}/study$", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        // The MudSelect's input carries the test id; the list opens from its field.
        await page.GetByTestId("study-axis-0").Locator(".mud-select").First.ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = "DRUM · temperature" }).ClickAsync();
        await SetNumberAsync(page, "study-from-0", "85");
        await SetNumberAsync(page, "study-to-0", "105");
        await SetNumberAsync(page, "study-steps-0", "5");
        await Expect(page.GetByText("5 points")).ToBeVisibleAsync();
        await Shots.TakeAsync(page, "new-study");
        await page.GetByTestId("study-start").ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex("/studies/[0-9a-f-]{36}$", RegexOptions.None, TimeSpan.FromSeconds(1)));
        var progress = page.GetByTestId("study-progress");
        await Expect(progress).ToHaveAttributeAsync("data-total", "5");
        await Expect(progress).ToHaveAttributeAsync("data-done", "5", new() { Timeout = StudyMilliseconds });
        await Expect(page.Locator("[data-testid=study-chart] .js-plotly-plot").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("study-status")).ToHaveTextAsync("finished");
        // The input varied is the drum's (unit 1) temperature, over the five points asked for.
        var table = page.GetByTestId("study-table");
        // The input is named as the designer names it (unit · field (unit)), not by its JSON path.
        await Expect(table).ToContainTextAsync("DRUM · temperature (C)");
        await Expect(table.Locator("[data-testid^=study-point-]")).ToHaveCountAsync(5);
        foreach (var (point, value) in new[] { (0, "85"), (2, "95"), (4, "105") })
        {
            await Expect(table.Locator("tr").Filter(new() { Has = page.GetByTestId($"study-point-{point}") })).ToContainTextAsync(value);
        }
        await Shots.TakeAsync(page, "study");
    });

    private static async Task SetNumberAsync(IPage page, string testId, string value)
    {
        var input = page.GetByTestId(testId);
        await input.FillAsync(value);
        await input.PressAsync("Tab");
        await Expect(input).ToHaveValueAsync(value);
    }
}
