namespace DeepSim.Engine.Numerics;

/// <summary>
/// Block-tridiagonal systems by the block Thomas algorithm: row j reads lower[j]·x[j−1] + diagonal[j]·x[j] +
/// upper[j]·x[j+1] = rhs[j], with square m×m blocks stored row-major and any number of right-hand sides (m×k,
/// row-major). Each diagonal block is factored by Gaussian elimination with partial pivoting.
/// </summary>
public sealed class BlockTridiagonal
{
    /// <summary>A pivot below this fraction of its block's largest entry counts as singular.</summary>
    public const double SingularPivotRatio = 1e-14;

    private readonly int blocks;
    private readonly int m;
    private readonly int[] pivots;

    public BlockTridiagonal(int blocks, int blockSize)
    {
        this.blocks = blocks;
        m = blockSize;
        pivots = new int[blockSize];
    }

    /// <summary>
    /// Solves in place: on return rhs[j] holds x[j]. The blocks are overwritten. Returns the index of the first
    /// block found singular, or −1 on success.
    /// </summary>
    public int Solve(double[][] lower, double[][] diagonal, double[][] upper, double[][] rhs, int columns)
    {
        for (var j = 0; j < blocks; j++)
        {
            if (j > 0)
            {
                // diagonal[j] −= lower[j]·upper'[j−1]; rhs[j] −= lower[j]·rhs'[j−1] (primes: already reduced).
                MultiplySubtract(lower[j], upper[j - 1], diagonal[j], m);
                MultiplySubtract(lower[j], rhs[j - 1], rhs[j], columns);
            }
            if (!Factor(diagonal[j]))
            {
                return j;
            }
            if (j < blocks - 1)
            {
                Substitute(diagonal[j], upper[j], m);
            }
            Substitute(diagonal[j], rhs[j], columns);
        }
        for (var j = blocks - 2; j >= 0; j--)
        {
            MultiplySubtract(upper[j], rhs[j + 1], rhs[j], columns);
        }
        return -1;
    }

    /// <summary>c −= a·b, a m×m, b and c m×k.</summary>
    private void MultiplySubtract(double[] a, double[] b, double[] c, int k)
    {
        for (var r = 0; r < m; r++)
        {
            for (var q = 0; q < m; q++)
            {
                var arq = a[r * m + q];
                if (arq == 0)
                {
                    continue;
                }
                for (var s = 0; s < k; s++)
                {
                    c[r * k + s] -= arq * b[q * k + s];
                }
            }
        }
    }

    /// <summary>LU factorisation in place with row pivots recorded (applied to every right-hand side).</summary>
    private bool Factor(double[] a)
    {
        double largest = 0;
        foreach (var v in a)
        {
            largest = Math.Max(largest, Math.Abs(v));
        }
        if (!(largest > 0) || !double.IsFinite(largest))
        {
            return false;
        }
        for (var col = 0; col < m; col++)
        {
            var p = col;
            var best = Math.Abs(a[col * m + col]);
            for (var r = col + 1; r < m; r++)
            {
                var v = Math.Abs(a[r * m + col]);
                if (v > best)
                {
                    best = v;
                    p = r;
                }
            }
            if (!(best > SingularPivotRatio * largest))
            {
                return false;
            }
            pivots[col] = p;
            if (p != col)
            {
                for (var s = 0; s < m; s++)
                {
                    (a[col * m + s], a[p * m + s]) = (a[p * m + s], a[col * m + s]);
                }
            }
            var pivot = a[col * m + col];
            for (var r = col + 1; r < m; r++)
            {
                var factor = a[r * m + col] / pivot;
                a[r * m + col] = factor;
                if (factor == 0)
                {
                    continue;
                }
                for (var s = col + 1; s < m; s++)
                {
                    a[r * m + s] -= factor * a[col * m + s];
                }
            }
        }
        return true;
    }

    /// <summary>b ← A⁻¹b with the factors from <see cref="Factor"/>; b is m×k.</summary>
    private void Substitute(double[] lu, double[] b, int k)
    {
        // Whole rows were swapped during factoring, so L belongs to the final order: permute b first (PA = LU).
        for (var col = 0; col < m; col++)
        {
            var p = pivots[col];
            if (p != col)
            {
                for (var s = 0; s < k; s++)
                {
                    (b[col * k + s], b[p * k + s]) = (b[p * k + s], b[col * k + s]);
                }
            }
        }
        for (var col = 0; col < m; col++)
        {
            for (var r = col + 1; r < m; r++)
            {
                var factor = lu[r * m + col];
                if (factor == 0)
                {
                    continue;
                }
                for (var s = 0; s < k; s++)
                {
                    b[r * k + s] -= factor * b[col * k + s];
                }
            }
        }
        for (var r = m - 1; r >= 0; r--)
        {
            var d = lu[r * m + r];
            for (var s = 0; s < k; s++)
            {
                var sum = b[r * k + s];
                for (var q = r + 1; q < m; q++)
                {
                    sum -= lu[r * m + q] * b[q * k + s];
                }
                b[r * k + s] = sum / d;
            }
        }
    }
}
