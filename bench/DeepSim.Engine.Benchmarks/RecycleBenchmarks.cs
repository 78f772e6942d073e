using BenchmarkDotNet.Attributes;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Solver;

namespace DeepSim.Engine.Benchmarks;

/// <summary>
/// The ammonia synthesis loop (examples/ammonia-synthesis-loop.json) end to end: 4 components, Peng-Robinson,
/// 9 units, one automatically torn recycle converged to 1e-8. Baseline: the default bounded Wegstein solve;
/// compared in the same run with direct substitution and with reading + validating the file as well.
/// </summary>
[MemoryDiagnoser]
public class RecycleBenchmarks
{
    private string json = "";
    private Flowsheet wegstein = null!;
    private Flowsheet direct = null!;

    [GlobalSetup]
    public void Setup()
    {
        json = File.ReadAllText(FindExample("ammonia-synthesis-loop.json"));
        wegstein = Read(json);
        direct = Read(json.Replace("\"method\": \"wegstein\"", "\"method\": \"direct\"", StringComparison.Ordinal)
            .Replace("\"maxIterations\": 200", "\"maxIterations\": 2000", StringComparison.Ordinal));
        var check = FlowsheetSolver.Solve(wegstein);
        if (!check.Converged || !FlowsheetSolver.Solve(direct).Converged)
        {
            throw new InvalidOperationException($"the recycle example must converge: {check.FailureReason}");
        }
    }

    private static Flowsheet Read(string text)
    {
        var r = FlowsheetReader.Read(text, DefaultThermoCatalog.Instance);
        return r.Flowsheet ?? throw new InvalidOperationException(string.Join("; ", r.Errors));
    }

    internal static string FindExample(string name)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "examples", name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        throw new FileNotFoundException($"examples/{name} not found above {Directory.GetCurrentDirectory()}");
    }

    [Benchmark(Baseline = true, Description = "Ammonia loop, bounded Wegstein")]
    public SolveResult SolveWegstein() => FlowsheetSolver.Solve(wegstein);

    [Benchmark(Description = "Ammonia loop, direct substitution")]
    public SolveResult SolveDirect() => FlowsheetSolver.Solve(direct);

    [Benchmark(Description = "Ammonia loop, read + validate + solve")]
    public SolveResult ReadAndSolve() => FlowsheetSolver.Solve(Read(json));
}
