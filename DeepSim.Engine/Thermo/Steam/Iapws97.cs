// IAPWS Industrial Formulation 1997 for water and steam, after the releases
//   IAPWS R7-97(2012) "Revised Release on the IAPWS Industrial Formulation 1997 for the Thermodynamic Properties of
//   Water and Steam" (regions 1, 2, 3, 4, 5, the B23 and B2bc boundaries, the backward equations of regions 1 and 2), and
//   IAPWS SR3-03(2014) "Revised Supplementary Release on Backward Equations for the Functions T(p,h), v(p,h) and
//   T(p,s), v(p,s) for Region 3 of the IAPWS-IF97".
// Inputs and outputs are SI (Pa, K, J/kg, J/(kg K), m³/kg); the releases' MPa and kJ/kg live only inside this file.
// The metastable-vapour equation of region 2 and the 2005 backward v(p,T) of region 3 are not implemented: region 3
// from (p,T) is a bounded Newton solve of p(ρ,T) on the forward equation.
namespace DeepSim.Engine.Thermo.Steam;

/// <summary>IF97 region of a state.</summary>
public enum Iapws97Region
{
    Region1 = 1,
    Region2 = 2,
    Region3 = 3,
    Region4 = 4,
    Region5 = 5,
}

/// <summary>
/// A water or steam state from IAPWS-IF97, SI units. In region 4 (two-phase) the caloric properties are the mixture's
/// and cp, cv and the speed of sound are NaN; <see cref="Quality"/> is the vapour mass fraction (0 for a liquid-like
/// single phase, 1 for a vapour-like one, and for supercritical states of region 3 by density against ρc).
/// </summary>
public readonly record struct SteamState(
    Iapws97Region Region,
    double TemperatureK,
    double PressurePa,
    double SpecificVolumeM3PerKg,
    double SpecificEnthalpyJPerKg,
    double SpecificInternalEnergyJPerKg,
    double SpecificEntropyJPerKgK,
    double CpJPerKgK,
    double CvJPerKgK,
    double SpeedOfSoundMPerS,
    double Quality)
{
    public double DensityKgPerM3 => 1 / SpecificVolumeM3PerKg;

    /// <summary>Specific Gibbs energy h − Ts, J/kg.</summary>
    public double SpecificGibbsEnergyJPerKg => SpecificEnthalpyJPerKg - (TemperatureK * SpecificEntropyJPerKgK);
}

/// <summary>IAPWS-IF97 (R7-97(2012), SR3-03(2014)) water and steam properties. Thread-safe, allocation-free.</summary>
public static partial class Iapws97
{
    /// <summary>Specific gas constant of IF97, J/(kg K).</summary>
    public const double SpecificGasConstantJPerKgK = 461.526;

    /// <summary>Molar mass used with IF97 (IAPWS), kg/mol.</summary>
    public const double MolarMassKgPerMol = 0.018015268;

    public const double CriticalTemperatureK = 647.096;
    public const double CriticalPressurePa = 22.064e6;
    public const double CriticalDensityKgPerM3 = 322;

    /// <summary>Lower temperature limit of regions 1 and 2 (and of the saturation line), K.</summary>
    public const double MinTemperatureK = 273.15;

    /// <summary>Upper temperature limit of region 2 (start of region 5), K.</summary>
    public const double Region2MaxTemperatureK = 1073.15;

    /// <summary>Upper temperature limit of region 5, K.</summary>
    public const double MaxTemperatureK = 2273.15;

    /// <summary>Upper pressure limit of regions 1–3, Pa.</summary>
    public const double MaxPressurePa = 100e6;

    /// <summary>Upper pressure limit of region 5, Pa.</summary>
    public const double Region5MaxPressurePa = 50e6;

    /// <summary>Temperature of the region 1/3 boundary (and lower end of B23), K.</summary>
    public const double Region13TemperatureK = 623.15;

    /// <summary>Upper end of the B23 boundary, K.</summary>
    public const double B23MaxTemperatureK = 863.15;

    /// <summary>Saturation pressure at 273.15 K (R7-97 eq. 30), the lowest pressure of the saturation line, Pa.</summary>
    public const double MinSaturationPressurePa = 611.212677;

    private const double R = SpecificGasConstantJPerKgK;

    // Newton polish of the backward equations: the backward T(p,h) of regions 1/2 is consistent to ≤ 25 mK (R7-97),
    // so 1e-12 relative on h (≈ 3e-9 J/kg) is reached in two or three steps; the cap guards only pathological input.
    private const double PolishRelativeTolerance = 1e-13;
    private const int MaxPolishIterations = 20;

    // Region-3 density solve: |Δρ|/ρ below this is full double precision of the forward equation's p(ρ).
    private const double DensityRelativeTolerance = 1e-13;
    private const int MaxDensityIterations = 100;

    // Upper end of every region-3 density search. Region 3's densest state (623.15 K, 100 MPa) is ≈ 760 kg/m³; above
    // ≈ 900 kg/m³ the equation's p(ρ) turns over (p(1100 kg/m³, 657.5 K) < 0), so a search reaching there finds
    // spurious roots. At 850 kg/m³ p(ρ,T) is still increasing and above 100 MPa at every region-3 temperature.
    private const double Region3MaxSearchDensityKgPerM3 = 850;

    // Fallback scan: 1 % steps cover 850 kg/m³ down to 1e-3 kg/m³ (or the reverse) in under 1400 steps; bisection to
    // 1e-13 relative needs ~45 halvings of a 1 % bracket.
    private const int MaxScanSteps = 1400;
    private const int MaxBisectionSteps = 100;

    // ----------------------------------------------------------------------------------------------------------------
    // Forward equations.

    /// <summary>Region 1 (compressed liquid), from the Gibbs energy g(p,T). No range check.</summary>
    public static SteamState Region1(double pressurePa, double temperatureK)
    {
        var pi = pressurePa / 16.53e6;
        var tau = 1386 / temperatureK;
        var d = Series(Region1Table, 7.1 - pi, tau - 1.222);
        var gP = -d.Dx;
        var gPP = d.Dxx;
        var gT = d.Dy;
        var gTT = d.Dyy;
        var gPT = -d.Dxy;
        var rt = R * temperatureK;
        var v = rt * pi * gP / pressurePa;
        var h = rt * tau * gT;
        var u = rt * ((tau * gT) - (pi * gP));
        var s = R * ((tau * gT) - d.F);
        var cp = -R * tau * tau * gTT;
        var a = gP - (tau * gPT);
        var cv = R * ((-tau * tau * gTT) + (a * a / gPP));
        var w = Math.Sqrt(rt * gP * gP / ((a * a / (tau * tau * gTT)) - gPP));
        return new SteamState(Iapws97Region.Region1, temperatureK, pressurePa, v, h, u, s, cp, cv, w, 0);
    }

    /// <summary>Region 2 (vapour, superheated and supercritical), from g(p,T) = ideal-gas part + residual. No range check.</summary>
    public static SteamState Region2(double pressurePa, double temperatureK)
    {
        var pi = pressurePa / 1e6;
        var tau = 540 / temperatureK;
        var r = Series(Region2Table, pi, tau - 0.5);
        IdealGasPart(R2N0, R2J0, tau, out var g0, out var g0T, out var g0TT);
        return GasState(Iapws97Region.Region2, pressurePa, temperatureK, pi, tau, g0 + Math.Log(pi), g0T, g0TT, r);
    }

    /// <summary>Region 5 (high-temperature steam, 1073.15–2273.15 K, p ≤ 50 MPa). No range check.</summary>
    public static SteamState Region5(double pressurePa, double temperatureK)
    {
        var pi = pressurePa / 1e6;
        var tau = 1000 / temperatureK;
        var r = Series(Region5Table, pi, tau);
        IdealGasPart(R5N0, R5J0, tau, out var g0, out var g0T, out var g0TT);
        return GasState(Iapws97Region.Region5, pressurePa, temperatureK, pi, tau, g0 + Math.Log(pi), g0T, g0TT, r);
    }

    private static SteamState GasState(Iapws97Region region, double pressurePa, double temperatureK, double pi, double tau, double g0, double g0T, double g0TT, SeriesValue r)
    {
        var rt = R * temperatureK;
        var gP = (1 / pi) + r.Dx;
        var gT = g0T + r.Dy;
        var gTT = g0TT + r.Dyy;
        var v = rt * pi * gP / pressurePa;
        var h = rt * tau * gT;
        var u = rt * ((tau * gT) - (pi * gP));
        var s = R * ((tau * gT) - (g0 + r.F));
        var cp = -R * tau * tau * gTT;
        var a = 1 + (pi * r.Dx) - (tau * pi * r.Dxy);
        var b = 1 - (pi * pi * r.Dxx);
        var cv = R * ((-tau * tau * gTT) - (a * a / b));
        var w = Math.Sqrt(rt * (1 + (2 * pi * r.Dx) + (pi * pi * r.Dx * r.Dx)) / (b + (a * a / (tau * tau * gTT))));
        return new SteamState(region, temperatureK, pressurePa, v, h, u, s, cp, cv, w, 1);
    }

    /// <summary>Region 3 (near-critical), from the Helmholtz energy f(ρ,T). No range check.</summary>
    public static SteamState Region3(double densityKgPerM3, double temperatureK)
    {
        var f = Region3Helmholtz(densityKgPerM3, temperatureK);
        var rt = R * temperatureK;
        var p = densityKgPerM3 * rt * f.DeltaPhiD;
        var h = rt * ((f.Tau * f.PhiT) + f.DeltaPhiD);
        var u = rt * f.Tau * f.PhiT;
        var s = R * ((f.Tau * f.PhiT) - f.Phi);
        var a = f.DeltaPhiD - f.DeltaTauPhiDT;
        var b = (2 * f.DeltaPhiD) + f.Delta2PhiDD;
        var tau2PhiTT = f.Tau * f.Tau * f.PhiTT;
        var cv = -R * tau2PhiTT;
        var cp = R * ((-tau2PhiTT) + (a * a / b));
        var w = Math.Sqrt(rt * (b - (a * a / tau2PhiTT)));
        var quality = densityKgPerM3 >= CriticalDensityKgPerM3 ? 0 : 1;
        return new SteamState(Iapws97Region.Region3, temperatureK, p, 1 / densityKgPerM3, h, u, s, cp, cv, w, quality);
    }

    private readonly record struct Helmholtz(double Tau, double Phi, double DeltaPhiD, double Delta2PhiDD, double PhiT, double PhiTT, double DeltaTauPhiDT);

    // φ and its derivatives, with the δ-derivatives premultiplied by δ (δφδ, δ²φδδ, δτφδτ… as the property formulas use them).
    private static Helmholtz Region3Helmholtz(double densityKgPerM3, double temperatureK)
    {
        var delta = densityKgPerM3 / CriticalDensityKgPerM3;
        var tau = CriticalTemperatureK / temperatureK;
        var d = Series(Region3Table, delta, tau);
        var phi = (Region3N1 * Math.Log(delta)) + d.F;
        var dPhiD = Region3N1 + (delta * d.Dx);
        var d2PhiDD = -Region3N1 + (delta * delta * d.Dxx);
        return new Helmholtz(tau, phi, dPhiD, d2PhiDD, d.Dy, d.Dyy, delta * d.Dxy * tau);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Region 4 and the boundaries.

    /// <summary>Saturation pressure p_s(T), Pa, for 273.15 K ≤ T ≤ 647.096 K (R7-97 eq. 30).</summary>
    public static double SaturationPressurePa(double temperatureK)
    {
        if (!(temperatureK >= MinTemperatureK && temperatureK <= CriticalTemperatureK))
        {
            throw new ArgumentOutOfRangeException(nameof(temperatureK), temperatureK, $"IF97 saturation needs {MinTemperatureK} K ≤ T ≤ {CriticalTemperatureK} K.");
        }

        var n = R4N;
        var theta = temperatureK + (n[8] / (temperatureK - n[9]));
        var a = (theta * theta) + (n[0] * theta) + n[1];
        var b = (n[2] * theta * theta) + (n[3] * theta) + n[4];
        var c = (n[5] * theta * theta) + (n[6] * theta) + n[7];
        var x = 2 * c / (-b + Math.Sqrt((b * b) - (4 * a * c)));
        return x * x * x * x * 1e6;
    }

    /// <summary>Saturation temperature T_s(p), K, for 611.213 Pa ≤ p ≤ 22.064 MPa (R7-97 eq. 31).</summary>
    public static double SaturationTemperatureK(double pressurePa)
    {
        if (!(pressurePa >= MinSaturationPressurePa * (1 - 1e-6) && pressurePa <= CriticalPressurePa))
        {
            throw new ArgumentOutOfRangeException(nameof(pressurePa), pressurePa, $"IF97 saturation needs {MinSaturationPressurePa} Pa ≤ p ≤ {CriticalPressurePa} Pa.");
        }

        var n = R4N;
        var beta = Math.Sqrt(Math.Sqrt(pressurePa / 1e6));
        var e = (beta * beta) + (n[2] * beta) + n[5];
        var f = (n[0] * beta * beta) + (n[3] * beta) + n[6];
        var g = (n[1] * beta * beta) + (n[4] * beta) + n[7];
        var d = 2 * g / (-f - Math.Sqrt((f * f) - (4 * e * g)));
        var sum = n[9] + d;
        return (sum - Math.Sqrt((sum * sum) - (4 * (n[8] + (n[9] * d))))) / 2;
    }

    /// <summary>The B23 boundary between regions 2 and 3: p(T), Pa, for 623.15 K ≤ T ≤ 863.15 K.</summary>
    public static double B23PressurePa(double temperatureK)
        => (B23N[0] + (B23N[1] * temperatureK) + (B23N[2] * temperatureK * temperatureK)) * 1e6;

    /// <summary>The B23 boundary: T(p), K, for 16.529 MPa ≤ p ≤ 100 MPa.</summary>
    public static double B23TemperatureK(double pressurePa)
        => B23N[3] + Math.Sqrt(((pressurePa / 1e6) - B23N[4]) / B23N[2]);

    /// <summary>The B2bc boundary between subregions 2b and 2c: p(h), Pa.</summary>
    public static double B2bcPressurePa(double enthalpyJPerKg)
    {
        var eta = enthalpyJPerKg / 1e3;
        return (B2bcN[0] + (B2bcN[1] * eta) + (B2bcN[2] * eta * eta)) * 1e6;
    }

    /// <summary>The B2bc boundary: h(p), J/kg.</summary>
    public static double B2bcEnthalpyJPerKg(double pressurePa)
        => (B2bcN[3] + Math.Sqrt(((pressurePa / 1e6) - B2bcN[4]) / B2bcN[2])) * 1e3;

    /// <summary>The 3a/3b boundary enthalpy h3ab(p), J/kg (SR3-03 eq. 1; the critical isentrope's h, approximately).</summary>
    public static double H3abJPerKg(double pressurePa)
    {
        var pi = pressurePa / 1e6;
        var n = H3abN;
        return (n[0] + (pi * (n[1] + (pi * (n[2] + (pi * n[3])))))) * 1e3;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // (p,T) → state.

    /// <summary>The region of a (p,T) state (a state on the saturation line exactly is region 1). Throws for input outside IF97's range.</summary>
    public static Iapws97Region RegionPT(double pressurePa, double temperatureK)
    {
        CheckRangePT(pressurePa, temperatureK);
        if (temperatureK > Region2MaxTemperatureK)
        {
            return Iapws97Region.Region5;
        }

        if (temperatureK <= Region13TemperatureK)
        {
            return pressurePa >= SaturationPressurePa(temperatureK) ? Iapws97Region.Region1 : Iapws97Region.Region2;
        }

        if (temperatureK <= B23MaxTemperatureK && pressurePa > B23PressurePa(temperatureK))
        {
            return Iapws97Region.Region3;
        }

        return Iapws97Region.Region2;
    }

    /// <summary>
    /// The properties at (p,T) from the region's equation: 273.15 K ≤ T ≤ 1073.15 K with 0 &lt; p ≤ 100 MPa, or
    /// 1073.15 K &lt; T ≤ 2273.15 K with p ≤ 50 MPa; else ArgumentOutOfRangeException. On the saturation line
    /// (p = p_s(T)) the liquid is returned. In region 3, if the bounded density solve finds no root (not seen in the
    /// tests), the properties are NaN.
    /// </summary>
    public static SteamState PT(double pressurePa, double temperatureK) => RegionPT(pressurePa, temperatureK) switch
    {
        Iapws97Region.Region1 => Region1(pressurePa, temperatureK),
        Iapws97Region.Region3 => Region3(Region3Density(pressurePa, temperatureK, preferLiquid: true), temperatureK),
        Iapws97Region.Region5 => Region5(pressurePa, temperatureK),
        _ => Region2(pressurePa, temperatureK),
    };

    /// <summary>Specific enthalpy at (p,T), J/kg: h = RTτ ∂γ/∂τ alone in regions 1, 2 and 5 (no other derivative is evaluated).</summary>
    public static double SpecificEnthalpyJPerKg(double pressurePa, double temperatureK) => RegionPT(pressurePa, temperatureK) switch
    {
        Iapws97Region.Region1 => Region1Enthalpy(pressurePa, temperatureK),
        Iapws97Region.Region2 => Region2Enthalpy(pressurePa, temperatureK),
        Iapws97Region.Region5 => Region5Enthalpy(pressurePa, temperatureK),
        _ => PT(pressurePa, temperatureK).SpecificEnthalpyJPerKg,
    };

    private static double Region1Enthalpy(double pressurePa, double temperatureK)
    {
        var tau = 1386 / temperatureK;
        return R * temperatureK * tau * SeriesDy(Region1Table, 7.1 - (pressurePa / 16.53e6), tau - 1.222);
    }

    private static double Region2Enthalpy(double pressurePa, double temperatureK)
    {
        var tau = 540 / temperatureK;
        IdealGasPart(R2N0, R2J0, tau, out _, out var g0T, out _);
        return R * temperatureK * tau * (g0T + SeriesDy(Region2Table, pressurePa / 1e6, tau - 0.5));
    }

    private static double Region5Enthalpy(double pressurePa, double temperatureK)
    {
        var tau = 1000 / temperatureK;
        IdealGasPart(R5N0, R5J0, tau, out _, out var g0T, out _);
        return R * temperatureK * tau * (g0T + SeriesDy(Region5Table, pressurePa / 1e6, tau));
    }

    /// <summary>Specific entropy at (p,T), J/(kg K).</summary>
    public static double SpecificEntropyJPerKgK(double pressurePa, double temperatureK) => PT(pressurePa, temperatureK).SpecificEntropyJPerKgK;

    /// <summary>Specific volume at (p,T), m³/kg.</summary>
    public static double SpecificVolumeM3PerKg(double pressurePa, double temperatureK) => PT(pressurePa, temperatureK).SpecificVolumeM3PerKg;

    /// <summary>Isobaric heat capacity at (p,T), J/(kg K).</summary>
    public static double CpJPerKgK(double pressurePa, double temperatureK) => PT(pressurePa, temperatureK).CpJPerKgK;

    private static void CheckRangePT(double pressurePa, double temperatureK)
    {
        if (!(pressurePa > 0) || !double.IsFinite(pressurePa))
        {
            throw new ArgumentOutOfRangeException(nameof(pressurePa), pressurePa, "IF97 needs a positive, finite pressure.");
        }

        if (!(temperatureK >= MinTemperatureK && temperatureK <= MaxTemperatureK))
        {
            throw new ArgumentOutOfRangeException(nameof(temperatureK), temperatureK, $"IF97 covers {MinTemperatureK} K ≤ T ≤ {MaxTemperatureK} K.");
        }

        if (temperatureK <= Region2MaxTemperatureK)
        {
            if (pressurePa > MaxPressurePa)
            {
                throw new ArgumentOutOfRangeException(nameof(pressurePa), pressurePa, $"IF97 covers p ≤ {MaxPressurePa} Pa for T ≤ {Region2MaxTemperatureK} K.");
            }
        }
        else if (pressurePa > Region5MaxPressurePa)
        {
            throw new ArgumentOutOfRangeException(nameof(pressurePa), pressurePa, $"IF97 region 5 (T > {Region2MaxTemperatureK} K) covers p ≤ {Region5MaxPressurePa} Pa.");
        }
    }

    /// <summary>
    /// Density in region 3 at (p,T) by Newton on the forward p(ρ,T), bounded to 100 iterations with bisection
    /// safeguards, falling back to a scan along the branch and bisection next to the critical point. Below Tc the liquid branch is taken when p ≥ p_s(T) (or, exactly at saturation, when
    /// <paramref name="preferLiquid"/>), else the vapour branch; returns NaN if no root is found.
    /// </summary>
    public static double Region3Density(double pressurePa, double temperatureK, bool preferLiquid)
    {
        var liquid = true;
        if (temperatureK < CriticalTemperatureK)
        {
            var ps = SaturationPressurePa(temperatureK);
            liquid = pressurePa > ps || (pressurePa == ps && preferLiquid);
        }

        return Region3DensityOnBranch(pressurePa, temperatureK, liquid);
    }

    // The branch is given, not derived from p_s(T): saturated states at T_s(p) need both roots at the same p.
    internal static double Region3DensityOnBranch(double pressurePa, double temperatureK, bool liquid)
    {
        // Liquid: p(ρ) is increasing and convex above the liquid spinodal, so Newton from a dense start approaches from
        // above; vapour: increasing and concave below the vapour spinodal, so Newton from the ideal-gas density (too low)
        // approaches from below. Above Tc the bracket [lo, hi] with bisection keeps Newton inside the monotone isotherm.
        double lo = 1e-3, hi = Region3MaxSearchDensityKgPerM3;
        var rho = liquid ? (temperatureK < CriticalTemperatureK ? 800 : Math.Min(hi, Math.Max(CriticalDensityKgPerM3, pressurePa / (0.3 * R * temperatureK)))) : pressurePa / (R * temperatureK);
        if (temperatureK < CriticalTemperatureK)
        {
            if (liquid)
            {
                lo = CriticalDensityKgPerM3;
            }
            else
            {
                hi = CriticalDensityKgPerM3;
            }
        }

        for (var k = 0; k < MaxDensityIterations; k++)
        {
            var f = Region3Helmholtz(rho, temperatureK);
            var rt = R * temperatureK;
            var p = rho * rt * f.DeltaPhiD;
            var dpdrho = rt * ((2 * f.DeltaPhiD) + f.Delta2PhiDD);
            var residual = p - pressurePa;
            if (temperatureK >= CriticalTemperatureK)
            {
                if (residual > 0)
                {
                    hi = rho;
                }
                else
                {
                    lo = rho;
                }
            }

            var next = dpdrho > 0 ? rho - (residual / dpdrho) : double.NaN;
            if (!(next > lo && next < hi))
            {
                if (temperatureK < CriticalTemperatureK)
                {
                    // Left the branch: step halfway to the branch end instead (only happens far from a root).
                    next = liquid ? 0.5 * (rho + hi) : 0.5 * (rho + lo);
                    if (dpdrho > 0)
                    {
                        next = liquid ? Math.Max(0.5 * (rho + lo), Math.Min(next, rho - (residual / dpdrho))) : next;
                    }
                }
                else
                {
                    next = 0.5 * (lo + hi);
                }
            }

            if (Math.Abs(next - rho) <= DensityRelativeTolerance * rho)
            {
                return next;
            }

            rho = next;
        }

        return Region3DensityByScan(pressurePa, temperatureK, liquid);
    }

    // Fallback when Newton does not settle (next to the critical point, where the isotherm is nearly flat): walk from
    // the far end of the branch in 1 % steps to the first sign change of p(ρ) − p — from 850 kg/m³ down for the liquid
    // (the largest root), from the ideal-gas density up for the vapour (Z < 1 there, so p(ρ) starts below p; the
    // smallest root) — then bisect to full precision. 1 % steps cannot step over both roots of the loop, which stay
    // ≥ 10 % apart in density until within ~0.05 K of Tc.
    private static double Region3DensityByScan(double pressurePa, double temperatureK, bool liquid)
    {
        var step = liquid ? 0.99 : 1.01;
        var a = liquid ? Region3MaxSearchDensityKgPerM3 : pressurePa / (R * temperatureK);
        var fa = Region3Pressure(a, temperatureK) - pressurePa;
        for (var k = 0; k < MaxScanSteps; k++)
        {
            var b = a * step;
            var fb = Region3Pressure(b, temperatureK) - pressurePa;
            if (fb == 0)
            {
                return b;
            }

            if ((fa < 0) != (fb < 0))
            {
                for (var i = 0; i < MaxBisectionSteps && Math.Abs(b - a) > DensityRelativeTolerance * a; i++)
                {
                    var m = 0.5 * (a + b);
                    var fm = Region3Pressure(m, temperatureK) - pressurePa;
                    if ((fm < 0) == (fa < 0))
                    {
                        a = m;
                        fa = fm;
                    }
                    else
                    {
                        b = m;
                    }
                }

                return 0.5 * (a + b);
            }

            a = b;
            fa = fb;
        }

        return double.NaN;
    }

    private static double Region3Pressure(double densityKgPerM3, double temperatureK)
        => densityKgPerM3 * R * temperatureK * Region3Helmholtz(densityKgPerM3, temperatureK).DeltaPhiD;

    // ----------------------------------------------------------------------------------------------------------------
    // Backward equations.

    /// <summary>Region 1 backward T(p,h), K (R7-97 eq. 11).</summary>
    public static double Region1TemperaturePH(double pressurePa, double enthalpyJPerKg)
        => Sum(B1hN, B1hI, B1hJ, pressurePa / 1e6, (enthalpyJPerKg / 2500e3) + 1);

    /// <summary>Region 1 backward T(p,s), K (R7-97 eq. 13).</summary>
    public static double Region1TemperaturePS(double pressurePa, double entropyJPerKgK)
        => Sum(B1sN, B1sI, B1sJ, pressurePa / 1e6, (entropyJPerKgK / 1e3) + 2);

    /// <summary>Region 2 backward T(p,h), K (R7-97 eqs. 22–24: 2a below 4 MPa, 2b/2c split by B2bc).</summary>
    public static double Region2TemperaturePH(double pressurePa, double enthalpyJPerKg)
    {
        var pi = pressurePa / 1e6;
        var eta = enthalpyJPerKg / 2000e3;
        if (pressurePa <= 4e6)
        {
            return Sum(B2ahN, B2ahI, B2ahJ, pi, eta - 2.1);
        }

        return pressurePa <= B2bcPressurePa(enthalpyJPerKg)
            ? Sum(B2bhN, B2bhI, B2bhJ, pi - 2, eta - 2.6)
            : Sum(B2chN, B2chI, B2chJ, pi + 25, eta - 1.8);
    }

    /// <summary>Region 2 backward T(p,s), K (R7-97 eqs. 25–27: 2a below 4 MPa, 2b/2c split at s = 5.85 kJ/(kg K)).</summary>
    public static double Region2TemperaturePS(double pressurePa, double entropyJPerKgK)
    {
        var pi = pressurePa / 1e6;
        var sigmaKj = entropyJPerKgK / 1e3;
        if (pressurePa <= 4e6)
        {
            // I is a multiple of 1/4: π^I = (π^(1/4))^(4I).
            var q = Math.Sqrt(Math.Sqrt(pi));
            return Sum(B2asN, B2asI4, B2asJ, q, (sigmaKj / 2) - 2);
        }

        return sigmaKj >= 5.85
            ? Sum(B2bsN, B2bsI, B2bsJ, pi, 10 - (sigmaKj / 0.7853))
            : Sum(B2csN, B2csI, B2csJ, pi, 2 - (sigmaKj / 2.9251));
    }

    /// <summary>Region 3 backward T(p,h), K (SR3-03: 3a for h ≤ h3ab(p), else 3b).</summary>
    public static double Region3TemperaturePH(double pressurePa, double enthalpyJPerKg)
    {
        var pi = pressurePa / 100e6;
        return enthalpyJPerKg <= H3abJPerKg(pressurePa)
            ? 760 * Sum(B3ahTN, B3ahTI, B3ahTJ, pi + 0.240, (enthalpyJPerKg / 2300e3) - 0.615)
            : 860 * Sum(B3bhTN, B3bhTI, B3bhTJ, pi + 0.298, (enthalpyJPerKg / 2800e3) - 0.720);
    }

    /// <summary>Region 3 backward v(p,h), m³/kg (SR3-03).</summary>
    public static double Region3SpecificVolumePH(double pressurePa, double enthalpyJPerKg)
    {
        var pi = pressurePa / 100e6;
        return enthalpyJPerKg <= H3abJPerKg(pressurePa)
            ? 0.0028 * Sum(B3ahVN, B3ahVI, B3ahVJ, pi + 0.128, (enthalpyJPerKg / 2100e3) - 0.727)
            : 0.0088 * Sum(B3bhVN, B3bhVI, B3bhVJ, pi + 0.0661, (enthalpyJPerKg / 2800e3) - 0.720);
    }

    /// <summary>The 3a/3b boundary entropy of SR3-03 (the critical entropy), J/(kg K).</summary>
    public const double S3abJPerKgK = 4.41202148223476e3;

    /// <summary>Region 3 backward T(p,s), K (SR3-03: 3a for s ≤ s_c, else 3b).</summary>
    public static double Region3TemperaturePS(double pressurePa, double entropyJPerKgK)
    {
        var pi = pressurePa / 100e6;
        return entropyJPerKgK <= S3abJPerKgK
            ? 760 * Sum(B3asTN, B3asTI, B3asTJ, pi + 0.240, (entropyJPerKgK / 4.4e3) - 0.703)
            : 860 * Sum(B3bsTN, B3bsTI, B3bsTJ, pi + 0.760, (entropyJPerKgK / 5.3e3) - 0.818);
    }

    /// <summary>Region 3 backward v(p,s), m³/kg (SR3-03).</summary>
    public static double Region3SpecificVolumePS(double pressurePa, double entropyJPerKgK)
    {
        var pi = pressurePa / 100e6;
        return entropyJPerKgK <= S3abJPerKgK
            ? 0.0028 * Sum(B3asVN, B3asVI, B3asVJ, pi + 0.187, (entropyJPerKgK / 4.4e3) - 0.755)
            : 0.0088 * Sum(B3bsVN, B3bsVI, B3bsVJ, pi + 0.298, (entropyJPerKgK / 5.3e3) - 0.816);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Series helpers.

    private readonly record struct SeriesValue(double F, double Dx, double Dxx, double Dy, double Dyy, double Dxy);

    // A series Σ n x^I y^J with the coefficient products of its derivatives precomputed once (n·I, n·I(I−1), …), so a
    // forward evaluation is table look-ups and multiplications only.
    private sealed class SeriesTable
    {
        public readonly int[] I, J;
        public readonly double[] N, NI, NII, NJ, NJJ, NIJ;
        public readonly int ILo, JLo, ICount, JCount;

        public SeriesTable(ReadOnlySpan<double> n, ReadOnlySpan<int> ie, ReadOnlySpan<int> je)
        {
            var k = n.Length;
            I = ie.ToArray();
            J = je.ToArray();
            N = n.ToArray();
            NI = new double[k];
            NII = new double[k];
            NJ = new double[k];
            NJJ = new double[k];
            NIJ = new double[k];
            int iMin = int.MaxValue, iMax = int.MinValue, jMin = int.MaxValue, jMax = int.MinValue;
            for (var t = 0; t < k; t++)
            {
                NI[t] = n[t] * ie[t];
                NII[t] = n[t] * ie[t] * (ie[t] - 1);
                NJ[t] = n[t] * je[t];
                NJJ[t] = n[t] * je[t] * (je[t] - 1);
                NIJ[t] = n[t] * ie[t] * je[t];
                iMin = Math.Min(iMin, ie[t]);
                iMax = Math.Max(iMax, ie[t]);
                jMin = Math.Min(jMin, je[t]);
                jMax = Math.Max(jMax, je[t]);
            }

            // Exponents down to min − 2 for the second derivatives (their coefficients are 0 where the power is unused).
            ILo = iMin - 2;
            JLo = jMin - 2;
            ICount = iMax - ILo + 1;
            JCount = jMax - JLo + 1;
            for (var t = 0; t < k; t++)
            {
                I[t] -= ILo;
                J[t] -= JLo;
            }
        }
    }

    private static readonly SeriesTable Region1Table = new(R1N, R1I, R1J);
    private static readonly SeriesTable Region2Table = new(R2N, R2I, R2J);
    private static readonly SeriesTable Region3Table = new(R3N, R3I, R3J);
    private static readonly SeriesTable Region5Table = new(R5N, R5I, R5J);

    // Σ n x^I y^J and its first and second partial derivatives in x and y.
    private static SeriesValue Series(SeriesTable t, double x, double y)
    {
        Span<double> px = stackalloc double[t.ICount];
        Span<double> py = stackalloc double[t.JCount];
        FillPowers(px, x, t.ILo);
        FillPowers(py, y, t.JLo);
        var n = t.N;
        var nI = t.NI;
        var nII = t.NII;
        var nJ = t.NJ;
        var nJJ = t.NJJ;
        var nIJ = t.NIJ;
        var ie = t.I;
        var je = t.J;
        double f = 0, fx = 0, fxx = 0, fy = 0, fyy = 0, fxy = 0;
        for (var k = 0; k < n.Length; k++)
        {
            int i = ie[k], j = je[k];
            var a = px[i];
            var b = py[j];
            var a1 = px[i - 1];
            var b1 = py[j - 1];
            f += n[k] * a * b;
            fx += nI[k] * a1 * b;
            fxx += nII[k] * px[i - 2] * b;
            fy += nJ[k] * a * b1;
            fyy += nJJ[k] * a * py[j - 2];
            fxy += nIJ[k] * a1 * b1;
        }

        return new SeriesValue(f, fx, fxx, fy, fyy, fxy);
    }

    // Σ n J x^I y^(J−1) only (∂/∂y): all that h(p,T) of regions 1, 2 and 5 needs.
    private static double SeriesDy(SeriesTable t, double x, double y)
    {
        Span<double> px = stackalloc double[t.ICount];
        Span<double> py = stackalloc double[t.JCount];
        FillPowers(px, x, t.ILo);
        FillPowers(py, y, t.JLo);
        var nJ = t.NJ;
        var ie = t.I;
        var je = t.J;
        double fy = 0;
        for (var k = 0; k < nJ.Length; k++)
        {
            fy += nJ[k] * px[ie[k]] * py[je[k] - 1];
        }

        return fy;
    }

    // table[k] = x^(lo + k), by two interleaved chains of x² (half the multiplication latency of one chain).
    private static void FillPowers(Span<double> table, double x, int lo)
    {
        var zero = -lo;
        if (zero >= 0 && zero < table.Length)
        {
            var x2 = x * x;
            table[zero] = 1;
            if (zero + 1 < table.Length)
            {
                table[zero + 1] = x;
            }

            for (var k = zero + 2; k < table.Length; k++)
            {
                table[k] = table[k - 2] * x2;
            }

            var inverse = 1 / x;
            var inverse2 = inverse * inverse;
            if (zero >= 1)
            {
                table[zero - 1] = inverse;
            }

            for (var k = zero - 2; k >= 0; k--)
            {
                table[k] = table[k + 2] * inverse2;
            }
        }
        else
        {
            table[0] = Pow(x, lo);
            for (var k = 1; k < table.Length; k++)
            {
                table[k] = table[k - 1] * x;
            }
        }
    }

    private static void IdealGasPart(ReadOnlySpan<double> n, ReadOnlySpan<int> j, double tau, out double g, out double gT, out double gTT)
    {
        g = gT = gTT = 0;
        for (var k = 0; k < n.Length; k++)
        {
            var t = Pow(tau, j[k] - 2);
            g += n[k] * t * tau * tau;
            gT += n[k] * j[k] * t * tau;
            gTT += n[k] * j[k] * (j[k] - 1) * t;
        }
    }

    /// <summary>γ° of region 2 (the ideal-gas Gibbs energy g°/(RT) at p = 1 MPa, without ln π), for fugacity coefficients.</summary>
    internal static double Region2IdealGibbsAtUnitPressure(double temperatureK)
    {
        IdealGasPart(R2N0, R2J0, 540 / temperatureK, out var g, out _, out _);
        return g;
    }

    // Σ n x^I y^J without derivatives (backward equations).
    private static double Sum(ReadOnlySpan<double> n, ReadOnlySpan<int> ie, ReadOnlySpan<int> je, double x, double y)
    {
        var s = 0.0;
        for (var k = 0; k < n.Length; k++)
        {
            s += n[k] * Pow(x, ie[k]) * Pow(y, je[k]);
        }

        return s;
    }

    private static double Pow(double x, int e)
    {
        if (e < 0)
        {
            x = 1 / x;
            e = -e;
        }

        var result = 1.0;
        while (e > 0)
        {
            if ((e & 1) != 0)
            {
                result *= x;
            }

            x *= x;
            e >>= 1;
        }

        return result;
    }
}
