using DeepSim.Engine.Components;
using DeepSim.Engine.Numerics;

namespace DeepSim.Engine.Thermo;

/// <summary>
/// A two-parameter cubic equation of state (<see cref="CubicEquationOfState"/>: Peng–Robinson or SRK) with
/// a = Ωa R²Tc²/Pc · α, b = Ωb R Tc/Pc, α = [1 + κ(1 − √Tr)]²; van der Waals mixing with aᵢⱼ = √(aᵢaⱼ)(1 − kᵢⱼ).
/// Residual enthalpy and entropy are added to the ideal-gas values on the formation basis.
/// PT flash: Michelsen tangent-plane stability test (vapour- and liquid-like Wilson trials), then two successive
/// substitutions (bracketed Rachford–Rice) and Newton's method on the vapour mole numbers with the analytic composition
/// derivatives of ln φ, falling back to substitution with dominant-eigenvalue acceleration where Newton cannot proceed.
/// </summary>
internal sealed class CubicPackage : PropertyPackageBase, ICubicPropertyPackage
{
    // Dominant-eigenvalue extrapolation every this many substitutions (Michelsen's recommendation is 5).
    private const int AccelerationInterval = 5;

    // Largest dominant eigenvalue extrapolated (step factor λ/(1 − λ) ≤ 999); near a critical point λ → 1.
    private const double MaxEigenvalue = 0.999;

    // Substitutions before the phase split switches to Newton's method: from the stability test's trial a few plain
    // steps bring the K-values close enough that the Hessian is positive definite and Newton converges quadratically.
    private const int SubstitutionsBeforeNewton = 2;

    // A factorization made where the residual was below this serves the following Newton steps too (chord steps).
    private const double ChordResidual = 1e-4;

    // Newton evaluations before substitution takes over (quadratic convergence needs 3–5; more means the quadratic model
    // is poor, next to a critical point, where substitution is the safer way).
    private const int MaxNewtonEvaluations = 20;

    // Newton attempts per split; after a failed one substitution runs twice as many steps as before the last (2, 4, 8, ...).
    private const int MaxNewtonAttempts = 6;

    // Halvings of a Newton step that is not accepted (see NewtonSplit) before substitution takes over.
    private const int MaxNewtonHalvings = 4;

    // A Newton step is shortened so that every vᵢ and lᵢ keeps at least this fraction of its value (mole numbers stay positive).
    private const double NewtonBoundaryFraction = 0.1;

    // Relative rounding of G/RT: a step that raises the residual is accepted only when it lowers G by more than this,
    // since next to the solution G changes in its last digits only.
    private const double GibbsRounding = 1e-14;

    // Halley's iteration on the cubic: 2–4 steps from a cold start, 1–2 from a nearby root; bounded for non-finite input.
    private const int MaxRootIterations = 100;

    private const double RootStepTolerance = 1e-15;

    // Steps this small that stop shrinking are rounding noise (a double root amplifies it): the root is as good as it gets.
    private const double RoundingStepTolerance = 1e-9;

    private const int MaxPolishIterations = 8;

    private const double PolishStepTolerance = 1e-12;

    // See Roots: a Halley step this small relative to z and to the previous step ends the iteration.
    private const double RootCubicTolerance = 1e-7;

    private const double RootCubicRatio = 1e-3;

    // (bits of x)/3 + this is close to the bits of ∛x: a third of the exponent bias, 1023·2⁵²·(2/3).
    private const long CubeRootExponentBias = 0x2AA0000000000000;

    // LnPhiCore's slot for an evaluation that is not one of the split's two phases.
    private const int NoSlot = -1;

    // An LDLᵀ pivot of the Hessian at or below this times its diagonal's ideal part zᵢ/(xᵢyᵢ) is not positive definite
    // (the Hessian scaled to a unit ideal diagonal would have a pivot below 1e-12).
    private const double MinPivot = 1e-12;

    private readonly CubicEquationOfState eos;
    private readonly string displayName;

    // How the two-phase split converges (second order by default; substitution only for comparison in tests and benchmarks)
    // and its tolerance on max |Δ ln K| (tighter only for reference answers in tests).
    private PhaseSplitMethod splitMethod = PhaseSplitMethod.SecondOrder;
    private double splitTolerance = FlashSettings.FugacityTolerance;

    // δ1, δ2 of the cubic, their sum and product (cubic coefficients) and 1/(δ1 − δ2) (the log term's factor).
    private readonly double delta1, delta2, deltaSum, deltaProduct, inverseDeltaDifference;

    // V/b at the critical point: a single root denser than this is liquid-like.
    private readonly double criticalVolumeOverB;

    private readonly double[] sqrtAc, kappa, b, inverseB, lnPc;
    private readonly double[] oneMinusKij; // n×n, row-major
    private readonly bool hasKij;
    private readonly BinaryInteractionParameter[] interactions;

    // Péneloux volume shift cᵢ, m³/mol (all 0 without translation); only MolarVolume uses it.
    private readonly double[] volumeShift;

    public CubicPackage(IReadOnlyList<Component> components, CubicEquationOfState eos, double[,] kij, KijSource[,] sources, bool penelouxTranslation = false)
        : base(components)
    {
        this.eos = eos ?? throw new ArgumentNullException(nameof(eos));
        displayName = eos.Name == "srk" ? "Soave–Redlich–Kwong" : "Peng–Robinson";
        delta1 = eos.Delta1;
        delta2 = eos.Delta2;
        deltaSum = delta1 + delta2;
        deltaProduct = delta1 * delta2;
        inverseDeltaDifference = 1 / (delta1 - delta2);
        criticalVolumeOverB = eos.CriticalVolumeOverB;
        sqrtAc = new double[n];
        kappa = new double[n];
        b = new double[n];
        inverseB = new double[n];
        lnPc = new double[n];
        for (var i = 0; i < n; i++)
        {
            lnPc[i] = Math.Log(pc[i]);
            sqrtAc[i] = Math.Sqrt(eos.OmegaA * R * R * tc[i] * tc[i] / pc[i]);
            b[i] = eos.OmegaB * R * tc[i] / pc[i];
            inverseB[i] = 1 / b[i];
            kappa[i] = eos.KappaOf(omega[i]);
        }

        VolumeTranslation = penelouxTranslation;
        volumeShift = new double[n];
        for (var i = 0; i < n; i++)
        {
            volumeShift[i] = penelouxTranslation ? PenelouxShift(tc[i], pc[i], omega[i]) : 0;
        }

        oneMinusKij = new double[n * n];
        var list = new List<BinaryInteractionParameter>();
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var k = i == j ? 0 : kij[i, j];
                oneMinusKij[(i * n) + j] = 1 - k;
                hasKij |= k != 0;
                if (j > i)
                {
                    list.Add(new BinaryInteractionParameter(i, j, k, sources[i, j]));
                }
            }
        }

        interactions = [.. list];
    }

    public override string Name => eos.Name;

    /// <summary>This package with the two-phase split converged by the given method to the given max |Δ ln K| (shares the immutable data).</summary>
    internal CubicPackage WithPhaseSplit(PhaseSplitMethod method, double tolerance = FlashSettings.FugacityTolerance)
    {
        var copy = (CubicPackage)MemberwiseClone();
        copy.splitMethod = method;
        copy.splitTolerance = tolerance;
        return copy;
    }

    internal PhaseSplitMethod SplitMethod => splitMethod;

    /// <summary>ln φ of one phase (liquid = smallest root, vapour = largest) and n ∂ln φᵢ/∂nⱼ at T, P into derivatives (n×n).</summary>
    internal void LnFugacityCoefficientDerivatives(Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> moleFractions, Span<double> lnPhi, Span<double> derivatives)
    {
        ThrowIfInvalidState(temperatureK, pressurePa, moleFractions);
        var ws = Workspace.Rent(n);
        try
        {
            var x = ws.Tmp;
            Normalize(moleFractions, x);
            Prepare(ws, temperatureK);
            ws.MemoFor = null;
            ws.MemoZ[0] = double.NaN; // a cold root solve, as for any single evaluation
            LnPhiCore(ws, phase == Phase.Liquid ? RootKind.Liquid : RootKind.Vapor, temperatureK, pressurePa, x, lnPhi, out _, 0, true, 1);
            ws.HessianPressureWeightV = 0;
            AssembleHessian(ws, ws.Hessian);
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j <= i; j++)
                {
                    derivatives[(i * n) + j] = derivatives[(j * n) + i] = ws.Hessian[(i * n) + j] + 1;
                }
            }
        }
        finally
        {
            Workspace.Return(ws);
        }
    }

    /// <summary>The smallest and largest real roots above B of the cubic in Z for dimensionless A and B (tests).</summary>
    internal bool CubicRoots(double capA, double capB, out double zMin, out double zMax) => Roots(capA, capB, out zMin, out zMax);

    public CubicEquationOfState Equation => eos;

    public IReadOnlyList<BinaryInteractionParameter> InteractionParameters => interactions;

    public bool VolumeTranslation { get; }

    /// <summary>
    /// Péneloux, Rauzy and Fréze (1982) shift for SRK, c = 0.40768 (R Tc/Pc)(0.29441 − Z_RA), with the Rackett
    /// compressibility estimated as Z_RA = 0.29056 − 0.08775ω (Spencer and Danner 1972).
    /// </summary>
    private static double PenelouxShift(double tcK, double pcPa, double acentric)
    {
        var zra = 0.29056 - (0.08775 * acentric);
        return 0.40768 * (R * tcK / pcPa) * (0.29441 - zra);
    }

    public double MolarVolume(Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> moleFractions)
    {
        ThrowIfInvalidState(temperatureK, pressurePa, moleFractions);
        var ws = Workspace.Rent(n);
        try
        {
            var x = ws.Tmp;
            Normalize(moleFractions, x);
            Prepare(ws, temperatureK);
            var (am, bm) = Mix(ws, x);
            var rt = R * temperatureK;
            if (!Roots(am * pressurePa / (rt * rt), bm * pressurePa / rt, out var zMin, out var zMax))
            {
                return double.NaN;
            }

            double shift = 0;
            for (var i = 0; i < n; i++)
            {
                shift += x[i] * volumeShift[i];
            }

            return ((phase == Phase.Liquid ? zMin : zMax) * rt / pressurePa) - shift;
        }
        finally
        {
            Workspace.Return(ws);
        }
    }

    /// <summary>
    /// Heat capacities of one phase (liquid = smallest root, vapour = largest) from the equation's analytic derivatives,
    /// J/(mol K): Cv = Cp_ig − R + Cv_res with Cv_res = T (d²a/dT²) ln[(V + δ1b)/(V + δ2b)] / ((δ1 − δ2) b), and
    /// Cp = Cv − T (∂P/∂T)²_V / (∂P/∂V)_T, where (∂P/∂T)_V = R/(V − b) − (da/dT)/[(V + δ1b)(V + δ2b)] and
    /// (∂P/∂V)_T = −RT/(V − b)² + a(2V + (δ1 + δ2)b)/[(V + δ1b)(V + δ2b)]². The Péneloux shift is a constant per
    /// composition, so it changes none of these. False (NaN outputs) when the cubic has no physical root.
    /// </summary>
    internal bool HeatCapacities(Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> moleFractions, out double cpJPerMolK, out double cvJPerMolK)
    {
        ThrowIfInvalidState(temperatureK, pressurePa, moleFractions);
        var ws = Workspace.Rent(n);
        try
        {
            var x = ws.Tmp;
            Normalize(moleFractions, x);
            Prepare(ws, temperatureK);
            var (am, bm) = Mix(ws, x);
            var rt = R * temperatureK;
            if (!Roots(am * pressurePa / (rt * rt), bm * pressurePa / rt, out var zMin, out var zMax))
            {
                cpJPerMolK = cvJPerMolK = double.NaN;
                return false;
            }

            var v = (phase == Phase.Liquid ? zMin : zMax) * rt / pressurePa;

            // a = Σᵢⱼ xᵢxⱼ qᵢqⱼ(1 − kᵢⱼ) with qᵢ = √aᵢ; q'ᵢ = ws.DQ[i], q''ᵢ = −q'ᵢ/(2T) (from qᵢ = √aci(1 + κᵢ(1 − √(T/Tci)))).
            double dadt = 0, d2adt2 = 0;
            for (var i = 0; i < n; i++)
            {
                dadt += x[i] * ws.DQ[i] * ws.U[i];
                d2adt2 += x[i] * (-ws.DQ[i] / (2 * temperatureK)) * ws.U[i];
                var row = i * n;
                for (var j = 0; j < n; j++)
                {
                    d2adt2 += x[i] * x[j] * ws.DQ[i] * ws.DQ[j] * oneMinusKij[row + j];
                }
            }

            dadt *= 2;
            d2adt2 *= 2;
            var p1 = v + (delta1 * bm);
            var p2 = v + (delta2 * bm);
            var dPdT = (R / (v - bm)) - (dadt / (p1 * p2));
            var dPdV = (-rt / ((v - bm) * (v - bm))) + (am * ((2 * v) + (deltaSum * bm)) / (p1 * p1 * p2 * p2));
            var cvResidual = temperatureK * d2adt2 * Math.Log(p1 / p2) * inverseDeltaDifference / bm;
            cvJPerMolK = IdealGasHeatCapacity(x, temperatureK) - R + cvResidual;
            cpJPerMolK = cvJPerMolK - (temperatureK * dPdT * dPdT / dPdV);
            return double.IsFinite(cpJPerMolK) && double.IsFinite(cvJPerMolK);
        }
        finally
        {
            Workspace.Return(ws);
        }
    }

    protected override bool UsesPureSaturationRoute => true;

    protected override void PrepareTemperature(Workspace ws, double temperatureK)
    {
        for (var i = 0; i < n; i++)
        {
            var sqrtTr = Math.Sqrt(temperatureK / tc[i]);
            var m = 1 + (kappa[i] * (1 - sqrtTr));
            ws.Q[i] = sqrtAc[i] * m; // √aᵢ
            ws.DQ[i] = -sqrtAc[i] * kappa[i] / (2 * Math.Sqrt(temperatureK * tc[i])); // d√aᵢ/dT
        }
    }

    // Mixture a, b and uᵢ = Σⱼ (1 − kᵢⱼ) xⱼ √aⱼ (so Σⱼ xⱼ aᵢⱼ = √aᵢ uᵢ); returns a, b.
    private (double A, double B) Mix(Workspace ws, ReadOnlySpan<double> x)
    {
        double am = 0, bm = 0;
        var q = ws.Q;
        var u = ws.U;
        if (!hasKij)
        {
            double s = 0;
            for (var j = 0; j < n; j++)
            {
                s += x[j] * q[j];
            }

            for (var i = 0; i < n; i++)
            {
                u[i] = s;
                bm += x[i] * b[i];
            }

            am = s * s;
            return (am, bm);
        }

        // uᵢ = Σⱼ (1 − kᵢⱼ) wⱼ with wⱼ = xⱼ√aⱼ, in two interleaved sums so the additions do not form one dependent chain.
        var w = ws.XQ;
        for (var j = 0; j < n; j++)
        {
            w[j] = x[j] * q[j];
        }

        for (var i = 0; i < n; i++)
        {
            var row = oneMinusKij.AsSpan(i * n, n);
            double s0 = 0, s1 = 0;
            var j = 0;
            for (; j + 1 < row.Length; j += 2)
            {
                s0 += row[j] * w[j];
                s1 += row[j + 1] * w[j + 1];
            }

            if (j < row.Length)
            {
                s0 += row[j] * w[j];
            }

            u[i] = s0 + s1;
            am += w[i] * u[i];
            bm += x[i] * b[i];
        }

        return (am, bm);
    }

    /// <summary>
    /// Real roots of Z³ + c2 Z² + c1 Z + c0 = 0 above B: the smallest and largest (equal when one). One root by Halley's
    /// iteration, started beyond the outer root (with D = c2² − 3c1 and the inflection Zᵢ = −c2/3 every root lies within
    /// (2/3)√D of Zᵢ, the outer one on the side opposite to the sign of f(Zᵢ): Deiters and Macías-Salinas, Ind. Eng.
    /// Chem. Res. 53 (2014) 2529; for D ≤ 0 the cubic is monotone) or at a nearby root; the other two from the deflated
    /// quadratic, the outer one polished on the cubic. Whichever root the iteration reaches, the deflation gives the rest.
    /// Cardano's formula with its cube roots and cosines cost about twice as much.
    /// </summary>
    private bool Roots(double capA, double capB, out double zMin, out double zMax)
        => Roots(capA, capB, double.NaN, out zMin, out zMax);

    // As above, starting Halley's iteration at a root of a nearby state (the same phase's previous iterate) when given.
    private bool Roots(double capA, double capB, double nearbyRoot, out double zMin, out double zMax)
    {
        // Z³ + [(δ1 + δ2 − 1)B − 1] Z² + [A + δ1δ2 B² − (δ1 + δ2) B(B + 1)] Z − [AB + δ1δ2 B²(B + 1)] = 0
        var c2 = ((deltaSum - 1) * capB) - 1;
        var c1 = capA + (deltaProduct * capB * capB) - (deltaSum * capB * (capB + 1));
        var c0 = -((capA * capB) + (deltaProduct * capB * capB * (capB + 1)));
        var inflection = -c2 / 3;
        var fInflection = ((((inflection + c2) * inflection) + c1) * inflection) + c0;
        var d = (c2 * c2) - (3 * c1);
        var z = inflection;
        if (nearbyRoot > capB)
        {
            z = nearbyRoot;
        }
        else if (fInflection != 0)
        {
            // About the inflection f = t³ − (d/3)t + f(Zᵢ). With d > 0 every root lies within (2/3)√d of Zᵢ; with
            // d ≤ 0 f is monotone and the root lies within min(|f(Zᵢ)|/(−d/3), ∛|f(Zᵢ)|) (bounded here without a cube root).
            var offset = d > 0 ? (2.0 / 3.0) * Math.Sqrt(d) : MonotoneRootBound(Math.Abs(fInflection), -d / 3);
            z = inflection - Math.CopySign(offset, fInflection);
        }

        if (nearbyRoot > capB || fInflection != 0)
        {
            var previousStep = double.PositiveInfinity;
            for (var k = 0; k < MaxRootIterations; k++)
            {
                // Halley: z −= f f′ / (f′² − f f″/2), cubic convergence.
                var f = ((((z + c2) * z) + c1) * z) + c0;
                var df = (((3 * z) + (2 * c2)) * z) + c1;
                var denominator = (df * df) - (f * ((3 * z) + c2));
                if (f == 0 || denominator == 0)
                {
                    break;
                }

                var step = Math.Abs(f * df / denominator);
                z -= f * df / denominator;
                var scale = Math.Abs(z);

                // Converged: a step a thousandth of the last and below 1e-7 leaves an error ~ step⁴/last³ below rounding
                // (cubic convergence), or the step is at rounding; or, next to a double root where rounding in f is
                // amplified, tiny steps stop shrinking.
                if (step <= RootStepTolerance * scale
                    || (k > 0 && step <= RootCubicTolerance * scale && step <= RootCubicRatio * previousStep)
                    || (step >= previousStep && step <= RoundingStepTolerance * scale))
                {
                    break;
                }

                previousStep = step;
            }
        }

        double r1 = z, r3 = z;

        // Z³ + c2 Z² + c1 Z + c0 = (Z − z)(Z² + e1 Z + e0); only the outer roots are used, so the middle one is not polished.
        var e1 = c2 + z;
        var e0 = c1 + (z * e1);
        var discriminant = (e1 * e1) - (4 * e0);
        if (discriminant >= 0)
        {
            var qd = -0.5 * (e1 + Math.CopySign(Math.Sqrt(discriminant), e1));
            if (qd != 0)
            {
                var other = e0 / qd;
                var lo = Math.Min(qd, other);
                var hi = Math.Max(qd, other);
                r1 = z <= lo ? z : Polish(lo, c2, c1, c0);
                r3 = z >= hi ? z : Polish(hi, c2, c1, c0);
                (r1, r3) = (Math.Min(r1, z), Math.Max(r3, z)); // next to a double root polishing may cross z
            }
        }

        if (r1 <= capB)
        {
            r1 = r3; // the small root is unphysical (V < b): only the large one remains
        }

        zMin = r1;
        zMax = r3;
        return r3 > capB && double.IsFinite(r3);
    }

    // For t³ + kt = c (k ≥ 0, c > 0): the root is below c/k and below ∛c. ∛c from the exponent bits is 0–6 % above the
    // cube root (measured over 1e-17–1e17); an exact cube root costs more than the Halley step it would save.
    private static double MonotoneRootBound(double c, double k)
    {
        var cubeRootBound = BitConverter.Int64BitsToDouble((BitConverter.DoubleToInt64Bits(c) / 3) + CubeRootExponentBias);
        return k > 0 ? Math.Min(c / k, cubeRootBound) : cubeRootBound;
    }

    // Newton steps recover the digits the deflated quadratic loses (one or two, more next to a double root).
    private static double Polish(double z, double c2, double c1, double c0)
    {
        var previousStep = double.PositiveInfinity;
        for (var k = 0; k < MaxPolishIterations; k++)
        {
            var f = ((((z + c2) * z) + c1) * z) + c0;
            var df = (((3 * z) + (2 * c2)) * z) + c1;
            if (f == 0 || df == 0)
            {
                break;
            }

            var step = f / df;
            z -= step;

            // Quadratic convergence: after a step below 1e-12 the error is of order step²/(root separation).
            if (Math.Abs(step) <= PolishStepTolerance * Math.Abs(z) || (Math.Abs(step) >= previousStep && Math.Abs(step) <= RoundingStepTolerance * Math.Abs(z)))
            {
                break;
            }

            previousStep = Math.Abs(step);
        }

        return z;
    }

    private double LogTerm(double z, double capB) => Math.Log((z + (delta1 * capB)) / (z + (delta2 * capB)));

    // Residual Gibbs energy / RT of a root (composition terms cancel when comparing roots).
    private double GibbsOfRoot(double z, double capA, double capB)
        => z - 1 - Math.Log(z - capB) - (capA * inverseDeltaDifference / capB * LogTerm(z, capB));

    private enum RootKind
    {
        Liquid,
        Vapor,
        Stable,
    }

    // ln φ for composition x with the requested root; returns Z and whether the chosen root is the liquid-like (smallest).
    private double LnPhiCore(Workspace ws, RootKind kind, double temperatureK, double pressurePa, ReadOnlySpan<double> x, Span<double> lnPhi, out bool smallest)
        => LnPhiCore(ws, kind, temperatureK, pressurePa, x, lnPhi, out smallest, NoSlot, false, 0);

    // As above for a phase of the split: slot 0 (the phase in ws.X) or 1 (ws.Y) records the evaluation for H and S of
    // the answer (ws.Memo*), and with derivatives stores this phase's weighted composition derivatives for
    // AssembleHessian (see AddCompositionDerivatives).
    private double LnPhiCore(Workspace ws, RootKind kind, double temperatureK, double pressurePa, ReadOnlySpan<double> x, Span<double> lnPhi, out bool smallest, int slot, bool derivatives, double weight)
    {
        var (am, bm) = Mix(ws, x);
        var rt = R * temperatureK;
        var capA = am * pressurePa / (rt * rt);
        var capB = bm * pressurePa / rt;
        smallest = false;
        if (!Roots(capA, capB, slot == NoSlot ? double.NaN : ws.MemoZ[slot], out var zMin, out var zMax))
        {
            lnPhi.Fill(double.NaN);
            return double.NaN;
        }

        double z, lnZB, l;
        var aOverB = capA * inverseDeltaDifference / capB;
        if (kind == RootKind.Stable && zMax - zMin > 1e-12)
        {
            // Two roots: the one of lower Gibbs energy, keeping its logarithms for ln φ.
            var lnMin = Math.Log(zMin - capB);
            var lMin = LogTerm(zMin, capB);
            var lnMax = Math.Log(zMax - capB);
            var lMax = LogTerm(zMax, capB);
            smallest = zMin - lnMin - (aOverB * lMin) < zMax - lnMax - (aOverB * lMax);
            (z, lnZB, l) = smallest ? (zMin, lnMin, lMin) : (zMax, lnMax, lMax);
        }
        else
        {
            z = kind == RootKind.Liquid ? zMin : zMax;
            smallest = kind switch
            {
                RootKind.Liquid => true,
                RootKind.Vapor => false,
                _ => z / capB < criticalVolumeOverB, // one root: liquid-like when denser than the critical volume
            };
            lnZB = Math.Log(z - capB);
            l = LogTerm(z, capB);
        }

        var c = aOverB * l;
        var inverseB = 1 / bm;
        var zm1OverB = (z - 1) * inverseB;
        var twoOverA = 2 / am;
        for (var i = 0; i < n; i++)
        {
            var bi = b[i];
            lnPhi[i] = (bi * zm1OverB) - lnZB - (c * ((twoOverA * ws.Q[i] * ws.U[i]) - (bi * inverseB)));
        }

        if (slot != NoSlot)
        {
            double dadt = 0;
            for (var i = 0; i < n; i++)
            {
                dadt += x[i] * ws.DQ[i] * ws.U[i];
            }

            ws.MemoZ[slot] = z;
            ws.MemoA[slot] = am;
            ws.MemoB[slot] = bm;
            ws.MemoDaDt[slot] = 2 * dadt;
            ws.MemoLnZB[slot] = lnZB;
            ws.MemoLog[slot] = l;
            ws.MemoSmallest[slot] = smallest;
            ws.MemoSingle[slot] = !(zMax - zMin > 1e-12);
            if (derivatives)
            {
                AddCompositionDerivatives(ws, temperatureK, z * rt / pressurePa, am, bm, l, slot, weight);
            }
        }

        return z;
    }

    /// <summary>
    /// Stores weight · (n(∂ln φᵢ/∂nⱼ)_T,P − 1) of the phase just mixed (ws.U; molar volume v, a, b) in a low-rank form
    /// that <see cref="AssembleHessian"/> expands: from the reduced residual Helmholtz energy F(T, V, n) = −n g − (D/T) f,
    /// g = ln(1 − B/V), f = ln[(V + δ1B)/(V + δ2B)]/(R B (δ1 − δ2)), B = Σ nᵢbᵢ, D = Σᵢⱼ nᵢnⱼaᵢⱼ (Michelsen and Mollerup,
    /// Thermodynamic Models, ch. 3), n ∂ln φᵢ/∂nⱼ = n F_ninj + 1 + n (∂P/∂nᵢ)(∂P/∂nⱼ)/(RT ∂P/∂V), evaluated per mole,
    /// with F_ninj = −g_B(bᵢ + bⱼ) − g_BB bᵢbⱼ − (f_B/T)(Dᵢbⱼ + Dⱼbᵢ) − (D/T) f_BB bᵢbⱼ − (f/T) 2aᵢⱼ, Dᵢ = 2Σₖ xₖaᵢₖ,
    /// ∂P/∂nᵢ = RT(1/V − F_niV), F_niV = −g_V − g_BV bᵢ − (Dᵢ/T) f_V − (D/T) f_BV bᵢ, ∂P/∂V = RT(g_VV + (D/T) f_VV − 1/V²).
    /// So Φᵢⱼ − 1 = bⱼwᵢ + bᵢwⱼ + c₅PᵢPⱼ + c₄aᵢⱼ with wᵢ = c₁ + c₃Dᵢ + c₂bᵢ/2: slot 0 starts the sums, slot 1 adds to them.
    /// </summary>
    private void AddCompositionDerivatives(Workspace ws, double temperatureK, double v, double am, double bm, double logTerm, int slot, double weight)
    {
        // logTerm = ln[(V + δ1b)/(V + δ2b)] from the ln φ evaluation; reciprocals once, as divisions dominate here.
        var rt = R * temperatureK;
        var inverseT = 1 / temperatureK;
        var inverseV = 1 / v;
        var inverseVb = 1 / (v - bm);
        var inverseB = 1 / bm;
        var inverseP1 = 1 / (v + (delta1 * bm));
        var inverseP2 = 1 / (v + (delta2 * bm));
        var gB = -inverseVb;
        var gBB = -inverseVb * inverseVb;
        var gV = bm * inverseV * inverseVb;
        var gBV = inverseVb * inverseVb;
        var gVV = (inverseV * inverseV) - (inverseVb * inverseVb);
        var fScale = inverseDeltaDifference * inverseB / R;
        var f = logTerm * fScale;
        var fV = -inverseP1 * inverseP2 / R;
        var fB = -(f + (v * fV)) * inverseB;
        var fVV = fScale * ((inverseP2 * inverseP2) - (inverseP1 * inverseP1));
        var fBV = -((2 * fV) + (v * fVV)) * inverseB;
        var fBB = -((2 * fB) + (v * fBV)) * inverseB;
        var aOverT = am * inverseT;
        var dPdV = rt * (gVV + (aOverT * fVV) - (inverseV * inverseV));
        var c1 = -gB * weight;
        var c2Half = 0.5 * (-gBB - (aOverT * fBB)) * weight;
        var c3 = -fB * inverseT * weight;
        var fVOverT = fV * inverseT;
        var pressureLinear = rt * (inverseV + gV);
        var pressureB = rt * (gBV + (aOverT * fBV));
        var pn = slot == 0 ? ws.PressureDerivative : ws.PressureDerivativeV;
        var w = ws.HessianW;
        var q = ws.Q;
        var u = ws.U;
        for (var i = 0; i < n; i++)
        {
            var di = 2 * q[i] * u[i];
            pn[i] = pressureLinear + (pressureB * b[i]) + (rt * fVOverT * di);
            var wi = c1 + (c3 * di) + (c2Half * b[i]);
            w[i] = slot == 0 ? wi : w[i] + wi;
        }

        var pressureWeight = weight / (rt * dPdV);
        var attractionWeight = -2 * f * inverseT * weight;
        if (slot == 0)
        {
            ws.HessianPressureWeight = pressureWeight;
            ws.HessianPressureWeightV = 0;
            ws.HessianAttractionWeight = attractionWeight;
        }
        else
        {
            ws.HessianPressureWeightV = pressureWeight;
            ws.HessianAttractionWeight += attractionWeight;
        }
    }

    /// <summary>
    /// h (n×n, lower triangle and diagonal) = the stored Σ weight · (Φᵢⱼ − 1) of slots 0 and 1:
    /// bⱼWᵢ + bᵢWⱼ + s₀P⁰ᵢP⁰ⱼ + s₁P¹ᵢP¹ⱼ + C aᵢⱼ with aᵢⱼ = √aᵢ√aⱼ(1 − kᵢⱼ).
    /// </summary>
    private void AssembleHessian(Workspace ws, double[] h)
    {
        var w = ws.HessianW;
        var p0 = ws.PressureDerivative;
        var p1 = ws.PressureDerivativeV;
        var s0 = ws.HessianPressureWeight;
        var s1 = ws.HessianPressureWeightV;
        var q = ws.Q;
        var attraction = ws.HessianAttractionWeight;
        for (var i = 0; i < n; i++)
        {
            var row = i * n;
            var bi = b[i];
            var wi = w[i];
            var p0i = s0 * p0[i];
            var p1i = s1 * p1[i];
            var qi = attraction * q[i];
            for (var j = 0; j <= i; j++)
            {
                var kij = hasKij ? oneMinusKij[row + j] : 1;
                h[row + j] = (b[j] * wi) + (bi * w[j]) + (p0i * p0[j]) + (p1i * p1[j]) + (qi * q[j] * kij);
            }
        }
    }

    /// <summary>
    /// The split screen's pair sums without the n×n table of ln φ: at the pure-k liquid root zₖ (aₘ = aₖ, bₘ = bₖ,
    /// Σⱼ xⱼaᵢⱼ = √aᵢ√aₖ(1 − kᵢₖ)), ln φᵢ(k) − ln φₖ(k) = (ρ − 1)(zₖ − 1) − Cₖ(2σ(1 − kᵢₖ) − ρ − 1) with ρ = bᵢ/bₖ,
    /// σ = √aᵢ/√aₖ and Cₖ = Aₖ ln[(zₖ + δ1Bₖ)/(zₖ + δ2Bₖ)]/(Bₖ(δ1 − δ2)) (the ln(zₖ − Bₖ) terms cancel), and
    /// ln γ∞ᵢₖ + ln γ∞ₖᵢ = [ln φᵢ(k) − ln φₖ(k)] + [ln φₖ(i) − ln φᵢ(i)]: one root and one logarithm per component, kept
    /// for the next flash at the same T and P. A pure component has a liquid when T &lt; Tc and its root is denser than the
    /// critical volume (a lone gas root is no solvent).
    /// </summary>
    protected override void PairScores(Workspace ws, MultiphaseScratch s, double temperatureK, double pressurePa, ReadOnlySpan<double> x)
    {
        var zMinusOne = s.PureA;
        var attraction = s.PureB;
        var inverseQ = s.PureC;
        var q = ws.Q;
        if (!ReferenceEquals(s.PureFor, this) || s.PureTemperatureK != temperatureK || s.PurePressurePa != pressurePa)
        {
            // The pure liquids at this T and P (every component below Tc, present or not).
            var rt = R * temperatureK;
            for (var k = 0; k < n; k++)
            {
                s.PureLiquid[k] = false;
                if (!(temperatureK < tc[k]))
                {
                    continue;
                }

                var capA = q[k] * q[k] * pressurePa / (rt * rt);
                var capB = b[k] * pressurePa / rt;
                if (Roots(capA, capB, out var z, out _) && z / capB < criticalVolumeOverB)
                {
                    s.PureLiquid[k] = true;
                    zMinusOne[k] = z - 1;
                    attraction[k] = capA * inverseDeltaDifference / capB * LogTerm(z, capB);
                    inverseQ[k] = 1 / q[k];
                }
            }

            s.PureFor = this;
            s.PureTemperatureK = temperatureK;
            s.PurePressurePa = pressurePa;
        }

        for (var k = 0; k < n; k++)
        {
            s.Score[k] = double.NegativeInfinity;
            s.Liquid[k] = s.PureLiquid[k] && x[k] > 0;
        }

        for (var i = 0; i < n; i++)
        {
            if (!s.Liquid[i])
            {
                continue;
            }

            for (var k = i + 1; k < n; k++)
            {
                if (!s.Liquid[k])
                {
                    continue;
                }

                var rho = b[i] * inverseB[k];
                var inverseRho = b[k] * inverseB[i];
                var kappa = hasKij ? oneMinusKij[(i * n) + k] : 1;
                var pair = ((rho - 1) * zMinusOne[k]) - (attraction[k] * ((2 * q[i] * inverseQ[k] * kappa) - rho - 1))
                    + ((inverseRho - 1) * zMinusOne[i]) - (attraction[i] * ((2 * q[k] * inverseQ[i] * kappa) - inverseRho - 1));
                pair = double.IsNaN(pair) ? double.PositiveInfinity : pair;
                s.Score[i] = Math.Max(s.Score[i], pair);
                s.Score[k] = Math.Max(s.Score[k], pair);
            }
        }
    }

    protected override void LnPhi(Workspace ws, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x, Span<double> lnPhi)
        => LnPhiCore(ws, phase == Phase.Liquid ? RootKind.Liquid : RootKind.Vapor, temperatureK, pressurePa, x, lnPhi, out _);

    private void Departures(Workspace ws, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x, out double hRes, out double sRes)
    {
        if (ReferenceEquals(ws.MemoFor, this) && ws.MemoTemperatureK == temperatureK && ws.MemoPressurePa == pressurePa)
        {
            for (var slot = 0; slot < 2; slot++)
            {
                if ((ws.MemoSingle[slot] || ws.MemoSmallest[slot] == (phase == Phase.Liquid)) && x.SequenceEqual(ws.MemoX[slot]))
                {
                    // The split's own last evaluation of this phase: same composition, T, P and root.
                    var rtMemo = R * temperatureK;
                    var lMemo = ws.MemoLog[slot] * inverseDeltaDifference / ws.MemoB[slot];
                    hRes = (rtMemo * (ws.MemoZ[slot] - 1)) + (((temperatureK * ws.MemoDaDt[slot]) - ws.MemoA[slot]) * lMemo);
                    sRes = (R * ws.MemoLnZB[slot]) + (ws.MemoDaDt[slot] * lMemo);
                    return;
                }
            }
        }

        var (am, bm) = Mix(ws, x);
        var rt = R * temperatureK;
        var capA = am * pressurePa / (rt * rt);
        var capB = bm * pressurePa / rt;
        if (!Roots(capA, capB, out var zMin, out var zMax))
        {
            hRes = sRes = double.NaN;
            return;
        }

        var z = phase == Phase.Liquid ? zMin : zMax;

        // da/dT = 2 Σᵢ xᵢ (d√aᵢ/dT) uᵢ by the symmetry of (1 − kᵢⱼ).
        double dadt = 0;
        for (var i = 0; i < n; i++)
        {
            dadt += x[i] * ws.DQ[i] * ws.U[i];
        }

        dadt *= 2;
        var l = LogTerm(z, capB) * inverseDeltaDifference / bm;
        hRes = (rt * (z - 1)) + (((temperatureK * dadt) - am) * l);
        sRes = (R * Math.Log(z - capB)) + (dadt * l);
    }

    protected override double PhaseEnthalpy(Workspace ws, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x)
    {
        Departures(ws, phase, temperatureK, pressurePa, x, out var hRes, out _);
        IdealGas(ws, temperatureK);
        double h = 0;
        for (var i = 0; i < n; i++)
        {
            h += x[i] * ws.HIg[i];
        }

        return h + hRes;
    }

    protected override double PhaseEntropy(Workspace ws, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x)
    {
        Departures(ws, phase, temperatureK, pressurePa, x, out _, out var sRes);
        IdealGas(ws, temperatureK);
        double s = 0;
        for (var i = 0; i < n; i++)
        {
            s += x[i] * ws.SIg[i];
        }

        return s - (R * Math.Log(pressurePa / PRef)) + MixingEntropy(x) + sRes;
    }

    protected override void PhaseEnthalpyEntropy(Workspace ws, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x, out double enthalpyJPerMol, out double entropyJPerMolK)
    {
        Departures(ws, phase, temperatureK, pressurePa, x, out var hRes, out var sRes);
        IdealGas(ws, temperatureK);
        double h = 0, s = 0;
        for (var i = 0; i < n; i++)
        {
            h += x[i] * ws.HIg[i];
            s += x[i] * ws.SIg[i];
        }

        enthalpyJPerMol = h + hRes;
        entropyJPerMolK = s - (R * Math.Log(pressurePa / PRef)) + MixingEntropy(x) + sRes;
    }

    protected override bool CoreFlashPT(Workspace ws, double temperatureK, double pressurePa, out string? failureReason)
    {
        failureReason = null;
        Prepare(ws, temperatureK);
        var z = ws.Z;
        ws.Iterations = 0;
        ws.MemoFor = null;
        var zFeed = LnPhiCore(ws, RootKind.Stable, temperatureK, pressurePa, z, ws.LnPhiZ, out var feedSmallest);
        if (!double.IsFinite(zFeed))
        {
            failureReason = $"No physical root of the {displayName} cubic at T = {temperatureK} K, P = {pressurePa} Pa.";
            return false;
        }

        var feedPhase = feedSmallest ? Phase.Liquid : Phase.Vapor;
        if (PureIndex(z) >= 0)
        {
            SetSingle(ws, temperatureK, pressurePa, feedPhase); // a pure component's stable root is its stable phase
            return true;
        }

        var lnP = Math.Log(pressurePa);
        for (var i = 0; i < n; i++)
        {
            ws.LnZ[i] = z[i] > 0 ? Math.Log(z[i]) : double.NegativeInfinity;
            ws.D[i] = z[i] > 0 ? ws.LnZ[i] + ws.LnPhiZ[i] : 0;
            ws.LnKPrev[i] = WilsonLnK(i, temperatureK, lnP); // kept for the second trial
        }

        // Each trial that proves the feed unstable seeds a phase split; if substitution from one seed collapses,
        // the other trial's seed is tried before reporting failure.
        string? splitFailure = null;
        for (var trial = 0; trial < 2; trial++)
        {
            var vaporLike = trial == 0;
            var tm = StabilityTrial(ws, temperatureK, pressurePa, vaporLike, out var trivial, out var converged);
            if (!converged)
            {
                splitFailure ??= $"Stability analysis did not converge in {FlashSettings.MaxStabilityIterations} iterations or left the model's range.";
                continue;
            }

            if (trivial || !(tm < -FlashSettings.StabilityThreshold))
            {
                continue;
            }

            for (var i = 0; i < n; i++)
            {
                if (splitMethod == PhaseSplitMethod.SecondOrder)
                {
                    // ws.W holds ln W after the trial's last update, ln zᵢ + ln φᵢ(z) − ln φᵢ(w): K = W/z (vapour-like) or
                    // z/W is then what a first substitution from the normalised trial (β = 0 or 1) would give, at no cost.
                    ws.LnK[i] = z[i] > 0 && double.IsFinite(ws.W[i])
                        ? (vaporLike ? ws.W[i] - ws.LnZ[i] : ws.LnZ[i] - ws.W[i])
                        : ws.LnKPrev[i];
                    continue;
                }

                // ws.Tmp holds the normalised trial composition: K = y/z for a vapour-like trial, z/x for a liquid-like one.
                ws.LnK[i] = z[i] > 0 && ws.Tmp[i] > 0
                    ? (vaporLike ? Math.Log(ws.Tmp[i] / z[i]) : Math.Log(z[i] / ws.Tmp[i]))
                    : ws.LnKPrev[i];
            }

            if (SuccessiveSubstitution(ws, temperatureK, pressurePa, out failureReason))
            {
                return true;
            }

            splitFailure = failureReason;
            for (var i = 0; i < n; i++)
            {
                ws.LnKPrev[i] = WilsonLnK(i, temperatureK, lnP); // SS used LnKPrev as scratch; restore Wilson
            }
        }

        if (splitFailure is not null)
        {
            failureReason = splitFailure;
            return false;
        }

        SetSingle(ws, temperatureK, pressurePa, feedPhase);
        return true;
    }

    // Wilson's ln K = ln(Pc/P) + 5.373(1 + ω)(1 − Tc/T), the base estimate with ln Pc kept per package.
    private double WilsonLnK(int i, double temperatureK, double lnPressure)
        => lnPc[i] - lnPressure + (5.373 * (1 + omega[i]) * (1 - (tc[i] / temperatureK)));

    private void SetSingle(Workspace ws, double temperatureK, double pressurePa, Phase phase)
    {
        ws.Beta = phase == Phase.Vapor ? 1 : 0;
        ws.SinglePhase = phase;
        ws.State = LabelSinglePhase(ws.Z, temperatureK, pressurePa, phase);
    }

    // Michelsen's tangent-plane test by successive substitution on ln W; returns the modified TPD tm = 1 + Σ Wᵢ(ln Wᵢ + ln φᵢ(w) − dᵢ − 1).
    private double StabilityTrial(Workspace ws, double temperatureK, double pressurePa, bool vaporLike, out bool trivial, out bool converged)
    {
        var z = ws.Z;
        var lnW = ws.W;
        var w = ws.Tmp;
        var lnPhi = ws.LnPhiV;
        trivial = false;
        converged = false;
        for (var i = 0; i < n; i++)
        {
            lnW[i] = z[i] > 0 ? ws.LnZ[i] + (vaporLike ? ws.LnKPrev[i] : -ws.LnKPrev[i]) : double.NegativeInfinity;
            ws.DeltaPrev[i] = 0;
        }

        var tm = 0.0;
        var extrapolated = false;
        for (var it = 1; it <= FlashSettings.MaxStabilityIterations; it++)
        {
            ws.Iterations++;
            double sumW = 0;
            for (var i = 0; i < n; i++)
            {
                var wi = z[i] > 0 ? Math.Exp(lnW[i]) : 0;
                w[i] = wi;
                sumW += wi;
            }

            double distance = 0;
            for (var i = 0; i < n; i++)
            {
                w[i] /= sumW;
                var dz = w[i] - z[i];
                distance += dz * dz;
            }

            if (distance < FlashSettings.TrivialSolutionTolerance)
            {
                trivial = true;
                converged = true;
                return 0;
            }

            LnPhiCore(ws, RootKind.Stable, temperatureK, pressurePa, w, lnPhi, out _);
            tm = 1;
            double maxChange = 0, dd = 0, dp = 0;
            for (var i = 0; i < n; i++)
            {
                if (z[i] <= 0)
                {
                    continue;
                }

                var wi = w[i] * sumW; // exp(ln Wᵢ), from the normalisation above
                tm += wi * (lnW[i] + lnPhi[i] - ws.D[i] - 1);
                var next = ws.D[i] - lnPhi[i];
                var delta = next - lnW[i];
                maxChange = Math.Max(maxChange, Math.Abs(delta));
                dd += delta * ws.DeltaPrev[i];
                dp += ws.DeltaPrev[i] * ws.DeltaPrev[i];
                ws.Delta[i] = delta;
                lnW[i] = next;
            }

            if (!double.IsFinite(tm) || !double.IsFinite(maxChange))
            {
                if (extrapolated)
                {
                    // The extrapolated trial left the model's range; return to the last plain iterate.
                    Array.Copy(ws.K, lnW, n);
                    extrapolated = false;
                    continue;
                }

                return double.NaN; // converged stays false: reported as a failed stability analysis
            }

            extrapolated = false;
            if (maxChange < FlashSettings.StabilityTolerance)
            {
                converged = true;
                return tm;
            }

            // A clearly negative tm at any trial point already proves instability; the flash refines the phases.
            if (tm < -1e-3)
            {
                converged = true;
                return tm;
            }

            Array.Copy(lnW, ws.K, n); // ws.K is free during the stability test: it keeps the plain iterate
            extrapolated = Accelerate(ws, lnW, it, dd, dp, z);
        }

        return tm;
    }

    // Dominant-eigenvalue method: lnv += Δ·λ/(1 − λ) with λ = (Δₖ·Δₖ₋₁)/(Δₖ₋₁·Δₖ₋₁), every few iterations.
    private bool Accelerate(Workspace ws, double[] lnv, int iteration, double dd, double dp, ReadOnlySpan<double> z)
    {
        if (iteration % AccelerationInterval == 0 && dp > 0)
        {
            var lambda = dd / dp;
            if (lambda > 0 && lambda < MaxEigenvalue)
            {
                var factor = lambda / (1 - lambda);
                for (var i = 0; i < n; i++)
                {
                    if (z[i] > 0)
                    {
                        lnv[i] += ws.Delta[i] * factor;
                    }

                    ws.DeltaPrev[i] = 0;
                }

                return true;
            }
        }

        Array.Copy(ws.Delta, ws.DeltaPrev, n);
        return false;
    }

    private bool SuccessiveSubstitution(Workspace ws, double temperatureK, double pressurePa, out string? failureReason)
    {
        failureReason = null;
        var z = ws.Z;
        for (var i = 0; i < n; i++)
        {
            ws.DeltaPrev[i] = 0;
        }

        // Each phase's root starts the next iteration's root solve; none carries over from an earlier flash.
        ws.MemoZ[0] = ws.MemoZ[1] = double.NaN;
        var accelerated = false;
        var previousBeta = double.NaN;
        var newtonAllowed = splitMethod == PhaseSplitMethod.SecondOrder;
        var newtonFrom = SubstitutionsBeforeNewton; // the iteration of the next Newton attempt
        var newtonRetryGap = SubstitutionsBeforeNewton;
        var newtonAttempts = 0;
        for (var it = 1; it <= FlashSettings.MaxSuccessiveSubstitutions; it++)
        {
            ws.Iterations++;
            for (var i = 0; i < n; i++)
            {
                ws.K[i] = Math.Exp(ws.LnK[i]);
            }

            if (!RachfordRice.Solve(z, ws.K, double.NegativeInfinity, double.PositiveInfinity, out var beta, previousBeta))
            {
                if (accelerated)
                {
                    // The extrapolated step overshot; undo it and continue with plain substitution.
                    Array.Copy(ws.LnKPrev, ws.LnK, n);
                    accelerated = false;
                    continue;
                }

                failureReason = "All K-values fell on one side of 1 during successive substitution (no phase split).";
                return false;
            }

            previousBeta = beta;
            for (var i = 0; i < n; i++)
            {
                var xi = z[i] / (1 + (beta * (ws.K[i] - 1)));
                ws.X[i] = xi;
                ws.Y[i] = ws.K[i] * xi;
            }

            IdealPackage.NormalizeInPlace(ws.X, n);
            IdealPackage.NormalizeInPlace(ws.Y, n);

            // From the switch on, this evaluation also gives the derivatives the first Newton step needs.
            var newton = newtonAllowed && it >= newtonFrom && beta > 0 && beta < 1;

            // Each phase takes its lower-Gibbs root, so a liquid–liquid split is found as readily as a vapour–liquid one.
            var zx = LnPhiCore(ws, RootKind.Stable, temperatureK, pressurePa, ws.X, ws.LnPhiL, out ws.XSmallest, 0, newton, beta);
            var zy = LnPhiCore(ws, RootKind.Stable, temperatureK, pressurePa, ws.Y, ws.LnPhiV, out ws.YSmallest, 1, newton, 1 - beta);
            double maxChange = 0, dd = 0, dp = 0;
            for (var i = 0; i < n; i++)
            {
                var next = ws.LnPhiL[i] - ws.LnPhiV[i];
                if (!double.IsFinite(next))
                {
                    break; // handled below: undo an extrapolation, or fail
                }

                var delta = next - ws.LnK[i];
                if (z[i] > 0)
                {
                    maxChange = Math.Max(maxChange, Math.Abs(delta));
                }

                dd += delta * ws.DeltaPrev[i];
                dp += ws.DeltaPrev[i] * ws.DeltaPrev[i];
                ws.Delta[i] = delta;
                ws.LnK[i] = next;
            }

            if (!double.IsFinite(zx) || !double.IsFinite(zy) || !AllFinite(ws.LnPhiL) || !AllFinite(ws.LnPhiV))
            {
                if (accelerated)
                {
                    // The extrapolated step left the region where the cubic has a physical root; undo it.
                    Array.Copy(ws.LnKPrev, ws.LnK, n);
                    accelerated = false;
                    previousBeta = double.NaN;
                    continue;
                }

                failureReason = "Fugacity coefficients became non-finite during successive substitution.";
                return false;
            }

            accelerated = false;
            if (maxChange < splitTolerance)
            {
                return Finish(ws, temperatureK, pressurePa, beta, zx > zy, out failureReason);
            }

            if (newton)
            {
                if (NewtonSplit(ws, temperatureK, pressurePa, beta, maxChange, ref it, out var splitBeta, out var xIsLighter))
                {
                    return Finish(ws, temperatureK, pressurePa, splitBeta, xIsLighter, out failureReason);
                }

                // ws.LnK is the substitution step from Newton's last accepted iterate: plain substitution takes over, and
                // Newton is tried again later (far from the solution, next to a critical point, the Gibbs energy need not
                // be convex where substitution starts), at most MaxNewtonAttempts times in all.
                newtonRetryGap *= 2;
                newtonFrom = it + newtonRetryGap;
                newtonAllowed = ++newtonAttempts < MaxNewtonAttempts;
                previousBeta = double.NaN;
                for (var i = 0; i < n; i++)
                {
                    ws.DeltaPrev[i] = 0;
                }

                continue;
            }

            Array.Copy(ws.LnK, ws.LnKPrev, n); // the plain iterate, restored if the extrapolation misbehaves
            accelerated = Accelerate(ws, ws.LnK, it, dd, dp, z);
        }

        failureReason = $"Successive substitution did not converge in {FlashSettings.MaxSuccessiveSubstitutions} iterations (near a critical point?).";
        return false;
    }

    /// <summary>
    /// Newton's method on the vapour mole numbers vᵢ (per mole of feed, lᵢ = zᵢ − vᵢ), minimising the Gibbs energy
    /// G/RT = Σᵢ vᵢ ln(yᵢφᵢᵛ) + lᵢ ln(xᵢφᵢᴸ) (Michelsen 1982, "The isothermal flash problem. Part II"). The gradient is
    /// gᵢ = ln(yᵢφᵢᵛ) − ln(xᵢφᵢᴸ), the Hessian times β(1 − β) is δᵢⱼ zᵢ/(xᵢyᵢ) + (1 − β)(Φᵢⱼᵛ − 1) + β(Φᵢⱼᴸ − 1) with
    /// Φᵢⱼ = n ∂ln φᵢ/∂nⱼ (analytic, AddCompositionDerivatives), solved by LDLᵀ; once the residual is below
    /// ChordResidual the last factorization is reused. Starts at the substitution iterate just evaluated (ws.X, ws.Y,
    /// their ln φ and derivatives at vapour fraction beta, Δ ln K in ws.Delta, its max |Δ ln K| in residual). A step is
    /// accepted when it lowers max |gᵢ|, or G by more than rounding; else it is halved. A step still refused, a Hessian
    /// that is not positive definite, a state outside the model's range or MaxNewtonEvaluations returns false with ws.LnK
    /// the substitution step from the last accepted iterate. Converged (true) when max |gᵢ| is below the flash tolerance:
    /// max |Δ ln K| as in substitution, so the answer is as precise.
    /// </summary>
    private bool NewtonSplit(Workspace ws, double temperatureK, double pressurePa, double beta, double residual, ref int iteration, out double splitBeta, out bool xIsLighter)
    {
        splitBeta = beta;
        xIsLighter = false;
        var z = ws.Z;
        var v = ws.NewtonV;
        var vBase = ws.NewtonVBase;
        var dv = ws.NewtonStep;
        for (var i = 0; i < n; i++)
        {
            v[i] = z[i] > 0 ? beta * ws.Y[i] : 0;
            if (z[i] > 0 && !(v[i] > 0 && v[i] < z[i]))
            {
                return false; // ws.LnK already holds the substitution step
            }

            ws.Delta[i] = z[i] > 0 ? -ws.Delta[i] : 0; // substitution's Δ ln K = −g at its iterate (K = y/x)
        }

        // The accepted iterate: v, residual, ln φ (its Gibbs energy is computed only when a step fails the residual test).
        var baseResidual = residual;
        Array.Copy(ws.LnPhiL, ws.NewtonBaseLnPhiL, n);
        Array.Copy(ws.LnPhiV, ws.NewtonBaseLnPhiV, n);
        Array.Copy(ws.LnK, ws.LnKPrev, n);
        var halvings = 0;
        var stepLength = 1.0;
        var factoredAtResidual = double.PositiveInfinity; // residual where the factorization in ws.Hessian was made
        var evaluations = 0;
        while (true)
        {
            if (halvings == 0)
            {
                Array.Copy(v, vBase, n);

                // Close to the solution the Hessian barely changes: the last factorization serves (a chord step, which
                // reduces the residual by a factor of order the residual where it was made).
                var refactor = !(factoredAtResidual < ChordResidual);
                if (refactor)
                {
                    factoredAtResidual = baseResidual;
                }

                if (!NewtonDirection(ws, beta, refactor, out stepLength))
                {
                    Array.Copy(ws.LnKPrev, ws.LnK, n);
                    return false;
                }
            }

            if (++iteration > FlashSettings.MaxSuccessiveSubstitutions || ++evaluations > MaxNewtonEvaluations)
            {
                Array.Copy(ws.LnKPrev, ws.LnK, n);
                return false;
            }

            ws.Iterations++;
            beta = 0;
            for (var i = 0; i < n; i++)
            {
                v[i] = z[i] > 0 ? vBase[i] + (stepLength * dv[i]) : 0;
                beta += v[i];
            }

            var inverseVapor = 1 / beta;
            var inverseLiquid = 1 / (1 - beta);
            for (var i = 0; i < n; i++)
            {
                ws.Y[i] = v[i] * inverseVapor;
                ws.X[i] = (z[i] - v[i]) * inverseLiquid;
            }

            var zx = LnPhiCore(ws, RootKind.Stable, temperatureK, pressurePa, ws.X, ws.LnPhiL, out ws.XSmallest, 0, true, beta);
            var zy = LnPhiCore(ws, RootKind.Stable, temperatureK, pressurePa, ws.Y, ws.LnPhiV, out ws.YSmallest, 1, true, 1 - beta);
            var accepted = false;
            if (double.IsFinite(zx) && double.IsFinite(zy) && AllFinite(ws.LnPhiL) && AllFinite(ws.LnPhiV))
            {
                // gᵢ = ln(yᵢ/xᵢ) + ln φᵢᵛ − ln φᵢᴸ, with ln(yᵢ/xᵢ) = ln(vᵢ/lᵢ) + ln((1 − β)/β).
                var lnPhaseRatio = Math.Log((1 - beta) * inverseVapor);
                residual = 0;
                for (var i = 0; i < n; i++)
                {
                    ws.LnK[i] = ws.LnPhiL[i] - ws.LnPhiV[i];
                    if (z[i] <= 0)
                    {
                        ws.Delta[i] = 0;
                        continue;
                    }

                    var g = Math.Log(v[i] / (z[i] - v[i])) + lnPhaseRatio - ws.LnK[i];
                    ws.Delta[i] = g;
                    residual = Math.Max(residual, Math.Abs(g));
                }

                if (residual < splitTolerance)
                {
                    splitBeta = beta;
                    xIsLighter = zx > zy;
                    return true;
                }

                if (residual < baseResidual)
                {
                    accepted = true;
                }
                else
                {
                    // A larger residual is accepted only for a decrease of G beyond rounding: close to the solution G is
                    // flat to rounding, and a step that raises the residual there is not progress.
                    var baseGibbs = Gibbs(z, vBase, ws.NewtonBaseLnPhiL, ws.NewtonBaseLnPhiV);
                    accepted = Gibbs(z, v, ws.LnPhiL, ws.LnPhiV) < baseGibbs - (GibbsRounding * (1 + Math.Abs(baseGibbs)));
                }
            }

            if (accepted)
            {
                baseResidual = residual;
                halvings = 0;
                Array.Copy(ws.LnPhiL, ws.NewtonBaseLnPhiL, n);
                Array.Copy(ws.LnPhiV, ws.NewtonBaseLnPhiV, n);
                Array.Copy(ws.LnK, ws.LnKPrev, n);
                continue;
            }

            factoredAtResidual = double.PositiveInfinity; // the next accepted iterate gets a fresh factorization
            if (++halvings > MaxNewtonHalvings)
            {
                Array.Copy(ws.LnKPrev, ws.LnK, n);
                return false;
            }

            stepLength *= 0.5;
        }
    }

    // G/RT per mole of feed, Σᵢ vᵢ ln(yᵢφᵢᵛ) + lᵢ ln(xᵢφᵢᴸ), at vapour moles v with the phases' ln φ.
    private double Gibbs(double[] z, double[] v, double[] lnPhiL, double[] lnPhiV)
    {
        double beta = 0;
        for (var i = 0; i < n; i++)
        {
            beta += v[i];
        }

        double gibbs = 0;
        for (var i = 0; i < n; i++)
        {
            if (z[i] > 0)
            {
                var l = z[i] - v[i];
                gibbs += (v[i] * (Math.Log(v[i] / beta) + lnPhiV[i])) + (l * (Math.Log(l / (1 - beta)) + lnPhiL[i]));
            }
        }

        return gibbs;
    }

    // The Hessian diag(zᵢ/(xᵢyᵢ)) + Σ weight (Φ − 1) from the stored derivatives, factored as LDLᵀ in ws.Hessian (L unit
    // lower below the diagonal, D on it) with reciprocal pivots in ws.NewtonPivot; false when not positive definite.
    private bool FactorHessian(Workspace ws)
    {
        var z = ws.Z;
        var h = ws.Hessian;
        var ideal = ws.NewtonIdeal;
        var scaledRow = ws.NewtonRow;
        var inversePivot = ws.NewtonPivot;
        AssembleHessian(ws, h);
        for (var i = 0; i < n; i++)
        {
            var row = i * n;
            if (z[i] > 0)
            {
                ideal[i] = z[i] / (ws.X[i] * ws.Y[i]);
                h[row + i] += ideal[i];
                continue;
            }

            // An absent component: an identity row and column (its right-hand side is 0).
            ideal[i] = 1;
            for (var j = 0; j < i; j++)
            {
                h[row + j] = 0;
            }

            for (var j = i + 1; j < n; j++)
            {
                h[(j * n) + i] = 0;
            }

            h[row + i] = 1;
        }

        // LDLᵀ in the lower triangle: L unit lower (below the diagonal), D on the diagonal.
        for (var j = 0; j < n; j++)
        {
            var rowJ = j * n;
            var pivot = h[rowJ + j];
            for (var k = 0; k < j; k++)
            {
                scaledRow[k] = h[rowJ + k] * h[(k * n) + k]; // Lⱼₖ Dₖ
                pivot -= h[rowJ + k] * scaledRow[k];
            }

            if (!(pivot > MinPivot * ideal[j]))
            {
                return false;
            }

            h[rowJ + j] = pivot;
            var inverse = 1 / pivot;
            inversePivot[j] = inverse;
            for (var i = j + 1; i < n; i++)
            {
                var rowI = i * n;
                var sum = h[rowI + j];
                for (var k = 0; k < j; k++)
                {
                    sum -= h[rowI + k] * scaledRow[k];
                }

                h[rowI + j] = sum * inverse;
            }
        }

        return true;
    }

    /// <summary>
    /// The Newton step ws.NewtonStep for the gradient in ws.Delta at vapour fraction beta: H dv = −β(1 − β) g with
    /// H = diag(zᵢ/(xᵢyᵢ)) + Σ weight (Φ − 1) factored afresh from the derivatives of the last evaluation (refactor) or
    /// the factorization kept from an earlier iterate. stepLength ≤ 1 keeps every vᵢ and lᵢ above a fraction of its
    /// value. False when H is not positive definite (a pivot below MinPivot times its ideal part zᵢ/(xᵢyᵢ)).
    /// </summary>
    private bool NewtonDirection(Workspace ws, double beta, bool refactor, out double stepLength)
    {
        stepLength = 1;
        var z = ws.Z;
        var h = ws.Hessian;
        var dv = ws.NewtonStep;
        var inversePivot = ws.NewtonPivot;
        var betaProduct = beta * (1 - beta);
        for (var i = 0; i < n; i++)
        {
            dv[i] = z[i] > 0 ? -betaProduct * ws.Delta[i] : 0;
        }

        if (refactor && !FactorHessian(ws))
        {
            return false;
        }

        for (var i = 0; i < n; i++)
        {
            var row = i * n;
            var sum = dv[i];
            for (var k = 0; k < i; k++)
            {
                sum -= h[row + k] * dv[k];
            }

            dv[i] = sum;
        }

        for (var i = n - 1; i >= 0; i--)
        {
            var sum = dv[i] * inversePivot[i];
            for (var k = i + 1; k < n; k++)
            {
                sum -= h[(k * n) + i] * dv[k];
            }

            dv[i] = sum;
        }

        var v = ws.NewtonV;
        for (var i = 0; i < n; i++)
        {
            if (z[i] <= 0)
            {
                dv[i] = 0;
                continue;
            }

            if (!double.IsFinite(dv[i]))
            {
                return false;
            }

            // Keep vᵢ ≥ f vᵢ and lᵢ ≥ f lᵢ along the step (f = NewtonBoundaryFraction).
            var l = z[i] - v[i];
            if (dv[i] < 0 && v[i] + dv[i] < NewtonBoundaryFraction * v[i])
            {
                stepLength = Math.Min(stepLength, (1 - NewtonBoundaryFraction) * v[i] / -dv[i]);
            }
            else if (dv[i] > 0 && l - dv[i] < NewtonBoundaryFraction * l)
            {
                stepLength = Math.Min(stepLength, (1 - NewtonBoundaryFraction) * l / dv[i]);
            }
        }

        return true;
    }

    private bool AllFinite(double[] v)
    {
        for (var i = 0; i < n; i++)
        {
            if (!double.IsFinite(v[i]))
            {
                return false;
            }
        }

        return true;
    }

    private bool Finish(Workspace ws, double temperatureK, double pressurePa, double beta, bool xIsLighter, out string? failureReason)
    {
        failureReason = null;
        double maxLnK = 0;
        for (var i = 0; i < n; i++)
        {
            if (ws.Z[i] > 0)
            {
                maxLnK = Math.Max(maxLnK, Math.Abs(ws.LnK[i]));
            }
        }

        if (maxLnK < 1e-5)
        {
            failureReason = "Successive substitution converged to the trivial solution (identical phases) although the feed is unstable.";
            return false;
        }

        if (!(beta > 0 && beta < 1))
        {
            failureReason = $"The phase split converged to a vapour fraction {beta:G6} outside (0, 1) although the feed is unstable.";
            return false;
        }

        // The last evaluation was at exactly these compositions: its roots serve H and S of the answer.
        Array.Copy(ws.X, ws.MemoX[xIsLighter ? 1 : 0], n);
        Array.Copy(ws.Y, ws.MemoX[xIsLighter ? 0 : 1], n);
        if (xIsLighter)
        {
            SwapMemo(ws);
        }

        ws.MemoFor = this;
        ws.MemoTemperatureK = temperatureK;
        ws.MemoPressurePa = pressurePa;
        if (xIsLighter)
        {
            // Report the less dense phase as the "vapour" side (for a liquid–liquid split, the lighter liquid).
            for (var i = 0; i < n; i++)
            {
                (ws.X[i], ws.Y[i]) = (ws.Y[i], ws.X[i]);
            }

            (ws.XSmallest, ws.YSmallest) = (ws.YSmallest, ws.XSmallest);
            beta = 1 - beta;
            for (var i = 0; i < n; i++)
            {
                ws.LnK[i] = -ws.LnK[i]; // K = y/x follows the swap (the vapour-fraction solves start from these K)
            }
        }

        ws.Beta = beta;
        ws.State = PhaseState.TwoPhase;
        return true;
    }

    private static void SwapMemo(Workspace ws)
    {
        (ws.MemoZ[0], ws.MemoZ[1]) = (ws.MemoZ[1], ws.MemoZ[0]);
        (ws.MemoA[0], ws.MemoA[1]) = (ws.MemoA[1], ws.MemoA[0]);
        (ws.MemoB[0], ws.MemoB[1]) = (ws.MemoB[1], ws.MemoB[0]);
        (ws.MemoDaDt[0], ws.MemoDaDt[1]) = (ws.MemoDaDt[1], ws.MemoDaDt[0]);
        (ws.MemoLnZB[0], ws.MemoLnZB[1]) = (ws.MemoLnZB[1], ws.MemoLnZB[0]);
        (ws.MemoLog[0], ws.MemoLog[1]) = (ws.MemoLog[1], ws.MemoLog[0]);
        (ws.MemoSmallest[0], ws.MemoSmallest[1]) = (ws.MemoSmallest[1], ws.MemoSmallest[0]);
        (ws.MemoSingle[0], ws.MemoSingle[1]) = (ws.MemoSingle[1], ws.MemoSingle[0]);
    }

    protected override bool TrySaturationPressure(Workspace ws, int component, double temperatureK, out double pressurePa, out string? reason)
    {
        pressurePa = double.NaN;
        reason = null;
        if (temperatureK >= tc[component])
        {
            reason = $"{components[component].Name} has no saturation pressure at or above its critical temperature ({tc[component]} K).";
            return false;
        }

        Prepare(ws, temperatureK);
        var a = ws.Q[component] * ws.Q[component];
        var bi = b[component];
        var rt = R * temperatureK;
        var lnP = EstimateLnK(ws, component, temperatureK, 1.0); // Wilson: ln Psat = ln Pc + 5.373(1 + ω)(1 − Tc/T)
        double lo = double.NegativeInfinity, hi = double.PositiveInfinity;
        for (var it = 0; it < FlashSettings.MaxOuterIterations; it++)
        {
            var p = Math.Exp(lnP);
            var capA = a * p / (rt * rt);
            var capB = bi * p / rt;
            if (!Roots(capA, capB, out var zl, out var zv))
            {
                reason = $"No physical root of the {displayName} cubic during the saturation-pressure iteration.";
                return false;
            }

            double next;
            if (zv - zl > 1e-12)
            {
                var f = PureLnPhi(zl, capA, capB) - PureLnPhi(zv, capA, capB);
                if (Math.Abs(f) < 1e-13)
                {
                    pressurePa = p;
                    return true;
                }

                if (f > 0)
                {
                    lo = lnP; // liquid fugacity higher: P below saturation
                }
                else
                {
                    hi = lnP;
                }

                next = lnP - (f / (zl - zv)); // Newton: d(ln φL − ln φV)/d ln P = ZL − ZV
            }
            else if (zv / capB < criticalVolumeOverB)
            {
                hi = lnP; // only a liquid-like root: above the upper spinodal
                next = lnP - 0.5;
            }
            else
            {
                lo = lnP;
                next = lnP + 0.5;
            }

            if (!(next > lo && next < hi))
            {
                next = double.IsFinite(lo) && double.IsFinite(hi) ? 0.5 * (lo + hi) : (double.IsFinite(lo) ? lo + 0.5 : hi - 0.5);
            }

            if (hi - lo < 1e-15)
            {
                pressurePa = Math.Exp(0.5 * (lo + hi));
                return true;
            }

            lnP = next;
        }

        reason = $"Saturation pressure of {components[component].Name} at {temperatureK} K did not converge.";
        return false;
    }

    private double PureLnPhi(double z, double capA, double capB) => GibbsOfRoot(z, capA, capB);
}

/// <summary>How a cubic's two-phase PT split converges once the stability test has found it.</summary>
internal enum PhaseSplitMethod
{
    /// <summary>A few substitution steps, then Newton's method on the vapour mole numbers (the default).</summary>
    SecondOrder,

    /// <summary>Successive substitution with dominant-eigenvalue acceleration only (the flash before second-order steps).</summary>
    SuccessiveSubstitution,
}
