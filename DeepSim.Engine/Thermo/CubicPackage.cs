using DeepSim.Engine.Components;
using DeepSim.Engine.Numerics;

namespace DeepSim.Engine.Thermo;

/// <summary>
/// A two-parameter cubic equation of state (<see cref="CubicEquationOfState"/>: Peng–Robinson or SRK) with
/// a = Ωa R²Tc²/Pc · α, b = Ωb R Tc/Pc, α = [1 + κ(1 − √Tr)]²; van der Waals mixing with aᵢⱼ = √(aᵢaⱼ)(1 − kᵢⱼ).
/// Residual enthalpy and entropy are added to the ideal-gas values on the formation basis.
/// PT flash: Michelsen tangent-plane stability test (vapour- and liquid-like Wilson trials), then successive
/// substitution with dominant-eigenvalue acceleration and a bracketed Rachford–Rice.
/// </summary>
internal sealed class CubicPackage : PropertyPackageBase, ICubicPropertyPackage
{
    // Dominant-eigenvalue extrapolation every this many substitutions (Michelsen's recommendation is 5).
    private const int AccelerationInterval = 5;

    // Largest dominant eigenvalue extrapolated (step factor λ/(1 − λ) ≤ 999); near a critical point λ → 1.
    private const double MaxEigenvalue = 0.999;

    private readonly CubicEquationOfState eos;
    private readonly string displayName;

    // δ1, δ2 of the cubic, their sum and product (cubic coefficients) and 1/(δ1 − δ2) (the log term's factor).
    private readonly double delta1, delta2, deltaSum, deltaProduct, inverseDeltaDifference;

    // V/b at the critical point: a single root denser than this is liquid-like.
    private readonly double criticalVolumeOverB;

    private readonly double[] sqrtAc, kappa, b;
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
        for (var i = 0; i < n; i++)
        {
            sqrtAc[i] = Math.Sqrt(eos.OmegaA * R * R * tc[i] * tc[i] / pc[i]);
            b[i] = eos.OmegaB * R * tc[i] / pc[i];
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

        for (var i = 0; i < n; i++)
        {
            double s = 0;
            var row = i * n;
            for (var j = 0; j < n; j++)
            {
                s += oneMinusKij[row + j] * x[j] * q[j];
            }

            u[i] = s;
            am += x[i] * q[i] * s;
            bm += x[i] * b[i];
        }

        return (am, bm);
    }

    /// <summary>Real roots of Z³ + c2 Z² + c1 Z + c0 = 0 above B: the smallest and largest (equal when one).</summary>
    private bool Roots(double capA, double capB, out double zMin, out double zMax)
    {
        // Z³ + [(δ1 + δ2 − 1)B − 1] Z² + [A + δ1δ2 B² − (δ1 + δ2) B(B + 1)] Z − [AB + δ1δ2 B²(B + 1)] = 0
        var c2 = ((deltaSum - 1) * capB) - 1;
        var c1 = capA + (deltaProduct * capB * capB) - (deltaSum * capB * (capB + 1));
        var c0 = -((capA * capB) + (deltaProduct * capB * capB * (capB + 1)));
        var p = c1 - (c2 * c2 / 3);
        var q = (2 * c2 * c2 * c2 / 27) - (c2 * c1 / 3) + c0;
        var disc = (q * q / 4) + (p * p * p / 27);
        double r1, r3;
        if (disc > 0)
        {
            var sq = Math.Sqrt(disc);
            var t = Math.Cbrt((-q / 2) + sq) + Math.Cbrt((-q / 2) - sq);
            r1 = r3 = t - (c2 / 3);
        }
        else
        {
            var r = Math.Sqrt(-p / 3);
            var arg = p == 0 ? 0 : Math.Clamp(3 * q / (2 * p) * Math.Sqrt(-3 / p), -1, 1);
            var phi = Math.Acos(arg) / 3;
            var t0 = 2 * r * Math.Cos(phi);
            var t1 = 2 * r * Math.Cos(phi - (2 * Math.PI / 3));
            var t2 = 2 * r * Math.Cos(phi - (4 * Math.PI / 3));
            r1 = Math.Min(t0, Math.Min(t1, t2)) - (c2 / 3);
            r3 = Math.Max(t0, Math.Max(t1, t2)) - (c2 / 3);
        }

        r1 = Polish(r1, c2, c1, c0);
        r3 = Polish(r3, c2, c1, c0);
        if (r1 <= capB)
        {
            r1 = r3; // the small root is unphysical (V < b): only the large one remains
        }

        zMin = r1;
        zMax = r3;
        return r3 > capB && double.IsFinite(r3);
    }

    // Two Newton steps recover the digits Cardano's formula loses for well-separated roots.
    private static double Polish(double z, double c2, double c1, double c0)
    {
        for (var k = 0; k < 2; k++)
        {
            var f = (((z + c2) * z) + c1) * z + c0;
            var df = (((3 * z) + (2 * c2)) * z) + c1;
            if (df == 0)
            {
                break;
            }

            z -= f / df;
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
    {
        var (am, bm) = Mix(ws, x);
        var rt = R * temperatureK;
        var capA = am * pressurePa / (rt * rt);
        var capB = bm * pressurePa / rt;
        smallest = false;
        if (!Roots(capA, capB, out var zMin, out var zMax))
        {
            lnPhi.Fill(double.NaN);
            return double.NaN;
        }

        double z;
        switch (kind)
        {
            case RootKind.Liquid:
                z = zMin;
                smallest = true;
                break;
            case RootKind.Vapor:
                z = zMax;
                break;
            default:
                if (zMax - zMin > 1e-12 && GibbsOfRoot(zMin, capA, capB) < GibbsOfRoot(zMax, capA, capB))
                {
                    z = zMin;
                    smallest = true;
                }
                else
                {
                    z = zMax;
                    smallest = zMax - zMin <= 1e-12 && z / capB < criticalVolumeOverB;
                }

                break;
        }

        var lnZB = Math.Log(z - capB);
        var l = LogTerm(z, capB);
        var c = capA * inverseDeltaDifference / capB * l;
        var zm1OverB = (z - 1) / bm;
        var twoOverA = 2 / am;
        for (var i = 0; i < n; i++)
        {
            var bi = b[i];
            lnPhi[i] = (bi * zm1OverB) - lnZB - (c * ((twoOverA * ws.Q[i] * ws.U[i]) - (bi / bm)));
        }

        return z;
    }

    // ln φᵢ of each component infinitely dilute in pure k (liquid root) in O(n): at x = eₖ the mixture is component k,
    // so aₘ = aₖ, bₘ = bₖ and Σⱼ xⱼaᵢⱼ = √aᵢ√aₖ(1 − kᵢₖ). Liquid-like when that root is denser than the critical volume.
    protected override bool PureComponentLnPhi(Workspace ws, int k, double temperatureK, double pressurePa, Span<double> lnPhi)
    {
        var rt = R * temperatureK;
        var qk = ws.Q[k];
        var am = qk * qk;
        var bm = b[k];
        var capA = am * pressurePa / (rt * rt);
        var capB = bm * pressurePa / rt;
        if (!Roots(capA, capB, out var z, out _))
        {
            lnPhi.Fill(double.NaN);
            return false;
        }

        var lnZB = Math.Log(z - capB);
        var c = capA * inverseDeltaDifference / capB * LogTerm(z, capB);
        var zm1OverB = (z - 1) / bm;
        var twoOverA = 2 / am;
        for (var i = 0; i < n; i++)
        {
            var u = (hasKij ? oneMinusKij[(i * n) + k] : 1) * qk;
            lnPhi[i] = (b[i] * zm1OverB) - lnZB - (c * ((twoOverA * ws.Q[i] * u) - (b[i] / bm)));
        }

        return temperatureK < tc[k] && z / capB < criticalVolumeOverB;
    }

    protected override void LnPhi(Workspace ws, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x, Span<double> lnPhi)
        => LnPhiCore(ws, phase == Phase.Liquid ? RootKind.Liquid : RootKind.Vapor, temperatureK, pressurePa, x, lnPhi, out _);

    private void Departures(Workspace ws, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x, out double hRes, out double sRes)
    {
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

    protected override bool CoreFlashPT(Workspace ws, double temperatureK, double pressurePa, out string? failureReason)
    {
        failureReason = null;
        Prepare(ws, temperatureK);
        var z = ws.Z;
        ws.Iterations = 0;
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

        for (var i = 0; i < n; i++)
        {
            ws.D[i] = z[i] > 0 ? Math.Log(z[i]) + ws.LnPhiZ[i] : 0;
            ws.LnKPrev[i] = EstimateLnK(ws, i, temperatureK, pressurePa); // Wilson, kept for the second trial
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
                ws.LnKPrev[i] = EstimateLnK(ws, i, temperatureK, pressurePa); // SS used LnKPrev as scratch; restore Wilson
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
            lnW[i] = z[i] > 0 ? Math.Log(z[i]) + (vaporLike ? ws.LnKPrev[i] : -ws.LnKPrev[i]) : double.NegativeInfinity;
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

                var wi = Math.Exp(lnW[i]);
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

        var accelerated = false;
        var previousBeta = double.NaN;
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
            // Each phase takes its lower-Gibbs root, so a liquid–liquid split is found as readily as a vapour–liquid one.
            var zx = LnPhiCore(ws, RootKind.Stable, temperatureK, pressurePa, ws.X, ws.LnPhiL, out ws.XSmallest);
            var zy = LnPhiCore(ws, RootKind.Stable, temperatureK, pressurePa, ws.Y, ws.LnPhiV, out ws.YSmallest);
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
            if (maxChange < FlashSettings.FugacityTolerance)
            {
                return Finish(ws, beta, zx > zy, out failureReason);
            }

            Array.Copy(ws.LnK, ws.LnKPrev, n); // the plain iterate, restored if the extrapolation misbehaves
            accelerated = Accelerate(ws, ws.LnK, it, dd, dp, z);
        }

        failureReason = $"Successive substitution did not converge in {FlashSettings.MaxSuccessiveSubstitutions} iterations (near a critical point?).";
        return false;
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

    private bool Finish(Workspace ws, double beta, bool xIsLighter, out string? failureReason)
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
