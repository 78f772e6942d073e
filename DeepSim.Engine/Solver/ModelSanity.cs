using System.Globalization;
using DeepSim.Engine.Components;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations;

namespace DeepSim.Engine.Solver;

/// <summary>A model-sanity warning: a stable <paramref name="Code"/>, the unit and/or stream it is about, and a sentence saying what to do.</summary>
public sealed record ModelWarning(string Code, string? UnitId, string? StreamId, string Message);

/// <summary>The stable codes of <see cref="ModelWarning"/> (docs/warnings.md).</summary>
public static class ModelWarningCodes
{
    public const string PolarMixtureIdealModel = "polar-mixture-ideal-model";
    public const string CorrelationOutOfRange = "correlation-out-of-range";
    public const string ConversionBeyondEquilibrium = "conversion-beyond-equilibrium";
    public const string MissingKij = "missing-kij";
    public const string MissingBinaryParameters = "missing-binary-parameters";
    public const string EmptyStream = "empty-stream";
}

/// <summary>
/// One pass over a solved (or partly solved) flowsheet that flags results resting on a poor model choice. It reads
/// only the flowsheet, its package, the stream states and the unit results, so it runs whether the solve converged
/// or not; streams never reached are skipped. The rules are documented in docs/warnings.md.
/// </summary>
public static class ModelSanity
{
    /// <summary>
    /// A component "is present" in a stream at this mole fraction or more: 1 mol % is where a component starts to
    /// shape a phase's non-ideality or its K-values; traces below it move results little.
    /// </summary>
    public const double PresenceFraction = 0.01;

    /// <summary>A stream has a liquid when its vapour fraction is below 1 by more than flash round-off.</summary>
    private const double AllVapourFraction = 1 - 1e-9;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static IReadOnlyList<ModelWarning> Analyse(Flowsheet flowsheet, IReadOnlyList<MaterialStream?> streams, IReadOnlyList<UnitResult?> units)
    {
        ArgumentNullException.ThrowIfNull(flowsheet);
        ArgumentNullException.ThrowIfNull(streams);
        ArgumentNullException.ThrowIfNull(units);
        var warnings = new List<ModelWarning>();
        PolarMixture(flowsheet, streams, warnings);
        CorrelationRanges(flowsheet, streams, warnings);
        BeyondEquilibrium(flowsheet, streams, units, warnings);
        MissingPairs(flowsheet, streams, warnings);
        EmptyStreams(flowsheet, streams, warnings);
        return warnings;
    }

    private static bool HasLiquid(MaterialStream s) => !s.IsEmpty && s.State != PhaseState.Supercritical && s.VaporFraction < AllVapourFraction;

    private static string Percent(double x) => (100 * x).ToString(x < 0.1 ? "F1" : "F0", Inv) + " %";

    private static string Others(int count) => count switch
    {
        0 => "",
        1 => " (and in 1 other stream)",
        _ => $" (and in {count} other streams)",
    };

    // An ideal or cubic package on a liquid that holds a polar component (dipole ≥ 1 D) and another condensable one
    // (below its Tc), each ≥ 1 mol %. Vapour-only streams are not flagged: the concern is the liquid's activity.
    private static void PolarMixture(Flowsheet f, IReadOnlyList<MaterialStream?> streams, List<ModelWarning> warnings)
    {
        if (f.Package is IActivityPropertyPackage)
        {
            return;
        }
        var components = f.Components;
        int first = -1, polarAt = -1, otherAt = -1, more = 0;
        for (var s = 0; s < streams.Count; s++)
        {
            if (streams[s] is not { } st || !HasLiquid(st))
            {
                continue;
            }
            var x = st.LiquidComposition;
            var polar = -1;
            var other = -1;
            for (var i = 0; i < components.Count && (polar < 0 || other < 0); i++)
            {
                if (x[i] < PresenceFraction || st.TemperatureK >= components[i].CriticalTemperatureK)
                {
                    continue;
                }
                if (polar < 0 && ComponentPolarity.IsPolar(components[i]))
                {
                    polar = i;
                }
                else if (other < 0)
                {
                    other = i;
                }
            }
            if (polar < 0 || other < 0)
            {
                continue;
            }
            if (first < 0)
            {
                (first, polarAt, otherAt) = (s, polar, other);
            }
            else
            {
                more++;
            }
        }
        if (first < 0)
        {
            return;
        }
        var c = f.Streams[first];
        var st0 = streams[first]!;
        var p = components[polarAt];
        var model = f.Package is ICubicPropertyPackage ? $"the cubic {f.Package.Name} cannot represent the liquid activity of polar mixtures" : "the ideal package takes the liquid as ideal (γ = 1)";
        warnings.Add(new ModelWarning(ModelWarningCodes.PolarMixtureIdealModel, null, c.Id, string.Create(Inv,
            $"Stream {c.Id} has a liquid of {p.Name} (polar, {ComponentPolarity.DipoleMomentDebye(p):F2} D, {Percent(st0.LiquidComposition[polarAt])}) with {components[otherAt].Name} ({Percent(st0.LiquidComposition[otherAt])}){Others(more)}, and {model}: use an activity-coefficient package (nrtl, uniquac or wilson) for this mixture.")));
    }

    // Ideal-gas Cp in every stream, vapour pressure in liquid-bearing streams of the packages that use it (ideal, γ–φ):
    // one warning per component and correlation, at the stream farthest outside the fitted range.
    private static void CorrelationRanges(Flowsheet f, IReadOnlyList<MaterialStream?> streams, List<ModelWarning> warnings)
    {
        var components = f.Components;
        var usesVapourPressure = f.Package is not ICubicPropertyPackage;
        for (var i = 0; i < components.Count; i++)
        {
            Check(components[i].IdealGasHeatCapacity, "ideal-gas heat capacity", "held at its end value", false);
            if (usesVapourPressure)
            {
                Check(components[i].VaporPressure, "vapour pressure", "extrapolated (Clausius–Clapeyron)", true);
            }

            void Check(Correlation? correlation, string what, string how, bool liquidOnly)
            {
                if (correlation is null)
                {
                    return;
                }
                var worst = -1;
                var worstExcess = 0.0;
                var count = 0;
                for (var s = 0; s < streams.Count; s++)
                {
                    if (streams[s] is not { } st || st.IsEmpty || st.MoleFractions[i] < PresenceFraction || (liquidOnly && !HasLiquid(st)))
                    {
                        continue;
                    }
                    var excess = Math.Max(correlation.MinTemperatureK - st.TemperatureK, st.TemperatureK - correlation.MaxTemperatureK);
                    if (excess > 0)
                    {
                        count++;
                        if (excess > worstExcess)
                        {
                            (worst, worstExcess) = (s, excess);
                        }
                    }
                }
                if (worst < 0)
                {
                    return;
                }
                var c = f.Streams[worst];
                var t = streams[worst]!.TemperatureK;
                var side = t < correlation.MinTemperatureK ? "below" : "above";
                warnings.Add(new ModelWarning(ModelWarningCodes.CorrelationOutOfRange, null, c.Id, string.Create(Inv,
                    $"Stream {c.Id} is at {t:F1} K, {side} the {correlation.MinTemperatureK:F1}–{correlation.MaxTemperatureK:F1} K range of {components[i].Name}'s {what} correlation{Others(count - 1)}, so that property is {how} there: check the stream's conditions or define {components[i].Name} with a correlation fitted over that temperature.")));
            }
        }
    }

    // The reactors' own comparison with equilibrium (details reactions[r].beyondEquilibrium = 1), one warning per reaction.
    private static void BeyondEquilibrium(Flowsheet f, IReadOnlyList<MaterialStream?> streams, IReadOnlyList<UnitResult?> units, List<ModelWarning> warnings)
    {
        for (var u = 0; u < units.Count; u++)
        {
            if (units[u] is not { Succeeded: true } r)
            {
                continue;
            }
            var unit = f.Units[u];
            string? outlet = null;
            var temperatureK = double.NaN;
            for (var s = 0; s < f.Streams.Count; s++)
            {
                if (f.Streams[s].FromUnit == u)
                {
                    outlet = f.Streams[s].Id;
                    temperatureK = streams[s]?.TemperatureK ?? double.NaN;
                    break;
                }
            }
            for (var k = 0; r.Details.TryGetValue($"reactions[{k}].beyondEquilibrium", out var beyond); k++)
            {
                if (beyond != 1)
                {
                    continue;
                }
                var ratio = r.Details.TryGetValue($"reactions[{k}].quotientOverK", out var q) ? q : double.NaN;
                var remedy = unit is ConversionReactor
                    ? "lower its conversion to at most the equilibrium conversion, or model it as an equilibriumReactor"
                    : "give its rate law a reverse (equilibrium-limited) term, or model it as an equilibriumReactor";
                warnings.Add(new ModelWarning(ModelWarningCodes.ConversionBeyondEquilibrium, unit.Id, outlet, string.Create(Inv,
                    $"Unit {unit.Id} carries reaction {k + 1} beyond chemical equilibrium (Q/K = {ratio:G4} in its outlet {outlet} at {temperatureK:F1} K), a state no reactor can reach: {remedy}.")));
            }
        }
    }

    // Pairs without a binary parameter that meet in a stream: a cubic's kij from the Default source when the pair is
    // one a zero kij predicts poorly, and a γ–φ package's pairs without parameters (treated as ideal).
    private static void MissingPairs(Flowsheet f, IReadOnlyList<MaterialStream?> streams, List<ModelWarning> warnings)
    {
        var components = f.Components;
        if (f.Package is ICubicPropertyPackage cubic)
        {
            foreach (var p in cubic.InteractionParameters)
            {
                if (p.Source != KijSource.Default || !KijMatters(components[p.I], components[p.J]) || Meeting(streams, p.I, p.J) is not { } at)
                {
                    continue;
                }
                var (a, b) = (components[p.I].Name, components[p.J].Name);
                warnings.Add(new ModelWarning(ModelWarningCodes.MissingKij, null, f.Streams[at.Stream].Id, string.Create(Inv,
                    $"{f.Package.Name} has no kij for {a}/{b} (ChemSep lists none, so 0 is used), and they meet in stream {f.Streams[at.Stream].Id} ({Percent(at.FractionI)} and {Percent(at.FractionJ)}){Others(at.Others)}: a zero kij predicts such a pair poorly, so give it in propertyPackage.kij from a fit to this pair's data.")));
            }
        }
        else if (f.Package is IActivityPropertyPackage activity)
        {
            foreach (var p in activity.Parameters)
            {
                if (p.Source != ActivityParameterSource.Missing || Meeting(streams, p.I, p.J) is not { } at)
                {
                    continue;
                }
                var (a, b) = (components[p.I].Name, components[p.J].Name);
                warnings.Add(new ModelWarning(ModelWarningCodes.MissingBinaryParameters, null, f.Streams[at.Stream].Id, string.Create(Inv,
                    $"{f.Package.Name} has no ChemSep parameters for {a}/{b} (nor UNIFAC groups to estimate them), so the pair is treated as ideal (and no liquid–liquid split between them can be found), yet they meet in stream {f.Streams[at.Stream].Id} ({Percent(at.FractionI)} and {Percent(at.FractionJ)}){Others(at.Others)}: choose an activity model that has parameters for this pair, or check that the pair is nearly ideal.")));
            }
        }
    }

    /// <summary>
    /// Whether a zero kij is a poor guess for the pair: one of them polar, or a non-hydrocarbon (H2, N2, CO2, H2S, …)
    /// with a hydrocarbon. Hydrocarbon pairs and pairs of non-polar light gases are predicted fairly with kij = 0.
    /// </summary>
    public static bool KijMatters(Component a, Component b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return ComponentPolarity.IsPolar(a) || ComponentPolarity.IsPolar(b) || ComponentPolarity.IsHydrocarbon(a) != ComponentPolarity.IsHydrocarbon(b);
    }

    private readonly record struct PairMeeting(int Stream, double FractionI, double FractionJ, int Others);

    // The stream where both components are present and the scarcer of the two is most abundant, and how many more there are.
    private static PairMeeting? Meeting(IReadOnlyList<MaterialStream?> streams, int i, int j)
    {
        var best = -1;
        var bestMin = 0.0;
        var count = 0;
        for (var s = 0; s < streams.Count; s++)
        {
            if (streams[s] is not { } st || st.IsEmpty)
            {
                continue;
            }
            var m = Math.Min(st.MoleFractions[i], st.MoleFractions[j]);
            if (m < PresenceFraction)
            {
                continue;
            }
            count++;
            if (m > bestMin)
            {
                (best, bestMin) = (s, m);
            }
        }
        return best < 0 ? null : new PairMeeting(best, streams[best]!.MoleFractions[i], streams[best]!.MoleFractions[j], count - 1);
    }

    // Every stream with no flow, except a feed's own outlet (a zero feed is the user's explicit choice).
    private static void EmptyStreams(Flowsheet f, IReadOnlyList<MaterialStream?> streams, List<ModelWarning> warnings)
    {
        for (var s = 0; s < streams.Count; s++)
        {
            var c = f.Streams[s];
            if (streams[s] is not { IsEmpty: true } || f.Units[c.FromUnit] is Feed)
            {
                continue;
            }
            var from = f.Units[c.FromUnit];
            var message = from is FlashDrum
                ? $"Stream {c.Id} leaves {from.Id}.{c.FromPort} with no flow because {from.Id}'s feed is all {(c.FromPort == FlashDrum.LiquidPort ? "vapour" : "liquid")} at its conditions: if that is meant (a knock-out drum that catches nothing), ignore this; otherwise change {from.Id}'s temperature, pressure or duty."
                : $"Stream {c.Id} from {from.Id}.{c.FromPort} carries no flow: check {from.Id}'s specification (a split fraction of 0, a unit upstream that is fed nothing) or remove the stream.";
            warnings.Add(new ModelWarning(ModelWarningCodes.EmptyStream, from.Id, c.Id, message));
        }
    }
}
