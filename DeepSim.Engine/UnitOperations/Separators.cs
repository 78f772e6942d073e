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
        var p = context.ParameterOr("pressure", inlet.PressurePa);
        var outcome = context.Has("temperature")
            ? StreamFactory.AtTemperaturePressure(context.Package, context.Parameter("temperature"), p, CopyFlows(inlet))
            : StreamFactory.AtPressureEnthalpy(context.Package, p, inlet.IsEmpty ? 0 : inlet.MolarEnthalpy + context.Parameter("duty") / inlet.TotalMolarFlow, CopyFlows(inlet), inlet.TemperatureK);
        if (!outcome.Succeeded)
        {
            return UnitResult.Fail(outcome.Failure!);
        }
        var mixed = outcome.Stream!;
        if (inlet.IsEmpty && context.ParameterOr("duty", 0) != 0)
        {
            return UnitResult.Fail("a duty cannot be added to an empty stream");
        }
        var package = context.Package;
        MaterialStream vapor, liquid;
        if (mixed.State == PhaseState.TwoPhase)
        {
            var vaporFlow = mixed.TotalMolarFlow * mixed.VaporFraction;
            vapor = StreamFactory.FromPhase(package, Phase.Vapor, mixed.TemperatureK, mixed.PressurePa, vaporFlow, mixed.VaporComposition);
            liquid = StreamFactory.FromPhase(package, Phase.Liquid, mixed.TemperatureK, mixed.PressurePa, mixed.TotalMolarFlow - vaporFlow, mixed.LiquidComposition);
        }
        else
        {
            // A single phase leaves entirely by the outlet it resembles; supercritical counts as vapour.
            var toVapor = mixed.State != PhaseState.Liquid;
            var empty = StreamFactory.Scaled(mixed, 0);
            vapor = toVapor ? mixed : empty;
            liquid = toVapor ? empty : mixed;
        }
        var outlets = new Dictionary<string, MaterialStream> { [VaporPort] = vapor, [LiquidPort] = liquid };
        var duty = vapor.EnthalpyFlow + liquid.EnthalpyFlow - inlet.EnthalpyFlow;
        return Balanced(context, outlets, duty, 0, new() { ["vaporFraction"] = mixed.VaporFraction, ["temperatureK"] = mixed.TemperatureK });
    }
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
