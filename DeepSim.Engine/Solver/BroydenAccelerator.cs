namespace DeepSim.Engine.Solver;

/// <summary>
/// Broyden's quasi-Newton method on the tear variables of a recycle block, all tears at once: solves
/// f(x) = g(x) − x = 0, where g is one pass through the block. The inverse Jacobian H of f starts as −I (so the
/// first step is direct substitution, x + f = g) and is corrected after every pass by the "good" Broyden rank-one
/// update in Sherman–Morrison form, H ← H + (s − H y) sᵀH / (sᵀ H y), s the step taken and y the change of f
/// (Broyden 1965, "A class of methods for solving nonlinear simultaneous equations", Math. Comp. 19; its use on
/// tear streams of sequential-modular flowsheets: Westerberg, Hutchison, Motard and Winter, "Process Flowsheeting",
/// 1979, ch. 4, and Biegler, Grossmann and Westerberg, "Systematic Methods of Chemical Process Design", 1997, ch. 11).
/// On a linear map the good update reaches the fixed point in at most 2·n steps (Gay 1979).
/// <para>
/// Variables per tear, as the solver lays them out: the component molar flows, then T and P. They are scaled
/// (flows by the tear's total flow, T and P by themselves when the scale is set) so that −I is a sensible start
/// and the update is not dominated by the pascals. A step is bounded: flows stay non-negative (projected), and the
/// whole step is shortened so that no tear's flows move by more than <see cref="MaxFlowStep"/> of its total flow,
/// no T or P by more than <see cref="MaxStateStep"/> of itself, and no variable by more than
/// <see cref="MaxStepToResidual"/> times the largest substitution step. When the residual grows for
/// <see cref="GrowingStepsBeforeReset"/> passes in a row, or fails to halve its best value in
/// <see cref="StallSteps"/> passes, or the update breaks down, H is reset to −I (the next step is direct
/// substitution again) and the scales are taken anew.
/// </para>
/// </summary>
public sealed class BroydenAccelerator
{
    /// <summary>Largest move of any component flow in one step, as a fraction of its tear's total flow: lets a loop fill quickly, yet keeps one poor secant estimate from emptying it.</summary>
    public const double MaxFlowStep = 0.5;

    /// <summary>Largest relative move of a tear temperature or pressure in one step (10 %: flashes stay near the last converged state).</summary>
    public const double MaxStateStep = 0.1;

    /// <summary>
    /// Largest step as a multiple of the substitution step |g − x| (in the scaled variables): a loop whose slowest mode
    /// contracts by 0.95 per pass needs 20 (Wegstein's default q ≥ −5 allows 6); beyond that a step rests on a secant
    /// model more than on the loop.
    /// </summary>
    public const double MaxStepToResidual = 20;

    public const int GrowingStepsBeforeReset = 3;

    public const int StallSteps = 12;

    /// <summary>sᵀHy below this fraction of |s|·|Hy| means the update would divide by round-off: skipped, H kept.</summary>
    private const double DegenerateUpdate = 1e-12;

    private readonly int tears;
    private readonly int components;
    private readonly int size;
    private readonly double[] scale;
    private readonly double[,] inverse;
    private readonly double[] previousZ;
    private readonly double[] previousF;
    private readonly double[] z;
    private readonly double[] f;
    private readonly double[] y;
    private readonly double[] hy;
    private readonly double[] sh;
    private readonly double[] step;
    private bool hasPrevious;
    private double previousNorm = double.PositiveInfinity;
    private double bestNorm = double.PositiveInfinity;
    private int growing;
    private int sinceBest;

    public BroydenAccelerator(int tearCount, int componentCount)
    {
        tears = tearCount;
        components = componentCount;
        size = tearCount * (componentCount + 2);
        scale = new double[size];
        inverse = new double[size, size];
        previousZ = new double[size];
        previousF = new double[size];
        z = new double[size];
        f = new double[size];
        y = new double[size];
        hy = new double[size];
        sh = new double[size];
        step = new double[size];
        Reset();
    }

    /// <summary>Times H went back to −I since construction (not counting the start).</summary>
    public int Resets { get; private set; }

    /// <summary>Back to H = −I and fresh scales: the next step is direct substitution.</summary>
    public void Reset()
    {
        Array.Clear(inverse);
        for (var i = 0; i < size; i++)
        {
            inverse[i, i] = -1;
        }
        hasPrevious = false;
        previousNorm = double.PositiveInfinity;
        bestNorm = double.PositiveInfinity;
        growing = 0;
        sinceBest = 0;
        Array.Clear(scale);
    }

    /// <summary>
    /// The next iterate from the current one <paramref name="x"/> and its pass result <paramref name="g"/> (both in the
    /// solver's layout, unscaled), written into <paramref name="next"/>.
    /// </summary>
    public void Next(double[] x, double[] g, double[] next)
    {
        var m = components + 2;
        if (scale[0] == 0)
        {
            SetScales(x, g);
        }
        var norm = 0.0;
        var finite = true;
        for (var i = 0; i < size; i++)
        {
            z[i] = x[i] / scale[i];
            f[i] = (g[i] - x[i]) / scale[i];
            norm += f[i] * f[i];
            finite &= double.IsFinite(f[i]) && double.IsFinite(z[i]);
        }
        norm = Math.Sqrt(norm);
        if (!finite)
        {
            Resets++;
            Reset();
            Array.Copy(g, next, size);
            return;
        }
        growing = norm > previousNorm ? growing + 1 : 0;
        if (norm < 0.5 * bestNorm)
        {
            bestNorm = norm;
            sinceBest = 0;
        }
        else
        {
            sinceBest++;
        }
        if (hasPrevious && (growing >= GrowingStepsBeforeReset || sinceBest >= StallSteps))
        {
            // The secant model has stopped describing the loop: start it again from substitution at the current point.
            Resets++;
            Reset();
            SetScales(x, g);
            for (var i = 0; i < size; i++)
            {
                z[i] = x[i] / scale[i];
                f[i] = (g[i] - x[i]) / scale[i];
            }
            bestNorm = norm;
        }
        if (hasPrevious)
        {
            Update();
        }
        previousNorm = norm;
        // Quasi-Newton step Δz = −H f.
        for (var i = 0; i < size; i++)
        {
            var sum = 0.0;
            for (var j = 0; j < size; j++)
            {
                sum -= inverse[i, j] * f[j];
            }
            step[i] = sum;
        }
        var lambda = 1.0;
        double stepMax = 0, fMax = 0;
        for (var i = 0; i < size; i++)
        {
            stepMax = Math.Max(stepMax, Math.Abs(step[i]));
            fMax = Math.Max(fMax, Math.Abs(f[i]));
        }
        if (stepMax > MaxStepToResidual * fMax)
        {
            lambda = MaxStepToResidual * fMax / stepMax;
        }
        for (var t = 0; t < tears; t++)
        {
            var o = t * m;
            var total = 0.0;
            for (var i = 0; i < components; i++)
            {
                total += Math.Max(z[o + i], 0);
            }
            // Relative to the larger of the tear's current total and its scale, so an emptying tear can still move.
            var flowLimit = MaxFlowStep * Math.Max(total, 1);
            for (var i = 0; i < components; i++)
            {
                if (Math.Abs(step[o + i]) > flowLimit)
                {
                    lambda = Math.Min(lambda, flowLimit / Math.Abs(step[o + i]));
                }
            }
            for (var k = components; k < m; k++)
            {
                var limit = MaxStateStep * Math.Abs(z[o + k]);
                if (Math.Abs(step[o + k]) > limit && limit > 0)
                {
                    lambda = Math.Min(lambda, limit / Math.Abs(step[o + k]));
                }
            }
        }
        for (var i = 0; i < size; i++)
        {
            var stepped = z[i] + (lambda * step[i]);
            var isFlow = i % m < components;
            next[i] = (isFlow ? Math.Max(stepped, 0) : stepped) * scale[i];
        }
        Array.Copy(z, previousZ, size);
        Array.Copy(f, previousF, size);
        hasPrevious = true;
    }

    private void SetScales(double[] x, double[] g)
    {
        var m = components + 2;
        for (var t = 0; t < tears; t++)
        {
            var o = t * m;
            double totalX = 0, totalG = 0;
            for (var i = 0; i < components; i++)
            {
                totalX += Math.Abs(x[o + i]);
                totalG += Math.Abs(g[o + i]);
            }
            var flowScale = Math.Max(totalX, totalG);
            for (var i = 0; i < components; i++)
            {
                scale[o + i] = flowScale > 0 ? flowScale : 1;
            }
            for (var k = components; k < m; k++)
            {
                scale[o + k] = Math.Max(Math.Max(Math.Abs(g[o + k]), Math.Abs(x[o + k])), 1);
            }
        }
    }

    /// <summary>Good Broyden: H ← H + (s − H y)(sᵀ H) / (sᵀ H y), with s = z − z_prev and y = f − f_prev.</summary>
    private void Update()
    {
        for (var i = 0; i < size; i++)
        {
            y[i] = f[i] - previousF[i];
        }
        double denominator = 0, sNorm = 0, hyNorm = 0;
        for (var i = 0; i < size; i++)
        {
            var sum = 0.0;
            for (var j = 0; j < size; j++)
            {
                sum += inverse[i, j] * y[j];
            }
            hy[i] = sum;
            var s = z[i] - previousZ[i];
            denominator += s * sum;
            sNorm += s * s;
            hyNorm += sum * sum;
        }
        if (!(Math.Abs(denominator) > DegenerateUpdate * Math.Sqrt(sNorm * hyNorm)))
        {
            return;
        }
        for (var j = 0; j < size; j++)
        {
            var sum = 0.0;
            for (var i = 0; i < size; i++)
            {
                sum += (z[i] - previousZ[i]) * inverse[i, j];
            }
            sh[j] = sum / denominator;
        }
        for (var i = 0; i < size; i++)
        {
            var u = z[i] - previousZ[i] - hy[i];
            if (u == 0)
            {
                continue;
            }
            for (var j = 0; j < size; j++)
            {
                inverse[i, j] += u * sh[j];
            }
        }
    }
}
