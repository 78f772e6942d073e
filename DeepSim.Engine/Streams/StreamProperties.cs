using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.Streams;

/// <summary>One phase of a stream: its label ("vapor", "liquid", "supercritical"; "liquid2" is the heavier of two liquids),
/// kind, molar fraction of the stream, composition and properties.</summary>
public sealed record StreamPhase(string Label, Phase Kind, double MoleFractionOfStream, IReadOnlyList<double> MoleFractions, PhaseProperties Properties);

/// <summary>
/// Properties of a material stream for results: each present phase's <see cref="PhaseProperties"/> and the overall
/// values. Computed from a solved <see cref="MaterialStream"/> when results are written, never in the solver loop.
/// </summary>
public sealed record StreamProperties
{
    /// <summary>Standard conditions of <see cref="StandardVolumetricFlowM3PerS"/>: 15 °C (288.15 K) and 101325 Pa (ISO 13443), ideal gas.</summary>
    public const double StandardTemperatureK = 288.15;

    public const double StandardPressurePa = 101_325.0;

    public required IReadOnlyList<StreamPhase> Phases { get; init; }

    public required IReadOnlyList<double> MassFractions { get; init; }

    /// <summary>Σ over phases of (phase fraction × molar volume), m³/mol.</summary>
    public required double MolarVolumeM3PerMol { get; init; }

    /// <summary>Mass flow / actual volumetric flow, kg/m³.</summary>
    public required double MassDensityKgPerM3 { get; init; }

    /// <summary>Actual volumetric flow, m³/s: molar flow × Σ βₖ Vₖ.</summary>
    public required double ActualVolumetricFlowM3PerS { get; init; }

    /// <summary>The whole stream as an ideal gas at 288.15 K and 101325 Pa, m³/s: F R Tstd / Pstd.</summary>
    public required double StandardVolumetricFlowM3PerS { get; init; }

    /// <summary>Σ βₖ Cpₖ at fixed phase split and compositions (no latent heat), J/(mol K).</summary>
    public required double CpJPerMolK { get; init; }

    /// <summary>Every phase's out-of-range notes, each prefixed with the phase label.</summary>
    public required IReadOnlyList<string> OutOfRange { get; init; }

    /// <summary>
    /// The properties of a solved stream, or null when the stream is empty or its state is not a valid one (a failed
    /// solve can leave non-finite values); this method does not throw for a stream's state.
    /// </summary>
    public static StreamProperties? Compute(IPropertyPackage package, MaterialStream stream)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.IsEmpty || !(stream.TemperatureK > 0) || !(stream.PressurePa > 0) || !double.IsFinite(stream.TemperatureK)
            || !double.IsFinite(stream.PressurePa) || !double.IsFinite(stream.VaporFraction))
        {
            return null;
        }

        var parts = new List<(string Label, Phase Kind, double Fraction, double[] X)>(2);
        switch (stream.State)
        {
            case PhaseState.TwoPhase:
                parts.Add(("vapor", Phase.Vapor, stream.VaporFraction, stream.VaporComposition));
                parts.Add(("liquid", Phase.Liquid, 1 - stream.VaporFraction, stream.LiquidComposition));
                break;
            case PhaseState.LiquidLiquid:
            case PhaseState.ThreePhase:
                // The lighter liquid is "liquid", the heavier "liquid2".
                if (stream.VaporFraction > 0)
                {
                    parts.Add(("vapor", Phase.Vapor, stream.VaporFraction, stream.VaporComposition));
                }

                parts.Add(("liquid", Phase.Liquid, 1 - stream.VaporFraction - stream.SecondLiquidFraction, stream.LiquidComposition));
                parts.Add(("liquid2", Phase.Liquid, stream.SecondLiquidFraction, stream.SecondLiquidComposition));
                break;
            case PhaseState.Vapor:
                parts.Add(("vapor", Phase.Vapor, 1, stream.MoleFractions));
                break;
            case PhaseState.Liquid:
                parts.Add(("liquid", Phase.Liquid, 1, stream.MoleFractions));
                break;
            default:
                // Above Kay's pseudo-critical T and P: one fluid, on the root (or model) the flash reported it with.
                parts.Add(("supercritical", stream.VaporFraction >= 0.5 ? Phase.Vapor : Phase.Liquid, 1, stream.MoleFractions));
                break;
        }

        var phases = new List<StreamPhase>(parts.Count);
        var notes = new List<string>();
        double volume = 0, cp = 0;
        try
        {
            foreach (var (label, kind, fraction, x) in parts)
            {
                var p = PhaseProperties.Compute(package, kind, stream.TemperatureK, stream.PressurePa, x);
                phases.Add(new StreamPhase(label, kind, fraction, p.MoleFractions, p));
                volume += fraction * p.MolarVolumeM3PerMol;
                cp += fraction * p.CpJPerMolK;
                foreach (var note in p.OutOfRange)
                {
                    notes.Add($"{label}: {note}");
                }
            }
        }
        catch (ArgumentException)
        {
            return null; // a composition that does not sum to 1 or a non-physical state: no properties to report
        }

        var massFractions = PhaseProperties.MassFractionsOf(package.Components, stream.MoleFractions);

        return new StreamProperties
        {
            Phases = phases,
            MassFractions = massFractions,
            MolarVolumeM3PerMol = volume,
            MassDensityKgPerM3 = stream.MolarMass / volume,
            ActualVolumetricFlowM3PerS = stream.TotalMolarFlow * volume,
            StandardVolumetricFlowM3PerS = stream.TotalMolarFlow * FlashSettings.GasConstant * StandardTemperatureK / StandardPressurePa,
            CpJPerMolK = cp,
            OutOfRange = notes,
        };
    }
}
