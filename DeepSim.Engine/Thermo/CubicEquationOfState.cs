namespace DeepSim.Engine.Thermo;

/// <summary>Which Ωa, Ωb a cubic equation of state uses.</summary>
public enum CubicConstants
{
    /// <summary>The exact roots of the equation's critical-point conditions (the default).</summary>
    Exact,

    /// <summary>Peng and Robinson's published, rounded Ωa = 0.45724, Ωb = 0.07780 (PR only; for matching other simulators).</summary>
    Rounded1976,
}

/// <summary>The κ(ω) (or m(ω)) polynomial of α = [1 + κ(1 − √Tr)]².</summary>
public enum KappaCorrelation
{
    /// <summary>Peng–Robinson 1976: κ = 0.37464 + 1.54226ω − 0.26992ω² for every ω.</summary>
    PengRobinson1976,

    /// <summary>Peng–Robinson 1978: the 1976 polynomial for ω ≤ 0.491, κ = 0.379642 + 1.48503ω − 0.164423ω² + 0.016666ω³ above.</summary>
    PengRobinson1978,

    /// <summary>Soave 1972: m = 0.480 + 1.574ω − 0.176ω².</summary>
    Soave1972,
}

/// <summary>
/// A two-parameter cubic P = RT/(V − b) − a(T)/((V + δ1 b)(V + δ2 b)) with a = Ωa R²Tc²/Pc · α(T), b = Ωb R Tc/Pc:
/// (δ1, δ2) = (1 + √2, 1 − √2) is Peng–Robinson, (1, 0) is Soave–Redlich–Kwong. Immutable.
/// </summary>
public sealed class CubicEquationOfState
{
    // Peng and Robinson (1976) printed five digits; kept only for the "rounded-1976" option.
    private const double RoundedPengRobinsonOmegaA = 0.45724;
    private const double RoundedPengRobinsonOmegaB = 0.07780;

    // Bisection on Ωb until the bracket stops shrinking (the root is then exact to the last bit); 200 halvings of
    // the bracket below are far more than the ~55 needed, so the loop always ends by that test.
    private const int CriticalBisectionSteps = 200;

    private static readonly double Sqrt2 = Math.Sqrt(2);

    private CubicEquationOfState(string name, double delta1, double delta2, CubicConstants constants, KappaCorrelation kappa)
    {
        Name = name;
        Delta1 = delta1;
        Delta2 = delta2;
        Constants = constants;
        Kappa = kappa;
        var (omegaA, omegaB, zc) = CriticalConstants(delta1, delta2);
        CriticalCompressibility = zc;
        CriticalVolumeOverB = zc / omegaB;
        (OmegaA, OmegaB) = constants == CubicConstants.Rounded1976 ? (RoundedPengRobinsonOmegaA, RoundedPengRobinsonOmegaB) : (omegaA, omegaB);
    }

    /// <summary>Peng–Robinson with the exact Ωa, Ωb and the 1976 κ.</summary>
    public static CubicEquationOfState PengRobinson { get; } = CreatePengRobinson(CubicConstants.Exact, KappaCorrelation.PengRobinson1976);

    /// <summary>Soave–Redlich–Kwong (1972) with the exact Ωa = 1/(9(2^{1/3} − 1)), Ωb = (2^{1/3} − 1)/3.</summary>
    public static CubicEquationOfState SoaveRedlichKwong { get; } = new("srk", 1, 0, CubicConstants.Exact, KappaCorrelation.Soave1972);

    /// <summary>Peng–Robinson with the chosen constants and κ polynomial (PengRobinson1976 or PengRobinson1978).</summary>
    public static CubicEquationOfState CreatePengRobinson(CubicConstants constants, KappaCorrelation kappa)
    {
        if (kappa == KappaCorrelation.Soave1972)
        {
            throw new ArgumentException("Peng–Robinson takes the 1976 or 1978 κ polynomial.", nameof(kappa));
        }

        return new("peng-robinson", 1 + Sqrt2, 1 - Sqrt2, constants, kappa);
    }

    /// <summary>"peng-robinson" or "srk".</summary>
    public string Name { get; }

    public double Delta1 { get; }

    public double Delta2 { get; }

    public double OmegaA { get; }

    public double OmegaB { get; }

    public CubicConstants Constants { get; }

    public KappaCorrelation Kappa { get; }

    /// <summary>Zc of the equation itself (exact constants): 0.307401… for PR, 1/3 for SRK.</summary>
    public double CriticalCompressibility { get; }

    /// <summary>V/b at the critical point (Zc/Ωb, exact constants): a single root denser than this is liquid-like.</summary>
    public double CriticalVolumeOverB { get; }

    /// <summary>κ (PR) or m (SRK) for an acentric factor.</summary>
    public double KappaOf(double acentricFactor)
    {
        var w = acentricFactor;
        return Kappa switch
        {
            KappaCorrelation.Soave1972 => 0.480 + (1.574 * w) - (0.176 * w * w),
            KappaCorrelation.PengRobinson1978 when w > 0.491 => 0.379642 + (1.48503 * w) - (0.164423 * w * w) + (0.016666 * w * w * w),
            _ => 0.37464 + (1.54226 * w) - (0.26992 * w * w),
        };
    }

    /// <summary>
    /// Ωa, Ωb and Zc of the cubic with (δ1, δ2) from its critical conditions ∂P/∂V = ∂²P/∂V² = 0, equivalently: at
    /// Tc, Pc the cubic in Z, Z³ + c2 Z² + c1 Z + c0 = 0 with A = Ωa, B = Ωb, has a triple root Zc, so
    /// c2 = −3Zc, c1 = 3Zc², c0 = −Zc³. With u = δ1 + δ2, w = δ1δ2 the coefficients are
    /// c2 = (u − 1)B − 1, c1 = A + wB² − uB(B + 1), c0 = −(AB + wB²(B + 1)); the first two give Zc and A as functions
    /// of B, and the third is solved for B by bisection. PR: Ωa = 0.45723552892138…, Ωb = 0.07779607390388…,
    /// Zc = 0.30740130869870…; SRK: Ωa = 1/(9(2^{1/3} − 1)), Ωb = (2^{1/3} − 1)/3, Zc = 1/3.
    /// </summary>
    public static (double OmegaA, double OmegaB, double Zc) CriticalConstants(double delta1, double delta2)
    {
        var u = delta1 + delta2;
        var w = delta1 * delta2;
        double lo = 1e-3, hi = 0.3; // Ωb of every common cubic (vdW 1/8, RK/SRK 0.0866, PR 0.0778) lies inside
        var fLo = Residual(lo, u, w);
        for (var k = 0; k < CriticalBisectionSteps; k++)
        {
            var mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi)
            {
                break;
            }

            var f = Residual(mid, u, w);
            if (f == 0)
            {
                lo = hi = mid;
                break;
            }

            if ((f < 0) == (fLo < 0))
            {
                lo = mid;
                fLo = f;
            }
            else
            {
                hi = mid;
            }
        }

        var omegaB = Math.Abs(Residual(lo, u, w)) <= Math.Abs(Residual(hi, u, w)) ? lo : hi;
        var zc = ZcOf(omegaB, u);
        return (OmegaAOf(omegaB, zc, u, w), omegaB, zc);
    }

    private static double ZcOf(double omegaB, double u) => (1 - ((u - 1) * omegaB)) / 3;

    private static double OmegaAOf(double omegaB, double zc, double u, double w)
        => (3 * zc * zc) - (w * omegaB * omegaB) + (u * omegaB * (omegaB + 1));

    // AB + wB²(B + 1) − Zc³ with Zc and A from the first two conditions: zero at the critical Ωb.
    private static double Residual(double omegaB, double u, double w)
    {
        var zc = ZcOf(omegaB, u);
        return (OmegaAOf(omegaB, zc, u, w) * omegaB) + (w * omegaB * omegaB * (omegaB + 1)) - (zc * zc * zc);
    }
}
