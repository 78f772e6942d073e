using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations.Reactions;

namespace DeepSim.Engine.UnitOperations;

/// <summary>A reaction at equilibrium: its stoichiometry and, optionally, the user's ln K(T) in place of the formation-data one.</summary>
public sealed record EquilibriumReaction(double[] Stoichiometry, LnKCorrelation? LnK);

/// <summary>
/// Equilibrium reactor for gas-phase reactions at a pressure (default the inlet's), isothermal (temperature, default the
/// inlet's) or adiabatic. Given reactions, the extents make each reaction's Q equal its K(T); with no reactions, G is
/// minimised over the chosen components under element balances (elements from their formulas). The reacting mixture
/// is one vapour-like phase (φ of the vapour root); the outlet is then flashed at the result's T and P.
/// </summary>
public sealed class EquilibriumReactor : UnitOperation, IReactiveUnit
{
    public const string InletPort = "in";
    public const string OutletPort = "out";

    private readonly IReadOnlyList<EquilibriumReaction> reactions;
    private readonly bool[]? reacting;
    private readonly int[,]? elements;

    /// <summary>Reaction form.</summary>
    public EquilibriumReactor(string id, IReadOnlyDictionary<string, double> parameters, IReadOnlyList<EquilibriumReaction> reactions, bool adiabatic)
        : base(id, parameters)
    {
        this.reactions = reactions;
        Adiabatic = adiabatic;
    }

    /// <summary>Gibbs-minimisation form over the components flagged <paramref name="reacting"/>; <paramref name="elements"/> is components × elements.</summary>
    public EquilibriumReactor(string id, IReadOnlyDictionary<string, double> parameters, bool[] reacting, int[,] elements, IReadOnlyList<string> elementSymbols, bool adiabatic)
        : base(id, parameters)
    {
        reactions = [];
        this.reacting = reacting;
        this.elements = elements;
        ElementSymbols = elementSymbols;
        Adiabatic = adiabatic;
    }

    public override string Type => "equilibriumReactor";

    public bool Adiabatic { get; }

    public bool IsGibbsMinimisation => reacting is not null;

    public IReadOnlyList<EquilibriumReaction> Reactions => reactions;

    public IReadOnlyList<string> ElementSymbols { get; } = [];

    public void AddGeneration(UnitResult result, double[] generated)
    {
        if (!IsGibbsMinimisation)
        {
            ReactionReport.AddFromExtents([.. reactions.Select(r => r.Stoichiometry)], result, generated);
            return;
        }
        for (var i = 0; i < generated.Length; i++)
        {
            if (result.Details.TryGetValue(ReactionReport.Generation(i), out var g))
            {
                generated[i] += g;
            }
        }
    }

    public override UnitResult Calculate(UnitContext context)
    {
        var inlet = context.Inlets[InletPort];
        var package = context.Package;
        var pressurePa = context.ParameterOr("pressure", inlet.PressurePa);
        var thermo = StandardGibbs.Create(package.Components);
        if (MissingData(thermo) is { } missing)
        {
            return UnitResult.Fail($"equilibrium constants need formation data: {missing}");
        }
        if (inlet.IsEmpty)
        {
            return Finish(context, inlet, CopyFlows(inlet), new double[reactions.Count], inlet.TemperatureK, pressurePa, thermo, 0, 0);
        }
        var feed = inlet.ComponentMolarFlows;
        double[]? warm = null;
        EquilibriumOutcome? last = null;
        var iterations = 0;
        EquilibriumOutcome Solve(double temperatureK)
        {
            var outcome = SolveAt(package, thermo, temperatureK, pressurePa, feed, warm);
            iterations += outcome.Iterations;
            if (outcome.Succeeded)
            {
                warm = outcome.Extents;
            }
            last = outcome;
            return outcome;
        }
        double outletK;
        if (!Adiabatic)
        {
            outletK = context.ParameterOr("outletTemperature", inlet.TemperatureK);
            Solve(outletK);
        }
        else
        {
            var (found, failure) = AdiabaticTemperature(package, pressurePa, inlet, Solve);
            if (failure is not null)
            {
                return UnitResult.Fail(last is { Succeeded: false } ? $"{failure}: {last.Failure}" : failure);
            }
            outletK = found;
            Solve(outletK);
        }
        if (last is not { Succeeded: true } solved)
        {
            return UnitResult.Fail($"no equilibrium at {Num(outletK)} K, {Num(pressurePa)} Pa: {last?.Failure}");
        }
        // Iterations summed over every equilibrium solved (one per temperature tried when adiabatic).
        return Finish(context, inlet, solved.Flows!, solved.Extents ?? [], outletK, pressurePa, thermo, iterations, solved.Residual);
    }

    /// <summary>The first reacting component without formation data or heat capacity (the user's ln K spares a reaction that need).</summary>
    private string? MissingData(StandardGibbs thermo)
    {
        if (IsGibbsMinimisation)
        {
            for (var i = 0; i < reacting!.Length; i++)
            {
                if (reacting[i] && thermo.Missing(i) is { } reason)
                {
                    return reason;
                }
            }
            return null;
        }
        foreach (var r in reactions)
        {
            if (r.LnK is null && thermo.Missing(r.Stoichiometry) is { } reason)
            {
                return reason;
            }
        }
        return null;
    }

    private EquilibriumOutcome SolveAt(IPropertyPackage package, StandardGibbs thermo, double temperatureK, double pressurePa, double[] feed, double[]? warm)
    {
        if (IsGibbsMinimisation)
        {
            var g = new double[feed.Length];
            thermo.ReducedGibbs(temperatureK, g);
            return ChemicalEquilibrium.MinimiseGibbs(package, temperatureK, pressurePa, feed, reacting, elements!, g);
        }
        var lnK = new double[reactions.Count];
        for (var r = 0; r < reactions.Count; r++)
        {
            lnK[r] = reactions[r].LnK?.Evaluate(temperatureK) ?? thermo.LnK(reactions[r].Stoichiometry, temperatureK);
        }
        return ChemicalEquilibrium.SolveExtents(package, temperatureK, pressurePa, feed, [.. reactions.Select(r => r.Stoichiometry)], lnK, warm);
    }

    /// <summary>The temperature where the equilibrium mixture's vapour enthalpy equals the inlet's.</summary>
    private static (double TemperatureK, string? Failure) AdiabaticTemperature(IPropertyPackage package, double pressurePa, MaterialStream inlet, Func<double, EquilibriumOutcome> solve)
    {
        double Excess(double temperatureK)
        {
            var outcome = solve(temperatureK);
            if (!outcome.Succeeded)
            {
                return double.NaN;
            }
            var flows = outcome.Flows!;
            var total = flows.Sum();
            var y = flows.Select(f => f / total).ToArray();
            try
            {
                return (total * package.Enthalpy(Phase.Vapor, temperatureK, pressurePa, y)) - inlet.EnthalpyFlow;
            }
            catch (ArgumentException)
            {
                return double.NaN;
            }
        }
        return AdiabaticSearch.Find(Excess, inlet.TemperatureK, Math.Abs(inlet.EnthalpyFlow));
    }

    private UnitResult Finish(UnitContext context, MaterialStream inlet, double[] flows, double[] extents, double temperatureK, double pressurePa, StandardGibbs thermo, int iterations, double residual)
    {
        var package = context.Package;
        var details = new Dictionary<string, double>
        {
            ["temperatureK"] = temperatureK,
            ["iterations"] = iterations,
        };
        var feed = inlet.ComponentMolarFlows;
        if (IsGibbsMinimisation)
        {
            for (var i = 0; i < flows.Length; i++)
            {
                details[ReactionReport.Generation(i)] = flows[i] - feed[i];
            }
            // The approach to equilibrium: the largest |δ ln n| of the last RAND step (0 at the minimum).
            details["gibbsStationarityResidual"] = residual;
        }
        var total = flows.Sum();
        for (var r = 0; r < extents.Length; r++)
        {
            var nu = reactions[r].Stoichiometry;
            details[ReactionReport.Extent(r)] = extents[r];
            var lnK = reactions[r].LnK?.Evaluate(temperatureK) ?? thermo.LnK(nu, temperatureK);
            details[$"reactions[{r}].lnK"] = lnK;
            if (total > 0)
            {
                var y = flows.Select(f => f / total).ToArray();
                // Q/K at the solution's T and P with the vapour φ the solve used: the approach to equilibrium (1 = there).
                details[$"reactions[{r}].quotientOverK"] = Math.Exp(ChemicalEquilibrium.LnQuotientOverK(package, Phase.Vapor, temperatureK, pressurePa, y, nu, lnK));
            }
            if (thermo.Missing(nu) is null)
            {
                details[$"reactions[{r}].heatOfReactionJPerMol"] = thermo.ReactionEnthalpy(nu, temperatureK);
            }
        }
        StreamOutcome outcome;
        if (Adiabatic)
        {
            outcome = StreamFactory.AtPressureEnthalpy(package, pressurePa, total > 0 ? inlet.EnthalpyFlow / total : 0, (double[])flows.Clone(), temperatureK);
        }
        else
        {
            outcome = StreamFactory.AtTemperaturePressure(package, temperatureK, pressurePa, (double[])flows.Clone());
        }
        if (!outcome.Succeeded)
        {
            return UnitResult.Fail(outcome.Failure!);
        }
        var outlet = outcome.Stream!;
        var notes = new List<string>();
        if (outlet.VaporFraction < 1 && outlet.State is not (PhaseState.Vapor or PhaseState.Supercritical))
        {
            notes.Add($"the equilibrium mixture is not all vapour at {Num(outlet.TemperatureK)} K (vapour fraction {Num(outlet.VaporFraction)}); the gas-phase equilibrium ignores the liquid");
        }
        return Balanced(context, new() { [OutletPort] = outlet }, Adiabatic ? 0 : outlet.EnthalpyFlow - inlet.EnthalpyFlow, 0, details, notes);
    }
}
