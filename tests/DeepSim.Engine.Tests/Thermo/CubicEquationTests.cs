using DeepSim.Engine.Components;
using DeepSim.Engine.Thermo;
using Xunit.Abstractions;

namespace DeepSim.Engine.Tests.Thermo;

/// <summary>
/// The cubic equations' constants (Ωa, Ωb against the critical-point conditions) and what they imply for pure
/// vapour pressures at Tr = 0.7, where the acentric factor is defined: log10(Psat/Pc) = −1 − ω.
/// </summary>
public class CubicEquationTests(ITestOutputHelper output)
{
    private static readonly ComponentDatabase Db = ComponentDatabase.Default;

    // Reference digits of the exact PR constants (roots of the critical conditions, e.g. Michelsen & Mollerup,
    // "Thermodynamic Models: Fundamentals and Computational Aspects", ch. 3).
    private const double PrOmegaA = 0.45723552892138;
    private const double PrOmegaB = 0.07779607390388;
    private const double PrZc = 0.30740130869870;

    // The constants are roots computed to machine precision; 1e-12 leaves three orders for rounding in the checks.
    private const double ConstantTolerance = 1e-12;

    // Non-polar compounds of moderate ω, for which the generalised α was fitted (Peng & Robinson 1976, Soave 1972).
    private static readonly string[] NonPolar = ["methane", "ethane", "propane", "n-butane", "n-pentane", "n-hexane", "n-heptane", "n-octane", "benzene", "toluene"];

    private static Component C(string name) => Db.Find(name) ?? throw new InvalidOperationException(name);

    [Fact]
    public void Exact_PR_constants_match_the_published_roots()
    {
        var pr = CubicEquationOfState.PengRobinson;
        Assert.Equal(CubicConstants.Exact, pr.Constants);
        Assert.Equal(PrOmegaA, pr.OmegaA, ConstantTolerance);
        Assert.Equal(PrOmegaB, pr.OmegaB, ConstantTolerance);
        Assert.Equal(PrZc, pr.CriticalCompressibility, ConstantTolerance);
    }

    [Theory]
    [InlineData("peng-robinson")]
    [InlineData("srk")]
    public void Exact_constants_satisfy_the_critical_conditions(string name)
    {
        var eos = name == "srk" ? CubicEquationOfState.SoaveRedlichKwong : CubicEquationOfState.PengRobinson;
        var (p, dp, d2p) = ReducedPressureAndDerivatives(eos.OmegaA, eos.OmegaB, eos.Delta1, eos.Delta2, eos.CriticalCompressibility);
        Assert.Equal(1, p, ConstantTolerance);
        Assert.Equal(0, dp, ConstantTolerance);
        Assert.Equal(0, d2p, ConstantTolerance);

        // The reduced cubic Z³ + c2 Z² + c1 Z + c0 at A = Ωa, B = Ωb is (Z − Zc)³.
        var (c2, c1, c0) = CubicCoefficients(eos.OmegaA, eos.OmegaB, eos.Delta1, eos.Delta2);
        var zc = eos.CriticalCompressibility;
        Assert.Equal(-3 * zc, c2, ConstantTolerance);
        Assert.Equal(3 * zc * zc, c1, ConstantTolerance);
        Assert.Equal(-zc * zc * zc, c0, ConstantTolerance);
    }

    [Fact]
    public void Rounded_1976_constants_miss_the_critical_conditions()
    {
        // The same check the exact constants pass to 1e-12 fails for the five-digit values: this is the error the
        // exact constants remove.
        var pr = CubicEquationOfState.CreatePengRobinson(CubicConstants.Rounded1976, KappaCorrelation.PengRobinson1976);
        Assert.Equal(0.45724, pr.OmegaA);
        Assert.Equal(0.07780, pr.OmegaB);
        var (c2, c1, c0) = CubicCoefficients(pr.OmegaA, pr.OmegaB, pr.Delta1, pr.Delta2);
        var zc = -c2 / 3;
        Assert.True(Math.Abs(c1 - (3 * zc * zc)) > 1e-6 || Math.Abs(c0 + (zc * zc * zc)) > 1e-6);
    }

    [Fact]
    public void SRK_constants_are_the_closed_forms()
    {
        var srk = CubicEquationOfState.SoaveRedlichKwong;
        var c = Math.Cbrt(2) - 1;
        Assert.Equal(1 / (9 * c), srk.OmegaA, 1e-15);
        Assert.Equal(c / 3, srk.OmegaB, 1e-15);
        Assert.Equal(1.0 / 3, srk.CriticalCompressibility, 1e-15);
        Assert.Equal(0.480 + (1.574 * 0.3) - (0.176 * 0.09), srk.KappaOf(0.3), 1e-15);
    }

    [Fact]
    public void PR_1978_kappa_applies_only_above_omega_0_491()
    {
        var pr78 = CubicEquationOfState.CreatePengRobinson(CubicConstants.Exact, KappaCorrelation.PengRobinson1978);
        var pr76 = CubicEquationOfState.PengRobinson;
        Assert.Equal(pr76.KappaOf(0.3), pr78.KappaOf(0.3));
        Assert.Equal(0.379642 + (1.48503 * 0.6) - (0.164423 * 0.36) + (0.016666 * 0.216), pr78.KappaOf(0.6), 1e-15);
        Assert.NotEqual(pr76.KappaOf(0.6), pr78.KappaOf(0.6));
    }

    // Deviation of log10(Psat/Pc) at Tr = 0.7 from −1 − ω (the acentric factor's definition) for each package.
    private double[] AcentricDeviations(string package, PropertyPackageOptions options)
    {
        var d = new double[NonPolar.Length];
        for (var k = 0; k < NonPolar.Length; k++)
        {
            var c = C(NonPolar[k]);
            var pkg = PropertyPackages.Create(package, [c], options);
            var r = pkg.FlashTVF(0.7 * c.CriticalTemperatureK, 0, [1.0]);
            Assert.True(r.Converged, r.FailureReason);
            d[k] = Math.Log10(r.PressurePa / c.CriticalPressurePa) + 1 + c.AcentricFactor;
            output.WriteLine($"{package} {options.Constants} {NonPolar[k]}: ω = {c.AcentricFactor}, Δlog10 Psat = {d[k]:E3}");
        }

        return d;
    }

    [Fact]
    public void PR_vapour_pressure_at_Tr_0_7_reproduces_the_acentric_factor()
    {
        var exact = AcentricDeviations("peng-robinson", PropertyPackageOptions.Default);
        var rounded = AcentricDeviations("peng-robinson", new PropertyPackageOptions { Constants = CubicConstants.Rounded1976 });
        double sumExact = 0, sumRounded = 0;
        for (var k = 0; k < exact.Length; k++)
        {
            // PR's κ(ω) was fitted to paraffin vapour pressures over the whole liquid range, not to the ω definition
            // at Tr = 0.7 alone: 0.005 in log10 (1.2 % in Psat) is what it promises here (observed ≤ 0.0025).
            Assert.True(Math.Abs(exact[k]) < 0.005, $"{NonPolar[k]}: {exact[k]}");

            // The exact constants lower Psat(0.7 Tc) by a small, systematic amount (observed 6.8e-5 to 8.4e-5 in
            // log10, ≈ 0.017 %): the rounded Ωa (+1.0e-5 relative) and Ωb (+5.0e-5 relative) do not cancel. This is
            // the size of the mK shifts in bubble and dew points; it is neither zero (the option is applied) nor
            // comparable to κ's own error.
            var shift = exact[k] - rounded[k];
            Assert.InRange(shift, -2e-4, -1e-5);
            sumExact += exact[k] * exact[k];
            sumRounded += rounded[k] * rounded[k];
        }

        // Against the ω definition itself neither set is better (rms 1.49e-3 exact, 1.45e-3 rounded): κ was fitted with
        // the rounded constants. The exact ones are right because they make the equation's own critical point (Tc, Pc).
        output.WriteLine($"rms exact {Math.Sqrt(sumExact / exact.Length):E3}, rounded {Math.Sqrt(sumRounded / exact.Length):E3}");
    }

    [Fact]
    public void SRK_vapour_pressure_at_Tr_0_7_reproduces_the_acentric_factor()
    {
        // Soave fitted m(ω) to exactly this condition, so only the rounding of its three-decimal coefficients remains
        // (observed ≤ 3.3e-4 in log10); 1e-3 would still catch wrong constants or a wrong m.
        var d = AcentricDeviations("srk", PropertyPackageOptions.Default);
        for (var k = 0; k < d.Length; k++)
        {
            Assert.True(Math.Abs(d[k]) < 1e-3, $"{NonPolar[k]}: {d[k]}");
        }
    }

    // P/Pc of the equation in reduced units (R = Tc = Pc = 1, α(Tc) = 1) and its first two V-derivatives at V = v.
    private static (double P, double DP, double D2P) ReducedPressureAndDerivatives(double a, double b, double d1, double d2, double v)
    {
        var u = v - b;
        var e1 = v + (d1 * b);
        var e2 = v + (d2 * b);
        var q = e1 * e2;
        var dq = e1 + e2;
        const double d2q = 2;
        var p = (1 / u) - (a / q);
        var dp = (-1 / (u * u)) + (a * dq / (q * q));
        var d2p = (2 / (u * u * u)) + (a * ((d2q * q) - (2 * dq * dq)) / (q * q * q));
        return (p, dp, d2p);
    }

    private static (double C2, double C1, double C0) CubicCoefficients(double capA, double capB, double d1, double d2)
    {
        var u = d1 + d2;
        var w = d1 * d2;
        return (((u - 1) * capB) - 1, capA + (w * capB * capB) - (u * capB * (capB + 1)), -((capA * capB) + (w * capB * capB * (capB + 1))));
    }
}
