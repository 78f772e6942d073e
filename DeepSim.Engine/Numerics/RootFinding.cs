namespace DeepSim.Engine.Numerics;

/// <summary>A scalar function for the allocation-free root finders (implemented by structs).</summary>
public interface IScalarFunction
{
    /// <summary>Returns false when the function cannot be evaluated at x (the solver then fails with that point).</summary>
    bool TryEvaluate(double x, out double value);
}

public enum RootStatus
{
    Converged,
    NotBracketed,
    EvaluationFailed,
    IterationLimit,
}

/// <summary>Bracketed scalar root finding (Brent's method: inverse quadratic / secant with bisection safeguard).</summary>
public static class RootFinding
{
    /// <summary>
    /// Finds x in [a, b] with f(x) = 0 given f(a)·f(b) ≤ 0. Stops when the bracket is narrower than
    /// <paramref name="xTolerance"/> or |f| ≤ <paramref name="fTolerance"/>. Never leaves the bracket.
    /// </summary>
    public static RootStatus Brent<TF>(ref TF f, double a, double b, double fa, double fb, double xTolerance, double fTolerance, int maxIterations, out double root, out int iterations)
        where TF : struct, IScalarFunction
    {
        iterations = 0;
        root = double.NaN;
        if (fa == 0)
        {
            root = a;
            return RootStatus.Converged;
        }

        if (fb == 0)
        {
            root = b;
            return RootStatus.Converged;
        }

        if (!(fa * fb < 0))
        {
            return RootStatus.NotBracketed;
        }

        double c = a, fc = fa, d = b - a, e = d;
        while (iterations < maxIterations)
        {
            iterations++;
            if (fb * fc > 0)
            {
                c = a;
                fc = fa;
                d = b - a;
                e = d;
            }

            if (Math.Abs(fc) < Math.Abs(fb))
            {
                a = b;
                b = c;
                c = a;
                fa = fb;
                fb = fc;
                fc = fa;
            }

            var tol = (2 * double.Epsilon) + (0.5 * xTolerance);
            var m = 0.5 * (c - b);
            if (Math.Abs(m) <= tol || Math.Abs(fb) <= fTolerance)
            {
                root = b;
                return RootStatus.Converged;
            }

            if (Math.Abs(e) >= tol && Math.Abs(fa) > Math.Abs(fb))
            {
                double p, q;
                var s = fb / fa;
                if (a == c)
                {
                    p = 2 * m * s;
                    q = 1 - s;
                }
                else
                {
                    var qq = fa / fc;
                    var r = fb / fc;
                    p = s * ((2 * m * qq * (qq - r)) - ((b - a) * (r - 1)));
                    q = (qq - 1) * (r - 1) * (s - 1);
                }

                if (p > 0)
                {
                    q = -q;
                }
                else
                {
                    p = -p;
                }

                if (2 * p < Math.Min((3 * m * q) - Math.Abs(tol * q), Math.Abs(e * q)))
                {
                    e = d;
                    d = p / q;
                }
                else
                {
                    d = m;
                    e = m;
                }
            }
            else
            {
                d = m;
                e = m;
            }

            a = b;
            fa = fb;
            b += Math.Abs(d) > tol ? d : (m > 0 ? tol : -tol);
            if (!f.TryEvaluate(b, out fb) || double.IsNaN(fb))
            {
                root = b;
                return RootStatus.EvaluationFailed;
            }
        }

        root = b;
        return RootStatus.IterationLimit;
    }
}

/// <summary>
/// Rachford–Rice: Σ zᵢ(Kᵢ − 1)/(1 + β(Kᵢ − 1)) = 0, solved by Newton steps safeguarded by bisection inside the
/// feasible interval (1/(1 − Kmax), 1/(1 − Kmin)) where every phase fraction stays positive.
/// </summary>
public static class RachfordRice
{
    // β is a mole fraction; 1e-14 is a few ulps of 1, below which refining β changes nothing.
    private const double BetaTolerance = 1e-14;
    private const int MaxIterations = 100;

    /// <summary>
    /// Solves for β within the feasible interval intersected with [lower, upper]. Returns false when there is no
    /// sign change (all K on one side of 1, or no root in the window) — then <paramref name="beta"/> is undefined.
    /// </summary>
    public static bool Solve(ReadOnlySpan<double> z, ReadOnlySpan<double> k, double lower, double upper, out double beta, double initialGuess = double.NaN)
    {
        beta = double.NaN;
        double kMin = double.PositiveInfinity, kMax = double.NegativeInfinity;
        for (var i = 0; i < z.Length; i++)
        {
            if (z[i] > 0)
            {
                kMin = Math.Min(kMin, k[i]);
                kMax = Math.Max(kMax, k[i]);
            }
        }

        if (!(kMax > 1 && kMin < 1))
        {
            return false;
        }

        // Poles of the function bound the feasible interval; stay strictly inside it.
        var lo = Math.Max(lower, 1 / (1 - kMax));
        var hi = Math.Min(upper, 1 / (1 - kMin));
        if (!(lo < hi))
        {
            return false;
        }

        var fLo = Evaluate(z, k, lo, out _);
        var fHi = Evaluate(z, k, hi, out _);
        if (double.IsFinite(fLo) && fLo < 0)
        {
            return false; // f decreases in β: negative at the lower end means the root lies below the window
        }

        if (double.IsFinite(fHi) && fHi > 0)
        {
            return false;
        }

        // A previous iterate (successive substitution) is usually within a few Newton steps of the new root.
        var b = initialGuess > lo && initialGuess < hi ? initialGuess : 0.5 * (lo + hi);
        for (var it = 0; it < MaxIterations; it++)
        {
            var f = Evaluate(z, k, b, out var df);
            if (f == 0)
            {
                break;
            }

            if (f > 0)
            {
                lo = b;
            }
            else
            {
                hi = b;
            }

            var next = b - (f / df);
            if (!(next > lo && next < hi))
            {
                next = 0.5 * (lo + hi);
            }

            var step = Math.Abs(next - b);
            b = next;
            if (step < BetaTolerance || hi - lo < BetaTolerance)
            {
                break;
            }
        }

        beta = b;
        return true;
    }

    /// <summary>f(β) and its derivative (always negative).</summary>
    public static double Evaluate(ReadOnlySpan<double> z, ReadOnlySpan<double> k, double beta, out double derivative)
    {
        double f = 0, df = 0;
        for (var i = 0; i < z.Length; i++)
        {
            if (z[i] <= 0)
            {
                continue;
            }

            var km1 = k[i] - 1;
            var den = 1 / (1 + (beta * km1));
            var t = km1 * den;
            f += z[i] * t;
            df -= z[i] * t * t;
        }

        derivative = df;
        return f;
    }
}
