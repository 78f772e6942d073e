using DeepSim.Engine.Numerics;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.UnitOperations.Reactions;

/// <summary>An equilibrium composition at one temperature and pressure, or why it could not be found.</summary>
public sealed record EquilibriumOutcome(double[]? Flows, double[]? Extents, string? Failure, int Iterations, double Residual)
{
    public bool Succeeded => Failure is null;

    public static EquilibriumOutcome Fail(string reason, int iterations = 0, double residual = double.NaN) => new(null, null, reason, iterations, residual);
}

/// <summary>
/// Chemical equilibrium of one reacting phase treated as a gas: fᵢ/P° = yᵢ φᵢ P/P° with φᵢ of the vapour root when the
/// package gives fugacity coefficients (every built-in package does; the ideal package's vapour φ is 1).
/// Two forms: reaction extents solving ln Q = ln K per reaction, and RAND minimisation of G under element balances.
/// </summary>
public static class ChemicalEquilibrium
{
    public const int MaxExtentIterations = 200;

    public const int MaxGibbsIterations = 500;

    /// <summary>|ln Q − ln K| at convergence: 1e-11 keeps Q/K within 1e-8 with room for the round-off of ln.</summary>
    public const double LnResidualTolerance = 1e-11;

    /// <summary>A Newton step may shrink a flow to at most this fraction of its value (fraction-to-boundary rule).</summary>
    private const double BoundaryFraction = 0.01;

    private const int MaxHalvings = 30;

    /// <summary>The RAND direction descends G only once the element balances hold; until then the full step restores them.</summary>
    private const double ElementGapForLineSearch = 1e-8;

    /// <summary>
    /// Extents ξ with n = n₀ + Σ ν ξ ≥ 0 and Σᵢ νᵣᵢ ln(fᵢ/P°) = ln Kᵣ for each reaction, by damped Newton on the
    /// log residuals. The Jacobian is the ideal-gas one (Σ νᵣᵢ νₛᵢ/nᵢ − Δνᵣ Δνₛ/n, the Hessian of G/RT); φ is
    /// re-evaluated every iteration, so a non-ideal mixture converges with its composition dependence lagged.
    /// </summary>
    public static EquilibriumOutcome SolveExtents(IPropertyPackage package, double temperatureK, double pressurePa, ReadOnlySpan<double> feed, IReadOnlyList<double[]> stoichiometry, ReadOnlySpan<double> lnK, double[]? guess = null)
    {
        var n = feed.Length;
        var reactions = stoichiometry.Count;
        var xi = new double[reactions];
        var flows = new double[n];
        var deltaNu = new double[reactions];
        for (var r = 0; r < reactions; r++)
        {
            var (lo, hi) = Bounds(feed, stoichiometry[r]);
            if (!(hi > lo))
            {
                return EquilibriumOutcome.Fail($"reaction {r + 1} cannot proceed either way: the feed lacks a reactant and a product");
            }
            xi[r] = (lo + hi) / (2.0 * reactions);
            foreach (var v in stoichiometry[r])
            {
                deltaNu[r] += v;
            }
        }
        if (guess is not null && guess.Length == reactions && KeepsFlowsPositive(feed, stoichiometry, guess))
        {
            Array.Copy(guess, xi, reactions);
        }
        var residual = new double[reactions];
        var lnF = new double[n];
        var y = new double[n];
        var norm = Residual(package, temperatureK, pressurePa, feed, stoichiometry, lnK, xi, flows, y, lnF, residual);
        if (double.IsNaN(norm))
        {
            return EquilibriumOutcome.Fail("the fugacities could not be evaluated at the starting extents");
        }
        var jacobian = new double[reactions, reactions];
        var step = new double[reactions];
        var trial = new double[reactions];
        var trialFlows = new double[n];
        var trialResidual = new double[reactions];
        for (var iteration = 1; iteration <= MaxExtentIterations; iteration++)
        {
            var worst = MaxAbs(residual);
            if (worst <= LnResidualTolerance)
            {
                return new EquilibriumOutcome(flows, xi, null, iteration - 1, worst);
            }
            double total = 0;
            foreach (var f in flows)
            {
                total += f;
            }
            for (var r = 0; r < reactions; r++)
            {
                for (var s = 0; s < reactions; s++)
                {
                    double j = -deltaNu[r] * deltaNu[s] / total;
                    for (var i = 0; i < n; i++)
                    {
                        if (stoichiometry[r][i] != 0 && stoichiometry[s][i] != 0)
                        {
                            j += stoichiometry[r][i] * stoichiometry[s][i] / flows[i];
                        }
                    }
                    jacobian[r, s] = j;
                }
                step[r] = -residual[r];
            }
            if (!DenseLinear.Solve(jacobian, step))
            {
                return EquilibriumOutcome.Fail("the reactions are linearly dependent (the extent Jacobian is singular)", iteration, MaxAbs(residual));
            }
            var alpha = 1.0;
            for (var i = 0; i < n; i++)
            {
                double dn = 0;
                for (var r = 0; r < reactions; r++)
                {
                    dn += stoichiometry[r][i] * step[r];
                }
                if (dn < 0 && flows[i] > 0)
                {
                    alpha = Math.Min(alpha, (1 - BoundaryFraction) * flows[i] / -dn);
                }
            }
            var accepted = false;
            for (var halving = 0; halving <= MaxHalvings; halving++)
            {
                for (var r = 0; r < reactions; r++)
                {
                    trial[r] = xi[r] + (alpha * step[r]);
                }
                var trialNorm = Residual(package, temperatureK, pressurePa, feed, stoichiometry, lnK, trial, trialFlows, y, lnF, trialResidual);
                if (!double.IsNaN(trialNorm) && (trialNorm < norm || halving == MaxHalvings))
                {
                    Array.Copy(trial, xi, reactions);
                    Array.Copy(trialFlows, flows, n);
                    Array.Copy(trialResidual, residual, reactions);
                    norm = trialNorm;
                    accepted = true;
                    break;
                }
                alpha /= 2;
            }
            if (!accepted)
            {
                return EquilibriumOutcome.Fail("the fugacities could not be evaluated along the Newton step", iteration, MaxAbs(residual));
            }
        }
        return MaxAbs(residual) <= LnResidualTolerance
            ? new EquilibriumOutcome(flows, xi, null, MaxExtentIterations, MaxAbs(residual))
            : EquilibriumOutcome.Fail($"no convergence in {MaxExtentIterations} iterations (largest |ln Q − ln K| {MaxAbs(residual):G3})", MaxExtentIterations, MaxAbs(residual));
    }

    /// <summary>
    /// Minimises G = Σ nᵢ (G°ᵢ/RT + ln(fᵢ/P°)) over the reacting components subject to Σᵢ aₖᵢ nᵢ = bₖ, by the RAND
    /// method (White, Johnson &amp; Dantzig 1958; Smith &amp; Missen, Chemical Reaction Equilibrium Analysis, ch. 6):
    /// each iteration solves for the element multipliers π and u = δ ln n, then δnᵢ = nᵢ (Σₖ aₖᵢ πₖ + u − μᵢ/RT),
    /// with the step cut to keep every flow positive and so that G does not rise along it. Components not reacting
    /// stay at their feed flow (they still dilute the mixture). Converged when every δ ln nᵢ is below tolerance.
    /// </summary>
    public static EquilibriumOutcome MinimiseGibbs(IPropertyPackage package, double temperatureK, double pressurePa, ReadOnlySpan<double> feed, ReadOnlySpan<bool> reacting, int[,] elements, ReadOnlySpan<double> gOverRt)
    {
        var n = feed.Length;
        var elementCount = elements.GetLength(1);
        var b = new double[elementCount];
        double reactingFeed = 0;
        for (var i = 0; i < n; i++)
        {
            if (reacting[i])
            {
                reactingFeed += feed[i];
                for (var k = 0; k < elementCount; k++)
                {
                    b[k] += elements[i, k] * feed[i];
                }
            }
        }
        if (!(reactingFeed > 0))
        {
            return new EquilibriumOutcome(feed.ToArray(), null, null, 0, 0);
        }
        // A component made of an element the feed lacks cannot form; the remaining element rows must be independent.
        var active = new bool[n];
        var species = new List<int>();
        for (var i = 0; i < n; i++)
        {
            if (!reacting[i])
            {
                continue;
            }
            active[i] = true;
            for (var k = 0; k < elementCount; k++)
            {
                if (elements[i, k] != 0 && !(b[k] > 0))
                {
                    active[i] = false;
                }
            }
            if (active[i])
            {
                species.Add(i);
            }
        }
        var rows = IndependentElements(elements, species, b);
        var e = rows.Count;
        var flows = feed.ToArray();
        var floor = 1e-8 * reactingFeed;
        foreach (var i in species)
        {
            flows[i] = Math.Max(flows[i], floor);
        }
        for (var i = 0; i < n; i++)
        {
            if (reacting[i] && !active[i])
            {
                flows[i] = 0;
            }
        }
        var mu = new double[n];
        var y = new double[n];
        var delta = new double[n];
        var trial = new double[n];
        var matrix = new double[e + 1, e + 1];
        var rhs = new double[e + 1];
        double change = double.PositiveInfinity;
        for (var iteration = 1; iteration <= MaxGibbsIterations; iteration++)
        {
            if (!ChemicalPotentials(package, temperatureK, pressurePa, flows, gOverRt, active, y, mu))
            {
                return EquilibriumOutcome.Fail("the fugacities could not be evaluated", iteration, change);
            }
            double total = 0, inert = 0;
            for (var i = 0; i < n; i++)
            {
                total += flows[i];
                inert += active[i] ? 0 : flows[i];
            }
            Array.Clear(matrix);
            Array.Clear(rhs);
            double elementGap = 0;
            for (var p = 0; p < e; p++)
            {
                var kp = rows[p];
                double bPrime = 0;
                foreach (var i in species)
                {
                    bPrime += elements[i, kp] * flows[i];
                    rhs[p] += elements[i, kp] * flows[i] * mu[i];
                    for (var q = 0; q < e; q++)
                    {
                        matrix[p, q] += elements[i, kp] * elements[i, rows[q]] * flows[i];
                    }
                }
                matrix[p, e] = bPrime;
                matrix[e, p] = bPrime;
                rhs[p] += b[kp] - bPrime;
                elementGap = Math.Max(elementGap, Math.Abs(b[kp] - bPrime) / b[kp]);
            }
            matrix[e, e] = -inert;
            foreach (var i in species)
            {
                rhs[e] += flows[i] * mu[i];
            }
            if (!DenseLinear.Solve(matrix, rhs))
            {
                return EquilibriumOutcome.Fail("the element-balance system is singular", iteration, change);
            }
            change = 0;
            var alpha = 1.0;
            foreach (var i in species)
            {
                var lnStep = rhs[e] - mu[i];
                for (var p = 0; p < e; p++)
                {
                    lnStep += elements[i, rows[p]] * rhs[p];
                }
                delta[i] = flows[i] * lnStep;
                change = Math.Max(change, Math.Abs(lnStep));
                if (delta[i] < 0)
                {
                    alpha = Math.Min(alpha, (1 - BoundaryFraction) * flows[i] / -delta[i]);
                }
            }
            if (change <= LnResidualTolerance)
            {
                return new EquilibriumOutcome(flows, null, null, iteration, change);
            }
            // Once the element balances hold the direction is one of descent; halve while G would rise at the step's end.
            for (var halving = 0; halving < MaxHalvings && elementGap <= ElementGapForLineSearch; halving++)
            {
                foreach (var i in species)
                {
                    trial[i] = flows[i] + (alpha * delta[i]);
                }
                for (var i = 0; i < n; i++)
                {
                    trial[i] = active[i] ? trial[i] : flows[i];
                }
                if (!ChemicalPotentials(package, temperatureK, pressurePa, trial, gOverRt, active, y, mu))
                {
                    alpha /= 2;
                    continue;
                }
                // dG/dα along the step, with μᵢ reduced by Σₖ aₖᵢ πₖ: the same on the element-balance plane, but free of
                // π times the balances' round-off, which near the minimum outweighs the true slope.
                double slope = 0;
                foreach (var i in species)
                {
                    var reduced = mu[i];
                    for (var p = 0; p < e; p++)
                    {
                        reduced -= elements[i, rows[p]] * rhs[p];
                    }
                    slope += delta[i] * reduced;
                }
                if (slope <= 0 || alpha < 1e-3)
                {
                    break;
                }
                alpha /= 2;
            }
            foreach (var i in species)
            {
                flows[i] += alpha * delta[i];
            }
        }
        return EquilibriumOutcome.Fail($"no convergence in {MaxGibbsIterations} iterations (largest δ ln n {change:G3})", MaxGibbsIterations, change);
    }

    /// <summary>Σᵢ νᵢ ln(fᵢ/P°) − ln K at the outlet composition of a stream-like state (the reaction quotient's log over K).</summary>
    public static double LnQuotientOverK(IPropertyPackage package, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> y, ReadOnlySpan<double> stoichiometry, double lnK)
    {
        var lnF = new double[y.Length];
        Fugacity.LnReducedFugacities(package, phase, temperatureK, pressurePa, y, lnF);
        double lnQ = 0;
        for (var i = 0; i < y.Length; i++)
        {
            if (stoichiometry[i] != 0)
            {
                lnQ += stoichiometry[i] * lnF[i];
            }
        }
        return lnQ - lnK;
    }

    /// <summary>The extent interval of one reaction alone that keeps every flow non-negative.</summary>
    public static (double Lo, double Hi) Bounds(ReadOnlySpan<double> feed, ReadOnlySpan<double> nu)
    {
        double lo = double.NegativeInfinity, hi = double.PositiveInfinity;
        for (var i = 0; i < feed.Length; i++)
        {
            if (nu[i] > 0)
            {
                lo = Math.Max(lo, -feed[i] / nu[i]);
            }
            else if (nu[i] < 0)
            {
                hi = Math.Min(hi, feed[i] / -nu[i]);
            }
        }
        return (lo, hi);
    }

    private static bool KeepsFlowsPositive(ReadOnlySpan<double> feed, IReadOnlyList<double[]> stoichiometry, double[] xi)
    {
        for (var i = 0; i < feed.Length; i++)
        {
            var f = feed[i];
            var involved = false;
            for (var r = 0; r < xi.Length; r++)
            {
                f += stoichiometry[r][i] * xi[r];
                involved |= stoichiometry[r][i] != 0;
            }
            if (involved && !(f > 0))
            {
                return false;
            }
        }
        return true;
    }

    // Flows at the extents, then each reaction's ln Q − ln K; returns Σ residual² or NaN when a flow is not positive.
    private static double Residual(IPropertyPackage package, double temperatureK, double pressurePa, ReadOnlySpan<double> feed, IReadOnlyList<double[]> stoichiometry, ReadOnlySpan<double> lnK, double[] xi, double[] flows, double[] y, double[] lnF, double[] residual)
    {
        double total = 0;
        for (var i = 0; i < feed.Length; i++)
        {
            var f = feed[i];
            var involved = false;
            for (var r = 0; r < xi.Length; r++)
            {
                f += stoichiometry[r][i] * xi[r];
                involved |= stoichiometry[r][i] != 0;
            }
            if (involved && !(f > 0))
            {
                return double.NaN;
            }
            flows[i] = Math.Max(f, 0);
            total += flows[i];
        }
        for (var i = 0; i < feed.Length; i++)
        {
            y[i] = flows[i] / total;
        }
        try
        {
            Fugacity.LnReducedFugacities(package, Phase.Vapor, temperatureK, pressurePa, y, lnF);
        }
        catch (ArgumentException)
        {
            return double.NaN;
        }
        double sum = 0;
        for (var r = 0; r < xi.Length; r++)
        {
            double lnQ = 0;
            for (var i = 0; i < feed.Length; i++)
            {
                if (stoichiometry[r][i] != 0)
                {
                    lnQ += stoichiometry[r][i] * lnF[i];
                }
            }
            residual[r] = lnQ - lnK[r];
            sum += residual[r] * residual[r];
        }
        return double.IsFinite(sum) ? sum : double.NaN;
    }

    private static bool ChemicalPotentials(IPropertyPackage package, double temperatureK, double pressurePa, double[] flows, ReadOnlySpan<double> gOverRt, bool[] active, double[] y, double[] mu)
    {
        double total = 0;
        foreach (var f in flows)
        {
            if (!(f >= 0))
            {
                return false;
            }
            total += f;
        }
        for (var i = 0; i < flows.Length; i++)
        {
            y[i] = flows[i] / total;
        }
        try
        {
            Fugacity.LnReducedFugacities(package, Phase.Vapor, temperatureK, pressurePa, y, mu);
        }
        catch (ArgumentException)
        {
            return false;
        }
        for (var i = 0; i < flows.Length; i++)
        {
            mu[i] = active[i] ? mu[i] + gOverRt[i] : 0;
            if (active[i] && !double.IsFinite(mu[i]))
            {
                return false;
            }
        }
        return true;
    }

    // Element columns with a positive feed amount, dropping any that is a combination of those kept (e.g. N and H in
    // a system of N2, H2 and NH3 only are independent; O would be dependent if it always came with a fixed partner).
    private static List<int> IndependentElements(int[,] elements, List<int> species, double[] b)
    {
        var kept = new List<int>();
        var basis = new List<double[]>();
        for (var k = 0; k < elements.GetLength(1); k++)
        {
            if (!(b[k] > 0))
            {
                continue;
            }
            var v = species.Select(i => (double)elements[i, k]).ToArray();
            var norm0 = Math.Sqrt(v.Sum(x => x * x));
            foreach (var u in basis)
            {
                var dot = v.Zip(u, (p, q) => p * q).Sum();
                for (var j = 0; j < v.Length; j++)
                {
                    v[j] -= dot * u[j];
                }
            }
            var norm = Math.Sqrt(v.Sum(x => x * x));
            if (norm > 1e-9 * norm0)
            {
                basis.Add(v.Select(x => x / norm).ToArray());
                kept.Add(k);
            }
        }
        return kept;
    }

    private static double MaxAbs(double[] v)
    {
        double m = 0;
        foreach (var x in v)
        {
            m = Math.Max(m, Math.Abs(x));
        }
        return m;
    }
}
