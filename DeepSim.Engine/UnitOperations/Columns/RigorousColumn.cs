using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.UnitOperations.Columns;

/// <summary>A column specification as the file gives it: its kind, the parameter holding its value and, for a per-component one, the component.</summary>
public sealed record ColumnSpecEntry(ColumnSpecKind Kind, string Parameter, int Component = -1);

/// <summary>A side-draw port: the stage (1 = top) and phase it draws; its molar flow is the parameter "sideDraws.PORT".</summary>
public sealed record ColumnDrawPort(string Port, int Stage, Phase Phase)
{
    public string Parameter => SideDrawParameter(Port);

    public static string SideDrawParameter(string port) => "sideDraws." + port;
}

/// <summary>
/// Rigorous equilibrium-stage column (type "column"), solved by <see cref="ColumnSolver"/>. Feeds arrive by named
/// inlet ports, each on its stage; the products leave by "distillate" (the condensate or, without a condenser, the
/// top stage's vapour), "bottoms" (the last stage's liquid) and the side-draw ports. Stage pressures are
/// topPressure + (j − 1)·pressureDrop, or the given "stagePressures" interpolated between their stages. Results carry the stage profile as "stage.J.*" details.
/// </summary>
public sealed class RigorousColumn(
    string id,
    IReadOnlyDictionary<string, double> parameters,
    int stages,
    CondenserKind condenser,
    bool reboiler,
    IReadOnlyDictionary<string, int> feedStages,
    IReadOnlyList<ColumnDrawPort> sideDraws,
    IReadOnlyList<ColumnSpecEntry> specs) : UnitOperation(id, parameters)
{
    public const string DistillatePort = "distillate";
    public const string BottomsPort = "bottoms";

    public override string Type => "column";

    public int Stages => stages;

    public CondenserKind Condenser => condenser;

    public bool Reboiler => reboiler;

    public IReadOnlyDictionary<string, int> FeedStages => feedStages;

    public IReadOnlyList<ColumnDrawPort> SideDraws => sideDraws;

    public IReadOnlyList<ColumnSpecEntry> Specs => specs;

    public override UnitResult Calculate(UnitContext context)
    {
        var package = context.Package;
        var feeds = new List<ColumnFeed>();
        var lowestFeedPressure = double.PositiveInfinity;
        foreach (var (port, stage) in feedStages)
        {
            var s = context.Inlets[port];
            feeds.Add(new ColumnFeed(stage, s));
            lowestFeedPressure = Math.Min(lowestFeedPressure, s.PressurePa);
        }
        var pressures = StagePressures(context, lowestFeedPressure);
        var draws = new ColumnSideDraw[sideDraws.Count];
        for (var d = 0; d < draws.Length; d++)
        {
            draws[d] = new ColumnSideDraw(sideDraws[d].Stage, sideDraws[d].Phase, context.Parameter(sideDraws[d].Parameter));
        }
        var columnSpecs = new ColumnSpec[specs.Count];
        for (var s = 0; s < columnSpecs.Length; s++)
        {
            columnSpecs[s] = new ColumnSpec(specs[s].Kind, context.Parameter(specs[s].Parameter), specs[s].Component);
        }
        var design = new ColumnDesign
        {
            Stages = stages,
            Condenser = condenser,
            Reboiler = reboiler,
            StagePressuresPa = pressures,
            Specs = columnSpecs,
            SideDraws = draws,
            MurphreeEfficiency = context.ParameterOr("murphreeEfficiency", 1),
            MaxIterations = (int)context.ParameterOr("maxIterations", ColumnSolver.DefaultMaxIterations),
        };
        var solution = ColumnSolver.Solve(package, design, feeds);
        if (!solution.Converged)
        {
            return UnitResult.Fail("column not converged: " + solution.FailureReason);
        }

        var last = stages - 1;
        var distillate = StreamFactory.FromPhase(package, condenser == CondenserKind.Total ? Phase.Liquid : Phase.Vapor,
            solution.TemperatureK[0], solution.PressurePa[0], Sum(solution.DistillateFlows), Normalised(solution.DistillateFlows));
        var bottoms = StreamFactory.FromPhase(package, Phase.Liquid, solution.TemperatureK[last], solution.PressurePa[last], Sum(solution.BottomsFlows), Normalised(solution.BottomsFlows));
        var outlets = new Dictionary<string, MaterialStream> { [DistillatePort] = distillate, [BottomsPort] = bottoms };
        for (var d = 0; d < draws.Length; d++)
        {
            var j = draws[d].Stage - 1;
            outlets[sideDraws[d].Port] = StreamFactory.FromPhase(package, draws[d].Phase, solution.TemperatureK[j], solution.PressurePa[j], draws[d].MolarFlow, Normalised(solution.SideDrawFlows[d]));
        }
        return Balanced(context, outlets, solution.CondenserDutyW + solution.ReboilerDutyW, 0, Details(package, solution));
    }

    /// <summary>The parameter holding stage <paramref name="stage"/>'s given pressure (1 = top).</summary>
    public static string StagePressureParameter(int stage) => "stagePressures." + stage.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Each stage's pressure: the given stage pressures interpolated linearly between them and held beyond the first and
    /// last given; without them topPressure (default: the lowest feed pressure) plus (j − 1)·pressureDrop.
    /// </summary>
    private double[] StagePressures(UnitContext context, double lowestFeedPressure)
    {
        var pressures = new double[stages];
        var given = new List<(int Index, double Pressure)>();
        for (var j = 0; j < stages; j++)
        {
            if (context.Parameters.TryGetValue(StagePressureParameter(j + 1), out var p))
            {
                given.Add((j, p));
            }
        }
        if (given.Count == 0)
        {
            var top = context.ParameterOr("topPressure", lowestFeedPressure);
            var drop = context.ParameterOr("pressureDrop", 0);
            for (var j = 0; j < stages; j++)
            {
                pressures[j] = top + j * drop;
            }
            return pressures;
        }
        var k = 0;
        for (var j = 0; j < stages; j++)
        {
            while (k < given.Count - 1 && given[k + 1].Index <= j)
            {
                k++;
            }
            var (a, pa) = given[k];
            if (j <= a || k == given.Count - 1)
            {
                pressures[j] = pa;
                continue;
            }
            var (b, pb) = given[k + 1];
            pressures[j] = pa + (pb - pa) * (j - a) / (b - a);
        }
        return pressures;
    }

    private Dictionary<string, double> Details(IPropertyPackage package, ColumnSolution solution)
    {
        var details = new Dictionary<string, double>
        {
            ["iterations"] = solution.Iterations,
            ["stages"] = stages,
            ["condenserDutyW"] = solution.CondenserDutyW,
            ["reboilerDutyW"] = solution.ReboilerDutyW,
            ["distillateMolarFlow"] = Sum(solution.DistillateFlows),
            ["bottomsMolarFlow"] = Sum(solution.BottomsFlows),
            ["maxMassResidual"] = solution.Residuals.Mass,
            ["maxEquilibriumResidual"] = solution.Residuals.Equilibrium,
            ["maxSummationResidual"] = solution.Residuals.Summation,
            ["maxEnergyResidual"] = solution.Residuals.Energy,
            ["maxSpecificationResidual"] = solution.Residuals.Specification,
        };
        if (condenser != CondenserKind.None)
        {
            details["refluxRatio"] = solution.LiquidMolarFlow[0] / solution.VaporMolarFlow[0];
        }
        if (reboiler)
        {
            details["boilupRatio"] = solution.VaporMolarFlow[stages - 1] / solution.LiquidMolarFlow[stages - 1];
        }
        for (var j = 0; j < stages; j++)
        {
            var prefix = $"stage.{j + 1}.";
            details[prefix + "temperatureK"] = solution.TemperatureK[j];
            details[prefix + "pressurePa"] = solution.PressurePa[j];
            details[prefix + "liquidMolarFlow"] = solution.LiquidMolarFlow[j];
            details[prefix + "vaporMolarFlow"] = solution.VaporMolarFlow[j];
            for (var i = 0; i < package.Components.Count; i++)
            {
                var name = package.Components[i].Name;
                details[prefix + "x." + name] = solution.LiquidComposition[j][i];
                details[prefix + "y." + name] = solution.VaporComposition[j][i];
                details[prefix + "K." + name] = solution.KValues[j][i];
            }
        }
        return details;
    }

    private static double Sum(double[] flows)
    {
        double s = 0;
        foreach (var f in flows)
        {
            s += f;
        }
        return s;
    }

    private static double[] Normalised(double[] flows)
    {
        var total = Sum(flows);
        var z = new double[flows.Length];
        for (var i = 0; i < flows.Length; i++)
        {
            z[i] = total > 0 ? flows[i] / total : 0;
        }
        return z;
    }
}
