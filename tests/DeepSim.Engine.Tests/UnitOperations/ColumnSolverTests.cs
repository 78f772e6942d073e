using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations;
using DeepSim.Engine.UnitOperations.Columns;
using static DeepSim.Engine.Tests.UnitOperations.UnitTestKit;

namespace DeepSim.Engine.Tests.UnitOperations;

/// <summary>The rigorous MESH column solver on real packages: convergence, residuals, balances and every specification kind.</summary>
public class ColumnSolverTests
{
    /// <summary>Component balances must close to this relative error (the brief's 1e-9, the engine's mass tolerance).</summary>
    private const double BalanceTolerance = MassTolerance;

    internal static MaterialStream SaturatedLiquid(IPropertyPackage package, double pressurePa, params double[] flows)
    {
        var s = StreamFactory.AtPressureVaporFraction(package, pressurePa, 0, (double[])flows.Clone());
        Assert.True(s.Succeeded, s.Failure);
        return s.Stream!;
    }

    internal static ColumnDesign Distillation(int stages, CondenserKind condenser, double pressurePa, params ColumnSpec[] specs) => new()
    {
        Stages = stages,
        Condenser = condenser,
        Reboiler = true,
        StagePressuresPa = Enumerable.Repeat(pressurePa, stages).ToArray(),
        Specs = specs,
    };

    internal static ColumnSolution Converged(IPropertyPackage package, ColumnDesign design, params ColumnFeed[] feeds)
    {
        var s = ColumnSolver.Solve(package, design, feeds);
        Assert.True(s.Converged, s.FailureReason);
        Assert.InRange(s.Residuals.Largest, 0, ColumnSolver.Tolerance);
        return s;
    }

    internal static void ComponentsBalance(ColumnSolution s, params ColumnFeed[] feeds)
    {
        var c = s.DistillateFlows.Length;
        var total = feeds.Sum(f => f.Stream.TotalMolarFlow);
        for (var i = 0; i < c; i++)
        {
            var fed = feeds.Sum(f => f.Stream.ComponentMolarFlows[i]);
            var out_ = s.DistillateFlows[i] + s.BottomsFlows[i] + s.SideDrawFlows.Sum(d => d[i]);
            Assert.InRange(Math.Abs(fed - out_), 0, BalanceTolerance * total);
        }
    }

    [Fact]
    public void Benzene_toluene_column_converges_with_reflux_and_distillate_rate()
    {
        var feed = new ColumnFeed(6, SaturatedLiquid(Btx, 101325, 40, 60));
        var s = Converged(Btx, Distillation(12, CondenserKind.Total, 101325, new(ColumnSpecKind.RefluxRatio, 2.5), new(ColumnSpecKind.DistillateRate, 40)), feed);
        ComponentsBalance(s, feed);
        Assert.Equal(40, s.DistillateFlows.Sum(), 1e-7);
        Assert.True(s.DistillateFlows[0] / 40 > 0.9, $"xD = {s.DistillateFlows[0] / 40}, iterations {s.Iterations}");
    }
}

public class ColumnScratchTests
{
    [Fact]
    public void Pr_five_component_column()
    {
        var gas = Create("peng-robinson", "ethane", "propane", "n-butane", "n-pentane", "n-hexane");
        var feedStream = ColumnSolverTests.SaturatedLiquid(gas, 15e5, 3, 20, 37, 25, 15);
        var feed = new ColumnFeed(15, feedStream);
        var design = new ColumnDesign { Stages = 30, Condenser = CondenserKind.Partial, Reboiler = true, StagePressuresPa = Enumerable.Range(0, 30).Select(j => 15e5 + 700.0 * j).ToArray(), Specs = [new(ColumnSpecKind.RefluxRatio, 3), new(ColumnSpecKind.DistillateRate, 23)] };
        var s = ColumnSolver.Solve(gas, design, [feed]);
        Assert.True(s.Converged, s.FailureReason);
    }
}
