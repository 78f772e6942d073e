using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations;
using DeepSim.Engine.UnitOperations.Columns;
using static DeepSim.Engine.Tests.UnitOperations.UnitTestKit;

namespace DeepSim.Engine.Tests.UnitOperations;

/// <summary>The rigorous MESH column on real packages: convergence, independent residual checks, balances and every specification kind.</summary>
public class ColumnSolverTests
{
    /// <summary>Component balances must close to this relative error (the engine's mass tolerance).</summary>
    private const double BalanceTolerance = MassTolerance;

    /// <summary>
    /// Residuals recomputed here from the package, outside the solver: the solver's own tolerance (1e-10 of the
    /// feed) plus the round-off of re-evaluating the properties and of the reported compositions.
    /// </summary>
    private const double IndependentResidualTolerance = 1e-8;

    private static readonly Lazy<IPropertyPackage> PrLight = new(() => Create("peng-robinson", "ethane", "propane", "n-butane", "n-pentane", "n-hexane"));

    internal static IPropertyPackage Light => PrLight.Value;

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
        for (var i = 0; i < c; i++)
        {
            var fed = feeds.Sum(f => f.Stream.ComponentMolarFlows[i]);
            var left = s.DistillateFlows[i] + s.BottomsFlows[i] + s.SideDrawFlows.Sum(d => d[i]);
            Assert.InRange(Math.Abs(fed - left), 0, BalanceTolerance * Math.Max(fed, 1e-3 * feeds.Sum(f => f.Stream.TotalMolarFlow)));
        }
    }

    private static ColumnFeed BtxFeed() => new(6, SaturatedLiquid(Btx, 101325, 40, 60));

    private static ColumnSolution BtxColumn(params ColumnSpec[] specs) => Converged(Btx, Distillation(12, CondenserKind.Total, 101325, specs), BtxFeed());

    // ---- Every specification kind is met ----

    public static TheoryData<string> SpecPairs => new(["reflux+distillate", "reflux+bottoms", "purities", "recoveries", "boilup+distillate"]);

    [Theory]
    [MemberData(nameof(SpecPairs))]
    public void Each_specification_kind_holds_in_the_converged_column(string pair)
    {
        var specs = pair switch
        {
            "reflux+distillate" => new ColumnSpec[] { new(ColumnSpecKind.RefluxRatio, 2.5), new(ColumnSpecKind.DistillateRate, 40) },
            "reflux+bottoms" => [new(ColumnSpecKind.RefluxRatio, 3), new(ColumnSpecKind.BottomsRate, 61)],
            "purities" => [new(ColumnSpecKind.DistillateMoleFraction, 0.95, 0), new(ColumnSpecKind.BottomsMoleFraction, 0.03, 0)],
            "recoveries" => [new(ColumnSpecKind.DistillateRecovery, 0.96, 0), new(ColumnSpecKind.BottomsRecovery, 0.97, 1)],
            _ => [new(ColumnSpecKind.BoilupRatio, 2), new(ColumnSpecKind.DistillateRate, 39)],
        };
        var s = BtxColumn(specs);
        ComponentsBalance(s, BtxFeed());
        var last = s.TemperatureK.Length - 1;
        var d = s.DistillateFlows.Sum();
        var b = s.BottomsFlows.Sum();
        var feed = BtxFeed().Stream.ComponentMolarFlows;
        foreach (var spec in specs)
        {
            var achieved = spec.Kind switch
            {
                ColumnSpecKind.RefluxRatio => s.LiquidMolarFlow[0] / d,
                ColumnSpecKind.BoilupRatio => s.VaporMolarFlow[last] / b,
                ColumnSpecKind.DistillateRate => d,
                ColumnSpecKind.BottomsRate => b,
                ColumnSpecKind.DistillateMoleFraction => s.DistillateFlows[spec.Component] / d,
                ColumnSpecKind.BottomsMoleFraction => s.BottomsFlows[spec.Component] / b,
                ColumnSpecKind.DistillateRecovery => s.DistillateFlows[spec.Component] / feed[spec.Component],
                ColumnSpecKind.BottomsRecovery => s.BottomsFlows[spec.Component] / feed[spec.Component],
                _ => double.NaN,
            };
            Assert.Equal(spec.Value, achieved, 1e-8 * Math.Max(1, spec.Value));
        }
    }

    [Fact]
    public void Duty_specifications_reproduce_the_column_they_were_read_from()
    {
        var reference = BtxColumn(new(ColumnSpecKind.RefluxRatio, 2.5), new(ColumnSpecKind.DistillateRate, 40));
        Assert.True(reference.CondenserDutyW < 0 && reference.ReboilerDutyW > 0);
        var byCondenser = BtxColumn(new(ColumnSpecKind.CondenserDuty, reference.CondenserDutyW), new(ColumnSpecKind.DistillateRate, 40));
        Assert.Equal(2.5, byCondenser.LiquidMolarFlow[0] / byCondenser.DistillateFlows.Sum(), 1e-7);
        var byReboiler = BtxColumn(new(ColumnSpecKind.RefluxRatio, 2.5), new(ColumnSpecKind.ReboilerDuty, reference.ReboilerDutyW));
        Assert.Equal(40, byReboiler.DistillateFlows.Sum(), 1e-6);
        Assert.Equal(reference.CondenserDutyW, byReboiler.CondenserDutyW, 1e-6 * Math.Abs(reference.CondenserDutyW));
    }

    // ---- Residuals checked independently of the solver ----

    [Fact]
    public void Every_stage_satisfies_its_MESH_equations_recomputed_from_the_package()
    {
        var p = Light;
        var feed = new ColumnFeed(10, SaturatedLiquid(p, 15e5, 3, 20, 37, 25, 15));
        var design = new ColumnDesign
        {
            Stages = 20,
            Condenser = CondenserKind.Partial,
            Reboiler = true,
            StagePressuresPa = Enumerable.Range(0, 20).Select(j => 15e5 + 1000.0 * j).ToArray(),
            Specs = [new(ColumnSpecKind.RefluxRatio, 3), new(ColumnSpecKind.DistillateRecovery, 0.98, 1)],
        };
        var s = Converged(p, design, feed);
        ComponentsBalance(s, feed);
        var fugacity = (IFugacityModel)p;
        var n = design.Stages;
        var c = p.Components.Count;
        var lnL = new double[c];
        var lnV = new double[c];
        var total = feed.Stream.TotalMolarFlow;
        double enthalpyIn = feed.Stream.EnthalpyFlow, enthalpyOut = 0;
        for (var j = 0; j < n; j++)
        {
            double L(int k) => k >= 0 && k < n ? s.LiquidMolarFlow[k] : 0;
            double V(int k) => k >= 0 && k < n ? s.VaporMolarFlow[k] : 0;
            double H(Phase phase, int k) => p.Enthalpy(phase, s.TemperatureK[k], s.PressurePa[k], phase == Phase.Liquid ? s.LiquidComposition[k] : s.VaporComposition[k]);
            var f = j == 9 ? feed.Stream.ComponentMolarFlows : new double[c];
            fugacity.LnFugacityCoefficients(Phase.Liquid, s.TemperatureK[j], s.PressurePa[j], s.LiquidComposition[j], lnL);
            fugacity.LnFugacityCoefficients(Phase.Vapor, s.TemperatureK[j], s.PressurePa[j], s.VaporComposition[j], lnV);
            double sumY = 0;
            for (var i = 0; i < c; i++)
            {
                var mass = L(j) * s.LiquidComposition[j][i] + V(j) * s.VaporComposition[j][i]
                    - (j > 0 ? L(j - 1) * s.LiquidComposition[j - 1][i] : 0) - (j < n - 1 ? V(j + 1) * s.VaporComposition[j + 1][i] : 0) - f[i];
                Assert.InRange(Math.Abs(mass) / total, 0, IndependentResidualTolerance);
                var k = Math.Exp(lnL[i] - lnV[i]);
                Assert.InRange(Math.Abs(s.VaporComposition[j][i] - k * s.LiquidComposition[j][i]), 0, IndependentResidualTolerance);
                sumY += k * s.LiquidComposition[j][i];
            }
            Assert.InRange(Math.Abs(sumY - 1), 0, IndependentResidualTolerance);
            var duty = j == 0 ? s.CondenserDutyW : j == n - 1 ? s.ReboilerDutyW : 0;
            var energy = L(j) * H(Phase.Liquid, j) + V(j) * H(Phase.Vapor, j) - (j > 0 ? L(j - 1) * H(Phase.Liquid, j - 1) : 0)
                - (j < n - 1 ? V(j + 1) * H(Phase.Vapor, j + 1) : 0) - (j == 9 ? feed.Stream.EnthalpyFlow : 0) - duty;
            Assert.InRange(Math.Abs(energy) / (total * ColumnSolver.EnergyScaleJPerMol), 0, IndependentResidualTolerance);
        }
        enthalpyOut = s.VaporMolarFlow[0] * p.Enthalpy(Phase.Vapor, s.TemperatureK[0], s.PressurePa[0], s.VaporComposition[0])
            + s.LiquidMolarFlow[n - 1] * p.Enthalpy(Phase.Liquid, s.TemperatureK[n - 1], s.PressurePa[n - 1], s.LiquidComposition[n - 1]);
        Assert.Equal(enthalpyIn + s.CondenserDutyW + s.ReboilerDutyW, enthalpyOut, 1e-8 * Math.Abs(s.CondenserDutyW));
        // The light end goes up, the heavy end down, and the profile rises from condenser to reboiler.
        Assert.True(s.DistillateFlows[0] > 0.999 * feed.Stream.ComponentMolarFlows[0]);
        Assert.True(s.BottomsFlows[4] > 0.999 * feed.Stream.ComponentMolarFlows[4]);
        for (var j = 1; j < n; j++)
        {
            Assert.True(s.TemperatureK[j] > s.TemperatureK[j - 1], $"stage {j + 1} is not hotter than stage {j}");
        }
    }

    // ---- Against the engine's shortcut column and Fenske ----

    [Fact]
    public void At_the_shortcut_design_the_rigorous_column_makes_the_shortcut_split()
    {
        // The shortcut column (Fenske–Underwood–Gilliland, Kirkbride) on the shortcut example's feed designs for 99 %
        // of each key; the rigorous column built to its stages, feed stage and reflux, holding the toluene recovery,
        // should recover the benzene to within a couple of per cent of 99 %: the shortcut's constant-α, constant-
        // overflow assumptions are nearly exact for this ideal, close-boiling pair.
        var feedStream = SaturatedLiquid(Btx, 1.1e5, 100 / 3.6 * 0.4, 100 / 3.6 * 0.6);
        var shortcut = new ShortcutColumn("S", P(("lightKeyRecovery", 0.99), ("heavyKeyRecovery", 0.99), ("refluxRatioFactor", 1.3), ("topPressure", 101325), ("bottomPressure", 101325)), 0, 1, false);
        var r = Balanced(Run(shortcut, Btx, (ShortcutColumn.InletPort, feedStream)), feedStream);
        var equilibriumStages = (int)Math.Ceiling(r.Details["stages"]);
        var feedStage = (int)Math.Round(r.Details["feedStage"]) + 1;
        var design = Distillation(equilibriumStages + 1, CondenserKind.Total, 101325, new(ColumnSpecKind.RefluxRatio, r.Details["refluxRatio"]), new(ColumnSpecKind.BottomsRecovery, 0.99, 1));
        var feed = new ColumnFeed(feedStage, feedStream);
        var s = Converged(Btx, design, feed);
        var benzeneRecovery = s.DistillateFlows[0] / feedStream.ComponentMolarFlows[0];
        Assert.InRange(benzeneRecovery, 0.97, 0.995);
        Assert.Equal(r.Details["condenserDutyW"], s.CondenserDutyW, 0.05 * Math.Abs(r.Details["condenserDutyW"]));
        Assert.Equal(r.Details["reboilerDutyW"], s.ReboilerDutyW, 0.05 * r.Details["reboilerDutyW"]);
    }

    [Fact]
    public void At_high_reflux_the_separation_matches_Fenske_on_the_stage_volatilities()
    {
        // Near total reflux an ideal binary obeys Fenske: ln[(x/(1−x))_D/(x/(1−x))_B] = Σ_j ln α_j over the
        // equilibrium stages (the total condenser is not one). Each α_j is taken from the solution's K-values, so
        // what is left is the finite reflux (R = 200), worth well under 1 % here.
        const int stages = 10;
        var s = Converged(Btx, Distillation(stages, CondenserKind.Total, 101325, new(ColumnSpecKind.RefluxRatio, 200), new(ColumnSpecKind.DistillateRate, 40)), new ColumnFeed(5, SaturatedLiquid(Btx, 101325, 40, 60)));
        var xD = s.DistillateFlows[0] / s.DistillateFlows.Sum();
        var xB = s.BottomsFlows[0] / s.BottomsFlows.Sum();
        var separation = Math.Log(xD / (1 - xD) / (xB / (1 - xB)));
        double fenske = 0;
        for (var j = 1; j < stages; j++)
        {
            fenske += Math.Log(s.KValues[j][0] / s.KValues[j][1]);
        }
        Assert.Equal(fenske, separation, 0.01 * fenske);
    }

    // ---- Configurations and packages ----

    [Fact]
    public void Absorber_without_condenser_or_reboiler_needs_no_specification_and_balances()
    {
        var p = Create("peng-robinson", "methane", "ethane", "propane", "n-butane", "n-decane");
        var gas = new ColumnFeed(6, Stream(p, 303.15, 40e5, 22, 3, 2, 1, 0));
        var oil = new ColumnFeed(1, Stream(p, 303.15, 40e5, 0, 0, 0, 0, 10));
        var design = new ColumnDesign { Stages = 6, Condenser = CondenserKind.None, Reboiler = false, StagePressuresPa = Enumerable.Repeat(40e5, 6).ToArray() };
        var s = Converged(p, design, gas, oil);
        ComponentsBalance(s, gas, oil);
        // The oil takes the heavier gases far more than methane, and the heat of absorption warms it.
        Assert.True(s.BottomsFlows[3] / 1 > 0.9, $"butane absorbed {s.BottomsFlows[3]}");
        Assert.True(s.BottomsFlows[0] / 22 < 0.5);
        Assert.True(s.TemperatureK[5] > 303.15);
    }

    [Fact]
    public void Side_draw_and_Murphree_efficiency_are_honoured()
    {
        var feed = new ColumnFeed(8, SaturatedLiquid(Btx, 101325, 40, 60));
        var draw = new ColumnSideDraw(4, Phase.Liquid, 5);
        ColumnDesign Design(double eta) => new()
        {
            Stages = 15,
            Condenser = CondenserKind.Total,
            Reboiler = true,
            StagePressuresPa = Enumerable.Repeat(101325.0, 15).ToArray(),
            Specs = [new(ColumnSpecKind.RefluxRatio, 3), new(ColumnSpecKind.DistillateRate, 35)],
            SideDraws = [draw],
            MurphreeEfficiency = eta,
        };
        var ideal = Converged(Btx, Design(1), feed);
        var trays = Converged(Btx, Design(0.6), feed);
        ComponentsBalance(ideal, feed);
        ComponentsBalance(trays, feed);
        Assert.Equal(5, trays.SideDrawFlows[0].Sum(), 1e-9);
        Assert.Equal(trays.LiquidComposition[3][0], trays.SideDrawFlows[0][0] / 5, 1e-12);
        Assert.True(trays.DistillateFlows[0] < ideal.DistillateFlows[0], "less efficient trays must separate less");
    }

    [Fact]
    public void The_column_runs_on_the_activity_and_SRK_packages_through_the_same_interface()
    {
        var nrtl = Create("nrtl", "methanol", "water");
        var feed = new ColumnFeed(6, SaturatedLiquid(nrtl, 101325, 30, 70));
        var s = Converged(nrtl, Distillation(12, CondenserKind.Total, 101325, new(ColumnSpecKind.RefluxRatio, 1.5), new(ColumnSpecKind.DistillateMoleFraction, 0.95, 0)), feed);
        ComponentsBalance(s, feed);
        var srk = Create("srk", "propane", "n-butane", "n-pentane");
        var light = new ColumnFeed(5, SaturatedLiquid(srk, 10e5, 30, 40, 30));
        var t = Converged(srk, Distillation(10, CondenserKind.Partial, 10e5, new(ColumnSpecKind.RefluxRatio, 2), new(ColumnSpecKind.BottomsRate, 70)), light);
        ComponentsBalance(t, light);
    }

    // ---- Failures are values ----

    [Fact]
    public void An_unattainable_purity_ends_not_converged_with_a_reason()
    {
        // Four stages cannot make 99.99 % benzene at R = 0.5 (total reflux would barely give 95 %).
        var s = ColumnSolver.Solve(Btx, Distillation(4, CondenserKind.Total, 101325, new(ColumnSpecKind.RefluxRatio, 0.5), new(ColumnSpecKind.DistillateMoleFraction, 0.9999, 0)) , [new ColumnFeed(2, SaturatedLiquid(Btx, 101325, 40, 60))]);
        Assert.False(s.Converged);
        Assert.False(string.IsNullOrWhiteSpace(s.FailureReason));
    }

    [Fact]
    public void The_iteration_limit_gives_not_converged_naming_the_largest_residual()
    {
        var design = new ColumnDesign
        {
            Stages = 12,
            Condenser = CondenserKind.Total,
            Reboiler = true,
            StagePressuresPa = Enumerable.Repeat(101325.0, 12).ToArray(),
            Specs = [new(ColumnSpecKind.RefluxRatio, 2.5), new(ColumnSpecKind.DistillateRate, 40)],
            MaxIterations = 1,
        };
        var s = ColumnSolver.Solve(Btx, design, [BtxFeed()]);
        Assert.False(s.Converged);
        Assert.Contains("did not converge in 1 Newton iterations", s.FailureReason);
        Assert.True(s.Residuals.Largest > ColumnSolver.Tolerance);
    }

    [Fact]
    public void A_wrong_number_of_specifications_is_refused_before_solving()
    {
        var s = ColumnSolver.Solve(Btx, Distillation(12, CondenserKind.Total, 101325, new ColumnSpec(ColumnSpecKind.RefluxRatio, 2)), [BtxFeed()]);
        Assert.False(s.Converged);
        Assert.Contains("needs 2", s.FailureReason);
    }
}
