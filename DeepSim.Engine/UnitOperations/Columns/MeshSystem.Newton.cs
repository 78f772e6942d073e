using DeepSim.Engine.Numerics;
using DeepSim.Engine.Thermo;
using static DeepSim.Engine.UnitOperations.Columns.ColumnSolver;

namespace DeepSim.Engine.UnitOperations.Columns;

internal sealed partial class MeshSystem
{
    private ColumnSolution Newton()
    {
        var size = n * m + nq;
        var r = new double[size];
        var trial = new double[size];
        var columns = 1 + nq;
        var lower = Blocks(m * m);
        var diag = Blocks(m * m);
        var upper = Blocks(m * m);
        var rhs = Blocks(m * columns);
        var specRows = new double[specs.Length * n * m];
        var solver = new BlockTridiagonal(n, m);
        var dx = new double[n * m];
        var dq = new double[nq];
        var xSaved = new double[n * m];
        var qSaved = new double[nq];
        var kSaved = new double[n * c];
        var hLSaved = new double[n];
        var hVSaved = new double[n];

        Residuals(r);
        var norm = Norm(r);
        for (var iteration = 0; ; iteration++)
        {
            var classified = Classify(r);
            if (classified.Largest < Tolerance)
            {
                return Result(true, null, iteration, classified);
            }
            if (iteration >= design.MaxIterations)
            {
                return Result(false, $"the MESH equations did not converge in {design.MaxIterations} Newton iterations (largest residual {Num(classified.Largest)}: {Worst(classified)}; tolerance {Num(Tolerance)})", iteration, classified);
            }
            if (Jacobian(r, lower, diag, upper, specRows) is { } jacobianFailure)
            {
                return Result(false, $"iteration {iteration + 1}: {jacobianFailure}", iteration, classified);
            }
            for (var j = 0; j < n; j++)
            {
                Array.Clear(rhs[j]);
                for (var row = 0; row < m; row++)
                {
                    rhs[j][row * columns] = -r[Row(j) + row];
                }
            }
            // Border columns: a duty enters only its stage's energy balance, with coefficient −1; a total condenser's
            // reflux ratio enters its split L = ρD.
            if (condenserQ >= 0)
            {
                rhs[0][2 * c * columns + 1 + condenserQ] = totalCondenser ? -Vapor(0) : -1;
            }
            if (reboilerQ >= 0)
            {
                rhs[n - 1][2 * c * columns + 1 + reboilerQ] = -1;
            }
            var singular = solver.Solve(lower, diag, upper, rhs, columns);
            if (singular >= 0)
            {
                return Result(false, $"iteration {iteration + 1}: the Newton matrix is singular at stage {singular + 1} (a specification may not be attainable, or a phase has vanished)", iteration, classified);
            }
            if (nq > 0 && !DutySteps(r, rhs, columns, specRows, dq))
            {
                return Result(false, $"iteration {iteration + 1}: the specifications cannot be met together from here (their linearisation is singular)", iteration, classified);
            }
            for (var j = 0; j < n; j++)
            {
                for (var row = 0; row < m; row++)
                {
                    var v = rhs[j][row * columns];
                    for (var qi = 0; qi < nq; qi++)
                    {
                        v -= rhs[j][row * columns + 1 + qi] * dq[qi];
                    }
                    dx[Row(j) + row] = v;
                }
            }

            double largestTemperatureStep = 0;
            for (var j = 0; j < n; j++)
            {
                largestTemperatureStep = Math.Max(largestTemperatureStep, Math.Abs(dx[Row(j) + 2 * c]) * TemperatureScaleK);
            }
            var alpha = largestTemperatureStep > MaxTemperatureStepK ? MaxTemperatureStepK / largestTemperatureStep : 1;
            Array.Copy(x, xSaved, x.Length);
            Array.Copy(q, qSaved, q.Length);
            Array.Copy(k, kSaved, k.Length);
            Array.Copy(hL, hLSaved, n);
            Array.Copy(hV, hVSaved, n);
            var accepted = false;
            string? lastFailure = null;
            for (var halving = 0; halving <= MaxLineSearchHalvings; halving++, alpha *= 0.5)
            {
                Step(xSaved, qSaved, dx, dq, alpha);
                if ((lastFailure = AllProperties()) is not null)
                {
                    continue;
                }
                Residuals(trial);
                var trialNorm = Norm(trial);
                if (double.IsFinite(trialNorm) && (trialNorm < norm * (1 - 1e-4 * alpha) || halving == MaxLineSearchHalvings))
                {
                    Array.Copy(trial, r, size);
                    norm = trialNorm;
                    accepted = true;
                    break;
                }
            }
            if (!accepted)
            {
                Array.Copy(xSaved, x, x.Length);
                Array.Copy(qSaved, q, q.Length);
                Array.Copy(kSaved, k, k.Length);
                Array.Copy(hLSaved, hL, n);
                Array.Copy(hVSaved, hV, n);
                return Result(false, $"iteration {iteration + 1}: no step along the Newton direction could be evaluated ({lastFailure ?? "the residuals are not finite"})", iteration, classified);
            }
        }
    }

    private double[][] Blocks(int size)
    {
        var blocks = new double[n][];
        for (var j = 0; j < n; j++)
        {
            blocks[j] = new double[size];
        }
        return blocks;
    }

    private static double Norm(double[] r)
    {
        double s = 0;
        foreach (var v in r)
        {
            s += v * v;
        }
        return Math.Sqrt(s);
    }

    /// <summary>x = x0 + α·dx, except that a flow the step would make negative is cut to a fraction of its value.</summary>
    private void Step(double[] x0, double[] q0, double[] dx, double[] dq, double alpha)
    {
        for (var j = 0; j < n; j++)
        {
            var o = Row(j);
            for (var i = 0; i < 2 * c; i++)
            {
                var next = x0[o + i] + alpha * dx[o + i];
                x[o + i] = next > 0 ? next : x0[o + i] * FlowCutFraction;
            }
            var t = (x0[o + 2 * c] + alpha * dx[o + 2 * c]) * TemperatureScaleK;
            x[o + 2 * c] = Math.Clamp(t, FlashSettings.MinSearchTemperatureK, FlashSettings.MaxSearchTemperatureK) / TemperatureScaleK;
        }
        for (var i = 0; i < nq; i++)
        {
            q[i] = q0[i] + alpha * dq[i];
        }
    }

    /// <summary>
    /// Finite-difference Jacobian by stage: perturbing one of stage j's unknowns changes only its own properties,
    /// so only stages j−1, j, j+1 (and the specifications, for the end stages) need re-evaluating.
    /// </summary>
    private string? Jacobian(double[] r, double[][] lower, double[][] diag, double[][] upper, double[] specRows)
    {
        Array.Clear(specRows);
        var kSave = jacobianK;
        var perturbed = jacobianResidual;
        for (var j = 0; j < n; j++)
        {
            Array.Clear(diag[j]);
            Array.Clear(lower[j]);
            Array.Clear(upper[j]);
        }
        for (var j = 0; j < n; j++)
        {
            var o = Row(j);
            Array.Copy(k, j * c, kSave, 0, c);
            var hLSave = hL[j];
            var hVSave = hV[j];
            // Specifications read the end stages, and a total condenser's duty the vapour from stage 2 as well.
            var endStage = j <= 1 || j >= n - 2;
            for (var v = 0; v < m; v++)
            {
                var saved = x[o + v];
                var h = v < 2 * c ? DifferenceStep * Math.Abs(saved) + DifferenceFloor : DifferenceStep * Math.Max(Math.Abs(saved), 1);
                x[o + v] = saved + h;
                h = x[o + v] - saved;
                if (StageProperties(j) is { } failure)
                {
                    x[o + v] = saved;
                    return "Jacobian: " + failure;
                }
                for (var jj = Math.Max(0, j - 1); jj <= Math.Min(n - 1, j + 1); jj++)
                {
                    StageResiduals(jj, perturbed);
                    var block = jj == j ? diag[j] : jj == j - 1 ? upper[jj] : lower[jj];
                    var baseRow = Row(jj);
                    for (var row = 0; row < m; row++)
                    {
                        block[row * m + v] = (perturbed[row] - r[baseRow + row]) / h;
                    }
                }
                if (endStage)
                {
                    for (var s = 0; s < specs.Length; s++)
                    {
                        specRows[s * n * m + o + v] = (SpecResidual(specs[s]) - r[n * m + s]) / h;
                    }
                }
                x[o + v] = saved;
                Array.Copy(kSave, 0, k, j * c, c);
                hL[j] = hLSave;
                hV[j] = hVSave;
            }
        }
        return null;
    }

    /// <summary>
    /// The duty steps from the Schur complement: with z = A⁻¹(−r) and W = A⁻¹G (G the duty columns), the stage step
    /// is z − W·dq and the linearised specifications S + S_x(z − W dq) + S_q dq = 0 fix dq.
    /// </summary>
    private bool DutySteps(double[] r, double[][] solved, int columns, double[] specRows, double[] dq)
    {
        var matrix = new double[nq, nq];
        for (var s = 0; s < nq; s++)
        {
            var b = -r[n * m + s];
            for (var qi = 0; qi < nq; qi++)
            {
                var kind = specs[s].Kind;
                matrix[s, qi] = (kind == ColumnSpecKind.CondenserDuty && qi == condenserQ && !totalCondenser) || (kind == ColumnSpecKind.ReboilerDuty && qi == reboilerQ) ? 1 : 0;
            }
            for (var j = 0; j < n; j++)
            {
                for (var row = 0; row < m; row++)
                {
                    var d = specRows[s * n * m + Row(j) + row];
                    if (d == 0)
                    {
                        continue;
                    }
                    b -= d * solved[j][row * columns];
                    for (var qi = 0; qi < nq; qi++)
                    {
                        matrix[s, qi] -= d * solved[j][row * columns + 1 + qi];
                    }
                }
            }
            dq[s] = b;
        }
        return DenseLinear.Solve(matrix, dq);
    }

    private static string Worst(in MeshResiduals residuals)
    {
        var largest = residuals.Largest;
        return largest == residuals.Mass ? "a component balance"
            : largest == residuals.Equilibrium ? "an equilibrium relation"
            : largest == residuals.Energy ? "an energy balance"
            : largest == residuals.Summation ? "a summation"
            : "a specification";
    }

    private ColumnSolution Result(bool converged, string? reason, int iterations, MeshResiduals residuals)
    {
        var temperature = new double[n];
        var liquid = new double[n];
        var vapor = new double[n];
        var xs = new double[n][];
        var ys = new double[n][];
        var ks = new double[n][];
        for (var j = 0; j < n; j++)
        {
            var o = Row(j);
            temperature[j] = x[o + 2 * c] * TemperatureScaleK;
            var l = Liquid(j);
            var v = Vapor(j);
            liquid[j] = l * feedScale;
            vapor[j] = v * feedScale;
            xs[j] = new double[c];
            ys[j] = new double[c];
            ks[j] = new double[c];
            for (var i = 0; i < c; i++)
            {
                xs[j][i] = l > 0 ? x[o + i] / l : 0;
                ys[j][i] = v > 0 ? x[o + c + i] / v : 0;
                ks[j][i] = k[j * c + i];
            }
        }
        var distillate = new double[c];
        var bottoms = new double[c];
        for (var i = 0; i < c; i++)
        {
            distillate[i] = x[c + i] * feedScale;
            bottoms[i] = x[Row(n - 1) + i] * feedScale;
        }
        var draws = new double[design.SideDraws.Count][];
        for (var d = 0; d < draws.Length; d++)
        {
            var draw = design.SideDraws[d];
            var comp = draw.Phase == Phase.Liquid ? xs[draw.Stage - 1] : ys[draw.Stage - 1];
            draws[d] = new double[c];
            for (var i = 0; i < c; i++)
            {
                draws[d][i] = draw.MolarFlow * comp[i];
            }
        }
        return new ColumnSolution
        {
            Converged = converged,
            FailureReason = reason,
            Iterations = iterations,
            TemperatureK = temperature,
            PressurePa = (double[])pressure.Clone(),
            LiquidMolarFlow = liquid,
            VaporMolarFlow = vapor,
            LiquidComposition = xs,
            VaporComposition = ys,
            KValues = ks,
            CondenserDutyW = condenserQ < 0 ? 0 : (totalCondenser ? TotalCondenserDuty() : q[condenserQ]) * EnergyScale,
            ReboilerDutyW = reboilerQ >= 0 ? q[reboilerQ] * EnergyScale : 0,
            DistillateFlows = distillate,
            BottomsFlows = bottoms,
            SideDrawFlows = draws,
            Residuals = residuals,
        };
    }
}
