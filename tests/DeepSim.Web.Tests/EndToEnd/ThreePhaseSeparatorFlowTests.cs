using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>The three-phase separator template, drawn, run and read in the browser: gas, condensate and water apart.</summary>
[Collection(BrowserGroup.Name)]
public sealed class ThreePhaseSeparatorFlowTests(BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public Task The_separator_template_runs_and_its_stream_table_shows_three_phases_and_the_water_apart() => browser.RunAsync(output, TimeSpan.FromMinutes(3), async page =>
    {
        await Account.New().SignUpAsync(page, browser);
        await Flows.CreateFromTemplateAsync(page, "three-phase-separator");
        await Expect(page.GetByTestId("unit-SEPARATOR")).ToBeVisibleAsync();
        await Flows.RunAsync(page);

        // The separator's feed is vapour and two liquids; its heavy outlet is the water, its light one the condensate.
        await Expect(page.GetByTestId("cell-COLD-phase")).ToHaveTextAsync("threephase", new() { Timeout = Flows.RunMilliseconds });
        await Expect(page.GetByTestId("cell-WATER-phase")).ToHaveTextAsync("liquid");
        await Expect(page.GetByTestId("cell-WATER-x-Water")).ToHaveTextAsync("1.00000");
        await Expect(page.GetByTestId("cell-OIL-x-Water")).ToHaveTextAsync("0.00046");
        await Shots.TakeAsync(page, "results");
    });
}
