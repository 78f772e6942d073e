using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.UnitOperations;

/// <summary>Equilibrium flash drum: (temperature and pressure) or (pressure and duty); pressure defaults to the inlet's.</summary>
public sealed class FlashDrum(string id, IReadOnlyDictionary<string, double> parameters) : UnitOperation(id, parameters)
{
    public const string InletPort = "in";
    public const string VaporPort = "vapor";
    public const string LiquidPort = "liquid";

    public override string Type => "flash";

    public override UnitResult Calculate(UnitContext context)
    {
        var inlet = context.Inlets[InletPort];
        var outcome = EquilibriumDrum.Flash(context, inlet);
        if (outcome.Stream is not { } mixed)
        {
            return UnitResult.Fail(outcome.Failure!);
        }

        // Both liquids of a three-phase answer leave together by the liquid outlet (a three-phase separator parts them).
        var (vapor, light, heavy) = StreamFactory.SplitPhases(context.Package, mixed);
        var liquid = StreamFactory.CombineLiquids(light, heavy);
        var outlets = new Dictionary<string, MaterialStream> { [VaporPort] = vapor, [LiquidPort] = liquid };
        var duty = EquilibriumDrum.Duty(context, vapor.EnthalpyFlow + liquid.EnthalpyFlow - inlet.EnthalpyFlow);
        return Balanced(context, outlets, duty, 0, EquilibriumDrum.Details(mixed));
    }
}

/// <summary>
/// Three-phase separator (decanter with a vapour space): the same specifications as the flash drum; the vapour, the
/// lighter liquid and the heavier (usually aqueous) liquid leave by their own outlets. When only one liquid forms it
/// leaves by "heavy" if it is aqueous (water ≥ 50 mol %), else by "light".
/// </summary>
public sealed class ThreePhaseSeparator(string id, IReadOnlyDictionary<string, double> parameters) : UnitOperation(id, parameters)
{
    public const string InletPort = "in";
    public const string VaporPort = "vapor";
    public const string LightLiquidPort = "light";
    public const string HeavyLiquidPort = "heavy";

    /// <summary>A lone liquid with at least this water mole fraction is the aqueous (heavy) one.</summary>
    public const double AqueousWaterFraction = 0.5;

    public override string Type => "threePhaseSeparator";

    public override UnitResult Calculate(UnitContext context)
    {
        var inlet = context.Inlets[InletPort];
        var outcome = EquilibriumDrum.Flash(context, inlet);
        if (outcome.Stream is not { } mixed)
        {
            return UnitResult.Fail(outcome.Failure!);
        }

        var (vapor, light, heavy) = StreamFactory.SplitPhases(context.Package, mixed);
        if (heavy.IsEmpty && !light.IsEmpty && IsAqueous(context, light))
        {
            (light, heavy) = (heavy, light);
        }

        var outlets = new Dictionary<string, MaterialStream> { [VaporPort] = vapor, [LightLiquidPort] = light, [HeavyLiquidPort] = heavy };
        var duty = EquilibriumDrum.Duty(context, vapor.EnthalpyFlow + light.EnthalpyFlow + heavy.EnthalpyFlow - inlet.EnthalpyFlow);
        var details = EquilibriumDrum.Details(mixed);
        details["heavyLiquidFraction"] = mixed.TotalMolarFlow > 0 ? heavy.TotalMolarFlow / mixed.TotalMolarFlow : 0;
        return Balanced(context, outlets, duty, 0, details);
    }

    private static bool IsAqueous(UnitContext context, MaterialStream liquid)
    {
        var components = context.Package.Components;
        for (var i = 0; i < components.Count; i++)
        {
            if (components[i].IsWater)
            {
                return liquid.MoleFractions[i] >= AqueousWaterFraction;
            }
        }

        return false;
    }
}

/// <summary>What the flash drum and the three-phase separator share: the inlet flashed at (T, P) or (P, duty).</summary>
internal static class EquilibriumDrum
{
    public static StreamOutcome Flash(UnitContext context, MaterialStream inlet)
    {
        if (inlet.IsEmpty && context.ParameterOr("duty", 0) != 0)
        {
            return StreamOutcome.Fail("a duty cannot be added to an empty stream");
        }

        var p = context.ParameterOr("pressure", inlet.PressurePa);
        return context.Has("temperature")
            ? StreamFactory.AtTemperaturePressure(context.Package, context.Parameter("temperature"), p, UnitOperation.CopyFlows(inlet))
            : StreamFactory.AtPressureEnthalpy(context.Package, p, inlet.IsEmpty ? 0 : inlet.MolarEnthalpy + (context.Parameter("duty") / inlet.TotalMolarFlow), UnitOperation.CopyFlows(inlet), inlet.TemperatureK);
    }

    /// <summary>
    /// The duty reported: the specified one for a (P, duty) drum (the energy balance residual then shows how well the
    /// outlets close on it), the outlets' enthalpy change for a (T, P) drum.
    /// </summary>
    public static double Duty(UnitContext context, double enthalpyChangeW) => context.Has("duty") ? context.Parameter("duty") : enthalpyChangeW;

    public static Dictionary<string, double> Details(MaterialStream mixed) => new()
    {
        ["vaporFraction"] = mixed.VaporFraction,
        ["temperatureK"] = mixed.TemperatureK,
    };
}

/// <summary>
/// Component separator: each component's fraction to "out1" is given (unlisted components: 0); the rest goes
/// to "out2". Both outlets leave at the inlet temperature and pressure; the duty that takes is reported.
/// </summary>
public sealed class ComponentSeparator(string id, IReadOnlyDictionary<string, double> parameters, double[] fractionsToFirst) : UnitOperation(id, parameters)
{
    public const string InletPort = "in";
    public const string FirstOutletPort = "out1";
    public const string SecondOutletPort = "out2";

    public override string Type => "componentSeparator";

    public IReadOnlyList<double> FractionsToFirst => fractionsToFirst;

    public override UnitResult Calculate(UnitContext context)
    {
        var inlet = context.Inlets[InletPort];
        var n = fractionsToFirst.Length;
        var first = new double[n];
        var second = new double[n];
        for (var i = 0; i < n; i++)
        {
            first[i] = inlet.ComponentMolarFlows[i] * fractionsToFirst[i];
            second[i] = inlet.ComponentMolarFlows[i] - first[i];
        }
        var a = StreamFactory.AtTemperaturePressure(context.Package, inlet.TemperatureK, inlet.PressurePa, first);
        if (!a.Succeeded)
        {
            return UnitResult.Fail(a.Failure!);
        }
        var b = StreamFactory.AtTemperaturePressure(context.Package, inlet.TemperatureK, inlet.PressurePa, second);
        if (!b.Succeeded)
        {
            return UnitResult.Fail(b.Failure!);
        }
        var duty = a.Stream!.EnthalpyFlow + b.Stream!.EnthalpyFlow - inlet.EnthalpyFlow;
        return Balanced(context, new() { [FirstOutletPort] = a.Stream, [SecondOutletPort] = b.Stream }, duty, 0);
    }
}
