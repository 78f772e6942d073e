namespace DeepSim.Engine.Solver;

/// <summary>Outcome of a bracketed one-dimensional root search.</summary>
public readonly record struct RootResult(bool Converged, double X, double Fx, int Iterations, string? FailureReason);

/// <summary>Brent's method on a bracket: never leaves [a, b], bounded iterations, failures as values.</summary>
public static class BracketedRoot
{
    /// <summary>
    /// Finds x in [a, b] with f(x) = 0 given f(a) and f(b) of opposite sign. Stops when |f| ≤ fTolerance or the
    /// bracket is narrower than xTolerance. f may return NaN to signal a failed evaluation, which ends the search.
    /// </summary>
    public static RootResult Brent(Func<double, double> f, double a, double b, double fa, double fb, double xTolerance, double fTolerance, int maxIterations, CancellationToken cancellation = default)
    {
        if (double.IsNaN(fa) || double.IsNaN(fb))
        {
            return new(false, double.NaN, double.NaN, 0, "the function could not be evaluated at the bracket ends");
        }
        if (Math.Abs(fa) <= fTolerance)
        {
            return new(true, a, fa, 0, null);
        }
        if (Math.Abs(fb) <= fTolerance)
        {
            return new(true, b, fb, 0, null);
        }
        if (Math.Sign(fa) == Math.Sign(fb))
        {
            return new(false, double.NaN, double.NaN, 0, "the root is not bracketed");
        }
        double c = a, fc = fa, d = b - a, e = d;
        for (var iteration = 1; iteration <= maxIterations; iteration++)
        {
            if (cancellation.IsCancellationRequested)
            {
                return new(false, b, fb, iteration, "the time limit was reached");
            }
            if (Math.Sign(fb) == Math.Sign(fc))
            {
                c = a;
                fc = fa;
                d = b - a;
                e = d;
            }
            if (Math.Abs(fc) < Math.Abs(fb))
            {
                a = b; b = c; c = a;
                fa = fb; fb = fc; fc = fa;
            }
            var tol = 2 * double.Epsilon + 0.5 * xTolerance;
            var m = 0.5 * (c - b);
            if (Math.Abs(m) <= tol || Math.Abs(fb) <= fTolerance)
            {
                return new(true, b, fb, iteration, null);
            }
            if (Math.Abs(e) >= tol && Math.Abs(fa) > Math.Abs(fb))
            {
                double p, q, r, s = fb / fa;
                if (a == c)
                {
                    p = 2 * m * s;
                    q = 1 - s;
                }
                else
                {
                    q = fa / fc;
                    r = fb / fc;
                    p = s * (2 * m * q * (q - r) - (b - a) * (r - 1));
                    q = (q - 1) * (r - 1) * (s - 1);
                }
                if (p > 0)
                {
                    q = -q;
                }
                else
                {
                    p = -p;
                }
                if (2 * p < Math.Min(3 * m * q - Math.Abs(tol * q), Math.Abs(e * q)))
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
            fb = f(b);
            if (double.IsNaN(fb))
            {
                return new(false, b, fb, iteration, "the function could not be evaluated inside the bracket");
            }
        }
        return new(false, b, fb, maxIterations, $"no convergence in {maxIterations} iterations");
    }
}
