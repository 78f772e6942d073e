using System.Text.Json.Nodes;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Solver;
using DeepSim.Engine.Tests.Examples;

namespace DeepSim.Engine.Tests.Solver;

public class FlowsheetSolverTests
{
    private static SolveResult SolveAmmonia(Action<JsonObject> edit)
    {
        var doc = ExampleFiles.Json("ammonia-synthesis-loop");
        edit(doc);
        return ExampleFiles.Solve(doc.ToJsonString());
    }

    private static JsonObject Stream(JsonObject doc, string id) => doc["streams"]!.AsArray().Single(s => (string?)s!["id"] == id)!.AsObject();

    [Theory]
    [InlineData(250.0, 150e5, 200.0, 600.0, 10.0, 30.0)]
    [InlineData(600.0, 100e5, 2000.0, 6000.0, 500.0, 10.0)]
    [InlineData(200.0, 200e5, 0.1, 0.1, 0.1, 0.1)]
    public void Recycle_converges_to_the_same_answer_from_different_initial_guesses(double t, double p, double n2, double h2, double nh3, double ar)
    {
        var reference = SolveAmmonia(_ => { });
        var guessed = SolveAmmonia(doc => Stream(doc, "RECYCLE2")["initialGuess"] = new JsonObject
        {
            ["temperature"] = t,
            ["pressure"] = p,
            ["componentMolarFlows"] = new JsonObject { ["nitrogen"] = n2, ["hydrogen"] = h2, ["ammonia"] = nh3, ["argon"] = ar },
        });
        Assert.True(reference.Converged, reference.FailureReason);
        Assert.True(guessed.Converged, guessed.FailureReason);
        Assert.NotEqual(0, guessed.Blocks.Sum(b => b.Iterations));
        for (var s = 0; s < reference.Streams.Count; s++)
        {
            var a = reference.Streams[s]!;
            var b = guessed.Streams[s]!;
            for (var i = 0; i < a.ComponentMolarFlows.Length; i++)
            {
                // Both stop at a 1e-8 step between iterates; with the loop's slowest mode contracting at ~0.95 per pass
                // (argon, 5 % purge) the distance to the fixed point can be ~20x that, so the answers agree to ~1e-6.
                Assert.Equal(a.ComponentMolarFlows[i], b.ComponentMolarFlows[i], 1e-6 * Math.Max(a.TotalMolarFlow, 1e-12));
            }
            Assert.Equal(a.TemperatureK, b.TemperatureK, 1e-6 * a.TemperatureK);
        }
    }

    [Theory]
    [InlineData(550.0, 24.5e5)]
    [InlineData(320.0, 30e5)]
    public void Heat_integration_loop_converges_to_the_same_answer_from_different_initial_guesses(double t, double p)
    {
        var reference = ExampleFiles.Solve(ExampleFiles.Text("feed-effluent-exchanger"));
        var doc = ExampleFiles.Json("feed-effluent-exchanger");
        Stream(doc, "S4")["initialGuess"] = new JsonObject
        {
            ["temperature"] = t,
            ["pressure"] = p,
            ["componentMolarFlows"] = new JsonObject { ["benzene"] = 30, ["toluene"] = 30 },
        };
        var guessed = ExampleFiles.Solve(doc.ToJsonString());
        Assert.True(reference.Converged, reference.FailureReason);
        Assert.True(guessed.Converged, guessed.FailureReason);
        Assert.Equal(["S4"], Assert.Single(guessed.Blocks, b => b.TearStreams.Count > 0).TearStreams);
        for (var s = 0; s < reference.Streams.Count; s++)
        {
            // Tear tolerance 1e-8 relative on T; the loop contracts quickly, so the answers agree far inside 1e-6.
            Assert.Equal(reference.Streams[s]!.TemperatureK, guessed.Streams[s]!.TemperatureK, 1e-6 * reference.Streams[s]!.TemperatureK);
        }
    }

    [Fact]
    public void Direct_substitution_reaches_the_Wegstein_answer_in_more_iterations()
    {
        var wegstein = SolveAmmonia(_ => { });
        var direct = SolveAmmonia(doc => { doc["solver"]!["method"] = "direct"; doc["solver"]!["maxIterations"] = 2000; });
        Assert.True(direct.Converged, direct.FailureReason);
        Assert.True(direct.Blocks.Sum(b => b.Iterations) > wegstein.Blocks.Sum(b => b.Iterations));
        var i = ExampleFiles.StreamIndex(direct, "NH3");
        Assert.Equal(wegstein.Streams[i]!.TotalMolarFlow, direct.Streams[i]!.TotalMolarFlow, 1e-6 * wegstein.Streams[i]!.TotalMolarFlow);
        Assert.All(direct.Blocks.SelectMany(b => b.History), h => Assert.Equal("direct", h.Method));
    }

    [Fact]
    public void Convergence_report_has_one_residual_per_tear_per_iteration_and_ends_below_tolerance()
    {
        var r = SolveAmmonia(_ => { });
        var block = Assert.Single(r.Blocks, b => b.TearStreams.Count > 0);
        Assert.Equal(block.Iterations, block.History.Count);
        Assert.All(block.History, h => Assert.Equal(block.TearStreams.Count, h.TearResiduals.Count));
        Assert.True(block.History[^1].TearResiduals.Max() <= r.Flowsheet.Options.Tolerance);
        Assert.True(block.History[0].TearResiduals.Max() > r.Flowsheet.Options.Tolerance);
    }

    [Fact]
    public void Too_few_iterations_is_a_non_converged_result_with_its_report()
    {
        var r = SolveAmmonia(doc => doc["solver"]!["maxIterations"] = 3);
        Assert.False(r.Converged);
        Assert.Contains("did not converge in 3 iterations", r.FailureReason, StringComparison.Ordinal);
        var block = Assert.Single(r.Blocks, b => b.TearStreams.Count > 0);
        Assert.Equal(3, block.History.Count);
        Assert.False(block.Converged);
    }

    [Fact]
    public void The_time_limit_ends_a_solve_with_a_reason()
    {
        var r = SolveAmmonia(doc => doc["solver"]!["timeLimitSeconds"] = 1e-7);
        Assert.False(r.Converged);
        Assert.Contains("time limit", r.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cancelled_solve_returns_not_converged()
    {
        var f = ExampleFiles.Read(ExampleFiles.Text("ammonia-synthesis-loop"));
        var r = FlowsheetSolver.Solve(f, new CancellationToken(canceled: true));
        Assert.False(r.Converged);
    }

    [Fact]
    public void An_infeasible_design_spec_is_not_converged_with_its_reason()
    {
        var doc = ExampleFiles.Json("design-spec-heater-duty");
        // 100 kW cannot even bring the feed to its bubble point, let alone half vaporise it.
        doc["designSpecs"]![0]!["vary"]!["maximum"] = new JsonObject { ["value"] = 100, ["unit"] = "kW" };
        var r = ExampleFiles.Solve(doc.ToJsonString());
        Assert.False(r.Converged);
        Assert.Contains("not bracketed", r.FailureReason, StringComparison.Ordinal);
        var spec = Assert.Single(r.DesignSpecs);
        Assert.False(spec.Converged);
        Assert.Contains("infeasible", spec.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_design_spec_whose_bound_breaks_the_flowsheet_reports_that_bound()
    {
        var doc = ExampleFiles.Json("design-spec-heater-duty");
        doc["designSpecs"]![0]!["vary"]!["minimum"] = new JsonObject { ["value"] = -5, ["unit"] = "MW" };
        var r = ExampleFiles.Solve(doc.ToJsonString());
        Assert.False(r.Converged);
        Assert.Contains("(the minimum)", r.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_design_spec_on_a_recycle_purge_hits_its_target()
    {
        var doc = ExampleFiles.Json("ammonia-synthesis-loop");
        doc["designSpecs"] = JsonNode.Parse("""
        [ { "id": "ARGON", "vary": { "unit": "PURGESPLIT", "parameter": "fractions.purge", "minimum": 0.02, "maximum": 0.2 },
            "target": { "stream": "GAS", "property": "moleFraction", "component": "argon", "value": 0.03 }, "tolerance": 1e-6 } ]
        """);
        var r = ExampleFiles.Solve(doc.ToJsonString());
        Assert.True(r.Converged, r.FailureReason);
        Assert.Equal(0.03, r.Streams[ExampleFiles.StreamIndex(r, "GAS")]!.MoleFractions[3], 1e-6);
        var split = ExampleFiles.UnitIndex(r, "PURGESPLIT");
        Assert.InRange(r.Parameters[split]["fractions.purge"], 0.05, 0.2); // more purge than the base case's 5 % lowers argon
    }

    [Fact]
    public void A_design_spec_around_a_recycle_restarts_the_loop_from_the_last_converged_tears()
    {
        var doc = ExampleFiles.Json("ammonia-synthesis-loop");
        var alone = ExampleFiles.Solve(doc.ToJsonString());
        Assert.True(alone.Converged, alone.FailureReason);
        doc["designSpecs"] = JsonNode.Parse("""
        [ { "id": "ARGON", "vary": { "unit": "PURGESPLIT", "parameter": "fractions.purge", "minimum": 0.02, "maximum": 0.2 },
            "target": { "stream": "GAS", "property": "moleFraction", "component": "argon", "value": 0.03 }, "tolerance": 1e-6 } ]
        """);
        var r = ExampleFiles.Solve(doc.ToJsonString());
        Assert.True(r.Converged, r.FailureReason);
        var spec = Assert.Single(r.DesignSpecs);
        Assert.True(spec.Iterations >= 4, $"{spec.Iterations} evaluations");
        // The last solve repeats the root Brent found: from the tears of the solve just before it (the same value), the
        // loop is converged at once, where a cold start takes as many iterations as the example alone.
        var loop = Assert.Single(r.Blocks, b => b.TearStreams.Count > 0);
        Assert.Contains("started from the tears of the previous converged solve", loop.Notes);
        Assert.True(loop.Iterations <= 2, $"{loop.Iterations} iterations in the last solve; {alone.Iterations} for a cold one");
        Assert.True(alone.Iterations > 5, $"{alone.Iterations}");
    }

    [Fact]
    public void Two_design_specs_nest_and_both_are_met()
    {
        var doc = ExampleFiles.Json("design-spec-heater-duty");
        // Outer: the feed rate that gives 10 mol/s of liquid; inner (the example's): the duty that vaporises half.
        doc["designSpecs"]!.AsArray().Insert(0, JsonNode.Parse("""
        { "id": "LIQUID_RATE", "vary": { "unit": "FEED", "parameter": "molarFlow", "minimum": 5, "maximum": 50 },
          "target": { "stream": "L", "property": "molarFlow", "value": 10 }, "tolerance": 1e-6 }
        """));
        var r = ExampleFiles.Solve(doc.ToJsonString());
        Assert.True(r.Converged, r.FailureReason);
        Assert.Equal(2, r.DesignSpecs.Count);
        Assert.All(r.DesignSpecs, d => Assert.True(d.Converged));
        Assert.Equal(10, r.Streams[ExampleFiles.StreamIndex(r, "L")]!.TotalMolarFlow, 1e-5);
        Assert.Equal(0.5, r.Streams[ExampleFiles.StreamIndex(r, "S2")]!.VaporFraction, 1e-6);
        Assert.Equal(20, r.Parameters[ExampleFiles.UnitIndex(r, "FEED")]["molarFlow"], 1e-4); // half of the feed leaves as liquid
    }

    [Fact]
    public void A_design_spec_can_target_a_unit_result()
    {
        var doc = ExampleFiles.Json("two-stage-compression");
        doc["designSpecs"] = JsonNode.Parse("""
        [ { "id": "POWER", "vary": { "unit": "K2", "parameter": "outletPressure", "minimum": { "value": 10, "unit": "bar" }, "maximum": { "value": 60, "unit": "bar" } },
            "target": { "unit": "K2", "property": "power", "value": { "value": 1.2, "unit": "MW" } }, "tolerance": { "value": 1, "unit": "W" } } ]
        """);
        var r = ExampleFiles.Solve(doc.ToJsonString());
        Assert.True(r.Converged, r.FailureReason);
        var k2 = ExampleFiles.UnitIndex(r, "K2");
        Assert.Equal(1.2e6, r.Units[k2]!.PowerW, 1.0);
        Assert.InRange(r.Parameters[k2]["outletPressure"], 10e5, 30e5); // 30 bar takes about 1.35 MW, so less is needed
    }

    [Fact]
    public void A_failing_unit_inside_a_recycle_stops_the_solve_with_the_unit_named()
    {
        var doc = ExampleFiles.Json("ammonia-synthesis-loop");
        doc["units"]!.AsArray().Single(u => (string?)u!["id"] == "COMPRESSOR")!["spec"]!["outletPressure"] = new JsonObject { ["value"] = 100, ["unit"] = "bar" };
        var r = ExampleFiles.Solve(doc.ToJsonString());
        Assert.False(r.Converged);
        Assert.Contains("unit 'COMPRESSOR'", r.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_flowsheet_can_be_solved_concurrently()
    {
        var f = ExampleFiles.Read(ExampleFiles.Text("ammonia-synthesis-loop"));
        var results = Enumerable.Range(0, 4).AsParallel().Select(_ => FlowsheetSolver.Solve(f)).ToArray();
        var nh3 = ExampleFiles.StreamIndex(results[0], "NH3");
        Assert.All(results, r => Assert.Equal(results[0].Streams[nh3]!.TotalMolarFlow, r.Streams[nh3]!.TotalMolarFlow));
    }
}
