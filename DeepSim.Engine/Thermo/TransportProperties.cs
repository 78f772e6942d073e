using System.Globalization;
using DeepSim.Engine.Components;

namespace DeepSim.Engine.Thermo;

/// <summary>
/// Mixture viscosity, thermal conductivity and surface tension from the pure-component DIPPR correlations (ChemSep
/// data). Each correlation is evaluated at T held inside its fitted [Tmin, Tmax]; a clamped evaluation is reported in
/// the caller's out-of-range list, a missing correlation in its missing-data list (and the property is NaN).
/// Methods and sources: README "Properties".
/// </summary>
internal static class TransportProperties
{
    private const double R = FlashSettings.GasConstant;

    // Jossi–Stiel–Thodos (1962) dense-gas viscosity polynomial in ρr = Vc/V (the Lohrenz–Bray–Clark coefficients):
    // [(μ − μ°) ξ + 1e-4]^(1/4) = Σ aₖ ρrᵏ, μ in cP, ξ = Tc^(1/6) M^(−1/2) Pc^(−2/3) (K, g/mol, atm).
    private static readonly double[] JossiStielThodos = [0.1023, 0.023364, 0.058533, -0.040758, 0.0093324];

    // The JST fit covers 0.1 ≤ ρr ≤ 3 (Reid, Prausnitz and Poling 1987, §9-6); beyond it ρr is held at 3.
    private const double JossiStielThodosMaxReducedDensity = 3.0;

    // Stiel–Thodos (1964) dense-gas conductivity is fitted for ρr < 2.8; beyond it ρr is held at 2.8.
    private const double StielThodosMaxReducedDensity = 2.8;

    private const double PascalsPerAtm = 101_325.0;

    /// <summary>A correlation's value at T held in its range (NaN, with a note, when absent or not positive).</summary>
    internal static double Evaluate(Correlation? correlation, string component, string property, double temperatureK, List<string> outOfRange, List<string> missing)
    {
        if (correlation is null)
        {
            missing.Add($"no {property} for {component}");
            return double.NaN;
        }

        var t = temperatureK;
        if (t < correlation.MinTemperatureK || t > correlation.MaxTemperatureK)
        {
            outOfRange.Add(string.Create(CultureInfo.InvariantCulture, $"{property} of {component}: {temperatureK:0.##} K outside {correlation.MinTemperatureK:0.##}–{correlation.MaxTemperatureK:0.##} K (held at the range end)"));
            t = Math.Clamp(t, correlation.MinTemperatureK, correlation.MaxTemperatureK);
        }

        var value = correlation.Evaluate(t);
        if (!(value > 0) || !double.IsFinite(value))
        {
            missing.Add(string.Create(CultureInfo.InvariantCulture, $"{property} of {component} is not positive at {t:0.##} K"));
            return double.NaN;
        }

        return value;
    }

    /// <summary>Liquid viscosity, Pa·s: ln μ = Σ xᵢ ln μᵢ (Grunberg–Nissan without interaction, i.e. Arrhenius).</summary>
    internal static double LiquidViscosity(IReadOnlyList<Component> c, double temperatureK, double[] x, List<string> outOfRange, List<string> missing)
    {
        double lnMu = 0;
        for (var i = 0; i < x.Length; i++)
        {
            if (x[i] > 0)
            {
                lnMu += x[i] * Math.Log(Evaluate(c[i].LiquidViscosity, c[i].Name, "liquid viscosity", temperatureK, outOfRange, missing));
            }
        }

        return Math.Exp(lnMu);
    }

    /// <summary>Liquid thermal conductivity, W/(m K): λ = (Σ wᵢ λᵢ⁻²)^(−1/2) (Vredeveld 1973; DIPPR's mixing rule for non-aqueous liquids).</summary>
    internal static double LiquidThermalConductivity(IReadOnlyList<Component> c, double temperatureK, double[] w, List<string> outOfRange, List<string> missing)
    {
        double s = 0;
        for (var i = 0; i < w.Length; i++)
        {
            if (w[i] > 0)
            {
                var k = Evaluate(c[i].LiquidThermalConductivity, c[i].Name, "liquid thermal conductivity", temperatureK, outOfRange, missing);
                s += w[i] / (k * k);
            }
        }

        return 1 / Math.Sqrt(s);
    }

    /// <summary>Surface tension, N/m: σ = Σ xᵢ σᵢ (mole-fraction average; approximate, overestimates for surface-active mixtures).</summary>
    internal static double SurfaceTension(IReadOnlyList<Component> c, double temperatureK, double[] x, List<string> outOfRange, List<string> missing)
    {
        double sigma = 0;
        for (var i = 0; i < x.Length; i++)
        {
            if (x[i] > 0)
            {
                sigma += x[i] * Evaluate(c[i].SurfaceTension, c[i].Name, "surface tension", temperatureK, outOfRange, missing);
            }
        }

        return sigma;
    }

    /// <summary>
    /// Gas viscosity, Pa·s: dilute-gas μᵢ° (DIPPR), Wilke's rule, plus the Jossi–Stiel–Thodos dense-gas increment at
    /// ρr = Vc,m/V with Kay's pseudo-critical constants. The increment is [p(ρr)⁴ − p(0)⁴]/ξ, so it vanishes at zero density.
    /// </summary>
    internal static double GasViscosity(IReadOnlyList<Component> c, double temperatureK, double molarVolume, double[] y, List<string> outOfRange, List<string> missing)
    {
        var n = y.Length;
        var mu = new double[n];
        for (var i = 0; i < n; i++)
        {
            mu[i] = y[i] > 0 ? Evaluate(c[i].VaporViscosity, c[i].Name, "vapour viscosity", temperatureK, outOfRange, missing) : 0;
        }

        var dilute = Wilke(c, y, mu);
        Pseudocritical(c, y, out var tc, out var pc, out var vc, out _, out var m);
        var rhoR = vc / molarVolume;
        if (rhoR > JossiStielThodosMaxReducedDensity)
        {
            outOfRange.Add(string.Create(CultureInfo.InvariantCulture, $"dense-gas viscosity: reduced density {rhoR:0.###} above the Jossi–Stiel–Thodos range (≤ 3; held at 3)"));
            rhoR = JossiStielThodosMaxReducedDensity;
        }

        var xi = Math.Pow(tc, 1.0 / 6) / (Math.Sqrt(m * 1e3) * Math.Pow(pc / PascalsPerAtm, 2.0 / 3));
        var p = Polynomial(JossiStielThodos, rhoR);
        var p0 = JossiStielThodos[0];
        var incrementCentipoise = ((p * p * p * p) - (p0 * p0 * p0 * p0)) / xi;
        return dilute + (1e-3 * incrementCentipoise);
    }

    /// <summary>
    /// Gas thermal conductivity, W/(m K): dilute-gas λᵢ° (DIPPR), Wassiljewa's rule with the Mason–Saxena Aᵢⱼ (ε = 1,
    /// i.e. Wilke's Φᵢⱼ from the dilute viscosities), plus the Stiel–Thodos dense-gas increment.
    /// </summary>
    internal static double GasThermalConductivity(IReadOnlyList<Component> c, double temperatureK, double molarVolume, double[] y, List<string> outOfRange, List<string> missing)
    {
        var n = y.Length;
        var k = new double[n];
        var mu = new double[n];
        var noteless = new List<string>();
        for (var i = 0; i < n; i++)
        {
            if (y[i] <= 0)
            {
                continue;
            }

            k[i] = Evaluate(c[i].VaporThermalConductivity, c[i].Name, "vapour thermal conductivity", temperatureK, outOfRange, missing);

            // The viscosities only weight the mixing rule; their range notes were already given by the viscosity.
            mu[i] = Evaluate(c[i].VaporViscosity, c[i].Name, "vapour viscosity", temperatureK, noteless, noteless);
        }

        var dilute = Wilke(c, y, mu, k);
        Pseudocritical(c, y, out var tc, out var pc, out var vc, out var zc, out var m);
        var rhoR = vc / molarVolume;
        if (rhoR > StielThodosMaxReducedDensity)
        {
            outOfRange.Add(string.Create(CultureInfo.InvariantCulture, $"dense-gas thermal conductivity: reduced density {rhoR:0.###} above the Stiel–Thodos range (< 2.8; held at 2.8)"));
            rhoR = StielThodosMaxReducedDensity;
        }

        return dilute + StielThodosIncrement(rhoR, tc, pc, zc, m);
    }

    /// <summary>
    /// Stiel–Thodos (1964) for non-polar gases: (λ − λ°) Γ Zc⁵ = f(ρr), Γ = [Tc M³ N_A² / (R⁵ Pc⁴)]^(1/6) in SI
    /// (210 (Tc M³/Pc⁴)^(1/6) with M in g/mol and Pc in bar), λ in W/(m K).
    /// </summary>
    internal static double StielThodosIncrement(double rhoR, double tcK, double pcPa, double zc, double molarMassKgPerMol)
    {
        const double avogadro = 6.02214076e23;
        var gamma = Math.Pow(tcK * molarMassKgPerMol * molarMassKgPerMol * molarMassKgPerMol * avogadro * avogadro / (Math.Pow(R, 5) * Math.Pow(pcPa, 4)), 1.0 / 6);
        double f;
        if (rhoR < 0.5)
        {
            f = 1.22e-2 * (Math.Exp(0.535 * rhoR) - 1);
        }
        else if (rhoR < 2.0)
        {
            f = 1.14e-2 * (Math.Exp(0.67 * rhoR) - 1.069);
        }
        else
        {
            f = 2.60e-3 * (Math.Exp(1.155 * rhoR) + 2.016);
        }

        return f / (gamma * Math.Pow(zc, 5));
    }

    // Wilke (1950): Σᵢ yᵢ pᵢ / Σⱼ yⱼ Φᵢⱼ, Φᵢⱼ = [1 + (μᵢ/μⱼ)^½ (Mⱼ/Mᵢ)^¼]² / [8(1 + Mᵢ/Mⱼ)]^½; p = μ for the viscosity,
    // p = λ (Wassiljewa with Mason–Saxena's Aᵢⱼ = Φᵢⱼ) for the conductivity.
    private static double Wilke(IReadOnlyList<Component> c, double[] y, double[] mu, double[]? property = null)
    {
        var p = property ?? mu;
        double total = 0;
        for (var i = 0; i < y.Length; i++)
        {
            if (y[i] <= 0)
            {
                continue;
            }

            double denominator = 0;
            for (var j = 0; j < y.Length; j++)
            {
                if (y[j] <= 0)
                {
                    continue;
                }

                var ratio = c[i].MolarMass / c[j].MolarMass;
                var a = 1 + (Math.Sqrt(mu[i] / mu[j]) * Math.Pow(1 / ratio, 0.25));
                denominator += y[j] * a * a / Math.Sqrt(8 * (1 + ratio));
            }

            total += y[i] * p[i] / denominator;
        }

        return total;
    }

    // Kay's rule: Tc, Vc, Zc, M mole-fraction averages, Pc = Zc R Tc / Vc. Missing Zc is 0.291 − 0.080ω (Pitzer-type
    // estimate) and missing Vc is Zc R Tc/Pc.
    private static void Pseudocritical(IReadOnlyList<Component> c, double[] y, out double tc, out double pc, out double vc, out double zc, out double m)
    {
        tc = vc = zc = m = 0;
        for (var i = 0; i < y.Length; i++)
        {
            var ci = c[i];
            var z = double.IsFinite(ci.CriticalCompressibility) && ci.CriticalCompressibility > 0 ? ci.CriticalCompressibility : 0.291 - (0.080 * ci.AcentricFactor);
            var v = double.IsFinite(ci.CriticalVolume) && ci.CriticalVolume > 0 ? ci.CriticalVolume : z * R * ci.CriticalTemperatureK / ci.CriticalPressurePa;
            tc += y[i] * ci.CriticalTemperatureK;
            vc += y[i] * v;
            zc += y[i] * z;
            m += y[i] * ci.MolarMass;
        }

        pc = zc * R * tc / vc;
    }

    private static double Polynomial(double[] a, double x)
    {
        var v = 0.0;
        for (var k = a.Length - 1; k >= 0; k--)
        {
            v = (v * x) + a[k];
        }

        return v;
    }
}
