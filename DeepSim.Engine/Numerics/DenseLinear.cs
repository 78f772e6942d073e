namespace DeepSim.Engine.Numerics;

/// <summary>Small dense linear systems (a few reactions or elements): Gaussian elimination with partial pivoting.</summary>
public static class DenseLinear
{
    /// <summary>A pivot below this fraction of the matrix's largest entry counts as singular.</summary>
    private const double SingularPivot = 1e-13;

    /// <summary>Solves a x = b in place (a is destroyed, b becomes x). False when a is singular.</summary>
    public static bool Solve(double[,] a, double[] b)
    {
        var n = b.Length;
        double scale = 0;
        foreach (var v in a)
        {
            scale = Math.Max(scale, Math.Abs(v));
        }
        if (!(scale > 0))
        {
            return false;
        }
        for (var col = 0; col < n; col++)
        {
            var pivot = col;
            for (var row = col + 1; row < n; row++)
            {
                if (Math.Abs(a[row, col]) > Math.Abs(a[pivot, col]))
                {
                    pivot = row;
                }
            }
            if (!(Math.Abs(a[pivot, col]) > SingularPivot * scale))
            {
                return false;
            }
            if (pivot != col)
            {
                for (var k = 0; k < n; k++)
                {
                    (a[col, k], a[pivot, k]) = (a[pivot, k], a[col, k]);
                }
                (b[col], b[pivot]) = (b[pivot], b[col]);
            }
            for (var row = col + 1; row < n; row++)
            {
                var f = a[row, col] / a[col, col];
                if (f == 0)
                {
                    continue;
                }
                for (var k = col; k < n; k++)
                {
                    a[row, k] -= f * a[col, k];
                }
                b[row] -= f * b[col];
            }
        }
        for (var row = n - 1; row >= 0; row--)
        {
            var s = b[row];
            for (var k = row + 1; k < n; k++)
            {
                s -= a[row, k] * b[k];
            }
            b[row] = s / a[row, row];
        }
        return true;
    }
}
