using DeepSim.Engine.Components;
using DeepSim.Engine.Thermo;
using Xunit.Abstractions;

namespace DeepSim.Engine.Tests.Thermo;

/// <summary>
/// The cubic two-phase split by Newton's method on the vapour mole numbers (after two substitutions) against plain
/// successive substitution, and the analytic composition derivatives n ∂ln φᵢ/∂nⱼ its Hessian is built from.
/// </summary>
public class SecondOrderFlashTests(ITestOutputHelper output)
{
    // Central differences with a 1e-6 step carry an error of order 1e-9 here; 1e-6 leaves a wide margin and still fails
    // on any wrong term (each term of the derivative is of order 0.1–10).
    private const double DerivativeTolerance = 1e-6;

    // Both splits stop at max |Δ ln K| < 1e-11; away from a critical point that fixes the compositions to ~1e-11.
    private const double SameAnswer = 1e-10;

    // A reference converged to max |Δ ln K| < 1e-14 (the rounding floor is ~1e-15), for states next to a critical point
    // where 1e-11 in ln K still leaves ~1e-9 in the compositions.
    private const double TightTolerance = 1e-14;

    private static readonly ComponentDatabase Db = ComponentDatabase.Default;
    private static readonly string[] Gas5 = FlashIdentityTests.NaturalGas5;
    private static readonly double[] Gas5Z = FlashIdentityTests.NaturalGas5Z;

    private static Component C(string name) => Db.Find(name) ?? throw new InvalidOperationException(name);

    private static CubicPackage Cubic(string package, string[] names, IReadOnlyDictionary<(int I, int J), double>? kij = null)
        => (CubicPackage)PropertyPackages.Create(package, [.. names.Select(C)], kij);

    private static CubicPackage Substitution(CubicPackage package, double tolerance = FlashSettings.FugacityTolerance)
        => package.WithPhaseSplit(PhaseSplitMethod.SuccessiveSubstitution, tolerance);

    // ---- composition derivatives ----

    // CO2/methane/propane/n-hexane: the databank's CO2 pairs plus overrides, so every kind of kᵢⱼ term is exercised.
    private static readonly string[] Co2Mixture = ["carbon dioxide", "methane", "propane", "n-hexane"];
    private static readonly Dictionary<(int I, int J), double> Co2MixtureKij = new() { [(1, 2)] = 0.02, [(1, 3)] = 0.04, [(2, 3)] = -0.015 };

    public static TheoryData<string, string, double, double, double[]> DerivativeStates => new()
    {
        { "peng-robinson", "liquid", 250, 5e6, [0.1, 0.2, 0.3, 0.4] },
        { "peng-robinson", "vapor", 250, 5e6, [0.2, 0.6, 0.15, 0.05] },
        { "peng-robinson", "vapor", 400, 1e5, [0.25, 0.25, 0.25, 0.25] },
        { "peng-robinson", "liquid", 320, 2e7, [0.3, 0.3, 0.2, 0.2] },
        { "srk", "liquid", 250, 5e6, [0.1, 0.2, 0.3, 0.4] },
        { "srk", "vapor", 250, 5e6, [0.2, 0.6, 0.15, 0.05] },
        { "srk", "vapor", 400, 1e5, [0.25, 0.25, 0.25, 0.25] },
        { "srk", "liquid", 320, 2e7, [0.3, 0.3, 0.2, 0.2] },
    };

    [Theory]
    [MemberData(nameof(DerivativeStates))]
    public void Analytic_composition_derivatives_match_central_differences(string package, string phaseName, double t, double p, double[] x)
    {
        var pkg = Cubic(package, Co2Mixture, Co2MixtureKij);
        Assert.Contains(((ICubicPropertyPackage)pkg).InteractionParameters, k => k.Source == KijSource.ChemSep && k.Value != 0);
        var phase = phaseName == "liquid" ? Phase.Liquid : Phase.Vapor;
        var n = x.Length;
        var lnPhi = new double[n];
        var analytic = new double[n * n];
        pkg.LnFugacityCoefficientDerivatives(phase, t, p, x, lnPhi, analytic);

        // n ∂ln φᵢ/∂nⱼ at n = 1 mol: perturb the mole number of j and renormalise (ln φ depends on the mole fractions only).
        const double h = 1e-6;
        var plus = new double[n];
        var minus = new double[n];
        var worst = 0.0;
        for (var j = 0; j < n; j++)
        {
            pkg.LnFugacityCoefficients(phase, t, p, Perturbed(x, j, h), plus);
            pkg.LnFugacityCoefficients(phase, t, p, Perturbed(x, j, -h), minus);
            for (var i = 0; i < n; i++)
            {
                var numeric = (plus[i] - minus[i]) / (2 * h);
                var error = Math.Abs(numeric - analytic[(i * n) + j]) / (1 + Math.Abs(numeric));
                worst = Math.Max(worst, error);
                Assert.True(error < DerivativeTolerance, $"n ∂ln φ{i}/∂n{j}: analytic {analytic[(i * n) + j]:R}, central difference {numeric:R}");
            }
        }

        // Gibbs–Duhem: Σᵢ xᵢ n ∂ln φᵢ/∂nⱼ = 0 for every j; the matrix is symmetric (a second derivative of G).
        for (var j = 0; j < n; j++)
        {
            var sum = 0.0;
            for (var i = 0; i < n; i++)
            {
                sum += x[i] * analytic[(i * n) + j];
                Assert.Equal(analytic[(i * n) + j], analytic[(j * n) + i], 12);
            }

            Assert.True(Math.Abs(sum) < 1e-12, $"Gibbs–Duhem column {j}: {sum:E3}");
        }

        output.WriteLine($"{package} {phaseName} {t} K {p} Pa: worst relative difference {worst:E2}");
    }

    private static double[] Perturbed(double[] x, int j, double h)
    {
        var moles = (double[])x.Clone();
        moles[j] += h;
        var total = moles.Sum();
        return [.. moles.Select(m => m / total)];
    }

    // ---- the cubic's roots ----

    [Theory]
    [InlineData("peng-robinson")]
    [InlineData("srk")]
    public void Cubic_roots_are_the_outer_real_roots_above_B(string package)
    {
        // Against an independent root finder (bisection between the stationary points) over A from 0.02B to 400B and B
        // from 1e-6 to 3: the smallest and largest real roots above B, or the one root, to 1e-12 relative.
        var pkg = Cubic(package, ["methane"]);
        var eos = pkg.Equation;
        var rng = new Random(7);
        for (var k = 0; k < 20000; k++)
        {
            var capB = Math.Exp(Math.Log(1e-6) + (rng.NextDouble() * Math.Log(3e6)));
            var capA = capB * Math.Exp(Math.Log(0.02) + (rng.NextDouble() * Math.Log(2e4)));
            Assert.True(pkg.CubicRoots(capA, capB, out var zMin, out var zMax), $"A = {capA:R}, B = {capB:R}");
            var reference = ReferenceRoots(capA, capB, eos.Delta1, eos.Delta2);
            Assert.True(Math.Abs(zMin - reference.Min) <= 1e-12 * reference.Min, $"A = {capA:R}, B = {capB:R}: smallest {zMin:R} against {reference.Min:R}");
            Assert.True(Math.Abs(zMax - reference.Max) <= 1e-12 * reference.Max, $"A = {capA:R}, B = {capB:R}: largest {zMax:R} against {reference.Max:R}");
        }
    }

    // Real roots above B of Z³ + c2 Z² + c1 Z + c0 by bisection on the monotone pieces between the stationary points.
    private static (double Min, double Max) ReferenceRoots(double capA, double capB, double delta1, double delta2)
    {
        var u = delta1 + delta2;
        var w = delta1 * delta2;
        var c2 = ((u - 1) * capB) - 1;
        var c1 = capA + (w * capB * capB) - (u * capB * (capB + 1));
        var c0 = -((capA * capB) + (w * capB * capB * (capB + 1)));
        double F(double z) => (((z + c2) * z) + c1) * z + c0;
        var d = (c2 * c2) - (3 * c1);
        var stationary = d > 0 ? new[] { (-c2 - Math.Sqrt(d)) / 3, (-c2 + Math.Sqrt(d)) / 3 } : [];
        var bound = 1 + Math.Max(Math.Abs(c2), Math.Max(Math.Abs(c1), Math.Abs(c0))); // Cauchy's bound on every root
        var edges = new List<double> { capB };
        edges.AddRange(stationary.Where(s => s > capB));
        edges.Add(bound);
        var roots = new List<double>();
        for (var e = 0; e + 1 < edges.Count; e++)
        {
            double lo = edges[e], hi = edges[e + 1];
            if (Math.Sign(F(lo)) == Math.Sign(F(hi)))
            {
                continue;
            }

            for (var it = 0; it < 200 && hi - lo > 0; it++)
            {
                var mid = 0.5 * (lo + hi);
                if (mid <= lo || mid >= hi)
                {
                    break;
                }

                if (Math.Sign(F(mid)) == Math.Sign(F(lo)))
                {
                    lo = mid;
                }
                else
                {
                    hi = mid;
                }
            }

            roots.Add(0.5 * (lo + hi));
        }

        return (roots.Min(), roots.Max());
    }

    // ---- Newton against substitution ----

    // Two-phase states of the natural gas on a grid, and next to the bubble and dew curves (β = 0.001 and 0.999).
    public static TheoryData<string, double, double> GridStates()
    {
        var data = new TheoryData<string, double, double>();
        foreach (var package in new[] { "peng-robinson", "srk" })
        {
            foreach (var (t, p) in new[] { (200.0, 1e6), (200, 2e6), (230, 1e6), (230, 2e6), (230, 4e6), (260, 1e6), (260, 2e6), (260, 4e6), (260, 6e6), (290, 1e6), (290, 2e6), (290, 4e6), (290, 6e6) })
            {
                data.Add(package, t, p);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(GridStates))]
    public void Newton_reaches_the_substitution_answer_in_fewer_iterations(string package, double t, double p)
    {
        var newton = Cubic(package, Gas5);
        AssertSameSplit(newton, Substitution(newton), t, p, Gas5Z, SameAnswer, fewerIterations: true);
    }

    [Theory]
    [InlineData("peng-robinson", 1e6, 0.001)]
    [InlineData("peng-robinson", 1e6, 0.999)]
    [InlineData("peng-robinson", 3e6, 0.001)]
    [InlineData("peng-robinson", 3e6, 0.999)]
    [InlineData("peng-robinson", 5e6, 0.001)]
    [InlineData("peng-robinson", 5e6, 0.999)]
    [InlineData("srk", 1e6, 0.001)]
    [InlineData("srk", 1e6, 0.999)]
    [InlineData("srk", 3e6, 0.001)]
    [InlineData("srk", 3e6, 0.999)]
    [InlineData("srk", 5e6, 0.001)]
    [InlineData("srk", 5e6, 0.999)]
    public void Newton_reaches_the_substitution_answer_next_to_the_phase_boundary(string package, double p, double vaporFraction)
    {
        var newton = Cubic(package, Gas5);
        var boundary = newton.FlashPVF(p, vaporFraction, Gas5Z);
        Assert.True(boundary.Converged, boundary.FailureReason);
        var r = AssertSameSplit(newton, Substitution(newton), boundary.TemperatureK, p, Gas5Z, SameAnswer, fewerIterations: true);
        Assert.Equal(vaporFraction, r.VaporFraction, 6);
    }

    // States where substitution needs 80–110 iterations because the two phases are close (K within e^±0.35 of 1).
    public static TheoryData<string, double, double, double[]> NearCriticalStates => new()
    {
        { "peng-robinson", 391.7, 5.62e6, [0.076, 0.226, 0.269, 0.292, 0.137] },
        { "peng-robinson", 397.6, 7.22e6, [0.189, 0.315, 0.13, 0.049, 0.317] },
        { "srk", 391.7, 5.62e6, [0.076, 0.226, 0.269, 0.292, 0.137] },
        { "srk", 388.6, 7.44e6, [0.282, 0.289, 0.012, 0.281, 0.136] },
        { "srk", 358.18959912666566, 5506337.406029962, [0.04300894490051557, 0.46630648525653295, 0.363934760181491, 0.10173886015604375, 0.025010949505416557] },
    };

    [Theory]
    [MemberData(nameof(NearCriticalStates))]
    public void Newton_reaches_the_substitution_answer_next_to_a_critical_point(string package, double t, double p, double[] z)
    {
        var newton = Cubic(package, Gas5);

        // At the flash tolerance both answers are equilibria to 1e-11 in ln K and fewer iterations are needed by Newton;
        // converged tighter, the two methods agree to 1e-10 (it is the same equilibrium).
        AssertSameSplit(newton, Substitution(newton), t, p, z, double.PositiveInfinity, fewerIterations: true);
        AssertSameSplit(newton.WithPhaseSplit(PhaseSplitMethod.SecondOrder, TightTolerance), Substitution(newton, TightTolerance), t, p, z, SameAnswer, fewerIterations: false);
    }

    private FlashResult AssertSameSplit(CubicPackage newton, CubicPackage substitution, double t, double p, double[] z, double tolerance, bool fewerIterations)
    {
        var a = newton.FlashPT(t, p, z);
        var b = substitution.FlashPT(t, p, z);
        Assert.True(a.Converged, a.FailureReason);
        Assert.True(b.Converged, b.FailureReason);
        Assert.Equal(PhaseState.TwoPhase, a.State);
        Assert.Equal(b.State, a.State);
        FlashIdentityTests.AssertEquilibrium(newton, a, z);
        var difference = Math.Abs(a.VaporFraction - b.VaporFraction);
        for (var i = 0; i < z.Length; i++)
        {
            difference = Math.Max(difference, Math.Abs(a.LiquidComposition[i] - b.LiquidComposition[i]));
            difference = Math.Max(difference, Math.Abs(a.VaporComposition[i] - b.VaporComposition[i]));
        }

        output.WriteLine($"{newton.Name} {t:R} K {p:R} Pa: β = {a.VaporFraction:F6}, iterations {a.Iterations} (substitution {b.Iterations}), largest difference {difference:E2}");
        Assert.True(difference <= tolerance, $"Newton and substitution differ by {difference:E3}");
        if (fewerIterations)
        {
            Assert.True(a.Iterations < b.Iterations, $"Newton took {a.Iterations} iterations, substitution {b.Iterations}");
        }

        return a;
    }

    [Theory]
    [InlineData("peng-robinson", 5, 7, 15)]
    [InlineData("srk", 5, 7, 15)]
    [InlineData("peng-robinson", 10, 7, 13)]
    [InlineData("srk", 10, 7, 13)]
    public void The_benchmark_flashes_take_the_documented_iterations(string package, int components, int newtonIterations, int substitutionIterations)
    {
        // The states of FlashBenchmarks (the speed figures in the Thermo README): one stability iteration, then two
        // substitutions and four Newton evaluations (5 components) or three and a chord step's check (10).
        var (names, z, t, p) = components == 5
            ? (Gas5, Gas5Z, 250.0, 4e6)
            : (FlashIdentityTests.Alkanes10, FlashIdentityTests.Alkanes10Z, 350.0, 2e6);
        var newton = Cubic(package, names);
        var a = newton.FlashPT(t, p, z);
        var b = Substitution(newton).FlashPT(t, p, z);
        Assert.Equal(PhaseState.TwoPhase, a.State);
        Assert.Equal((newtonIterations, substitutionIterations), (a.Iterations, b.Iterations));
    }

    [Fact]
    public void A_warm_buffered_cubic_flash_allocates_nothing()
    {
        // The Newton split's Hessian, factorization and step live in the thread's workspace: after the first call has
        // sized it, two-phase PR flashes (at changing T, so the temperature parameters are prepared again) allocate nothing.
        var p = (IBufferedFlash)FlashIdentityTests.Create("peng-robinson", FlashIdentityTests.Alkanes10);
        var x = new double[10];
        var y = new double[10];
        var first = p.FlashPT(350, 2e6, FlashIdentityTests.Alkanes10Z, x, y);
        Assert.Equal(PhaseState.TwoPhase, first.State);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var k = 0; k < 20; k++)
        {
            var r = p.FlashPT(340 + k, 2e6, FlashIdentityTests.Alkanes10Z, x, y);
            Assert.True(r.State == PhaseState.TwoPhase); // Assert.Equal would box the enum (an allocation of its own)
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
