using DeepSim.Engine.Numerics;

namespace DeepSim.Engine.Thermo;

/// <summary>
/// Vapour–liquid–liquid equilibrium for every package: after the package's own two-phase PT flash, each liquid is
/// tested for a liquid–liquid split (tangent-plane analysis with trials rich in one component); a split found is
/// solved as a multiphase flash (successive substitution on ln φ with Michelsen's convex phase-fraction problem),
/// and two liquids are tested once more against a vapour. No flash returns a liquid its model says is two liquids.
/// </summary>
internal abstract partial class PropertyPackageBase
{
    /// <summary>
    /// A liquid is tested for a split only when some pair (i, j) present in it is strongly non-ideal:
    /// ln γᵢ∞ (in pure j) + ln γⱼ∞ (in pure i), from ln φ at the pure compositions (liquid roots), above this. Why it is
    /// safe: a binary of the Margules form splits only when (A₁₂ + A₂₁)/2 ≳ 2, i.e. a sum of the two ln γ∞ above 4;
    /// 3 leaves room for other forms. Water/1-butanol sums 5.2 under NRTL; miscible ethanol–water 2.7, methanol–water
    /// 1.3; size-asymmetric hydrocarbon pairs stay well below (one ln γ∞ of the pair is negative). Near-ideal liquids
    /// skip the trials, so their flash costs n extra ln φ calls and no more.
    /// </summary>
    private const double SplitScreenLnGamma = 3;

    /// <summary>Liquid trials per test, from the highest-scoring components (two per strongly non-ideal pair, and one more).</summary>
    private const int MaxLiquidTrials = 3;

    /// <summary>A trial reaching this tangent-plane distance proves the split (as the two-phase tests' early exit).</summary>
    private const double ProvenSplitDistance = -1e-3;

    /// <summary>A trial composition this close (Σ(wᵢ − xᵢ)²) to a phase already present is that phase, not a new one.</summary>
    private const double SamePhaseDistance = 1e-6;

    /// <summary>A phase fraction at or below this after the multiphase flash is an absent phase.</summary>
    private const double AbsentPhaseFraction = 1e-14;

    /// <summary>
    /// Newton on the convex phase-fraction function: gradient tolerance (gⱼ = 1 − Σᵢ xᵢⱼ, so 1e-12 in the sum of
    /// mole fractions, which are renormalised anyway), the step below which the minimum is reached to rounding (an
    /// ill-conditioned Hessian can leave g at 1e-12 with Q unchanged in the 16th digit), and an iteration cap
    /// (quadratic convergence: about 5 steps).
    /// </summary>
    private const double PhaseFractionGradientTolerance = 1e-12;

    private const double PhaseFractionNegligibleStep = 1e-15;

    /// <summary>Below this |g| the Newton step is accepted on a decrease of |g| rather than of Q (see the minimiser).</summary>
    private const double NewtonRegionGradient = 1e-6;

    private const int MaxPhaseFractionIterations = 100;

    /// <summary>
    /// ln φ of every component infinitely dilute in pure k (the liquid root or model) into lnPhi, and whether pure k has a
    /// liquid at T and P to serve as a solvent in the split screen (stable or metastable). Default: ln φ at the unit
    /// composition, and a liquid below the critical temperature; a cubic overrides it in O(n) and also needs a
    /// liquid-like root (a lone gas root is no liquid reference). May use ws.Multi.Trial.
    /// </summary>
    protected virtual bool PureComponentLnPhi(Workspace ws, int k, double temperatureK, double pressurePa, Span<double> lnPhi)
    {
        var trial = ws.Multi!.Trial;
        Array.Clear(trial);
        trial[k] = 1;
        LnPhi(ws, Phase.Liquid, temperatureK, pressurePa, trial, lnPhi);
        return temperatureK < tc[k];
    }

    /// <summary>
    /// Each component's screen score into s.Score: the largest ln γ∞ᵢₖ + ln γ∞ₖᵢ of a pair it belongs to (−∞ when it takes
    /// no part), with s.Liquid[k] whether pure k has a liquid. Only components present in x and below their critical
    /// temperature take part: a supercritical one has no pure liquid (its "liquid root" is a gas, so ln γ∞ of methane in
    /// decane would read as huge), and two liquids need two condensable components. Default: from the pure-component
    /// ln φ rows of <see cref="PureComponentLnPhi"/> in s.PureLnPhi; a package may compute the same sums more cheaply.
    /// </summary>
    protected virtual void PairScores(Workspace ws, MultiphaseScratch s, double temperatureK, double pressurePa, ReadOnlySpan<double> x)
    {
        for (var k = 0; k < n; k++)
        {
            s.Liquid[k] = false;
            if (x[k] > 0 && temperatureK < tc[k])
            {
                s.Liquid[k] = PureComponentLnPhi(ws, k, temperatureK, pressurePa, s.PureLnPhi.AsSpan(k * n, n)); // row k: ln φᵢ in pure k
            }
        }

        for (var i = 0; i < n; i++)
        {
            s.Score[i] = double.NegativeInfinity;
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

                // ln γ∞ of i in pure k plus that of k in pure i.
                var pair = s.PureLnPhi[(k * n) + i] - s.PureLnPhi[(i * n) + i] + s.PureLnPhi[(i * n) + k] - s.PureLnPhi[(k * n) + k];
                pair = double.IsNaN(pair) ? double.PositiveInfinity : pair;
                s.Score[i] = Math.Max(s.Score[i], pair);
                s.Score[k] = Math.Max(s.Score[k], pair);
            }
        }
    }

    /// <summary>The package's PT flash followed by the liquid–liquid analysis; sets ws.X2 and ws.Beta2 too.</summary>
    protected bool FlashPhasesPT(Workspace ws, double temperatureK, double pressurePa, out string? failureReason)
    {
        ws.Beta2 = 0;
        if (!CoreFlashPT(ws, temperatureK, pressurePa, out failureReason))
        {
            return false;
        }

        return CompleteLiquidPhases(ws, temperatureK, pressurePa, out failureReason);
    }

    /// <summary>False for a package whose liquid is an ideal solution (Raoult): it never splits, so the analysis is skipped.</summary>
    protected virtual bool LiquidsCanSplit => true;

    private bool CompleteLiquidPhases(Workspace ws, double temperatureK, double pressurePa, out string? failureReason)
    {
        failureReason = null;
        if (!LiquidsCanSplit || PureIndex(ws.Z) >= 0)
        {
            return true;
        }

        var s = ws.Multi ??= new MultiphaseScratch(n);
        var changed = false;
        if (ws.State == PhaseState.TwoPhase)
        {
            // A cubic's two-phase answer with two liquid roots is a liquid–liquid split: restated as such below.
            changed = ws.XSmallest && ws.YSmallest;
            Array.Copy(ws.Y, s.X[0], n);
            Array.Copy(ws.X, s.X[1], n);
            s.Kind[0] = changed ? Phase.Liquid : Phase.Vapor;
            s.Kind[1] = Phase.Liquid;
            s.Beta[0] = ws.Beta;
            s.Beta[1] = 1 - ws.Beta;
            s.Phases = 2;
        }
        else
        {
            Array.Copy(ws.Z, s.X[0], n);
            s.Kind[0] = ws.SinglePhase;
            s.Beta[0] = 1;
            s.Phases = 1;
        }

        // At equilibrium every phase has the same fugacities, so one tangent plane (phase 0's) tests the whole answer.
        // Each round adds the phase a trial found and solves all of them together; three phases end the search.
        for (var round = 0; round < MultiphaseScratch.MaxPhases && s.Phases < MultiphaseScratch.MaxPhases; round++)
        {
            var hasVapor = false;
            for (var j = 0; j < s.Phases; j++)
            {
                hasVapor |= s.Kind[j] == Phase.Vapor;
            }

            var kind = Phase.Liquid;
            var found = FindLiquidSplit(ws, s, temperatureK, pressurePa, s.X[0], s.Kind[0]);
            if (!found && !hasVapor && changed)
            {
                // Liquids the package's own flash did not see: is a vapour more stable than all of them?
                var tm = VaporTrialDistance(ws, s, temperatureK, pressurePa, s.X[0]);
                found = tm < -FlashSettings.StabilityThreshold && !NearAnyPhase(s, s.Trial);
                kind = Phase.Vapor;
            }

            if (!found)
            {
                break;
            }

            AddPhase(s, kind);
            changed = true;
            if (!SolveMultiphase(ws, s, temperatureK, pressurePa, out failureReason))
            {
                return false;
            }
        }

        return !changed || StorePhases(ws, s, temperatureK, pressurePa);
    }

    // Appends the trial in s.Trial as a new phase with half of the largest phase's fraction (a vapour goes first).
    private void AddPhase(MultiphaseScratch s, Phase kind)
    {
        var largest = 0;
        for (var j = 1; j < s.Phases; j++)
        {
            largest = s.Beta[j] > s.Beta[largest] ? j : largest;
        }

        s.Beta[largest] *= 0.5;
        var at = s.Phases;
        if (kind == Phase.Vapor)
        {
            for (var j = s.Phases; j > 0; j--)
            {
                Array.Copy(s.X[j - 1], s.X[j], n);
                s.Kind[j] = s.Kind[j - 1];
                s.Beta[j] = s.Beta[j - 1];
            }

            at = 0;
            s.Beta[0] = s.Beta[largest + 1];
        }
        else
        {
            s.Beta[at] = s.Beta[largest];
        }

        Array.Copy(s.Trial, s.X[at], n);
        s.Kind[at] = kind;
        s.Phases++;
    }

    /// <summary>
    /// Whether a liquid trial lowers the Gibbs energy below the tangent plane of phase x (of the given kind): for a
    /// liquid x, whether it splits; for a vapour, whether a liquid condenses. On success s.Trial holds the new liquid.
    /// Uses s.D, s.LnW, s.LnPhiW, s.PureLnPhi, s.Score. The screen comes first, so a liquid that cannot split costs
    /// <see cref="PairScores"/> only.
    /// </summary>
    private bool FindLiquidSplit(Workspace ws, MultiphaseScratch s, double temperatureK, double pressurePa, ReadOnlySpan<double> x, Phase reference)
    {
        var present = 0;
        for (var i = 0; i < n; i++)
        {
            present += x[i] > 0 ? 1 : 0;
        }

        var condensable = 0;
        for (var i = 0; i < n; i++)
        {
            condensable += x[i] > 0 && temperatureK < tc[i] ? 1 : 0;
        }

        if (present < 2 || condensable < 2)
        {
            return false;
        }

        PairScores(ws, s, temperatureK, pressurePa, x);
        var screened = false;
        for (var i = 0; i < n; i++)
        {
            screened |= s.Score[i] > SplitScreenLnGamma;
        }

        if (!screened)
        {
            return false;
        }

        LnPhi(ws, reference, temperatureK, pressurePa, x, s.D);
        for (var i = 0; i < n; i++)
        {
            s.D[i] = x[i] > 0 ? Math.Log(x[i]) + s.D[i] : 0;
        }

        // Trials rich in each component whose score passed the screen, the most non-ideal first (at most a few: the
        // components of the most non-ideal pairs are where a second liquid is rich).
        for (var attempt = 0; attempt < Math.Min(present, MaxLiquidTrials); attempt++)
        {
            var rich = -1;
            for (var k = 0; k < n; k++)
            {
                if (x[k] > 0 && s.Score[k] > SplitScreenLnGamma && (rich < 0 || s.Score[k] > s.Score[rich]))
                {
                    rich = k;
                }
            }

            if (rich < 0)
            {
                return false;
            }

            s.Score[rich] = double.NegativeInfinity; // tried
            var tm = LiquidTrialDistance(ws, s, temperatureK, pressurePa, x, rich, present);
            if (tm < -FlashSettings.StabilityThreshold && !NearAnyPhase(s, s.Trial))
            {
                return true;
            }
        }

        return false;
    }

    // A liquid trial 98 % rich in one component against the tangent plane in s.D; returns tm (+∞ when the trial collapses
    // onto x or leaves the model's range: no split).
    private double LiquidTrialDistance(Workspace ws, MultiphaseScratch s, double temperatureK, double pressurePa, ReadOnlySpan<double> x, int rich, int present)
    {
        for (var i = 0; i < n; i++)
        {
            s.LnW[i] = x[i] > 0 ? Math.Log(i == rich ? 0.98 : 0.02 / (present - 1)) : double.NegativeInfinity;
        }

        return TangentPlaneTrial(ws, s, temperatureK, pressurePa, Phase.Liquid, x, stopNearX: true);
    }

    /// <summary>
    /// Michelsen's tangent-plane trial by successive substitution ln Wᵢ = dᵢ − ln φᵢ(w) (the plane dᵢ in s.D, the start in
    /// s.LnW, components present in x), with the trial phase's root or model. Returns tm = 1 + Σ Wᵢ(ln Wᵢ + ln φᵢ − dᵢ − 1),
    /// stopping early once tm proves instability; +∞ when the trial leaves the model's range or (stopNearX) comes within
    /// SamePhaseDistance of x, where it would be refused as x itself anyway. Leaves the normalised trial in s.Trial.
    /// </summary>
    private double TangentPlaneTrial(Workspace ws, MultiphaseScratch s, double temperatureK, double pressurePa, Phase kind, ReadOnlySpan<double> x, bool stopNearX)
    {
        var tm = 0.0;
        for (var it = 0; it < FlashSettings.MaxStabilityIterations; it++)
        {
            ws.Iterations++;
            if (!NormalizeTrial(s, x) || (stopNearX && Distance(s.Trial, x) < SamePhaseDistance))
            {
                return double.PositiveInfinity;
            }

            LnPhi(ws, kind, temperatureK, pressurePa, s.Trial, s.LnPhiW);
            tm = 1;
            double maxChange = 0;
            for (var i = 0; i < n; i++)
            {
                if (x[i] <= 0)
                {
                    continue;
                }

                tm += Math.Exp(s.LnW[i]) * (s.LnW[i] + s.LnPhiW[i] - s.D[i] - 1);
                var next = s.D[i] - s.LnPhiW[i];
                maxChange = Math.Max(maxChange, Math.Abs(next - s.LnW[i]));
                s.LnW[i] = next;
            }

            if (!double.IsFinite(tm))
            {
                return double.PositiveInfinity;
            }

            if (tm < ProvenSplitDistance || maxChange < FlashSettings.StabilityTolerance)
            {
                break;
            }
        }

        // The last update moved ln W: leave the trial at its final normalised composition.
        return NormalizeTrial(s, x) ? tm : double.PositiveInfinity;
    }

    // s.Trial = exp(s.LnW) normalised over the components present in x; false when that is not a composition.
    private bool NormalizeTrial(MultiphaseScratch s, ReadOnlySpan<double> x)
    {
        double total = 0;
        for (var i = 0; i < n; i++)
        {
            s.Trial[i] = x[i] > 0 ? Math.Exp(s.LnW[i]) : 0;
            total += s.Trial[i];
        }

        if (!(total > 0) || !double.IsFinite(total))
        {
            return false;
        }

        for (var i = 0; i < n; i++)
        {
            s.Trial[i] /= total;
        }

        return true;
    }

    private double Distance(ReadOnlySpan<double> w, ReadOnlySpan<double> x)
    {
        double d = 0;
        for (var i = 0; i < n; i++)
        {
            d += (w[i] - x[i]) * (w[i] - x[i]);
        }

        return d;
    }

    private bool NearAnyPhase(MultiphaseScratch s, ReadOnlySpan<double> w)
    {
        for (var j = 0; j < s.Phases; j++)
        {
            if (Distance(w, s.X[j]) < SamePhaseDistance)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Tangent-plane distance of a vapour-like trial against liquid x (successive substitution on ln W from the Wilson
    /// estimate, the vapour root or model); the trial is left in s.Trial; +∞ when it leaves the model's range. Uses s.D,
    /// s.LnW, s.LnPhiW.
    /// </summary>
    private double VaporTrialDistance(Workspace ws, MultiphaseScratch s, double temperatureK, double pressurePa, ReadOnlySpan<double> x)
    {
        LnPhi(ws, Phase.Liquid, temperatureK, pressurePa, x, s.D);
        for (var i = 0; i < n; i++)
        {
            s.D[i] = x[i] > 0 ? Math.Log(x[i]) + s.D[i] : 0;
            s.LnW[i] = x[i] > 0 ? Math.Log(x[i]) + EstimateLnK(ws, i, temperatureK, pressurePa) : double.NegativeInfinity;
        }

        return TangentPlaneTrial(ws, s, temperatureK, pressurePa, Phase.Vapor, x, stopNearX: false);
    }

    /// <summary>
    /// The lowest tangent-plane distance of liquid trials (one rich in each present component) against vapour y, with
    /// the lowest trial left in s.Trial; +∞ when every trial collapses onto y.
    /// </summary>
    private double LiquidTrialDistanceFromVapor(Workspace ws, MultiphaseScratch s, double temperatureK, double pressurePa, ReadOnlySpan<double> y)
    {
        var present = 0;
        for (var i = 0; i < n; i++)
        {
            present += y[i] > 0 ? 1 : 0;
        }

        LnPhi(ws, Phase.Vapor, temperatureK, pressurePa, y, s.D);
        for (var i = 0; i < n; i++)
        {
            s.D[i] = y[i] > 0 ? Math.Log(y[i]) + s.D[i] : 0;
        }

        var best = double.PositiveInfinity;
        Span<double> bestTrial = stackalloc double[n];
        for (var k = 0; k < n && present > 1; k++)
        {
            if (y[k] <= 0)
            {
                continue;
            }

            var tm = LiquidTrialDistance(ws, s, temperatureK, pressurePa, y, k, present);
            if (tm < best)
            {
                best = tm;
                s.Trial.AsSpan(0, n).CopyTo(bestTrial);
            }
        }

        bestTrial.CopyTo(s.Trial);
        return best;
    }

    /// <summary>
    /// Successive substitution for s.Phases phases of the kinds in s.Kind: ln φ of each phase at its composition, then
    /// the phase fractions that minimise Michelsen's convex Q(β) = Σⱼ βⱼ − Σᵢ zᵢ ln Σⱼ βⱼEᵢⱼ (Eᵢⱼ = 1/φᵢⱼ, β ≥ 0), and
    /// xᵢⱼ = zᵢEᵢⱼ / Σₖ βₖEᵢₖ. At the fixed point the fugacities of every present phase are equal; a phase whose β
    /// reaches 0 is absent and removed. Bounded by <see cref="FlashSettings.MaxSuccessiveSubstitutions"/>.
    /// </summary>
    private bool SolveMultiphase(Workspace ws, MultiphaseScratch s, double temperatureK, double pressurePa, out string? failureReason)
    {
        failureReason = null;
        var z = ws.Z;
        for (var it = 0; it < FlashSettings.MaxSuccessiveSubstitutions; it++)
        {
            ws.Iterations++;
            double maxChange = 0;
            for (var j = 0; j < s.Phases; j++)
            {
                LnPhi(ws, s.Kind[j], temperatureK, pressurePa, s.X[j], s.LnPhi[j]);
                for (var i = 0; i < n; i++)
                {
                    if (z[i] <= 0)
                    {
                        continue;
                    }

                    if (!double.IsFinite(s.LnPhi[j][i]))
                    {
                        failureReason = $"Fugacity coefficients became non-finite in the three-phase flash at T = {temperatureK:G9} K, P = {pressurePa:G9} Pa.";
                        return false;
                    }

                    if (it > 0)
                    {
                        maxChange = Math.Max(maxChange, Math.Abs(s.LnPhi[j][i] - s.LnPhiPrev[j][i]));
                    }

                    s.LnPhiPrev[j][i] = s.LnPhi[j][i];
                }
            }

            if (it > 0 && maxChange < FlashSettings.FugacityTolerance)
            {
                return RemoveAbsentPhases(s);
            }

            // Eᵢⱼ scaled by the largest over phases (xᵢⱼ and the minimiser of Q are unchanged by a factor per component).
            for (var i = 0; i < n; i++)
            {
                var min = double.PositiveInfinity;
                for (var j = 0; j < s.Phases; j++)
                {
                    min = Math.Min(min, s.LnPhi[j][i]);
                }

                for (var j = 0; j < s.Phases; j++)
                {
                    s.E[j][i] = z[i] > 0 ? Math.Exp(min - s.LnPhi[j][i]) : 0;
                }
            }

            if (!MinimizePhaseFractions(s, z))
            {
                failureReason = $"The three-phase flash's phase fractions did not converge at T = {temperatureK:G9} K, P = {pressurePa:G9} Pa.";
                return false;
            }

            for (var j = 0; j < s.Phases; j++)
            {
                double sum = 0;
                for (var i = 0; i < n; i++)
                {
                    var xij = z[i] > 0 ? z[i] * s.E[j][i] / s.S[i] : 0;
                    s.X[j][i] = xij;
                    sum += xij;
                }

                for (var i = 0; i < n; i++)
                {
                    s.X[j][i] /= sum;
                }
            }
        }

        failureReason = $"The three-phase flash did not converge in {FlashSettings.MaxSuccessiveSubstitutions} iterations at T = {temperatureK:G9} K, P = {pressurePa:G9} Pa.";
        return false;
    }

    private bool RemoveAbsentPhases(MultiphaseScratch s)
    {
        var kept = 0;
        for (var j = 0; j < s.Phases; j++)
        {
            if (s.Beta[j] <= AbsentPhaseFraction)
            {
                continue;
            }

            if (kept != j)
            {
                Array.Copy(s.X[j], s.X[kept], n);
                Array.Copy(s.LnPhi[j], s.LnPhi[kept], n);
                s.Kind[kept] = s.Kind[j];
                s.Beta[kept] = s.Beta[j];
            }

            kept++;
        }

        s.Phases = kept;
        return kept > 0;
    }

    // Active-set Newton on Q(β) (convex; its Hessian Σᵢ zᵢEᵢⱼEᵢₖ/Sᵢ² is positive semi-definite), β ≥ 0. Leaves Sᵢ in s.S.
    private bool MinimizePhaseFractions(MultiphaseScratch s, ReadOnlySpan<double> z)
    {
        var m = s.Phases;
        Span<double> g = stackalloc double[MultiphaseScratch.MaxPhases];
        Span<double> h = stackalloc double[MultiphaseScratch.MaxPhases * MultiphaseScratch.MaxPhases];
        Span<double> step = stackalloc double[MultiphaseScratch.MaxPhases];
        Span<double> trial = stackalloc double[MultiphaseScratch.MaxPhases];
        Span<bool> free = stackalloc bool[MultiphaseScratch.MaxPhases];
        for (var j = 0; j < m; j++)
        {
            s.Beta[j] = Math.Max(s.Beta[j], 0);
        }

        var q = PhaseFractionObjective(s, z, s.Beta);
        if (!double.IsFinite(q))
        {
            for (var j = 0; j < m; j++)
            {
                s.Beta[j] = 1.0 / m; // a start where some Sᵢ vanished: restart from equal fractions
            }

            q = PhaseFractionObjective(s, z, s.Beta);
        }

        for (var it = 0; it < MaxPhaseFractionIterations; it++)
        {
            g.Clear();
            h.Clear();
            for (var i = 0; i < n; i++)
            {
                if (z[i] <= 0)
                {
                    continue;
                }

                for (var j = 0; j < m; j++)
                {
                    var a = s.E[j][i] / s.S[i];
                    g[j] -= z[i] * a;
                    for (var k = 0; k <= j; k++)
                    {
                        h[(j * m) + k] += z[i] * a * s.E[k][i] / s.S[i];
                    }
                }
            }

            var converged = true;
            for (var j = 0; j < m; j++)
            {
                g[j] += 1;
                for (var k = 0; k < j; k++)
                {
                    h[(k * m) + j] = h[(j * m) + k];
                }

                free[j] = s.Beta[j] > 0 || g[j] < 0;
                converged &= free[j] ? Math.Abs(g[j]) < PhaseFractionGradientTolerance : g[j] >= 0;
            }

            if (converged)
            {
                return true;
            }

            double gradientNorm = 0;
            for (var j = 0; j < m; j++)
            {
                gradientNorm = Math.Max(gradientNorm, free[j] ? Math.Abs(g[j]) : 0);
            }

            if (!SolveFreeNewtonStep(h, g, free, m, step))
            {
                return false;
            }

            // Longest step keeping β ≥ 0, then halve until Q decreases (a convex function: a few halvings at most). Near
            // the minimum Q no longer resolves the step (its change ~ g², below rounding once |g| < 1e-8), so there the
            // full Newton step is taken when it reduces |g| — quadratic convergence does the rest.
            var alpha = 1.0;
            for (var j = 0; j < m; j++)
            {
                if (step[j] < 0 && s.Beta[j] > 0)
                {
                    alpha = Math.Min(alpha, -s.Beta[j] / step[j]);
                }
            }

            double largest = 0;
            for (var j = 0; j < m; j++)
            {
                largest = Math.Max(largest, Math.Abs(alpha * step[j]));
            }

            if (largest < PhaseFractionNegligibleStep)
            {
                return true;
            }

            var accepted = false;
            for (var halving = 0; halving < 60; halving++)
            {
                for (var j = 0; j < m; j++)
                {
                    trial[j] = Math.Max(0, s.Beta[j] + (alpha * step[j]));
                }

                var qTrial = PhaseFractionObjective(s, z, trial);
                if (qTrial < q || (halving == 0 && gradientNorm < NewtonRegionGradient && GradientNorm(s, z, trial, free) < gradientNorm))
                {
                    trial[..m].CopyTo(s.Beta);
                    q = qTrial;
                    accepted = true;
                    break;
                }

                alpha *= 0.5;
            }

            if (!accepted)
            {
                // No decrease at machine precision: the current point is the minimum to rounding.
                PhaseFractionObjective(s, z, s.Beta);
                return true;
            }
        }

        return false;
    }

    // max |gⱼ| over the free phases at β (gⱼ = 1 − Σᵢ zᵢEᵢⱼ/Sᵢ); leaves Sᵢ at β in s.S.
    private double GradientNorm(MultiphaseScratch s, ReadOnlySpan<double> z, ReadOnlySpan<double> beta, ReadOnlySpan<bool> free)
    {
        if (!double.IsFinite(PhaseFractionObjective(s, z, beta)))
        {
            return double.PositiveInfinity;
        }

        double norm = 0;
        for (var j = 0; j < s.Phases; j++)
        {
            if (!free[j])
            {
                continue;
            }

            double g = 1;
            for (var i = 0; i < n; i++)
            {
                g -= z[i] > 0 ? z[i] * s.E[j][i] / s.S[i] : 0;
            }

            norm = Math.Max(norm, Math.Abs(g));
        }

        return norm;
    }

    private double PhaseFractionObjective(MultiphaseScratch s, ReadOnlySpan<double> z, ReadOnlySpan<double> beta)
    {
        double q = 0;
        for (var j = 0; j < s.Phases; j++)
        {
            q += beta[j];
        }

        for (var i = 0; i < n; i++)
        {
            if (z[i] <= 0)
            {
                s.S[i] = 1;
                continue;
            }

            double sum = 0;
            for (var j = 0; j < s.Phases; j++)
            {
                sum += beta[j] * s.E[j][i];
            }

            s.S[i] = sum;
            if (!(sum > 0))
            {
                return double.PositiveInfinity;
            }

            q -= z[i] * Math.Log(sum);
        }

        return q;
    }

    // Solves H_FF d_F = −g_F for the free phases (Gaussian elimination with partial pivoting, at most 3×3); d = 0 elsewhere.
    private static bool SolveFreeNewtonStep(ReadOnlySpan<double> h, ReadOnlySpan<double> g, ReadOnlySpan<bool> free, int m, Span<double> step)
    {
        Span<int> index = stackalloc int[MultiphaseScratch.MaxPhases];
        var f = 0;
        for (var j = 0; j < m; j++)
        {
            step[j] = 0;
            if (free[j])
            {
                index[f++] = j;
            }
        }

        Span<double> a = stackalloc double[MultiphaseScratch.MaxPhases * (MultiphaseScratch.MaxPhases + 1)];
        var w = f + 1;
        double scale = 0;
        for (var r = 0; r < f; r++)
        {
            for (var c = 0; c < f; c++)
            {
                a[(r * w) + c] = h[(index[r] * m) + index[c]];
                scale = Math.Max(scale, Math.Abs(a[(r * w) + c]));
            }

            a[(r * w) + f] = -g[index[r]];
        }

        // A tiny ridge keeps the system solvable when two phases are (nearly) the same composition.
        for (var r = 0; r < f; r++)
        {
            a[(r * w) + r] += 1e-13 * Math.Max(scale, 1);
        }

        for (var col = 0; col < f; col++)
        {
            var pivot = col;
            for (var r = col + 1; r < f; r++)
            {
                if (Math.Abs(a[(r * w) + col]) > Math.Abs(a[(pivot * w) + col]))
                {
                    pivot = r;
                }
            }

            if (!(Math.Abs(a[(pivot * w) + col]) > 0))
            {
                return false;
            }

            if (pivot != col)
            {
                for (var c = 0; c < w; c++)
                {
                    (a[(col * w) + c], a[(pivot * w) + c]) = (a[(pivot * w) + c], a[(col * w) + c]);
                }
            }

            for (var r = col + 1; r < f; r++)
            {
                var factor = a[(r * w) + col] / a[(col * w) + col];
                for (var c = col; c < w; c++)
                {
                    a[(r * w) + c] -= factor * a[(col * w) + c];
                }
            }
        }

        for (var r = f - 1; r >= 0; r--)
        {
            var sum = a[(r * w) + f];
            for (var c = r + 1; c < f; c++)
            {
                sum -= a[(r * w) + c] * step[index[c]];
            }

            step[index[r]] = sum / a[(r * w) + r];
        }

        return true;
    }

    // Writes the multiphase answer into the workspace: vapour in Y/Beta, the lighter liquid in X, the heavier in X2/Beta2.
    private bool StorePhases(Workspace ws, MultiphaseScratch s, double temperatureK, double pressurePa)
    {
        int vapor = -1, light = -1, heavy = -1;
        for (var j = 0; j < s.Phases; j++)
        {
            if (s.Kind[j] == Phase.Vapor)
            {
                vapor = j;
            }
            else if (light < 0)
            {
                light = j;
            }
            else
            {
                heavy = j;
            }
        }

        if (light >= 0 && heavy >= 0 && LiquidMassDensity(s.X[light], temperatureK) > LiquidMassDensity(s.X[heavy], temperatureK))
        {
            (light, heavy) = (heavy, light);
        }

        ws.XSmallest = true;
        ws.YSmallest = false;
        ws.Beta2 = 0;
        if (light < 0)
        {
            // Only the vapour is left.
            ws.Beta = 1;
            ws.SinglePhase = Phase.Vapor;
            ws.State = LabelSinglePhase(ws.Z, temperatureK, pressurePa, Phase.Vapor);
            return true;
        }

        Array.Copy(s.X[light], ws.X, n);
        if (heavy >= 0)
        {
            Array.Copy(s.X[heavy], ws.X2, n);
            ws.Beta2 = s.Beta[heavy];
        }

        var total = (vapor >= 0 ? s.Beta[vapor] : 0) + s.Beta[light] + (heavy >= 0 ? s.Beta[heavy] : 0);
        ws.Beta2 /= total; // Σβ = 1 at the solution; dividing removes the last rounding
        if (vapor >= 0)
        {
            Array.Copy(s.X[vapor], ws.Y, n);
            ws.Beta = s.Beta[vapor] / total;
            ws.State = heavy >= 0 ? PhaseState.ThreePhase : PhaseState.TwoPhase;
            return true;
        }

        ws.Beta = 0;
        Array.Copy(ws.Z, ws.Y, n);
        if (heavy >= 0)
        {
            ws.State = PhaseState.LiquidLiquid;
            return true;
        }

        ws.SinglePhase = Phase.Liquid;
        ws.State = LabelSinglePhase(ws.Z, temperatureK, pressurePa, Phase.Liquid);
        return true;
    }

    /// <summary>Liquid mass density by ideal mixing of the components' liquid-density correlations (labels light and heavy).</summary>
    private double LiquidMassDensity(ReadOnlySpan<double> x, double temperatureK)
    {
        double mass = 0, volume = 0;
        var complete = true;
        for (var i = 0; i < n; i++)
        {
            if (x[i] <= 0)
            {
                continue;
            }

            mass += x[i] * mw[i];
            var molarDensity = components[i].LiquidDensity is { } rho
                ? rho.Evaluate(Math.Clamp(temperatureK, rho.MinTemperatureK, rho.MaxTemperatureK))
                : double.NaN;
            complete &= molarDensity > 0;
            volume += molarDensity > 0 ? x[i] / molarDensity : 0;
        }

        // Without every density the heavier molar mass is called the heavier liquid.
        return complete && volume > 0 ? mass / volume : mass;
    }

    // ---- vapour-fraction flashes across three phases ----

    /// <summary>
    /// Whether the two-phase vapour-fraction answer in ws (liquid ws.X, vapour ws.Y, fraction beta) is not a stable
    /// state: its liquid splits, or (a dew point) another liquid would form from the vapour first.
    /// </summary>
    private bool VaporFractionAnswerUnstable(Workspace ws, double temperatureK, double pressurePa, double beta)
    {
        if (!LiquidsCanSplit || PureIndex(ws.Z) >= 0)
        {
            return false;
        }

        var s = ws.Multi ??= new MultiphaseScratch(n);
        Array.Copy(ws.X, s.X[0], n);
        Array.Copy(ws.Y, s.X[1], n);
        s.Phases = 2;
        if (beta < 1)
        {
            return FindLiquidSplit(ws, s, temperatureK, pressurePa, ws.X.AsSpan(0, n), Phase.Liquid);
        }

        var tm = LiquidTrialDistanceFromVapor(ws, s, temperatureK, pressurePa, ws.Z.AsSpan(0, n));
        return tm < -FlashSettings.StabilityThreshold && !NearAnyPhase(s, s.Trial);
    }

    /// <summary>
    /// A residual continuous through the phase boundaries, increasing with T (decreasing with P), zero at the requested
    /// vapour fraction β: βV − β where a vapour coexists with liquid; −tm(vapour trial) − β below the bubble point
    /// (liquids only); 1 + tm(best liquid trial) − β above the dew point (vapour only). Each tm is 0 at its boundary.
    /// </summary>
    private bool TryThreePhaseVaporFractionResidual(Workspace ws, double temperatureK, double pressurePa, double beta, out double value, out string? failure)
    {
        value = double.NaN;
        if (!FlashPhasesPT(ws, temperatureK, pressurePa, out failure))
        {
            return false;
        }

        var s = ws.Multi ??= new MultiphaseScratch(n);
        if (ws.State is PhaseState.TwoPhase or PhaseState.ThreePhase)
        {
            value = ws.Beta - beta;
        }
        else if (ws.SinglePhase == Phase.Vapor && ws.State != PhaseState.LiquidLiquid)
        {
            value = 1 + Math.Min(LiquidTrialDistanceFromVapor(ws, s, temperatureK, pressurePa, ws.Z.AsSpan(0, n)), 1) - beta;
        }
        else
        {
            value = -Math.Min(VaporTrialDistance(ws, s, temperatureK, pressurePa, ws.X.AsSpan(0, n)), 1) - beta;
        }

        return double.IsFinite(value);
    }

    private struct ThreePhaseVaporFractionResidual : IScalarFunction
    {
        public PropertyPackageBase Package;
        public Workspace Ws;
        public double Beta;
        public bool SolveForTemperature;
        public double Fixed;
        public int Evaluations;
        public string? Failure;

        public bool TryEvaluate(double x, out double value)
        {
            Evaluations++;
            var t = SolveForTemperature ? x : Fixed;
            var p = SolveForTemperature ? Fixed : Math.Exp(x);
            return Package.TryThreePhaseVaporFractionResidual(Ws, t, p, Beta, out value, out Failure);
        }
    }

    /// <summary>
    /// The vapour-fraction flash where two liquids take part: Brent on the continuous residual above in T (or ln P),
    /// bracketed by doubling steps from the two-phase answer x0 that proved unstable.
    /// </summary>
    private FlashResult SolveThreePhaseVaporFraction(Workspace ws, double beta, bool solveForTemperature, double fixedValue, double x0, string what)
    {
        var f = new ThreePhaseVaporFractionResidual { Package = this, Ws = ws, Beta = beta, SolveForTemperature = solveForTemperature, Fixed = fixedValue };
        double xMin = solveForTemperature ? FlashSettings.MinSearchTemperatureK : Math.Log(FlashSettings.MinSearchPressurePa);
        double xMax = solveForTemperature ? FlashSettings.MaxSearchTemperatureK : Math.Log(FlashSettings.MaxSearchPressurePa);
        if (!f.TryEvaluate(x0, out var g0))
        {
            return Failed($"The three-phase {what} could not start: {f.Failure}", double.NaN, double.NaN, f.Evaluations);
        }

        // The residual increases with T and decreases with ln P.
        var sign = solveForTemperature ? 1 : -1;
        var step = solveForTemperature ? 0.005 * x0 : 0.02;
        double xa = x0, ga = g0, xb = x0, gb = g0;
        var bracketed = g0 == 0;
        for (var k = 0; k < FlashSettings.MaxBracketSteps && !bracketed; k++)
        {
            var x1 = Math.Clamp(xa - (sign * Math.Sign(ga) * step), xMin, xMax);
            if (!f.TryEvaluate(x1, out var g1))
            {
                return Failed($"The three-phase {what} search failed: {f.Failure}", double.NaN, double.NaN, f.Evaluations);
            }

            if (g1 * ga <= 0)
            {
                xb = x1;
                gb = g1;
                bracketed = true;
                break;
            }

            if (x1 == xMin || x1 == xMax)
            {
                break;
            }

            xa = x1;
            ga = g1;
            step *= 2;
        }

        if (!bracketed)
        {
            return Failed($"No three-phase {what} found in the search range.", double.NaN, double.NaN, f.Evaluations);
        }

        var root = xa;
        if (ga != 0)
        {
            var lo = Math.Min(xa, xb);
            var hi = Math.Max(xa, xb);
            var status = RootFinding.Brent(ref f, lo, hi, lo == xa ? ga : gb, lo == xa ? gb : ga, solveForTemperature ? FlashSettings.TemperatureTolerance : 1e-13, 1e-14, FlashSettings.MaxOuterIterations, out root, out _);
            if (status != RootStatus.Converged)
            {
                return Failed($"The three-phase {what} solve ended with {status}: {f.Failure}", double.NaN, double.NaN, f.Evaluations);
            }
        }

        var t = solveForTemperature ? root : fixedValue;
        var p = solveForTemperature ? fixedValue : Math.Exp(root);
        if (!FlashPhasesPT(ws, t, p, out var reason))
        {
            return Failed($"The three-phase {what} failed at the solution: {reason}", t, p, f.Evaluations);
        }

        var r = BuildResult(ws, t, p);
        if (r.Converged && beta is > 0 and < 1 && Math.Abs(r.VaporFraction - beta) > InvariantBalanceTolerance)
        {
            // The vapour fraction jumps at this temperature (a binary's three-phase line): vapour and two liquids.
            return (solveForTemperature ? TryInvariantThreePhase(ws, t, p, beta, double.NaN, entropy: false) : null)
                ?? Failed($"The vapour fraction jumps across {beta} at T = {t:G9} K, P = {p:G9} Pa, and no three-phase state closes the balances there.", t, p, f.Evaluations);
        }

        if (!r.Converged || beta is > 0 and < 1)
        {
            return r;
        }

        // Bubble and dew points: the saturated phases with the incipient one, as the two-phase solves report them.
        // The incipient phase must be at the tangent plane (tm = 0): a sign change of the residual where only a single
        // phase's root label flips (above a critical point) is not a bubble or dew point.
        var s = ws.Multi!;
        double[] liquid = r.LiquidComposition, vapor = r.VaporComposition;
        var incipient = 0.0;
        if (beta == 0 && r.VaporFraction <= 0)
        {
            incipient = VaporTrialDistance(ws, s, t, p, ws.X.AsSpan(0, n));
            vapor = s.Trial[..n];
        }
        else if (beta == 1 && r.VaporFraction >= 1)
        {
            incipient = LiquidTrialDistanceFromVapor(ws, s, t, p, ws.Z.AsSpan(0, n));
            liquid = s.Trial[..n];
        }

        if (!(Math.Abs(incipient) < IncipientPhaseDistance))
        {
            return Failed($"No three-phase {what} found: the search ended at T = {t:G9} K, P = {p:G9} Pa where no incipient phase touches the tangent plane.", t, p, f.Evaluations);
        }

        var twoLiquids = beta == 0 && r.SecondLiquidFraction > 0;
        return new FlashResult
        {
            Converged = true,
            State = beta == 1 ? PhaseState.Vapor : twoLiquids ? PhaseState.LiquidLiquid : PhaseState.Liquid,
            TemperatureK = t,
            PressurePa = p,
            VaporFraction = beta,
            LiquidComposition = liquid,
            VaporComposition = vapor,
            SecondLiquidFraction = twoLiquids ? r.SecondLiquidFraction : 0,
            SecondLiquidComposition = twoLiquids ? r.SecondLiquidComposition : [],
            EnthalpyJPerMol = r.EnthalpyJPerMol,
            EntropyJPerMolK = r.EntropyJPerMolK,
            Iterations = f.Evaluations,
        };
    }

    /// <summary>|tm| of the incipient phase at an accepted bubble or dew point (0 at the boundary; the T tolerance leaves ~1e-9).</summary>
    private const double IncipientPhaseDistance = 1e-6;

    /// <summary>Half-width around a jump temperature at which the phases on either side are sampled, K.</summary>
    private const double InvariantSampleK = 1e-6;

    /// <summary>The lever rule's component balances must close to this (mole fractions) for the invariant state to stand.</summary>
    private const double InvariantBalanceTolerance = 1e-6;

    /// <summary>
    /// Where H, S or the vapour fraction jumps at a temperature (a binary's three-phase line at fixed pressure leaves no
    /// degree of freedom: vapour and two liquids of fixed compositions), the state is those three phases in the
    /// proportions the component balances and the target (vapour fraction, or H or S) fix: linear least squares on
    /// z = βV y + β1 x1 + β2 x2, Σβ = 1 and the target row. Returns null when the phases on either side are not a
    /// vapour and two liquids, or when the balances do not close (then the caller reports the jump).
    /// </summary>
    private FlashResult? TryInvariantThreePhase(Workspace ws, double temperatureK, double pressurePa, double vaporFraction, double target, bool entropy)
    {
        var s = ws.Multi ??= new MultiphaseScratch(n);
        double[] y = new double[n], x1 = new double[n], x2 = new double[n];
        bool haveVapor = false, haveLiquids = false;
        foreach (var t in (ReadOnlySpan<double>)[temperatureK - InvariantSampleK, temperatureK + InvariantSampleK])
        {
            if (!FlashPhasesPT(ws, t, pressurePa, out _))
            {
                return null;
            }

            if (ws.State is PhaseState.LiquidLiquid or PhaseState.ThreePhase)
            {
                Array.Copy(ws.X, x1, n);
                Array.Copy(ws.X2, x2, n);
                haveLiquids = true;
            }

            if (ws.State is PhaseState.TwoPhase or PhaseState.ThreePhase)
            {
                Array.Copy(ws.Y, y, n);
                haveVapor = true;
            }
        }

        if (!haveVapor || !haveLiquids)
        {
            return null;
        }

        Prepare(ws, temperatureK);
        var useVaporFraction = double.IsFinite(vaporFraction);
        Span<double> phaseTarget = stackalloc double[3];
        double scale = 1;
        if (!useVaporFraction)
        {
            phaseTarget[0] = entropy ? PhaseEntropy(ws, Phase.Vapor, temperatureK, pressurePa, y) : PhaseEnthalpy(ws, Phase.Vapor, temperatureK, pressurePa, y);
            phaseTarget[1] = entropy ? PhaseEntropy(ws, Phase.Liquid, temperatureK, pressurePa, x1) : PhaseEnthalpy(ws, Phase.Liquid, temperatureK, pressurePa, x1);
            phaseTarget[2] = entropy ? PhaseEntropy(ws, Phase.Liquid, temperatureK, pressurePa, x2) : PhaseEnthalpy(ws, Phase.Liquid, temperatureK, pressurePa, x2);
            scale = Math.Abs(phaseTarget[0] - phaseTarget[1]) + Math.Abs(phaseTarget[0] - phaseTarget[2]);
            if (!(scale > 0))
            {
                return null;
            }
        }

        // Normal equations AᵀA β = Aᵀb over the rows: n component balances, Σβ = 1, and the target row (scaled to O(1)).
        Span<double> ata = stackalloc double[9];
        Span<double> atb = stackalloc double[3];
        void Row(Span<double> ata, Span<double> atb, double a0, double a1, double a2, double b)
        {
            ReadOnlySpan<double> a = [a0, a1, a2];
            for (var r = 0; r < 3; r++)
            {
                atb[r] += a[r] * b;
                for (var c = 0; c < 3; c++)
                {
                    ata[(r * 3) + c] += a[r] * a[c];
                }
            }
        }

        for (var i = 0; i < n; i++)
        {
            Row(ata, atb, y[i], x1[i], x2[i], ws.Z[i]);
        }

        Row(ata, atb, 1, 1, 1, 1);
        if (useVaporFraction)
        {
            Row(ata, atb, 1, 0, 0, vaporFraction);
        }
        else
        {
            Row(ata, atb, phaseTarget[0] / scale, phaseTarget[1] / scale, phaseTarget[2] / scale, target / scale);
        }

        Span<double> beta = stackalloc double[3];
        Span<bool> all = [true, true, true];
        Span<double> negativeRhs = stackalloc double[3];
        for (var r = 0; r < 3; r++)
        {
            negativeRhs[r] = -atb[r];
        }

        if (!SolveFreeNewtonStep(ata, negativeRhs, all, 3, beta))
        {
            return null;
        }

        double worst = 0;
        for (var i = 0; i < n; i++)
        {
            worst = Math.Max(worst, Math.Abs((beta[0] * y[i]) + (beta[1] * x1[i]) + (beta[2] * x2[i]) - ws.Z[i]));
        }

        if (worst > InvariantBalanceTolerance || beta[0] < -InvariantBalanceTolerance || beta[1] < -InvariantBalanceTolerance || beta[2] < -InvariantBalanceTolerance)
        {
            return null;
        }

        Array.Copy(y, ws.Y, n);
        Array.Copy(x1, ws.X, n);
        Array.Copy(x2, ws.X2, n);
        ws.Beta = Math.Clamp(beta[0], 0, 1);
        ws.Beta2 = Math.Clamp(beta[2], 0, 1);
        ws.State = PhaseState.ThreePhase;
        ws.XSmallest = true;
        ws.YSmallest = false;
        return BuildResult(ws, temperatureK, pressurePa);
    }
}
