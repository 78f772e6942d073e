using DeepSim.Engine.Streams;
using DeepSim.Engine.UnitOperations.Reactions;

namespace DeepSim.Engine.UnitOperations;

/// <summary>One reaction: stoichiometric coefficients (negative for reactants) and its key reactant.</summary>
public sealed record Reaction(double[] Stoichiometry, int KeyComponent);

/// <summary>
/// Conversion reactor: reactions applied in order, each converting the given fraction of its key reactant's
/// flow at that point. Isothermal (outlet at a temperature, by default the inlet's) or adiabatic. Heats of
/// reaction at 298.15 K come from the ideal-gas formation enthalpies; the package's formation-basis enthalpy
/// makes the duty include them without a separate term.
/// </summary>
public sealed class ConversionReactor(string id, IReadOnlyDictionary<string, double> parameters, IReadOnlyList<Reaction> reactions, bool adiabatic) : UnitOperation(id, parameters), IReactiveUnit
{
    public const string InletPort = "in";
    public const string OutletPort = "out";

    /// <summary>A reaction may drive a flow negative by round-off only (relative to the inlet flow).</summary>
    private const double NegativeFlowRoundOff = 1e-12;

    public override string Type => "conversionReactor";

    public IReadOnlyList<Reaction> Reactions => reactions;

    public bool Adiabatic => adiabatic;

    public static string ConversionParameter(int reaction) => $"reactions[{reaction}].conversion";

    public void AddGeneration(UnitResult result, double[] generated) => ReactionReport.AddFromExtents([.. reactions.Select(r => r.Stoichiometry)], result, generated);

    public override UnitResult Calculate(UnitContext context)
    {
        var inlet = context.Inlets[InletPort];
        var components = context.Package.Components;
        var flows = CopyFlows(inlet);
        var details = new Dictionary<string, double>();
        var scale = Math.Max(inlet.TotalMolarFlow, double.Epsilon);
        var extents = new double[reactions.Count];
        for (var r = 0; r < reactions.Count; r++)
        {
            var reaction = reactions[r];
            var conversion = context.Parameter(ConversionParameter(r));
            if (!(conversion >= 0 && conversion <= 1))
            {
                return UnitResult.Fail($"reaction {r + 1}: conversion {Num(conversion)} is outside [0, 1]");
            }
            var extent = conversion * flows[reaction.KeyComponent] / -reaction.Stoichiometry[reaction.KeyComponent];
            double heat = 0;
            for (var i = 0; i < flows.Length; i++)
            {
                var nu = reaction.Stoichiometry[i];
                heat += nu * components[i].FormationEnthalpy;
                flows[i] += nu * extent;
                if (flows[i] < 0)
                {
                    if (flows[i] < -NegativeFlowRoundOff * scale)
                    {
                        return UnitResult.Fail($"reaction {r + 1}: converting {Num(conversion)} of {components[reaction.KeyComponent].Name} needs more {components[i].Name} than the feed holds ({components[i].Name} is limiting)");
                    }
                    flows[i] = 0;
                }
            }
            details[ReactionReport.Extent(r)] = extent;
            extents[r] = extent;
            details[$"reactions[{r}].heatOfReactionJPerMol"] = heat;
            details[$"reactions[{r}].heatOfReactionJPerMolKey"] = heat / -reaction.Stoichiometry[reaction.KeyComponent];
        }
        var pOut = inlet.PressurePa - context.ParameterOr("pressureDrop", 0);
        if (!(pOut > 0))
        {
            return UnitResult.Fail($"pressure drop exceeds the inlet pressure {Num(inlet.PressurePa)} Pa");
        }
        StreamOutcome outcome;
        if (adiabatic)
        {
            double total = 0;
            foreach (var f in flows)
            {
                total += f;
            }
            outcome = StreamFactory.AtPressureEnthalpy(context.Package, pOut, total > 0 ? inlet.EnthalpyFlow / total : 0, flows, inlet.TemperatureK);
        }
        else
        {
            outcome = StreamFactory.AtTemperaturePressure(context.Package, context.ParameterOr("outletTemperature", inlet.TemperatureK), pOut, flows);
        }
        if (!outcome.Succeeded)
        {
            return UnitResult.Fail(outcome.Failure!);
        }
        var outlet = outcome.Stream!;
        var notes = ReactionReport.CompareWithEquilibrium(context.Package, outlet, [.. reactions.Select(r => r.Stoichiometry)], extents, details);
        return Balanced(context, new() { [OutletPort] = outlet }, adiabatic ? 0 : outlet.EnthalpyFlow - inlet.EnthalpyFlow, 0, details, notes);
    }
}
