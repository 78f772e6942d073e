using DeepSim.Engine.Numerics;
using DeepSim.Engine.Thermo;
using static DeepSim.Engine.UnitOperations.Columns.ColumnSolver;

namespace DeepSim.Engine.UnitOperations.Columns;

/// <summary>
/// The MESH equations of one column and their Newton solution (see <see cref="ColumnSolver"/>). Unknowns are scaled:
/// flows by the total feed, temperatures by <see cref="ColumnSolver.TemperatureScaleK"/>, duties by the feed times
/// <see cref="ColumnSolver.EnergyScaleJPerMol"/>. Stage j's unknowns are [l_0..l_{C−1}, v_0..v_{C−1}, T]. A total
/// condenser's energy balance fixes only its duty, not the reflux/distillate split, so there the border unknown is the
/// reflux ratio ρ (row H₁ holds L = ρD) and the duty is evaluated from the converged profile.
/// </summary>
internal sealed partial class MeshSystem
{
    private readonly IPropertyPackage package;
    private readonly IFugacityModel? fugacity;
    private readonly ColumnDesign design;
    private readonly IReadOnlyList<ColumnFeed> feeds;
    private readonly int n;      // stages
    private readonly int c;      // components
    private readonly int m;      // unknowns per stage
    private readonly int nq;     // border unknowns: the condenser's (its duty, or a total condenser's reflux ratio) and the reboiler's duty
    private readonly bool totalCondenser;
    private readonly double feedScale;   // mol/s
    private readonly double[] pressure;
    private readonly double[] feedFlow;     // n×c, scaled
    private readonly double[] feedEnthalpy; // n, scaled
    private readonly double[] liquidDraw;   // n, scaled
    private readonly double[] vaporDraw;    // n, scaled
    private readonly double[] efficiency;   // n
    private readonly int condenserQ = -1, reboilerQ = -1;
    private readonly ColumnSpec[] specs;

    // State: x (n×m), q (nq), properties K (n×c), hL, hV (J/mol).
    private double[] x;
    private double[] q;
    private double[] k;
    private double[] hL;
    private double[] hV;

    // Scratch.
    private readonly double[] lnPhiL, lnPhiV, compX, compY, jacobianK, jacobianResidual;

    public MeshSystem(IPropertyPackage package, ColumnDesign design, IReadOnlyList<ColumnFeed> feeds)
    {
        this.package = package;
        fugacity = package as IFugacityModel;
        this.design = design;
        this.feeds = feeds;
        n = design.Stages;
        c = package.Components.Count;
        m = 2 * c + 1;
        totalCondenser = design.Condenser == CondenserKind.Total;
        if (design.Condenser != CondenserKind.None)
        {
            condenserQ = nq++;
        }
        if (design.Reboiler)
        {
            reboilerQ = nq++;
        }
        specs = [.. design.Specs];
        pressure = design.StagePressuresPa;
        foreach (var f in feeds)
        {
            feedScale += f.Stream.TotalMolarFlow;
        }
        feedFlow = new double[n * c];
        feedEnthalpy = new double[n];
        liquidDraw = new double[n];
        vaporDraw = new double[n];
        efficiency = new double[n];
        x = new double[n * m];
        q = new double[nq];
        k = new double[n * c];
        hL = new double[n];
        hV = new double[n];
        lnPhiL = new double[c];
        lnPhiV = new double[c];
        compX = new double[c];
        compY = new double[c];
        jacobianK = new double[c];
        jacobianResidual = new double[m];
    }

    private double EnergyScale => feedScale * EnergyScaleJPerMol;

    public ColumnSolution Solve()
    {
        if (Validate() is { } refusal)
        {
            return Failed(refusal, 0);
        }
        if (fugacity is null)
        {
            return Failed($"the {package.Name} package does not give fugacity coefficients, which the column's K-values need", 0);
        }
        Load();
        if (Initialise() is { } initFailure)
        {
            return Failed("initial profile: " + initFailure, 0);
        }
        return Newton();
    }

    private string? Validate()
    {
        if (n < 2)
        {
            return "a column needs at least 2 stages";
        }
        if (feeds.Count == 0 || !(feedScale > 0))
        {
            return "the column has no feed: a column needs material to separate";
        }
        if (pressure.Length != n)
        {
            return $"{pressure.Length} stage pressures for {n} stages";
        }
        foreach (var p in pressure)
        {
            if (!(p >= FlashSettings.MinSearchPressurePa && p <= FlashSettings.MaxSearchPressurePa))
            {
                return $"a stage pressure of {Num(p)} Pa is outside the engine's range";
            }
        }
        if (design.Condenser != CondenserKind.None && design.Reboiler && n < 3)
        {
            return "a column with a condenser and a reboiler needs at least 3 stages (one tray between them)";
        }
        if (specs.Length != design.SpecsNeeded)
        {
            return $"{specs.Length} specifications given; this configuration needs {design.SpecsNeeded} (one for the condenser, one for the reboiler)";
        }
        foreach (var f in feeds)
        {
            if (f.Stage < 1 || f.Stage > n)
            {
                return $"a feed enters stage {f.Stage}, outside 1..{n}";
            }
            if (totalCondenser && f.Stage == 1)
            {
                return "a feed cannot enter the total condenser (stage 1)";
            }
        }
        foreach (var d in design.SideDraws)
        {
            if (d.Stage < 1 || d.Stage > n)
            {
                return $"a side draw leaves stage {d.Stage}, outside 1..{n}";
            }
            if (!(d.MolarFlow >= 0))
            {
                return $"a side draw of {Num(d.MolarFlow)} mol/s: a draw must be non-negative";
            }
            if (d.Stage == 1 && design.Condenser != CondenserKind.None || d.Stage == n && design.Reboiler)
            {
                return $"stage {d.Stage} is the {(d.Stage == 1 ? "condenser" : "reboiler")}, whose products are the distillate or bottoms: draw from a tray";
            }
        }
        if (!(design.MurphreeEfficiency > 0 && design.MurphreeEfficiency <= 1))
        {
            return $"a Murphree efficiency of {Num(design.MurphreeEfficiency)}: it must lie in (0, 1]";
        }
        foreach (var s in specs)
        {
            var top = s.Kind is ColumnSpecKind.RefluxRatio or ColumnSpecKind.CondenserDuty;
            var bottom = s.Kind is ColumnSpecKind.BoilupRatio or ColumnSpecKind.ReboilerDuty;
            if (top && design.Condenser == CondenserKind.None || bottom && !design.Reboiler)
            {
                return $"the {s.Kind} specification needs a {(top ? "condenser" : "reboiler")}";
            }
            if (s.Kind is ColumnSpecKind.DistillateRecovery or ColumnSpecKind.BottomsRecovery)
            {
                double fc = 0;
                foreach (var f in feeds)
                {
                    fc += f.Stream.ComponentMolarFlows[s.Component];
                }
                if (!(fc > 0))
                {
                    return $"a recovery of {package.Components[s.Component].Name}, which no feed carries";
                }
            }
        }
        return null;
    }

    /// <summary>Feeds, draws and efficiencies onto their stages, in scaled units.</summary>
    private void Load()
    {
        foreach (var f in feeds)
        {
            var j = f.Stage - 1;
            var s = f.Stream;
            for (var i = 0; i < c; i++)
            {
                feedFlow[j * c + i] += s.ComponentMolarFlows[i] / feedScale;
            }
            if (!s.IsEmpty)
            {
                feedEnthalpy[j] += s.EnthalpyFlow / EnergyScale;
            }
        }
        foreach (var d in design.SideDraws)
        {
            var draws = d.Phase == Phase.Liquid ? liquidDraw : vaporDraw;
            draws[d.Stage - 1] += d.MolarFlow / feedScale;
        }
        for (var j = 0; j < n; j++)
        {
            var equilibriumStage = j == n - 1 || (j == 0 && design.Condenser != CondenserKind.None);
            efficiency[j] = equilibriumStage ? 1 : design.MurphreeEfficiency;
        }
    }

    private ColumnSolution Failed(string reason, int iterations) => Result(false, reason, iterations, default);

    private static string Num(double v) => ColumnSolver.Num(v);

    private int Row(int j) => j * m;

    private double Liquid(int j)
    {
        double s = 0;
        for (var i = 0; i < c; i++)
        {
            s += x[j * m + i];
        }
        return s;
    }

    private double Vapor(int j)
    {
        double s = 0;
        for (var i = 0; i < c; i++)
        {
            s += x[j * m + c + i];
        }
        return s;
    }
}
