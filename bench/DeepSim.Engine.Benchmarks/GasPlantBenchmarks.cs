using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Solver;

namespace DeepSim.Engine.Benchmarks;

/// <summary>
/// Tear convergence on recycle-heavy flowsheets (issue 12, "Engine v3"). examples/gas-plant-three-recycles.json: 16
/// components, Peng-Robinson, four drums, three interlocking recycles torn at two streams. Baseline: today's bounded
/// Wegstein path (it needs more than the default 100 iterations there, so it is given 1,000), against the default
/// automatic method (Broyden on both tears). Flowsheets/twenty-units-two-recycles.json: 20 units, 5 components, two
/// recycles into one mixer (one tear, so auto runs Wegstein), Wegstein baseline against auto and Broyden.
/// Each setup prints the iterations each variant took, so a run reports them beside the times.
/// </summary>
[MemoryDiagnoser]
public class GasPlantBenchmarks
{
    private Flowsheet gasWegstein = null!;
    private Flowsheet gasAuto = null!;
    private Flowsheet twentyWegstein = null!;
    private Flowsheet twentyAuto = null!;
    private Flowsheet twentyBroyden = null!;

    [GlobalSetup]
    public void Setup()
    {
        var gas = File.ReadAllText(RecycleBenchmarks.FindExample("gas-plant-three-recycles.json"));
        gasAuto = Read(gas);
        gasWegstein = Read(WithSolver(gas, """{ "method": "wegstein", "maxIterations": 1000 }"""));
        var twenty = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Flowsheets", "twenty-units-two-recycles.json"));
        twentyAuto = Read(twenty);
        twentyWegstein = Read(WithSolver(twenty, """{ "method": "wegstein" }"""));
        twentyBroyden = Read(WithSolver(twenty, """{ "method": "broyden" }"""));
        foreach (var (name, f) in new[] { ("gas plant, wegstein", gasWegstein), ("gas plant, auto", gasAuto), ("20 units, wegstein", twentyWegstein), ("20 units, auto", twentyAuto), ("20 units, broyden", twentyBroyden) })
        {
            var r = FlowsheetSolver.Solve(f);
            if (!r.Converged)
            {
                throw new InvalidOperationException($"{name} must converge: {r.FailureReason}");
            }
            Console.WriteLine($"// {name}: {r.Iterations} iterations ({string.Join("; ", r.Blocks.Where(b => b.TearStreams.Count > 0).Select(b => $"{string.Join("+", b.TearStreams)} by {b.Method}"))})");
        }
    }

    private static string WithSolver(string json, string solver)
    {
        var doc = JsonNode.Parse(json)!.AsObject();
        doc["solver"] = JsonNode.Parse(solver);
        return doc.ToJsonString();
    }

    private static Flowsheet Read(string text)
    {
        var r = FlowsheetReader.Read(text, DefaultThermoCatalog.Instance);
        return r.Flowsheet ?? throw new InvalidOperationException(string.Join("; ", r.Errors));
    }

    [Benchmark(Baseline = true, Description = "Gas plant, bounded Wegstein (old path)")]
    public SolveResult GasPlantWegstein() => FlowsheetSolver.Solve(gasWegstein);

    [Benchmark(Description = "Gas plant, auto (Broyden on both tears)")]
    public SolveResult GasPlantAuto() => FlowsheetSolver.Solve(gasAuto);

    [Benchmark(Description = "20 units 2 recycles, bounded Wegstein")]
    public SolveResult TwentyUnitsWegstein() => FlowsheetSolver.Solve(twentyWegstein);

    [Benchmark(Description = "20 units 2 recycles, auto")]
    public SolveResult TwentyUnitsAuto() => FlowsheetSolver.Solve(twentyAuto);

    [Benchmark(Description = "20 units 2 recycles, Broyden")]
    public SolveResult TwentyUnitsBroyden() => FlowsheetSolver.Solve(twentyBroyden);
}
