using System.Text.Json.Nodes;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Solver;
using DeepSim.Engine.Tests.Examples;

namespace DeepSim.Engine.Tests.Solver;

/// <summary>Flowsheets the solver used to call converged with their mass balance broken (issue 12).</summary>
public class FalseConvergenceTests
{
    /// <summary>
    /// Benzene/toluene liquid meets a vapour recycle, is flashed at 95 °C; the liquid is the product, the vapour
    /// returns. The only way out is the liquid, so a tear carrying far more than the feed hides the feed in round-off.
    /// </summary>
    internal static JsonObject FlashLoop() => JsonNode.Parse("""
    {
      "name": "flash loop",
      "components": ["nitrogen", "benzene", "toluene"],
      "propertyPackage": "ideal",
      "units": [
        { "id": "FEED", "type": "feed", "spec": { "temperature": { "value": 25, "unit": "C" }, "pressure": { "value": 1, "unit": "atm" },
            "molarFlow": { "value": 10, "unit": "mol/s" }, "moleFractions": { "benzene": 0.5, "toluene": 0.5 } } },
        { "id": "MIX", "type": "mixer" },
        { "id": "DRUM", "type": "flash", "spec": { "temperature": { "value": 95, "unit": "C" }, "pressure": { "value": 1, "unit": "atm" } } },
        { "id": "COOL", "type": "cooler", "spec": { "outletTemperature": { "value": 90, "unit": "C" } } },
        { "id": "LIQUID", "type": "product" }
      ],
      "streams": [
        { "id": "S1", "from": "FEED.out", "to": "MIX.in1" },
        { "id": "S2", "from": "MIX.out", "to": "DRUM.in" },
        { "id": "V", "from": "DRUM.vapor", "to": "COOL.in" },
        { "id": "R", "from": "COOL.out", "to": "MIX.in2" },
        { "id": "L", "from": "DRUM.liquid", "to": "LIQUID.in" }
      ]
    }
    """)!.AsObject();

    /// <summary>
    /// A component separator returns all of A to the mixer and sends all of B to the product: A has no way out, so
    /// its inventory grows by its feed every pass and there is no steady state.
    /// </summary>
    internal static JsonObject AccumulatingLoop() => JsonNode.Parse("""
    {
      "name": "accumulating loop",
      "components": ["benzene", "toluene"],
      "propertyPackage": "ideal",
      "units": [
        { "id": "FEED", "type": "feed", "spec": { "temperature": { "value": 25, "unit": "C" }, "pressure": { "value": 1, "unit": "atm" },
            "molarFlow": { "value": 10, "unit": "mol/s" }, "moleFractions": { "benzene": 0.58, "toluene": 0.42 } } },
        { "id": "MIX", "type": "mixer" },
        { "id": "SEP", "type": "componentSeparator", "spec": { "splits": { "benzene": 1 } } },
        { "id": "PRODUCT", "type": "product" }
      ],
      "streams": [
        { "id": "S1", "from": "FEED.out", "to": "MIX.in1" },
        { "id": "S2", "from": "MIX.out", "to": "SEP.in" },
        { "id": "BACK", "from": "SEP.out1", "to": "MIX.in2" },
        { "id": "OUT", "from": "SEP.out2", "to": "PRODUCT.in" }
      ],
      "solver": { "tolerance": 1e-2 }
    }
    """)!.AsObject();

    private static JsonObject Stream(JsonObject doc, string id) => doc["streams"]!.AsArray().Single(s => (string?)s!["id"] == id)!.AsObject();

    /// <summary>
    /// A component separator sends all nitrogen and half the benzene back to the mixer, the rest to the product: a
    /// steady state exists (5 mol/s of benzene recycled, no nitrogen).
    /// </summary>
    internal static JsonObject SeparatorLoop() => JsonNode.Parse("""
    {
      "name": "separator loop",
      "components": ["nitrogen", "benzene", "toluene"],
      "propertyPackage": "ideal",
      "units": [
        { "id": "FEED", "type": "feed", "spec": { "temperature": { "value": 25, "unit": "C" }, "pressure": { "value": 1, "unit": "atm" },
            "molarFlow": { "value": 10, "unit": "mol/s" }, "moleFractions": { "benzene": 0.5, "toluene": 0.5 } } },
        { "id": "MIX", "type": "mixer" },
        { "id": "SEP", "type": "componentSeparator", "spec": { "splits": { "nitrogen": 1, "benzene": 0.5 } } },
        { "id": "PRODUCT", "type": "product" }
      ],
      "streams": [
        { "id": "S1", "from": "FEED.out", "to": "MIX.in1" },
        { "id": "S2", "from": "MIX.out", "to": "SEP.in" },
        { "id": "BACK", "from": "SEP.out1", "to": "MIX.in2" },
        { "id": "OUT", "from": "SEP.out2", "to": "PRODUCT.in" }
      ]
    }
    """)!.AsObject();

    private static readonly JsonNode HugeNitrogenGuess = JsonNode.Parse("""{ "temperature": 363.15, "pressure": 101325, "componentMolarFlows": { "nitrogen": 1e20 } }""")!;

    [Fact]
    public void A_huge_initial_guess_is_recovered_from_and_the_feed_reaches_the_product()
    {
        var doc = SeparatorLoop();
        Stream(doc, "BACK")["initialGuess"] = HugeNitrogenGuess.DeepClone();
        var r = ExampleFiles.Solve(doc.ToJsonString());
        Assert.True(r.Converged, r.FailureReason);
        var product = r.Streams[ExampleFiles.StreamIndex(r, "OUT")]!;
        Assert.Equal(10, product.TotalMolarFlow, 1e-4);
        Assert.All(r.Balance.Components, c => Assert.InRange(Math.Abs(c.Relative), 0, SolveBalance.ComponentTolerance));
        Assert.Contains("initial guess was discarded", Assert.Single(Assert.Single(r.Blocks, b => b.TearStreams.Count > 0).Notes), StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_initial_guess_that_hides_the_feed_in_round_off_is_not_converged()
    {
        // Nitrogen at 1e20 mol/s keeps the drum all vapour: the liquid product is zero and the feed vanishes into the
        // recycle, while the tear changes by 1e-19 relative. (This loop has no steady state at all: a binary flashed at
        // a fixed T and P leaves as liquid of one composition, not the feed's.)
        var doc = FlashLoop();
        Stream(doc, "R")["initialGuess"] = HugeNitrogenGuess.DeepClone();
        var r = ExampleFiles.Solve(doc.ToJsonString());
        Assert.False(r.Converged);
        Assert.Contains("no steady state", r.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_loop_that_accumulates_material_is_not_converged_and_says_where()
    {
        var r = ExampleFiles.Solve(AccumulatingLoop().ToJsonString());
        Assert.False(r.Converged);
        Assert.Contains("material accumulates in the loop through", r.FailureReason, StringComparison.Ordinal);
        Assert.Contains("MIX", r.FailureReason, StringComparison.Ordinal);
        Assert.Contains("SEP", r.FailureReason, StringComparison.Ordinal);
        Assert.Contains("no steady state", r.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_loop_that_accumulates_material_is_not_converged_with_direct_substitution_either()
    {
        var doc = AccumulatingLoop();
        doc["solver"]!["method"] = "direct";
        doc["solver"]!["maxIterations"] = 10_000;
        var r = ExampleFiles.Solve(doc.ToJsonString());
        Assert.False(r.Converged);
        Assert.Contains("material accumulates", r.FailureReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("temperature", 1.0)]
    [InlineData("temperature", 1e7)]
    [InlineData("pressure", 1e-6)]
    [InlineData("pressure", 1e13)]
    public void An_initial_guess_outside_the_engines_range_is_refused_at_its_path(string field, double value)
    {
        var doc = FlashLoop();
        var guess = JsonNode.Parse("""{ "temperature": 363.15, "pressure": 101325, "componentMolarFlows": { "benzene": 1, "toluene": 1 } }""")!.AsObject();
        guess[field] = value;
        Stream(doc, "R")["initialGuess"] = guess;
        var read = FlowsheetReader.Read(doc.ToJsonString(), DefaultThermoCatalog.Instance);
        Assert.False(read.IsValid);
        Assert.Contains(read.Errors, e => e.Path == $"$.streams[3].initialGuess.{field}");
    }

    [Fact]
    public void A_negative_initial_guess_flow_is_refused_at_its_path()
    {
        var doc = FlashLoop();
        Stream(doc, "R")["initialGuess"] = JsonNode.Parse("""{ "temperature": 363.15, "pressure": 101325, "componentMolarFlows": { "benzene": -1, "toluene": 1 } }""");
        var read = FlowsheetReader.Read(doc.ToJsonString(), DefaultThermoCatalog.Instance);
        Assert.False(read.IsValid);
        Assert.Contains(read.Errors, e => e.Path.StartsWith("$.streams[3].initialGuess.componentMolarFlows", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_result_reports_its_balances_iterations_and_solve_time()
    {
        var r = ExampleFiles.Solve(ExampleFiles.Text("ammonia-synthesis-loop"));
        Assert.True(r.Converged, r.FailureReason);
        Assert.Equal(4, r.Balance.Components.Count);
        Assert.True(r.Balance.Components[0].GeneratedMolPerS < 0); // nitrogen is consumed by the reaction
        Assert.True(r.Balance.Components[2].GeneratedMolPerS > 0); // ammonia is made
        Assert.All(r.Balance.Components, c => Assert.InRange(Math.Abs(c.Relative), 0, SolveBalance.ComponentTolerance));
        Assert.InRange(Math.Abs(r.Balance.EnergyRelative), 0, SolveBalance.EnergyTolerance);
        Assert.Equal(r.Blocks.Where(b => b.TearStreams.Count > 0).Sum(b => b.Iterations), r.Iterations);
        Assert.True(r.SolveTimeSeconds > 0);
    }
}
