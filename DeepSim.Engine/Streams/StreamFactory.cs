using System.Globalization;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.Streams;

/// <summary>A stream or the reason it could not be computed.</summary>
public readonly record struct StreamOutcome(MaterialStream? Stream, string? Failure)
{
    public bool Succeeded => Stream is not null;

    public static StreamOutcome Fail(string reason) => new(null, reason);
}

/// <summary>Builds material streams by flashing component flows with a property package.</summary>
public static class StreamFactory
{
    /// <summary>Negative flows smaller than this fraction of the total are round-off and are clipped to zero.</summary>
    private const double NegativeFlowRoundOff = 1e-12;

    /// <summary>Default temperature guess when nothing better is known, K.</summary>
    private const double DefaultTemperatureK = 298.15;

    private static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>Checks and normalises flows; returns the total or a failure.</summary>
    private static string? Prepare(double[] flows, out double total, out double[] z)
    {
        total = 0;
        double absTotal = 0;
        foreach (var f in flows)
        {
            if (!double.IsFinite(f))
            {
                z = [];
                return "a component flow is not a finite number";
            }
            absTotal += Math.Abs(f);
        }
        for (var i = 0; i < flows.Length; i++)
        {
            if (flows[i] < 0)
            {
                if (flows[i] < -NegativeFlowRoundOff * absTotal)
                {
                    z = [];
                    return $"component {i} has a negative flow ({F(flows[i])} mol/s)";
                }
                flows[i] = 0;
            }
            total += flows[i];
        }
        z = new double[flows.Length];
        if (total > 0)
        {
            for (var i = 0; i < flows.Length; i++)
            {
                z[i] = flows[i] / total;
            }
        }
        return null;
    }

    private static MaterialStream Empty(IPropertyPackage package, double temperatureK, double pressurePa, double[] flows) => new()
    {
        TemperatureK = double.IsFinite(temperatureK) ? temperatureK : DefaultTemperatureK,
        PressurePa = pressurePa,
        ComponentMolarFlows = flows,
        TotalMolarFlow = 0,
        MoleFractions = new double[package.Components.Count],
        VaporFraction = 0,
        State = PhaseState.Liquid,
        LiquidComposition = new double[package.Components.Count],
        VaporComposition = new double[package.Components.Count],
        MolarEnthalpy = 0,
        MolarEntropy = 0,
        MolarMass = 0,
    };

    private static StreamOutcome FromFlash(IPropertyPackage package, FlashResult flash, double[] flows, double total, double[] z, string what)
    {
        if (!flash.Converged)
        {
            return StreamOutcome.Fail($"{what} flash failed: {flash.FailureReason ?? "no reason given"}");
        }
        return new StreamOutcome(new MaterialStream
        {
            TemperatureK = flash.TemperatureK,
            PressurePa = flash.PressurePa,
            ComponentMolarFlows = flows,
            TotalMolarFlow = total,
            MoleFractions = z,
            VaporFraction = flash.VaporFraction,
            State = flash.State,
            LiquidComposition = flash.LiquidComposition,
            VaporComposition = flash.VaporComposition,
            SecondLiquidFraction = flash.SecondLiquidFraction,
            SecondLiquidComposition = flash.SecondLiquidComposition,
            MolarEnthalpy = flash.EnthalpyJPerMol,
            MolarEntropy = flash.EntropyJPerMolK,
            MolarMass = package.MolarMass(z),
        }, null);
    }

    private static string? CheckConditions(double temperatureK, double pressurePa)
    {
        if (!(pressurePa > 0) || !double.IsFinite(pressurePa))
        {
            return $"pressure {F(pressurePa)} Pa is not a positive number";
        }
        if (!double.IsNaN(temperatureK) && (!(temperatureK > 0) || !double.IsFinite(temperatureK)))
        {
            return $"temperature {F(temperatureK)} K is not a positive number";
        }
        return null;
    }

    /// <summary>
    /// Checks the conditions and the flows (normalising them into <paramref name="z"/>); returns the failure, or the
    /// empty stream at <paramref name="emptyTemperatureK"/> when nothing flows, or null when there is something to flash.
    /// </summary>
    private static StreamOutcome? CheckFlows(IPropertyPackage package, double temperatureK, double pressurePa, double[] flows, double emptyTemperatureK, out double total, out double[] z)
    {
        total = 0;
        z = [];
        var bad = CheckConditions(temperatureK, pressurePa);
        if (bad is not null || (bad = Prepare(flows, out total, out z)) is not null)
        {
            return StreamOutcome.Fail(bad);
        }
        return total <= 0 ? new StreamOutcome(Empty(package, emptyTemperatureK, pressurePa, flows), null) : null;
    }

    /// <summary>Flashes the flows at temperature and pressure. <paramref name="flows"/> is owned by the result.</summary>
    public static StreamOutcome AtTemperaturePressure(IPropertyPackage package, double temperatureK, double pressurePa, double[] flows)
    {
        if (double.IsNaN(temperatureK))
        {
            return StreamOutcome.Fail("temperature is not a number");
        }
        return CheckFlows(package, temperatureK, pressurePa, flows, temperatureK, out var total, out var z)
            ?? FromFlash(package, package.FlashPT(temperatureK, pressurePa, z), flows, total, z, $"PT (T = {F(temperatureK)} K, P = {F(pressurePa)} Pa)");
    }

    /// <summary>Flashes the flows at pressure and molar enthalpy.</summary>
    public static StreamOutcome AtPressureEnthalpy(IPropertyPackage package, double pressurePa, double molarEnthalpy, double[] flows, double temperatureGuessK)
    {
        if (CheckFlows(package, double.NaN, pressurePa, flows, temperatureGuessK, out var total, out var z) is { } early)
        {
            return early;
        }
        if (!double.IsFinite(molarEnthalpy))
        {
            return StreamOutcome.Fail("enthalpy is not a finite number");
        }
        return FromFlash(package, package.FlashPH(pressurePa, molarEnthalpy, z, temperatureGuessK), flows, total, z, $"PH (P = {F(pressurePa)} Pa, H = {F(molarEnthalpy)} J/mol)");
    }

    /// <summary>Flashes the flows at pressure and molar entropy.</summary>
    public static StreamOutcome AtPressureEntropy(IPropertyPackage package, double pressurePa, double molarEntropy, double[] flows, double temperatureGuessK)
        => CheckFlows(package, double.NaN, pressurePa, flows, temperatureGuessK, out var total, out var z)
            ?? FromFlash(package, package.FlashPS(pressurePa, molarEntropy, z, temperatureGuessK), flows, total, z, $"PS (P = {F(pressurePa)} Pa, S = {F(molarEntropy)} J/(mol K))");

    /// <summary>Flashes the flows at pressure and vapour fraction (0 bubble point, 1 dew point).</summary>
    public static StreamOutcome AtPressureVaporFraction(IPropertyPackage package, double pressurePa, double vaporFraction, double[] flows)
        => CheckFlows(package, double.NaN, pressurePa, flows, double.NaN, out var total, out var z)
            ?? FromFlash(package, package.FlashPVF(pressurePa, vaporFraction, z), flows, total, z, $"P-vapour fraction (P = {F(pressurePa)} Pa, vf = {F(vaporFraction)})");

    /// <summary>
    /// One phase of an equilibrium flash as its own stream, without re-flashing: the state is taken from the
    /// parent flash so the phases' enthalpies add up to the feed's exactly.
    /// </summary>
    public static MaterialStream FromPhase(IPropertyPackage package, Phase phase, double temperatureK, double pressurePa, double totalMolarFlow, double[] composition)
    {
        var n = composition.Length;
        var flows = new double[n];
        for (var i = 0; i < n; i++)
        {
            flows[i] = totalMolarFlow * composition[i];
        }
        if (totalMolarFlow <= 0)
        {
            return Empty(package, temperatureK, pressurePa, flows);
        }
        var z = (double[])composition.Clone();
        return new MaterialStream
        {
            TemperatureK = temperatureK,
            PressurePa = pressurePa,
            ComponentMolarFlows = flows,
            TotalMolarFlow = totalMolarFlow,
            MoleFractions = z,
            VaporFraction = phase == Phase.Vapor ? 1 : 0,
            State = phase == Phase.Vapor ? PhaseState.Vapor : PhaseState.Liquid,
            LiquidComposition = phase == Phase.Liquid ? z : new double[n],
            VaporComposition = phase == Phase.Vapor ? z : new double[n],
            MolarEnthalpy = package.Enthalpy(phase, temperatureK, pressurePa, z),
            MolarEntropy = package.Entropy(phase, temperatureK, pressurePa, z),
            MolarMass = package.MolarMass(z),
        };
    }

    /// <summary>
    /// The phases of an equilibrium stream as streams of their own, without re-flashing (so their enthalpies add up to
    /// the stream's): the vapour, the lighter liquid and the heavier liquid, each empty when that phase is absent. A
    /// single liquid is the lighter one; a single vapour or supercritical phase is the vapour.
    /// </summary>
    public static (MaterialStream Vapor, MaterialStream Light, MaterialStream Heavy) SplitPhases(IPropertyPackage package, MaterialStream mixed)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(mixed);
        var empty = Scaled(mixed, 0);
        var t = mixed.TemperatureK;
        var p = mixed.PressurePa;
        var total = mixed.TotalMolarFlow;
        switch (mixed.State)
        {
            case PhaseState.TwoPhase:
            case PhaseState.LiquidLiquid:
            case PhaseState.ThreePhase:
                var vaporFlow = total * mixed.VaporFraction;
                var heavyFlow = total * mixed.SecondLiquidFraction;
                var vapor = vaporFlow > 0 ? FromPhase(package, Phase.Vapor, t, p, vaporFlow, mixed.VaporComposition) : empty;
                var light = FromPhase(package, Phase.Liquid, t, p, Math.Max(0, total - vaporFlow - heavyFlow), mixed.LiquidComposition);
                var heavy = heavyFlow > 0 ? FromPhase(package, Phase.Liquid, t, p, heavyFlow, mixed.SecondLiquidComposition) : empty;
                return (vapor, light, heavy);
            case PhaseState.Liquid:
                return (empty, mixed, empty);
            default:
                return (mixed, empty, empty);
        }
    }

    /// <summary>
    /// Two liquid-phase streams at the same T and P as one stream without re-flashing (a drum's liquid outlet carrying
    /// both liquids): LiquidLiquid when both flow, else the one that does.
    /// </summary>
    public static MaterialStream CombineLiquids(MaterialStream light, MaterialStream heavy)
    {
        ArgumentNullException.ThrowIfNull(light);
        ArgumentNullException.ThrowIfNull(heavy);
        if (heavy.IsEmpty)
        {
            return light;
        }

        if (light.IsEmpty)
        {
            return heavy;
        }

        var n = light.ComponentMolarFlows.Length;
        var flows = new double[n];
        var z = new double[n];
        var total = light.TotalMolarFlow + heavy.TotalMolarFlow;
        for (var i = 0; i < n; i++)
        {
            flows[i] = light.ComponentMolarFlows[i] + heavy.ComponentMolarFlows[i];
            z[i] = flows[i] / total;
        }

        var heavyFraction = heavy.TotalMolarFlow / total;
        return new MaterialStream
        {
            TemperatureK = light.TemperatureK,
            PressurePa = light.PressurePa,
            ComponentMolarFlows = flows,
            TotalMolarFlow = total,
            MoleFractions = z,
            VaporFraction = 0,
            State = PhaseState.LiquidLiquid,
            LiquidComposition = light.MoleFractions,
            VaporComposition = z,
            SecondLiquidFraction = heavyFraction,
            SecondLiquidComposition = heavy.MoleFractions,
            MolarEnthalpy = ((1 - heavyFraction) * light.MolarEnthalpy) + (heavyFraction * heavy.MolarEnthalpy),
            MolarEntropy = ((1 - heavyFraction) * light.MolarEntropy) + (heavyFraction * heavy.MolarEntropy),
            MolarMass = ((1 - heavyFraction) * light.MolarMass) + (heavyFraction * heavy.MolarMass),
        };
    }

    /// <summary>The same intensive state with every flow multiplied by <paramref name="factor"/> (splitters).</summary>
    public static MaterialStream Scaled(MaterialStream stream, double factor)
    {
        var flows = new double[stream.ComponentMolarFlows.Length];
        for (var i = 0; i < flows.Length; i++)
        {
            flows[i] = stream.ComponentMolarFlows[i] * factor;
        }
        var total = stream.TotalMolarFlow * factor;
        return new MaterialStream
        {
            TemperatureK = stream.TemperatureK,
            PressurePa = stream.PressurePa,
            ComponentMolarFlows = flows,
            TotalMolarFlow = total,
            MoleFractions = stream.MoleFractions,
            VaporFraction = stream.VaporFraction,
            State = stream.State,
            LiquidComposition = stream.LiquidComposition,
            VaporComposition = stream.VaporComposition,
            SecondLiquidFraction = stream.SecondLiquidFraction,
            SecondLiquidComposition = stream.SecondLiquidComposition,
            MolarEnthalpy = total > 0 ? stream.MolarEnthalpy : 0,
            MolarEntropy = total > 0 ? stream.MolarEntropy : 0,
            MolarMass = total > 0 ? stream.MolarMass : 0,
        };
    }
}
