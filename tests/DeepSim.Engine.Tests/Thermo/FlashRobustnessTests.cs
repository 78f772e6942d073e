using DeepSim.Engine.Thermo;
using FsCheck.Xunit;

namespace DeepSim.Engine.Tests.Thermo;

/// <summary>Bad input is a failed result with a reason; random input never throws and never hangs.</summary>
public class FlashRobustnessTests
{
    // A generous bound that only a hang or runaway loop can exceed (a flash takes microseconds to milliseconds).
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private static readonly Lazy<IPropertyPackage> Pr = new(() => FlashIdentityTests.Create("peng-robinson", FlashIdentityTests.NaturalGas5));
    private static readonly Lazy<IPropertyPackage> Ideal = new(() => FlashIdentityTests.Create("ideal", FlashIdentityTests.NaturalGas5));

    public static TheoryData<string, double, double, double[], string> BadPtInputs => new()
    {
        { "negative temperature", -5, 1e5, [0.2, 0.2, 0.2, 0.2, 0.2], "Temperature" },
        { "NaN temperature", double.NaN, 1e5, [0.2, 0.2, 0.2, 0.2, 0.2], "Temperature" },
        { "zero pressure", 300, 0, [0.2, 0.2, 0.2, 0.2, 0.2], "Pressure" },
        { "infinite pressure", 300, double.PositiveInfinity, [0.2, 0.2, 0.2, 0.2, 0.2], "Pressure" },
        { "sum above one", 300, 1e5, [0.3, 0.3, 0.2, 0.2, 0.2], "sum to 1" },
        { "negative fraction", 300, 1e5, [1.2, -0.2, 0, 0, 0], "non-negative" },
        { "NaN fraction", 300, 1e5, [double.NaN, 0.5, 0.5, 0, 0], "non-negative" },
        { "wrong length", 300, 1e5, [0.5, 0.5], "5 components" },
    };

    [Theory]
    [MemberData(nameof(BadPtInputs))]
    public void Bad_PT_input_returns_a_failure_with_its_reason(string because, double t, double p, double[] z, string fragment)
    {
        foreach (var pkg in new[] { Pr.Value, Ideal.Value })
        {
            var r = pkg.FlashPT(t, p, z);
            Assert.False(r.Converged, because);
            Assert.Contains(fragment, r.FailureReason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Bad_input_to_the_other_flashes_returns_failures_with_reasons()
    {
        var z = FlashIdentityTests.NaturalGas5Z;
        var pkg = Pr.Value;
        Assert.Contains("Vapour fraction", pkg.FlashPVF(1e6, 1.5, z).FailureReason, StringComparison.Ordinal);
        Assert.Contains("Vapour fraction", pkg.FlashTVF(300, -0.1, z).FailureReason, StringComparison.Ordinal);
        Assert.Contains("enthalpy", pkg.FlashPH(1e6, double.NaN, z).FailureReason, StringComparison.Ordinal);
        Assert.Contains("entropy", pkg.FlashPS(1e6, double.PositiveInfinity, z).FailureReason, StringComparison.Ordinal);
        Assert.Contains("Pressure", pkg.FlashPH(-1, -1e5, z).FailureReason, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => pkg.Enthalpy(Phase.Liquid, -1, 1e5, z));
    }

    [Fact]
    public void A_vapour_fraction_flash_reports_a_bad_fixed_temperature_or_pressure_in_its_own_field()
    {
        var z = FlashIdentityTests.NaturalGas5Z;
        var badTemperature = Pr.Value.FlashTVF(-5, 0.5, z);
        var badPressure = Pr.Value.FlashPVF(0, 0.5, z);

        Assert.False(badTemperature.Converged);
        Assert.Contains("Temperature must be", badTemperature.FailureReason, StringComparison.Ordinal);
        Assert.Equal(-5, badTemperature.TemperatureK);
        Assert.True(double.IsNaN(badTemperature.PressurePa));
        Assert.False(badPressure.Converged);
        Assert.Contains("Pressure must be", badPressure.FailureReason, StringComparison.Ordinal);
        Assert.Equal(0, badPressure.PressurePa);
        Assert.True(double.IsNaN(badPressure.TemperatureK));
    }

    [Fact]
    public void Unreachable_specifications_fail_with_a_reason_instead_of_a_wrong_answer()
    {
        var z = FlashIdentityTests.NaturalGas5Z;

        // Far above the cricondenbar no dew point exists.
        var dew = Pr.Value.FlashTVF(200, 1, z);
        var bubble = Pr.Value.FlashTVF(200, 0, z);
        Assert.True(bubble.Converged, bubble.FailureReason);
        var noSat = FlashIdentityTests.Create("peng-robinson", ["methane"]).FlashPVF(1e7, 0, [1.0]);
        Assert.False(noSat.Converged);
        Assert.Contains("critical pressure", noSat.FailureReason, StringComparison.Ordinal);

        // An enthalpy no temperature in the search range reaches.
        var ph = Pr.Value.FlashPH(1e5, 1e9, z);
        Assert.False(ph.Converged);
        Assert.False(string.IsNullOrEmpty(ph.FailureReason));
        _ = dew;
    }

    [Fact]
    public void Unknown_packages_and_bad_overrides_are_rejected_clearly()
    {
        var comps = FlashIdentityTests.NaturalGas5.Select(n => Engine.Components.ComponentDatabase.Default.Find(n)!).ToArray();
        Assert.Contains("peng-robinson", Assert.Throws<ArgumentException>(() => PropertyPackages.Create("srk2", comps)).Message, StringComparison.Ordinal);
        Assert.Equal("peng-robinson", PropertyPackages.Create("Peng-Robinson", comps).Name);
        Assert.Equal("ideal", PropertyPackages.Create("IDEAL", comps).Name);
        Assert.Throws<ArgumentException>(() => PropertyPackages.Create("peng-robinson", comps, new Dictionary<(int I, int J), double> { [(0, 9)] = 0.1 }));
        Assert.Throws<ArgumentException>(() => PropertyPackages.Create("peng-robinson", comps, new Dictionary<(int I, int J), double> { [(0, 1)] = double.NaN }));
        Assert.Throws<ArgumentException>(() => PropertyPackages.Create("ideal", comps, new Dictionary<(int I, int J), double> { [(0, 1)] = 0.1 }));
    }

    private static double[] Composition(int a, int b, int c, int d, int e)
    {
        // Non-negative weights with some exact zeros (sub-mixtures and pure components are legal input).
        double[] w = [Math.Abs(a % 7), Math.Abs(b % 5), Math.Abs(c % 4), Math.Abs(d % 3), Math.Abs(e % 3)];
        var sum = w.Sum();
        if (sum == 0)
        {
            w[0] = 1;
            sum = 1;
        }

        return [.. w.Select(v => v / sum)];
    }

    private static void Bounded(Action action) => Assert.True(Task.Run(action).Wait(HangGuard), "a flash did not return within the hang guard");

    private static void AssertWellFormed(FlashResult r)
    {
        if (r.Converged)
        {
            Assert.True(double.IsFinite(r.TemperatureK) && double.IsFinite(r.PressurePa) && double.IsFinite(r.EnthalpyJPerMol));
            Assert.InRange(r.VaporFraction, 0, 1);
        }
        else
        {
            Assert.False(string.IsNullOrWhiteSpace(r.FailureReason));
        }
    }

    [Property(MaxTest = 150)]
    public void Random_PT_flashes_never_throw_or_hang(int a, int b, int c, int d, int e, byte tSeed, byte pSeed)
    {
        var z = Composition(a, b, c, d, e);
        var t = 80 + (tSeed * 2.5);                 // 80–717 K
        var p = Math.Pow(10, 3 + (pSeed / 255.0 * 4.5)); // 1 kPa – 32 MPa
        Bounded(() =>
        {
            foreach (var pkg in new[] { Pr.Value, Ideal.Value })
            {
                var r = pkg.FlashPT(t, p, z);
                AssertWellFormed(r);
                if (r.Converged && r.State == PhaseState.TwoPhase && pkg == Pr.Value)
                {
                    FlashIdentityTests.AssertEquilibrium(pkg, r, z);
                }
            }
        });
    }

    [Property(MaxTest = 60)]
    public void Random_PH_PS_and_vapour_fraction_flashes_never_throw_or_hang(int a, int b, int c, int d, int e, byte tSeed, byte pSeed, byte betaSeed)
    {
        var z = Composition(a, b, c, d, e);
        var t = 100 + (tSeed * 2.0);
        var p = Math.Pow(10, 4 + (pSeed / 255.0 * 3));
        var beta = betaSeed / 255.0;
        Bounded(() =>
        {
            foreach (var pkg in new[] { Pr.Value, Ideal.Value })
            {
                var pt = pkg.FlashPT(t, p, z);
                if (pt.Converged)
                {
                    var ph = pkg.FlashPH(p, pt.EnthalpyJPerMol, z);
                    AssertWellFormed(ph);
                    AssertWellFormed(pkg.FlashPS(p, pt.EntropyJPerMolK, z));
                    if (ph.Converged)
                    {
                        Assert.Equal(t, ph.TemperatureK, 1e-5);
                    }
                }

                AssertWellFormed(pkg.FlashPVF(p, beta, z));
                AssertWellFormed(pkg.FlashTVF(t, beta, z));
            }
        });
    }

    [Property(MaxTest = 100)]
    public void Arbitrary_doubles_never_throw_from_a_flash(double t, double p, double z0, double z1)
    {
        Bounded(() =>
        {
            AssertWellFormed(Pr.Value.FlashPT(t, p, [z0, z1, 0, 0, 0]));
            AssertWellFormed(Ideal.Value.FlashPH(p, t, [z0, z1, 0, 0, 0]));
            AssertWellFormed(Pr.Value.FlashPVF(p, z0, [z0, z1, 0, 0, 0]));
        });
    }
}
