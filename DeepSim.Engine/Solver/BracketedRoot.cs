using DeepSim.Engine.Numerics;

namespace DeepSim.Engine.Solver;

/// <summary>Outcome of a bracketed one-dimensional root search.</summary>
public readonly record struct RootResult(bool Converged, double X, double Fx, int Iterations, string? FailureReason);

/// <summary>
/// Brent's method on a bracket for callers outside the hot paths (design specs, UA duty): a delegate, a deadline and
/// a failure reason on top of the one allocation-free implementation in <see cref="RootFinding"/>.
/// </summary>
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

        var function = new DelegateFunction(f, cancellation);
        var status = RootFinding.Brent(ref function, a, b, fa, fb, xTolerance, fTolerance, maxIterations, out var root, out var iterations);
        var fRoot = root == function.LastX ? function.LastValue : root == b ? fb : double.NaN;
        return status switch
        {
            RootStatus.Converged => new(true, root, fRoot, iterations, null),
            RootStatus.NotBracketed => new(false, double.NaN, double.NaN, 0, "the root is not bracketed"),
            RootStatus.EvaluationFailed when cancellation.IsCancellationRequested => new(false, root, fRoot, iterations, "the time limit was reached"),
            RootStatus.EvaluationFailed => new(false, root, fRoot, iterations, "the function could not be evaluated inside the bracket"),
            _ => new(false, root, fRoot, iterations, $"no convergence in {maxIterations} iterations"),
        };
    }

    private struct DelegateFunction(Func<double, double> f, CancellationToken cancellation) : IScalarFunction
    {
        public double LastX { get; private set; } = double.NaN;

        public double LastValue { get; private set; } = double.NaN;

        public bool TryEvaluate(double x, out double value)
        {
            if (cancellation.IsCancellationRequested)
            {
                value = double.NaN;
                return false;
            }
            value = f(x);
            LastX = x;
            LastValue = value;
            return !double.IsNaN(value);
        }
    }
}
