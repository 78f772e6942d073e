using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Solver;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>A person draws a flowsheet by clicking, saves it, runs it and reads the answer the engine gives.</summary>
[Collection(BrowserGroup.Name)]
public sealed class DesignerFlowTests(BrowserFixture browser, ITestOutputHelper output)
{
    // The stream table shows fractions fixed to five decimals (ResultFormat.Fraction): half a step, and the float slack.
    private const double FractionRounding = 0.5e-5 + 1e-9;

    private static readonly string[] DrawnStreams = ["S1", "S2", "S3", "S4"];

    [Fact]
    public Task A_flowsheet_drawn_by_clicks_runs_and_its_stream_table_shows_the_engines_answer() => browser.RunAsync(output, TimeSpan.FromMinutes(3), async page =>
    {
        await Account.New().SignUpAsync(page, browser);
        await Flows.CreateFromTemplateAsync(page, "blank");

        // Components first (the JSON view: the blank template has water only), so the feed is benzene/toluene.
        await page.GetByTestId("designer-json-toggle").ClickAsync();
        var text = page.Locator("[data-testid=json-view] textarea").First;
        await Expect(text).ToBeVisibleAsync();
        var document = JsonNode.Parse(await text.InputValueAsync())!.AsObject();
        document["components"] = new JsonArray("benzene", "toluene");
        document["units"]![0]!["spec"]!["moleFractions"] = new JsonObject { ["benzene"] = 0.5, ["toluene"] = 0.5 };
        await text.FillAsync(document.ToJsonString());
        // The text binds on change: leave the box before Apply.
        await text.PressAsync("Tab");
        await page.GetByTestId("json-apply").ClickAsync();
        await Expect(page.GetByTestId("json-error")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("component-benzene")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("component-water")).ToHaveCountAsync(0);
        await page.GetByTestId("designer-json-toggle").ClickAsync();
        var canvas = page.GetByTestId("designer-canvas");
        await Expect(canvas).ToBeVisibleAsync();

        // The template's stream FEED1 → PRODUCT1 goes; a heater, a flash drum and a second product come by clicks.
        await page.GetByTestId("stream-S1").ClickAsync();
        await page.GetByTestId("designer-delete").ClickAsync();
        await Expect(page.GetByTestId("stream-S1")).ToHaveCountAsync(0);
        // In the top part: the problems list (unconnected ports, while drawing) takes its room from the bottom of the canvas.
        var box = await canvas.BoundingBoxAsync() ?? throw new InvalidOperationException("the canvas has no box");
        foreach (var (type, id, x, y) in new[] { ("heater", "HEATER1", 0.3, 0.2), ("flash", "FLASH1", 0.55, 0.22), ("product", "PROD1", 0.85, 0.12) })
        {
            await page.GetByTestId($"palette-{type}").ClickAsync();
            await canvas.ClickAsync(new() { Position = new() { X = (float)(box.Width * x), Y = (float)(box.Height * y) } });
            await Expect(page.GetByTestId($"unit-{id}")).ToBeVisibleAsync();
        }
        await Shots.TakeAsync(page, "placed");
        foreach (var (from, to) in new[] { ("FEED1-out", "HEATER1-in"), ("HEATER1-out", "FLASH1-in"), ("FLASH1-vapor", "PRODUCT1-in"), ("FLASH1-liquid", "PROD1-in") })
        {
            await page.GetByTestId($"port-{from}").Locator(".port-dot").ClickAsync();
            await page.GetByTestId($"port-{to}").Locator(".port-dot").ClickAsync();
        }
        foreach (var stream in DrawnStreams)
        {
            await Expect(page.GetByTestId($"stream-{stream}")).ToHaveCountAsync(1);
        }

        // The heater heats to 95 °C: between the mixture's bubble (~92) and dew (~98) points at 1 atm, so the drum splits it.
        var clock = Stopwatch.StartNew();
        await page.GetByTestId("unit-HEATER1").ClickAsync();
        await Expect(page.Locator("[data-testid=property-panel] .panel-title")).ToHaveTextAsync("HEATER1");
        var selectMs = clock.ElapsedMilliseconds;
        await page.GetByTestId("field-outletTemperature").FillAsync("95");
        await page.GetByTestId("field-outletTemperature").PressAsync("Tab");
        await Expect(page.GetByTestId("designer-problem-count")).ToHaveTextAsync("No problems");
        await Shots.TakeAsync(page, "drawn");

        await page.GetByTestId("designer-save").ClickAsync();
        await Expect(page.GetByTestId("save-message")).ToContainTextAsync("Saved as version 2");
        await Expect(page.GetByTestId("designer-dirty")).ToHaveTextAsync("Saved");

        // What was saved, read back from the page's JSON view, solved here by the engine itself.
        await page.GetByTestId("designer-json-toggle").ClickAsync();
        var saved = await page.Locator("[data-testid=json-view] textarea").First.InputValueAsync();
        await page.GetByTestId("designer-json-toggle").ClickAsync();
        Assert.Contains("\"outletTemperature\"", saved, StringComparison.Ordinal);
        var read = FlowsheetReader.Read(saved, DefaultThermoCatalog.Instance);
        Assert.True(read.IsValid, string.Join("\n", read.Errors));
        var expected = FlowsheetSolver.Solve(read.Flowsheet!);
        Assert.True(expected.Converged, expected.FailureReason);
        var vapour = expected.Streams[read.Flowsheet!.Streams.Select((s, i) => (s, i)).Single(x => x.s.Id == "S3").i]!;
        var benzene = read.Flowsheet.Components.Select((c, i) => (c, i)).Single(x => string.Equals(x.c.Name, "benzene", StringComparison.OrdinalIgnoreCase)).i;
        Assert.InRange(vapour.VaporFraction, 1 - 1e-6, 1 + 1e-6);

        await Flows.RunAsync(page);
        var results = page.GetByTestId("designer-results");
        var shownX = await results.GetByTestId($"cell-S3-x-{read.Flowsheet.Components[benzene].Name}").InnerTextAsync();
        var shownVf = await results.GetByTestId("cell-S2-vaporFraction").InnerTextAsync();
        output.WriteLine($"vapour benzene mole fraction: page {shownX}, engine {vapour.MoleFractions[benzene]:R}; heater outlet vapour fraction: page {shownVf}");
        Assert.InRange(double.Parse(shownX, CultureInfo.InvariantCulture), vapour.MoleFractions[benzene] - FractionRounding, vapour.MoleFractions[benzene] + FractionRounding);
        var heaterOut = expected.Streams[read.Flowsheet.Streams.Select((s, i) => (s, i)).Single(x => x.s.Id == "S2").i]!;
        Assert.InRange(double.Parse(shownVf, CultureInfo.InvariantCulture), heaterOut.VaporFraction - FractionRounding, heaterOut.VaporFraction + FractionRounding);
        Assert.InRange(heaterOut.VaporFraction, 0.01, 0.99);
        await Shots.TakeAsync(page, "results");
        output.WriteLine($"TIMING designer-select-to-panel-ms={selectMs} (HEATER1, 6 units)");
    });

    [Fact]
    public Task A_twenty_unit_flowsheet_opens_in_the_designer_and_a_click_selects_a_unit() => browser.RunAsync(output, TimeSpan.FromMinutes(3), async page =>
    {
        await Account.New().SignUpAsync(page, browser);
        var id = await Flows.ImportAsync(page, "twenty-units.json", TwentyUnits());
        await Expect(page.GetByTestId("unit-HEATER9")).ToBeVisibleAsync();

        // Timings are recorded for quoting, never asserted (STYLE.md): the machine is shared and noisy.
        await page.GotoAsync("/flowsheets");
        await Expect(page.GetByTestId("page-title")).ToBeVisibleAsync();
        var clock = Stopwatch.StartNew();
        await page.GotoAsync($"/flowsheets/{id}");
        await Expect(page.GetByTestId("designer-canvas")).ToBeVisibleAsync();
        var canvasMs = clock.ElapsedMilliseconds;
        await Expect(page.GetByTestId("unit-PRODUCT")).ToBeVisibleAsync();
        var firstPaintMs = clock.ElapsedMilliseconds;
        await Expect(page.GetByTestId("stream-S19")).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-testid=designer-canvas] g.unit")).ToHaveCountAsync(20);
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        var interactiveMs = clock.ElapsedMilliseconds;

        clock.Restart();
        await page.GetByTestId("unit-COOLER10").ClickAsync();
        await Expect(page.Locator("[data-testid=property-panel] .panel-title")).ToHaveTextAsync("COOLER10");
        var selectMs = clock.ElapsedMilliseconds;
        await Expect(page.GetByTestId("field-outletTemperature")).ToHaveValueAsync("40");
        await Shots.TakeAsync(page, "twenty-units");
        output.WriteLine($"TIMING designer-canvas-visible-ms={canvasMs} (navigation to the canvas, 20-unit flowsheet)");
        output.WriteLine($"TIMING designer-first-paint-ms={firstPaintMs} (navigation to all 20 units drawn)");
        output.WriteLine($"TIMING designer-interactive-ms={interactiveMs} (navigation to the circuit running, 20 units)");
        output.WriteLine($"TIMING designer-select-to-panel-ms={selectMs} (20 units)");
    });

    /// <summary>A feed, nine heater/cooler pairs and a product: 20 units in a chain, 19 streams.</summary>
    private static string TwentyUnits()
    {
        var units = new JsonArray
        {
            new JsonObject
            {
                ["id"] = "FEED", ["type"] = "feed",
                ["spec"] = new JsonObject
                {
                    ["temperature"] = Q(25, "C"), ["pressure"] = Q(1, "atm"), ["molarFlow"] = Q(100, "kmol/h"),
                    ["moleFractions"] = new JsonObject { ["water"] = 1 },
                },
            },
        };
        var streams = new JsonArray();
        var previous = "FEED";
        for (var k = 1; k <= 18; k++)
        {
            var heater = k % 2 == 1;
            var id = heater ? $"HEATER{k}" : $"COOLER{k}";
            units.Add(new JsonObject
            {
                ["id"] = id, ["type"] = heater ? "heater" : "cooler",
                ["spec"] = new JsonObject { ["outletTemperature"] = Q(heater ? 60 : 40, "C") },
            });
            streams.Add(new JsonObject { ["id"] = $"S{k}", ["from"] = $"{previous}.out", ["to"] = $"{id}.in" });
            previous = id;
        }
        units.Add(new JsonObject { ["id"] = "PRODUCT", ["type"] = "product" });
        streams.Add(new JsonObject { ["id"] = "S19", ["from"] = $"{previous}.out", ["to"] = "PRODUCT.in" });
        return new JsonObject
        {
            ["name"] = "Twenty units", ["components"] = new JsonArray("water"), ["propertyPackage"] = "ideal",
            ["units"] = units, ["streams"] = streams,
        }.ToJsonString();

        static JsonObject Q(double value, string unit) => new() { ["value"] = value, ["unit"] = unit };
    }
}
