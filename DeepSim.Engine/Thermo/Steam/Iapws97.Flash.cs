// (p,h) and (p,s) inversion of IAPWS-IF97 (R7-97(2012), SR3-03(2014)): region selection, two-phase states in region 4,
// backward equations as starting values and a Newton polish on the forward equations.
namespace DeepSim.Engine.Thermo.Steam;

public static partial class Iapws97
{
    // Region-3 (ρ,T) Newton on p and h (or s): converged when both steps are below this, relative.
    private const double Region3NewtonTolerance = 1e-12;
    private const int MaxRegion3NewtonIterations = 50;

    // p_s(623.15 K) ≈ 16.53 MPa: below it the dome lies between regions 1 and 2, above it inside region 3.
    private static readonly double Region13SaturationPressurePa = SaturationPressurePa(Region13TemperatureK);

    /// <summary>Saturated liquid at T (p = p_s(T)), 273.15 K ≤ T ≤ 647.096 K; NaN properties if the region-3 density solve fails.</summary>
    public static SteamState SaturatedLiquid(double temperatureK) => Saturated(temperatureK, liquid: true);

    /// <summary>Saturated vapour at T (p = p_s(T)), 273.15 K ≤ T ≤ 647.096 K.</summary>
    public static SteamState SaturatedVapor(double temperatureK) => Saturated(temperatureK, liquid: false);

    private static SteamState Saturated(double temperatureK, bool liquid)
    {
        var p = SaturationPressurePa(temperatureK);
        if (temperatureK <= Region13TemperatureK)
        {
            return liquid ? Region1(p, temperatureK) : Region2(p, temperatureK);
        }

        var state = Region3(Region3DensityOnBranch(p, temperatureK, liquid), temperatureK);
        return state with { PressurePa = p, Quality = liquid ? 0 : 1 };
    }

    /// <summary>A two-phase state at T_s with vapour mass fraction x (0 ≤ x ≤ 1): mixture v, h, u, s; cp, cv, w NaN.</summary>
    public static SteamState TwoPhase(double temperatureK, double quality)
    {
        var l = SaturatedLiquid(temperatureK);
        var v = SaturatedVapor(temperatureK);
        return Mix(l, v, quality);
    }

    private static SteamState Mix(in SteamState l, in SteamState v, double x) => new(
        Iapws97Region.Region4,
        l.TemperatureK,
        l.PressurePa,
        l.SpecificVolumeM3PerKg + (x * (v.SpecificVolumeM3PerKg - l.SpecificVolumeM3PerKg)),
        l.SpecificEnthalpyJPerKg + (x * (v.SpecificEnthalpyJPerKg - l.SpecificEnthalpyJPerKg)),
        l.SpecificInternalEnergyJPerKg + (x * (v.SpecificInternalEnergyJPerKg - l.SpecificInternalEnergyJPerKg)),
        l.SpecificEntropyJPerKgK + (x * (v.SpecificEntropyJPerKgK - l.SpecificEntropyJPerKgK)),
        double.NaN,
        double.NaN,
        double.NaN,
        x);

    /// <summary>The state at (p,h). Throws ArgumentOutOfRangeException outside IF97's range, InvalidOperationException if a solve fails.</summary>
    public static SteamState PH(double pressurePa, double enthalpyJPerKg) => Unwrap(Solve(pressurePa, enthalpyJPerKg, entropy: false, out var state), state);

    /// <summary>The state at (p,s). Throws ArgumentOutOfRangeException outside IF97's range, InvalidOperationException if a solve fails.</summary>
    public static SteamState PS(double pressurePa, double entropyJPerKgK) => Unwrap(Solve(pressurePa, entropyJPerKgK, entropy: true, out var state), state);

    /// <summary>The state at (p,h); false with a reason when outside the range or not converged (no exception).</summary>
    public static bool TryPH(double pressurePa, double enthalpyJPerKg, out SteamState state, out string? failureReason)
    {
        var failure = Solve(pressurePa, enthalpyJPerKg, entropy: false, out state);
        failureReason = failure.Reason;
        return failure.Reason is null;
    }

    /// <summary>The state at (p,s); false with a reason when outside the range or not converged (no exception).</summary>
    public static bool TryPS(double pressurePa, double entropyJPerKgK, out SteamState state, out string? failureReason)
    {
        var failure = Solve(pressurePa, entropyJPerKgK, entropy: true, out state);
        failureReason = failure.Reason;
        return failure.Reason is null;
    }

    /// <summary>The region of a (p,h) state; throws ArgumentOutOfRangeException outside IF97's range.</summary>
    public static Iapws97Region RegionPH(double pressurePa, double enthalpyJPerKg) => PH(pressurePa, enthalpyJPerKg).Region;

    /// <summary>The region of a (p,s) state; throws ArgumentOutOfRangeException outside IF97's range.</summary>
    public static Iapws97Region RegionPS(double pressurePa, double entropyJPerKgK) => PS(pressurePa, entropyJPerKgK).Region;

    private readonly record struct Failure(string? Reason, bool OutOfRange);

    private static SteamState Unwrap(Failure failure, SteamState state) => failure.Reason is null
        ? state
        : failure.OutOfRange ? throw new ArgumentOutOfRangeException(null, failure.Reason) : throw new InvalidOperationException(failure.Reason);

    private static double Value(in SteamState s, bool entropy) => entropy ? s.SpecificEntropyJPerKgK : s.SpecificEnthalpyJPerKg;

    private static Failure Solve(double pressurePa, double target, bool entropy, out SteamState state)
    {
        state = default;
        var what = entropy ? "s" : "h";
        if (!(pressurePa > 0 && pressurePa <= MaxPressurePa) || !double.IsFinite(target))
        {
            return new Failure($"IF97 needs 0 < p ≤ {MaxPressurePa} Pa and a finite {what} (p = {pressurePa} Pa, {what} = {target}).", true);
        }

        var lowRegion = pressurePa >= MinSaturationPressurePa ? Iapws97Region.Region1 : Iapws97Region.Region2;
        if (target < Property(lowRegion, pressurePa, MinTemperatureK, entropy))
        {
            return new Failure($"{what} = {target} at p = {pressurePa} Pa is below IF97's range (T < {MinTemperatureK} K).", true);
        }

        if (pressurePa >= MinSaturationPressurePa && pressurePa <= Region13SaturationPressurePa)
        {
            var ts = SaturationTemperatureK(pressurePa);
            var yl = Property(Iapws97Region.Region1, pressurePa, ts, entropy);
            if (target <= yl)
            {
                return Polish(Iapws97Region.Region1, pressurePa, target, entropy, entropy ? Region1TemperaturePS(pressurePa, target) : Region1TemperaturePH(pressurePa, target), MinTemperatureK, ts, out state);
            }

            var yv = Property(Iapws97Region.Region2, pressurePa, ts, entropy);
            if (target < yv)
            {
                state = Mix(Region1(pressurePa, ts), Region2(pressurePa, ts), (target - yl) / (yv - yl));
                return default;
            }
        }
        else if (pressurePa > Region13SaturationPressurePa)
        {
            if (target <= Property(Iapws97Region.Region1, pressurePa, Region13TemperatureK, entropy))
            {
                return Polish(Iapws97Region.Region1, pressurePa, target, entropy, entropy ? Region1TemperaturePS(pressurePa, target) : Region1TemperaturePH(pressurePa, target), MinTemperatureK, Region13TemperatureK, out state);
            }

            var t23 = B23TemperatureK(pressurePa);
            if (target < Property(Iapws97Region.Region2, pressurePa, t23, entropy))
            {
                return SolveRegion3(pressurePa, target, entropy, t23, out state);
            }
        }

        var r2Max = Property(Iapws97Region.Region2, pressurePa, Region2MaxTemperatureK, entropy);
        if (target <= r2Max)
        {
            var guess = entropy ? Region2TemperaturePS(pressurePa, target) : Region2TemperaturePH(pressurePa, target);
            return Polish(Iapws97Region.Region2, pressurePa, target, entropy, guess, MinTemperatureK, Region2MaxTemperatureK, out state);
        }

        if (pressurePa > Region5MaxPressurePa || target > Property(Iapws97Region.Region5, pressurePa, MaxTemperatureK, entropy))
        {
            return new Failure($"{what} = {target} at p = {pressurePa} Pa is above IF97's range (T > {(pressurePa > Region5MaxPressurePa ? Region2MaxTemperatureK : MaxTemperatureK)} K).", true);
        }

        var cp = Region5(pressurePa, Region2MaxTemperatureK).CpJPerKgK;
        var dT = entropy ? (target - r2Max) * Region2MaxTemperatureK / cp : (target - r2Max) / cp;
        return Polish(Iapws97Region.Region5, pressurePa, target, entropy, Region2MaxTemperatureK + dT, Region2MaxTemperatureK, MaxTemperatureK, out state);
    }

    // h or s of one region's equation; h from ∂γ/∂τ alone (the region tests of a PH solve need nothing else).
    private static double Property(Iapws97Region region, double pressurePa, double temperatureK, bool entropy)
    {
        if (entropy)
        {
            return Forward(region, pressurePa, temperatureK).SpecificEntropyJPerKgK;
        }

        return region switch
        {
            Iapws97Region.Region1 => Region1Enthalpy(pressurePa, temperatureK),
            Iapws97Region.Region5 => Region5Enthalpy(pressurePa, temperatureK),
            _ => Region2Enthalpy(pressurePa, temperatureK),
        };
    }

    private static SteamState Forward(Iapws97Region region, double pressurePa, double temperatureK) => region switch
    {
        Iapws97Region.Region1 => Region1(pressurePa, temperatureK),
        Iapws97Region.Region5 => Region5(pressurePa, temperatureK),
        _ => Region2(pressurePa, temperatureK),
    };

    // Newton on T of the forward equation (dh/dT = cp, ds/dT = cp/T) from the backward equation's value, kept in [tMin, tMax]
    // with a little slack for the boundaries' own inconsistency (the regions meet within the releases' tolerances, not exactly).
    private static Failure Polish(Iapws97Region region, double pressurePa, double target, bool entropy, double guessK, double tMinK, double tMaxK, out SteamState state)
    {
        var lo = tMinK - 1;
        var hi = tMaxK + 1;
        var t = Math.Clamp(double.IsFinite(guessK) ? guessK : 0.5 * (tMinK + tMaxK), lo, hi);
        for (var k = 0; k < MaxPolishIterations; k++)
        {
            state = Forward(region, pressurePa, t);
            var residual = Value(state, entropy) - target;
            var slope = entropy ? state.CpJPerKgK / t : state.CpJPerKgK;
            var next = Math.Clamp(t - (residual / slope), lo, hi);
            if (Math.Abs(next - t) <= PolishRelativeTolerance * t)
            {
                return default; // the state at t: the remaining step is below 1e-13 relative
            }

            t = next;
        }

        state = default;
        return new Failure($"IF97 region {(int)region} Newton on T did not converge in {MaxPolishIterations} steps (p = {pressurePa} Pa).", false);
    }

    private static Failure SolveRegion3(double pressurePa, double target, bool entropy, double t23K, out SteamState state)
    {
        state = default;
        if (pressurePa < CriticalPressurePa)
        {
            var ts = SaturationTemperatureK(pressurePa);
            var rhoL = Region3DensityOnBranch(pressurePa, ts, liquid: true);
            var rhoV = Region3DensityOnBranch(pressurePa, ts, liquid: false);
            if (!double.IsFinite(rhoL) || !double.IsFinite(rhoV))
            {
                return new Failure($"IF97 region 3 saturated densities at p = {pressurePa} Pa were not found.", false);
            }

            var liquid = Region3(rhoL, ts) with { PressurePa = pressurePa };
            var vapour = Region3(rhoV, ts) with { PressurePa = pressurePa };
            var yl = Value(liquid, entropy);
            var yv = Value(vapour, entropy);
            if (target > yl && target < yv)
            {
                state = Mix(liquid, vapour, (target - yl) / (yv - yl));
                return default;
            }
        }

        var t = entropy ? Region3TemperaturePS(pressurePa, target) : Region3TemperaturePH(pressurePa, target);
        var v = entropy ? Region3SpecificVolumePS(pressurePa, target) : Region3SpecificVolumePH(pressurePa, target);
        var rho = 1 / v;
        if (!double.IsFinite(rho) || rho <= 0)
        {
            rho = CriticalDensityKgPerM3;
        }

        t = Math.Clamp(double.IsFinite(t) ? t : 650, Region13TemperatureK - 1, t23K + 1);
        for (var k = 0; k < MaxRegion3NewtonIterations; k++)
        {
            var f = Region3Helmholtz(rho, t);
            var rt = R * t;
            var p = rho * rt * f.DeltaPhiD;
            var pRho = rt * ((2 * f.DeltaPhiD) + f.Delta2PhiDD);
            var pT = rho * R * (f.DeltaPhiD - f.DeltaTauPhiDT);
            double y, yRho, yT;
            if (entropy)
            {
                y = R * ((f.Tau * f.PhiT) - f.Phi);
                yRho = R * (f.DeltaTauPhiDT - f.DeltaPhiD) / rho;
                yT = -R * f.Tau * f.Tau * f.PhiTT / t;
            }
            else
            {
                y = rt * ((f.Tau * f.PhiT) + f.DeltaPhiD);
                yRho = rt * (f.DeltaTauPhiDT + f.DeltaPhiD + f.Delta2PhiDD) / rho;
                yT = R * (f.DeltaPhiD - (f.Tau * f.Tau * f.PhiTT) - f.DeltaTauPhiDT);
            }

            var r1 = p - pressurePa;
            var r2 = y - target;
            var det = (pRho * yT) - (pT * yRho);
            var dRho = ((r1 * yT) - (pT * r2)) / det;
            var dT = ((pRho * r2) - (yRho * r1)) / det;
            if (!double.IsFinite(dRho) || !double.IsFinite(dT))
            {
                break;
            }

            // Damp steps that would leave the region's plausible window (ρ > 0, T near [623.15 K, T_B23]).
            var scale = 1.0;
            if (rho - dRho <= 0.2 * rho || rho - dRho >= 5 * rho)
            {
                scale = Math.Min(scale, 0.5 * rho / Math.Abs(dRho));
            }

            if (Math.Abs(dT) > 50)
            {
                scale = Math.Min(scale, 50 / Math.Abs(dT));
            }

            rho -= scale * dRho;
            t -= scale * dT;
            if (scale == 1 && Math.Abs(dRho) <= Region3NewtonTolerance * rho && Math.Abs(dT) <= Region3NewtonTolerance * t)
            {
                state = Region3(rho, t);
                return default;
            }
        }

        return new Failure($"IF97 region 3 Newton on (ρ, T) did not converge in {MaxRegion3NewtonIterations} steps (p = {pressurePa} Pa).", false);
    }
}
