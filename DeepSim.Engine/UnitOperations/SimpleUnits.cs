using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.UnitOperations;

/// <summary>A source: T and P (or P and vapour fraction), a total molar or mass flow and a fixed composition.</summary>
public sealed class Feed(string id, IReadOnlyDictionary<string, double> parameters, double[] moleFractions) : UnitOperation(id, parameters)
{
    public const string OutletPort = "out";

    public override string Type => "feed";

    /// <summary>Mole fractions, normalised.</summary>
    public IReadOnlyList<double> MoleFractions => moleFractions;

    public override UnitResult Calculate(UnitContext context)
    {
        var p = context.Parameter("pressure");
        double total;
        if (context.Has("molarFlow"))
        {
            total = context.Parameter("molarFlow");
        }
        else
        {
            var m = context.Package.MolarMass(moleFractions);
            total = context.Parameter("massFlow") / m;
        }
        if (!(total >= 0) || !double.IsFinite(total))
        {
            return UnitResult.Fail($"feed flow {Num(total)} mol/s is not a non-negative number");
        }
        var flows = new double[moleFractions.Length];
        for (var i = 0; i < flows.Length; i++)
        {
            flows[i] = total * moleFractions[i];
        }
        var outcome = context.Has("temperature")
            ? StreamFactory.AtTemperaturePressure(context.Package, context.Parameter("temperature"), p, flows)
            : StreamFactory.AtPressureVaporFraction(context.Package, p, context.Parameter("vaporFraction"), flows);
        if (!outcome.Succeeded)
        {
            return UnitResult.Fail(outcome.Failure!);
        }
        // A source has no inlet: its balance is trivially closed.
        return new UnitResult { Succeeded = true, Outlets = new Dictionary<string, MaterialStream> { [OutletPort] = outcome.Stream! } };
    }
}

/// <summary>A sink: reports its inlet.</summary>
public sealed class Product(string id) : UnitOperation(id, new Dictionary<string, double>())
{
    public const string InletPort = "in";

    public override string Type => "product";

    // A sink: material leaves the flowsheet here, so its own balance is closed by definition.
    public override UnitResult Calculate(UnitContext context) => new() { Succeeded = true };
}

/// <summary>Adiabatic mixing of any number of inlets; outlet at the lowest inlet pressure unless given.</summary>
public sealed class Mixer(string id, IReadOnlyDictionary<string, double> parameters) : UnitOperation(id, parameters)
{
    public const string OutletPort = "out";

    public override string Type => "mixer";

    public override UnitResult Calculate(UnitContext context)
    {
        var n = context.Package.Components.Count;
        var flows = new double[n];
        double hFlow = 0, total = 0, tWeighted = 0, pMin = double.PositiveInfinity, pMinAll = double.PositiveInfinity;
        foreach (var s in context.Inlets.Values)
        {
            for (var i = 0; i < n; i++)
            {
                flows[i] += s.ComponentMolarFlows[i];
            }
            hFlow += s.EnthalpyFlow;
            total += s.TotalMolarFlow;
            tWeighted += s.TotalMolarFlow * s.TemperatureK;
            pMinAll = Math.Min(pMinAll, s.PressurePa);
            if (!s.IsEmpty)
            {
                pMin = Math.Min(pMin, s.PressurePa);
            }
        }
        var pOut = context.ParameterOr("outletPressure", double.IsFinite(pMin) ? pMin : pMinAll);
        var tGuess = total > 0 ? tWeighted / total : double.NaN;
        var outcome = StreamFactory.AtPressureEnthalpy(context.Package, pOut, total > 0 ? hFlow / total : 0, flows, tGuess);
        return outcome.Succeeded
            ? Balanced(context, new() { [OutletPort] = outcome.Stream! }, 0, 0)
            : UnitResult.Fail(outcome.Failure!);
    }
}

/// <summary>Splits one inlet into outlets of identical state by given fractions; one outlet may take the remainder.</summary>
public sealed class Splitter(string id, IReadOnlyDictionary<string, double> parameters, string? remainderPort) : UnitOperation(id, parameters)
{
    public const string InletPort = "in";

    /// <summary>Parameter name of the fraction sent to an outlet port.</summary>
    public static string FractionParameter(string port) => "fractions." + port;

    /// <summary>Fractions may sum to one within this (round-off in the file's decimals).</summary>
    public const double FractionSumTolerance = 1e-9;

    public override string Type => "splitter";

    public override UnitResult Calculate(UnitContext context)
    {
        var inlet = context.Inlets[InletPort];
        var outlets = new Dictionary<string, MaterialStream>();
        double sum = 0;
        foreach (var port in OutletPorts)
        {
            if (port == remainderPort)
            {
                continue;
            }
            var f = context.Parameter(FractionParameter(port));
            if (!(f >= 0 && f <= 1))
            {
                return UnitResult.Fail($"split fraction to '{port}' is {Num(f)}, outside [0, 1]");
            }
            sum += f;
            outlets[port] = StreamFactory.Scaled(inlet, f);
        }
        if (remainderPort is not null)
        {
            var rest = 1 - sum;
            if (rest < -FractionSumTolerance)
            {
                return UnitResult.Fail($"split fractions sum to {Num(sum)}, leaving nothing for '{remainderPort}'");
            }
            outlets[remainderPort] = StreamFactory.Scaled(inlet, Math.Max(0, rest));
        }
        else if (Math.Abs(sum - 1) > FractionSumTolerance)
        {
            return UnitResult.Fail($"split fractions sum to {Num(sum)}, not 1");
        }
        return Balanced(context, outlets, 0, 0);
    }
}

/// <summary>Heater or cooler: outlet temperature, duty or outlet vapour fraction, with a pressure drop.</summary>
public sealed class Heater(string id, string type, IReadOnlyDictionary<string, double> parameters) : UnitOperation(id, parameters)
{
    public const string InletPort = "in";
    public const string OutletPort = "out";

    public override string Type => type;

    public override UnitResult Calculate(UnitContext context)
    {
        var inlet = context.Inlets[InletPort];
        var pOut = inlet.PressurePa - context.ParameterOr("pressureDrop", 0);
        if (!(pOut > 0))
        {
            return UnitResult.Fail($"pressure drop {Num(context.ParameterOr("pressureDrop", 0))} Pa exceeds the inlet pressure {Num(inlet.PressurePa)} Pa");
        }
        StreamOutcome outcome;
        if (context.Has("outletTemperature"))
        {
            outcome = StreamFactory.AtTemperaturePressure(context.Package, context.Parameter("outletTemperature"), pOut, CopyFlows(inlet));
        }
        else if (context.Has("outletVaporFraction"))
        {
            outcome = StreamFactory.AtPressureVaporFraction(context.Package, pOut, context.Parameter("outletVaporFraction"), CopyFlows(inlet));
        }
        else
        {
            var q = context.Parameter("duty");
            if (inlet.IsEmpty)
            {
                if (q != 0)
                {
                    return UnitResult.Fail($"a duty of {Num(q)} W cannot be added to an empty stream");
                }
                outcome = StreamFactory.AtPressureEnthalpy(context.Package, pOut, 0, CopyFlows(inlet), inlet.TemperatureK);
            }
            else
            {
                outcome = StreamFactory.AtPressureEnthalpy(context.Package, pOut, inlet.MolarEnthalpy + q / inlet.TotalMolarFlow, CopyFlows(inlet), inlet.TemperatureK);
            }
        }
        if (!outcome.Succeeded)
        {
            return UnitResult.Fail(outcome.Failure!);
        }
        var outlet = outcome.Stream!;
        return Balanced(context, new() { [OutletPort] = outlet }, outlet.EnthalpyFlow - inlet.EnthalpyFlow, 0);
    }
}

/// <summary>Isenthalpic valve: outlet pressure or pressure drop.</summary>
public sealed class Valve(string id, IReadOnlyDictionary<string, double> parameters) : UnitOperation(id, parameters)
{
    public const string InletPort = "in";
    public const string OutletPort = "out";

    public override string Type => "valve";

    public override UnitResult Calculate(UnitContext context)
    {
        var inlet = context.Inlets[InletPort];
        var pOut = context.Has("outletPressure") ? context.Parameter("outletPressure") : inlet.PressurePa - context.Parameter("pressureDrop");
        if (!(pOut > 0))
        {
            return UnitResult.Fail($"valve outlet pressure {Num(pOut)} Pa is not positive");
        }
        if (pOut > inlet.PressurePa)
        {
            return UnitResult.Fail($"valve outlet pressure {Num(pOut)} Pa is above its inlet pressure {Num(inlet.PressurePa)} Pa; a valve only lowers pressure");
        }
        var outcome = StreamFactory.AtPressureEnthalpy(context.Package, pOut, inlet.MolarEnthalpy, CopyFlows(inlet), inlet.TemperatureK);
        return outcome.Succeeded ? Balanced(context, new() { [OutletPort] = outcome.Stream! }, 0, 0) : UnitResult.Fail(outcome.Failure!);
    }
}
