using DeepSim.Engine.Flowsheets;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>
/// Design specifications and solver options edited in the designer's panel (nothing selected), saved, run and met:
/// the heater-duty template's specification is retargeted from half to 30 % vaporised, and a tear tolerance is set.
/// </summary>
[Collection(BrowserGroup.Name)]
public sealed class DesignSpecFlowTests(BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public Task A_design_specification_is_edited_in_the_panel_saved_and_met_by_the_run() => browser.RunAsync(output, TimeSpan.FromMinutes(3), async page =>
    {
        await Account.New().SignUpAsync(page, browser);
        await Flows.CreateFromTemplateAsync(page, "design-spec-heater-duty");
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });

        var card = page.GetByTestId("design-spec-0");
        await Expect(card).ToBeVisibleAsync();
        await Expect(page.GetByTestId("design-spec-0-vary-unit")).ToHaveValueAsync("HEATER");
        await Expect(page.GetByTestId("design-spec-0-vary-parameter")).ToHaveValueAsync("duty");
        await Expect(page.GetByTestId("design-spec-0-target-property")).ToHaveValueAsync("vaporFraction");
        await Expect(page.GetByTestId("field-ds0-target")).ToHaveValueAsync("0.5");

        // A target outside what a fraction can be is refused on the card, live, before anything is saved.
        await page.GetByTestId("field-ds0-target").FillAsync("1.5");
        await page.GetByTestId("field-ds0-target").PressAsync("Tab");
        await Expect(page.GetByTestId("design-spec-0-issue")).ToBeVisibleAsync();
        output.WriteLine($"refused: {await page.GetByTestId("design-spec-0-issue").First.InnerTextAsync()}");

        await page.GetByTestId("field-ds0-target").FillAsync("0.3");
        await page.GetByTestId("field-ds0-target").PressAsync("Tab");
        await page.GetByTestId("solver-method").SelectOptionAsync("wegstein");
        await page.GetByTestId("field-solver-tolerance").FillAsync("1e-9");
        await page.GetByTestId("field-solver-tolerance").PressAsync("Tab");
        await Expect(page.GetByTestId("designer-problem-count")).ToHaveTextAsync("No problems");
        await Shots.TakeAsync(page, "panel");

        await page.GetByTestId("designer-save").ClickAsync();
        await Expect(page.GetByTestId("designer-dirty")).ToHaveTextAsync("Saved");
        await page.GetByTestId("designer-json-toggle").ClickAsync();
        var saved = await page.Locator("[data-testid=json-view] textarea").First.InputValueAsync();
        await page.GetByTestId("designer-json-toggle").ClickAsync();
        var read = FlowsheetReader.Read(saved, DefaultThermoCatalog.Instance);
        Assert.True(read.IsValid, string.Join("\n", read.Errors));
        Assert.Equal(0.3, Assert.Single(read.Flowsheet!.DesignSpecifications).TargetValue, 12);
        Assert.Equal(1e-9, read.Flowsheet.Options.Tolerance, 15);

        await Flows.RunAsync(page);
        var results = page.GetByTestId("designer-results");
        await Expect(results.GetByTestId("cell-S2-vaporFraction")).ToHaveTextAsync("0.30000");
        await Expect(results.GetByTestId("run-spec-HALF_VAPORISED")).ToBeVisibleAsync();
        output.WriteLine($"design spec on the run page: {await results.GetByTestId("run-spec-HALF_VAPORISED").InnerTextAsync()}");
        await Shots.TakeAsync(page, "results");
    });
}
