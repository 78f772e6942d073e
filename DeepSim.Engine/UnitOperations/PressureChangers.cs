using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.UnitOperations;

/// <summary>
/// Pump. Method "incompressible" (default): work = v·ΔP/η with v the ideal-mixing liquid molar volume from
/// each component's liquid density correlation at the inlet temperature; the inlet must be all liquid.
/// Method "isentropic": work = (H(P_out, S_in) − H_in)/η through a PS flash, for any liquid model.
/// </summary>
public sealed class Pump(string id, IReadOnlyDictionary<string, double> parameters, bool isentropic) : UnitOperation(id, parameters)
{
    public const string InletPort = "in";
    public const string OutletPort = "out";

    /// <summary>Default pump efficiency when the file gives none (a typical centrifugal pump).</summary>
    public const double DefaultEfficiency = 0.75;

    /// <summary>A pump inlet with more vapour than this (mole fraction) is refused: the liquid work formula does not hold.</summary>
    public const double MaximumInletVaporFraction = 1e-6;

    public override string Type => "pump";

    public bool Isentropic => isentropic;

    public override UnitResult Calculate(UnitContext context)
    {
        var inlet = context.Inlets[InletPort];
        var pOut = context.Has("outletPressure") ? context.Parameter("outletPressure") : inlet.PressurePa + context.Parameter("pressureIncrease");
        var eta = context.ParameterOr("efficiency", DefaultEfficiency);
        if (pOut < inlet.PressurePa)
        {
            return UnitResult.Fail($"pump outlet pressure {Num(pOut)} Pa is below its inlet pressure {Num(inlet.PressurePa)} Pa");
        }
        if (!(eta > 0 && eta <= 1))
        {
            return UnitResult.Fail($"pump efficiency {Num(eta)} is outside (0, 1]");
        }
        if (inlet.IsEmpty)
        {
            var empty = StreamFactory.AtPressureEnthalpy(context.Package, pOut, 0, CopyFlows(inlet), inlet.TemperatureK);
            return Balanced(context, new() { [OutletPort] = empty.Stream! }, 0, 0);
        }
        double idealWorkPerMol;
        if (isentropic)
        {
            var s = StreamFactory.AtPressureEntropy(context.Package, pOut, inlet.MolarEntropy, CopyFlows(inlet), inlet.TemperatureK);
            if (!s.Succeeded)
            {
                return UnitResult.Fail(s.Failure!);
            }
            idealWorkPerMol = s.Stream!.MolarEnthalpy - inlet.MolarEnthalpy;
            if (pOut > inlet.PressurePa && !(idealWorkPerMol > 0))
            {
                // Ideal liquids have no pressure dependence, so an isentropic path would report free pumping.
                return UnitResult.Fail($"the {context.Package.Name} package gives no isentropic work for this pressure rise (its liquid is pressure-independent); use method incompressible");
            }
        }
        else
        {
            if (inlet.VaporFraction > MaximumInletVaporFraction)
            {
                return UnitResult.Fail($"pump inlet has vapour fraction {Num(inlet.VaporFraction)}; a pump needs an all-liquid feed (use a compressor, or method isentropic)");
            }
            double volume = 0;
            var components = context.Package.Components;
            for (var i = 0; i < components.Count; i++)
            {
                if (inlet.MoleFractions[i] <= 0)
                {
                    continue;
                }
                var density = components[i].LiquidDensity?.Evaluate(inlet.TemperatureK) ?? double.NaN;
                if (!(density > 0))
                {
                    return UnitResult.Fail($"no usable liquid density for {components[i].Name} at {Num(inlet.TemperatureK)} K; use method isentropic");
                }
                volume += inlet.MoleFractions[i] / density;
            }
            idealWorkPerMol = volume * (pOut - inlet.PressurePa);
        }
        var workPerMol = idealWorkPerMol / eta;
        var outcome = StreamFactory.AtPressureEnthalpy(context.Package, pOut, inlet.MolarEnthalpy + workPerMol, CopyFlows(inlet), inlet.TemperatureK);
        if (!outcome.Succeeded)
        {
            return UnitResult.Fail(outcome.Failure!);
        }
        var power = outcome.Stream!.EnthalpyFlow - inlet.EnthalpyFlow;
        return Balanced(context, new() { [OutletPort] = outcome.Stream! }, 0, power, new()
        {
            ["idealPowerW"] = idealWorkPerMol * inlet.TotalMolarFlow,
            ["efficiency"] = eta,
            ["pressureIncreasePa"] = pOut - inlet.PressurePa,
        });
    }
}

/// <summary>Adiabatic compressor or expander with an isentropic efficiency, through a PS flash.</summary>
public sealed class Turbomachine(string id, IReadOnlyDictionary<string, double> parameters, bool isCompressor) : UnitOperation(id, parameters)
{
    public const string InletPort = "in";
    public const string OutletPort = "out";

    /// <summary>Default isentropic efficiency when the file gives none.</summary>
    public const double DefaultEfficiency = 0.75;

    /// <summary>A compressor inlet with less vapour than this is refused: liquid would damage it and the model does not hold.</summary>
    public const double MinimumCompressorInletVaporFraction = 1 - 1e-6;

    public override string Type => isCompressor ? "compressor" : "expander";

    public override UnitResult Calculate(UnitContext context)
    {
        var inlet = context.Inlets[InletPort];
        double pOut;
        if (context.Has("outletPressure"))
        {
            pOut = context.Parameter("outletPressure");
        }
        else if (context.Has("pressureRatio"))
        {
            pOut = inlet.PressurePa * context.Parameter("pressureRatio");
        }
        else
        {
            pOut = isCompressor ? inlet.PressurePa + context.Parameter("pressureIncrease") : inlet.PressurePa - context.Parameter("pressureDrop");
        }
        var eta = context.ParameterOr("isentropicEfficiency", DefaultEfficiency);
        if (!(eta > 0 && eta <= 1))
        {
            return UnitResult.Fail($"isentropic efficiency {Num(eta)} is outside (0, 1]");
        }
        if (isCompressor && !(pOut > inlet.PressurePa))
        {
            return UnitResult.Fail($"compressor outlet pressure {Num(pOut)} Pa does not exceed its inlet pressure {Num(inlet.PressurePa)} Pa");
        }
        if (!isCompressor && !(pOut < inlet.PressurePa && pOut > 0))
        {
            return UnitResult.Fail($"expander outlet pressure {Num(pOut)} Pa must be positive and below its inlet pressure {Num(inlet.PressurePa)} Pa");
        }
        if (inlet.IsEmpty)
        {
            var empty = StreamFactory.AtPressureEnthalpy(context.Package, pOut, 0, CopyFlows(inlet), inlet.TemperatureK);
            return Balanced(context, new() { [OutletPort] = empty.Stream! }, 0, 0);
        }
        if (isCompressor && (inlet.State == PhaseState.Liquid || inlet.VaporFraction < MinimumCompressorInletVaporFraction) && inlet.State != PhaseState.Supercritical && inlet.State != PhaseState.Vapor)
        {
            return UnitResult.Fail($"compressor inlet contains liquid (vapour fraction {Num(inlet.VaporFraction)}); put a knock-out drum upstream");
        }
        var s = StreamFactory.AtPressureEntropy(context.Package, pOut, inlet.MolarEntropy, CopyFlows(inlet), inlet.TemperatureK);
        if (!s.Succeeded)
        {
            return UnitResult.Fail(s.Failure!);
        }
        var isentropicDelta = s.Stream!.MolarEnthalpy - inlet.MolarEnthalpy;
        var actualDelta = isCompressor ? isentropicDelta / eta : isentropicDelta * eta;
        var outcome = StreamFactory.AtPressureEnthalpy(context.Package, pOut, inlet.MolarEnthalpy + actualDelta, CopyFlows(inlet), s.Stream.TemperatureK);
        if (!outcome.Succeeded)
        {
            return UnitResult.Fail(outcome.Failure!);
        }
        var power = outcome.Stream!.EnthalpyFlow - inlet.EnthalpyFlow;
        return Balanced(context, new() { [OutletPort] = outcome.Stream! }, 0, power, new()
        {
            ["isentropicPowerW"] = isentropicDelta * inlet.TotalMolarFlow,
            ["isentropicOutletTemperatureK"] = s.Stream.TemperatureK,
            ["isentropicEfficiency"] = eta,
            ["pressureRatio"] = pOut / inlet.PressurePa,
        });
    }
}
