using DeepSim.Engine.Solver;
using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.UnitOperations;

/// <summary>
/// Two-stream countercurrent heat exchanger specified by one outlet temperature, the duty, or UA (with the
/// terminal LMTD). Refuses any temperature cross: a terminal or interior approach at or below zero.
/// </summary>
public sealed class HeatExchanger(string id, IReadOnlyDictionary<string, double> parameters) : UnitOperation(id, parameters)
{
    public const string HotInlet = "hotIn";
    public const string HotOutlet = "hotOut";
    public const string ColdInlet = "coldIn";
    public const string ColdOutlet = "coldOut";

    /// <summary>Interior points checked for a pinch when a side changes phase (its T–Q curve bends).</summary>
    private const int ProfileSegments = 10;

    /// <summary>UA solve: relative duty tolerance, far below anything a UA figure can claim.</summary>
    private const double DutyRelativeTolerance = 1e-10;

    private const int MaxDutyIterations = 100;

    public override string Type => "heatExchanger";

    public override UnitResult Calculate(UnitContext context)
    {
        var package = context.Package;
        var hot = context.Inlets[HotInlet];
        var cold = context.Inlets[ColdInlet];
        var pHot = hot.PressurePa - context.ParameterOr("hotPressureDrop", 0);
        var pCold = cold.PressurePa - context.ParameterOr("coldPressureDrop", 0);
        if (!(pHot > 0) || !(pCold > 0))
        {
            return UnitResult.Fail("a pressure drop exceeds its side's inlet pressure");
        }
        if (!hot.IsEmpty && !cold.IsEmpty && !(hot.TemperatureK > cold.TemperatureK))
        {
            return UnitResult.Fail($"temperature cross: the hot inlet ({Num(hot.TemperatureK)} K) is not hotter than the cold inlet ({Num(cold.TemperatureK)} K)");
        }

        StreamOutcome HotAt(double q) => StreamFactory.AtPressureEnthalpy(package, pHot, hot.IsEmpty ? 0 : hot.MolarEnthalpy - q / hot.TotalMolarFlow, CopyFlows(hot), hot.TemperatureK);
        StreamOutcome ColdAt(double q) => StreamFactory.AtPressureEnthalpy(package, pCold, cold.IsEmpty ? 0 : cold.MolarEnthalpy + q / cold.TotalMolarFlow, CopyFlows(cold), cold.TemperatureK);

        double duty;
        MaterialStream? hotOut = null, coldOut = null;
        if (hot.IsEmpty || cold.IsEmpty)
        {
            if (context.ParameterOr("duty", 0) != 0)
            {
                return UnitResult.Fail("one side has no flow, so no duty can be exchanged");
            }
            duty = 0;
        }
        else if (context.Has("hotOutletTemperature"))
        {
            var t = StreamFactory.AtTemperaturePressure(package, context.Parameter("hotOutletTemperature"), pHot, CopyFlows(hot));
            if (!t.Succeeded)
            {
                return UnitResult.Fail(t.Failure!);
            }
            hotOut = t.Stream!;
            duty = hot.EnthalpyFlow - hotOut.EnthalpyFlow;
            if (duty < 0)
            {
                return UnitResult.Fail($"the hot outlet temperature {Num(hotOut.TemperatureK)} K would heat the hot side; it must be below the hot inlet");
            }
        }
        else if (context.Has("coldOutletTemperature"))
        {
            var t = StreamFactory.AtTemperaturePressure(package, context.Parameter("coldOutletTemperature"), pCold, CopyFlows(cold));
            if (!t.Succeeded)
            {
                return UnitResult.Fail(t.Failure!);
            }
            coldOut = t.Stream!;
            duty = coldOut.EnthalpyFlow - cold.EnthalpyFlow;
            if (duty < 0)
            {
                return UnitResult.Fail($"the cold outlet temperature {Num(coldOut.TemperatureK)} K would cool the cold side; it must be above the cold inlet");
            }
        }
        else if (context.Has("duty"))
        {
            duty = context.Parameter("duty");
        }
        else
        {
            var ua = context.Parameter("ua");
            var solved = SolveUa(package, hot, cold, pHot, pCold, ua, HotAt, ColdAt);
            if (solved.Failure is not null)
            {
                return UnitResult.Fail(solved.Failure);
            }
            duty = solved.Duty;
        }

        if (hotOut is null)
        {
            var h = HotAt(duty);
            if (!h.Succeeded)
            {
                return UnitResult.Fail(h.Failure!);
            }
            hotOut = h.Stream!;
        }
        if (coldOut is null)
        {
            var c = ColdAt(duty);
            if (!c.Succeeded)
            {
                return UnitResult.Fail(c.Failure!);
            }
            coldOut = c.Stream!;
        }
        var outlets = new Dictionary<string, MaterialStream> { [HotOutlet] = hotOut, [ColdOutlet] = coldOut };
        if (duty == 0)
        {
            return Balanced(context, outlets, 0, 0, new() { ["exchangedDutyW"] = 0 });
        }

        var hotEnd = hot.TemperatureK - coldOut.TemperatureK;
        var coldEnd = hotOut.TemperatureK - cold.TemperatureK;
        var minApproach = Math.Min(hotEnd, coldEnd);
        if (minApproach > 0 && (hot.State == PhaseState.TwoPhase || hotOut.State == PhaseState.TwoPhase || hot.State != hotOut.State
            || cold.State == PhaseState.TwoPhase || coldOut.State == PhaseState.TwoPhase || cold.State != coldOut.State))
        {
            for (var k = 1; k < ProfileSegments; k++)
            {
                var q = duty * k / ProfileSegments;
                var h = HotAt(q);
                var c = ColdAt(duty - q);
                if (!h.Succeeded || !c.Succeeded)
                {
                    return UnitResult.Fail(h.Failure ?? c.Failure!);
                }
                minApproach = Math.Min(minApproach, h.Stream!.TemperatureK - c.Stream!.TemperatureK);
            }
        }
        if (!(minApproach > 0))
        {
            return UnitResult.Fail($"temperature cross: the minimum approach would be {Num(minApproach)} K (hot end {Num(hotEnd)} K, cold end {Num(coldEnd)} K)");
        }
        var lmtd = Lmtd(hotEnd, coldEnd);
        // The exchanger moves heat between its sides: as a unit it neither gains nor loses any (duty 0 in the balance).
        return Balanced(context, outlets, 0, 0, new()
        {
            ["exchangedDutyW"] = duty,
            ["lmtdK"] = lmtd,
            ["minimumApproachK"] = minApproach,
            ["uaWPerK"] = duty / lmtd,
        });
    }

    /// <summary>Log-mean temperature difference; NaN when either end is not positive.</summary>
    public static double Lmtd(double hotEndK, double coldEndK)
    {
        if (!(hotEndK > 0) || !(coldEndK > 0))
        {
            return double.NaN;
        }
        var ratio = hotEndK / coldEndK;
        // Near-equal ends: the limit of the formula (avoids 0/0).
        return Math.Abs(ratio - 1) < 1e-9 ? 0.5 * (hotEndK + coldEndK) : (hotEndK - coldEndK) / Math.Log(ratio);
    }

    private static (double Duty, string? Failure) SolveUa(IPropertyPackage package, MaterialStream hot, MaterialStream cold, double pHot, double pCold, double ua,
        Func<double, StreamOutcome> hotAt, Func<double, StreamOutcome> coldAt)
    {
        // The largest duty either side allows: hot cooled to the cold inlet, or cold heated to the hot inlet.
        var hotLimit = StreamFactory.AtTemperaturePressure(package, cold.TemperatureK, pHot, CopyFlows(hot));
        var coldLimit = StreamFactory.AtTemperaturePressure(package, hot.TemperatureK, pCold, CopyFlows(cold));
        if (!hotLimit.Succeeded || !coldLimit.Succeeded)
        {
            return (0, hotLimit.Failure ?? coldLimit.Failure);
        }
        var qMax = Math.Min(hot.EnthalpyFlow - hotLimit.Stream!.EnthalpyFlow, coldLimit.Stream!.EnthalpyFlow - cold.EnthalpyFlow);
        if (!(qMax > 0))
        {
            return (0, "no heat can be exchanged between these inlets");
        }
        string? failure = null;
        double Residual(double q)
        {
            var h = hotAt(q);
            var c = coldAt(q);
            if (!h.Succeeded || !c.Succeeded)
            {
                failure = h.Failure ?? c.Failure;
                return double.NaN;
            }
            var lmtd = Lmtd(hot.TemperatureK - c.Stream!.TemperatureK, h.Stream!.TemperatureK - cold.TemperatureK);
            // Past a terminal pinch the duty is too large: report a negative residual.
            return double.IsNaN(lmtd) ? -q / qMax : (ua * lmtd - q) / qMax;
        }
        var root = BracketedRoot.Brent(Residual, 0, qMax, ua * (hot.TemperatureK - cold.TemperatureK) / qMax, Residual(qMax), DutyRelativeTolerance * qMax, DutyRelativeTolerance, MaxDutyIterations);
        return root.Converged ? (root.X, null) : (0, failure ?? $"UA duty solve failed: {root.FailureReason}");
    }
}
