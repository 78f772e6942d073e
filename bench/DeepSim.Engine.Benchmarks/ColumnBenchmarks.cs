using BenchmarkDotNet.Attributes;
using DeepSim.Engine.Components;
using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations;
using DeepSim.Engine.UnitOperations.Columns;

namespace DeepSim.Engine.Benchmarks;

/// <summary>
/// A 30-stage, 5-component Peng–Robinson column (ethane to n-hexane, partial condenser, kettle reboiler, feed on
/// stage 15 at 15 bar, reflux ratio 3 and a 23 % distillate) solved rigorously from scratch each time, against the
/// shortcut column on the same feed (the baseline); and a 30-stage, 5-component NRTL column (acetone, methanol,
/// ethanol, 1-propanol and water at 1 atm, total condenser, reflux ratio 2 and a 40 % distillate; issue 12's
/// second column target).
/// </summary>
[MemoryDiagnoser]
public class ColumnBenchmarks
{
    private const int Stages = 30;
    private static readonly string[] Names = ["ethane", "propane", "n-butane", "n-pentane", "n-hexane"];
    private static readonly string[] PolarNames = ["acetone", "methanol", "ethanol", "1-propanol", "water"];
    private IPropertyPackage pr5 = null!;
    private IPropertyPackage nrtl5 = null!;
    private MaterialStream polarFeed = null!;
    private ColumnDesign polarDesign = null!;
    private MaterialStream feed = null!;
    private ColumnDesign design = null!;
    private ShortcutColumn shortcut = null!;

    [GlobalSetup]
    public void Setup()
    {
        pr5 = PropertyPackages.Create("peng-robinson", [.. Names.Select(n => ComponentDatabase.Default.Find(n)!)]);
        feed = StreamFactory.AtPressureVaporFraction(pr5, 15e5, 0, [3, 20, 37, 25, 15]).Stream ?? throw new InvalidOperationException("benchmark feed did not flash");
        design = new ColumnDesign
        {
            Stages = Stages,
            Condenser = CondenserKind.Partial,
            Reboiler = true,
            StagePressuresPa = [.. Enumerable.Range(0, Stages).Select(j => 15e5 + 700.0 * j)],
            Specs = [new(ColumnSpecKind.RefluxRatio, 3), new(ColumnSpecKind.DistillateRate, 23)],
        };
        nrtl5 = PropertyPackages.Create("nrtl", [.. PolarNames.Select(n => ComponentDatabase.Default.Find(n)!)]);
        polarFeed = StreamFactory.AtPressureVaporFraction(nrtl5, 101325, 0, [10, 20, 20, 10, 40]).Stream ?? throw new InvalidOperationException("benchmark NRTL feed did not flash");
        polarDesign = new ColumnDesign
        {
            Stages = Stages,
            Condenser = CondenserKind.Total,
            Reboiler = true,
            StagePressuresPa = [.. Enumerable.Range(0, Stages).Select(j => 101325 + 700.0 * j)],
            Specs = [new(ColumnSpecKind.RefluxRatio, 2), new(ColumnSpecKind.DistillateRate, 40)],
        };
        shortcut = new ShortcutColumn("S", new Dictionary<string, double> { ["lightKeyRecovery"] = 0.98, ["heavyKeyRecovery"] = 0.98, ["refluxRatioFactor"] = 1.3, ["topPressure"] = 15e5 }, 1, 2, partialCondenser: true);
        // Fail fast if the benchmarked column does not converge.
        var s = Rigorous();
        if (!s.Converged)
        {
            throw new InvalidOperationException("benchmark column did not converge: " + s.FailureReason);
        }
        var n = RigorousNrtl();
        if (!n.Converged)
        {
            throw new InvalidOperationException("benchmark NRTL column did not converge: " + n.FailureReason);
        }
        Console.WriteLine($"// PR column: {s.Iterations} Newton iterations; NRTL column: {n.Iterations}");
        if (!Shortcut().Succeeded)
        {
            throw new InvalidOperationException("benchmark shortcut column failed");
        }
    }

    [Benchmark(Baseline = true, Description = "Shortcut column (FUG), same feed")]
    public UnitResult Shortcut() => shortcut.Calculate(new UnitContext
    {
        Package = pr5,
        Inlets = new Dictionary<string, MaterialStream> { [ShortcutColumn.InletPort] = feed },
        Parameters = shortcut.Parameters,
    });

    [Benchmark(Description = "Rigorous MESH column, 30 stages, 5 components, PR")]
    public ColumnSolution Rigorous() => ColumnSolver.Solve(pr5, design, [new ColumnFeed(15, feed)]);

    [Benchmark(Description = "Rigorous MESH column, 30 stages, 5 components, NRTL")]
    public ColumnSolution RigorousNrtl() => ColumnSolver.Solve(nrtl5, polarDesign, [new ColumnFeed(15, polarFeed)]);
}
