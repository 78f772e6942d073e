using DeepSim.Engine.Thermo;
using static DeepSim.Engine.UnitOperations.Columns.ColumnSolver;

namespace DeepSim.Engine.UnitOperations.Columns;

internal sealed partial class MeshSystem
{
    /// <summary>No initial flow is set below this fraction of the feed, so every stage starts with both phases.</summary>
    private const double InitialFlowFloor = 1e-3;

    /// <summary>The reflux ratio assumed when no specification suggests one.</summary>
    private const double DefaultInitialRefluxRatio = 2;

    /// <summary>
    /// Constant molar overflow flows from the specifications, a linear temperature profile from the feed's bubble
    /// point at the top pressure to its dew point at the bottom, then a few Wang–Henke passes (component balances at
    /// fixed K, then each stage at its liquid's bubble point) so the start satisfies M and E closely. Without a
    /// condenser or reboiler the temperatures start at the feeds' mean and only the compositions are passed over.
    /// </summary>
    private string? Initialise()
    {
        var z = new double[c];
        double vaporIn = 0, temperatureSum = 0;
        var liquidFeed = new double[n];
        foreach (var f in feeds)
        {
            var s = f.Stream;
            for (var i = 0; i < c; i++)
            {
                z[i] += s.ComponentMolarFlows[i] / feedScale;
            }
            var flow = s.TotalMolarFlow / feedScale;
            vaporIn += flow * s.VaporFraction;
            liquidFeed[f.Stage - 1] += flow * (1 - s.VaporFraction);
            temperatureSum += flow * s.TemperatureK;
        }
        double draws = 0;
        for (var j = 0; j < n; j++)
        {
            draws += liquidDraw[j] + vaporDraw[j];
        }
        var products = 1 - draws;
        if (!(products > 0))
        {
            return "the side draws take all the feed";
        }

        // An absorber's or stripper's stages sit near its feeds' temperatures, far from the mixed feed's bubble and
        // dew points (its light gases hardly dissolve): there the profile starts flat and the passes keep it.
        var heated = design.Condenser != CondenserKind.None || design.Reboiler;
        double tTop = temperatureSum, tBottom = temperatureSum;
        var bubble = heated ? package.FlashPVF(pressure[0], 0, z) : null;
        var dew = heated ? package.FlashPVF(pressure[n - 1], 1, z) : null;
        if (bubble is { Converged: true } && dew is { Converged: true } && dew.TemperatureK > bubble.TemperatureK)
        {
            tTop = bubble.TemperatureK;
            tBottom = dew.TemperatureK;
        }

        var distillate = InitialDistillate(z, vaporIn, products, 0.5 * (tTop + tBottom));
        var bottoms = products - distillate;
        var liquid = new double[n];
        var vapor = new double[n];
        liquid[0] = design.Condenser == CondenserKind.None ? liquidFeed[0] : InitialRefluxRatio(distillate, bottoms) * distillate;
        vapor[0] = distillate;
        double cumulativeFeed = 0, cumulativeDraw = 0;
        for (var j = 0; j < n - 1; j++)
        {
            for (var i = 0; i < c; i++)
            {
                cumulativeFeed += feedFlow[j * c + i];
            }
            cumulativeDraw += liquidDraw[j] + vaporDraw[j];
            vapor[j + 1] = distillate + liquid[j] + cumulativeDraw - cumulativeFeed;
            liquid[j + 1] = liquid[j] + liquidFeed[j + 1] - liquidDraw[j + 1];
        }
        if (design.Reboiler)
        {
            liquid[n - 1] = bottoms;
        }
        for (var j = 0; j < n; j++)
        {
            liquid[j] = Math.Max(liquid[j], InitialFlowFloor);
            vapor[j] = Math.Max(vapor[j], InitialFlowFloor);
            var t = n == 1 ? tTop : tTop + (tBottom - tTop) * j / (n - 1);
            x[Row(j) + 2 * c] = t / TemperatureScaleK;
            for (var i = 0; i < c; i++)
            {
                x[Row(j) + i] = liquid[j] * z[i];
                x[Row(j) + c + i] = vapor[j] * z[i];
            }
        }
        if (AllProperties() is { } failure)
        {
            return failure;
        }
        // The first pass takes Wilson's K-values: an equation of state given both phases the same (feed)
        // composition may find one root only and return the trivial K = 1, which no pass would move away from.
        for (var j = 0; j < n; j++)
        {
            WilsonKValues(j);
        }

        var sweepFailure = Sweeps(liquid, vapor, heated);
        if (sweepFailure is not null)
        {
            return sweepFailure;
        }
        if (AllProperties() is { } after)
        {
            return after;
        }
        // Duties that satisfy the condenser's and reboiler's energy balances at the start.
        if (condenserQ >= 0)
        {
            q[condenserQ] = totalCondenser ? Liquid(0) / Vapor(0) : StageEnthalpyExcess(0);
        }
        if (reboilerQ >= 0)
        {
            q[reboilerQ] = StageEnthalpyExcess(n - 1);
        }
        return null;
    }

    private double InitialDistillate(double[] z, double vaporIn, double products, double midTemperatureK)
    {
        foreach (var s in specs)
        {
            if (s.Kind == ColumnSpecKind.DistillateRate)
            {
                return Math.Clamp(s.Value / feedScale, InitialFlowFloor, products - InitialFlowFloor);
            }
            if (s.Kind == ColumnSpecKind.BottomsRate)
            {
                return Math.Clamp(products - s.Value / feedScale, InitialFlowFloor, products - InitialFlowFloor);
            }
        }
        var fraction = 0.5;
        if (design.Condenser == CondenserKind.None)
        {
            fraction = vaporIn / products;
        }
        else
        {
            var mid = package.FlashPT(midTemperatureK, 0.5 * (pressure[0] + pressure[n - 1]), z);
            if (mid.Converged)
            {
                fraction = mid.VaporFraction;
            }
        }
        return products * Math.Clamp(fraction, 0.05, 0.95);
    }

    private double InitialRefluxRatio(double distillate, double bottoms)
    {
        var ratio = DefaultInitialRefluxRatio;
        foreach (var s in specs)
        {
            ratio = s.Kind switch
            {
                ColumnSpecKind.RefluxRatio => s.Value,
                // Constant molar overflow with a saturated-liquid feed: the vapour is the same above and below.
                ColumnSpecKind.BoilupRatio => s.Value * bottoms / distillate - 1,
                ColumnSpecKind.CondenserDuty => -s.Value / EnergyScale / 3 / distillate - 1,
                ColumnSpecKind.ReboilerDuty => s.Value / EnergyScale / 3 / distillate - 1,
                _ => ratio,
            };
        }
        return Math.Clamp(ratio, 0.2, 50);
    }

    /// <summary>
    /// Wang–Henke passes at fixed total flows: each component's balance is tridiagonal in its liquid flows once
    /// v_i = S_i l_i with the stripping factor S_i = K_i V/L; then each stage goes to its liquid's bubble point.
    /// </summary>
    private string? Sweeps(double[] liquid, double[] vapor, bool bubblePoints)
    {
        var a = new double[n];
        var b = new double[n];
        var d = new double[n];
        var r = new double[n];
        var strip = new double[n * c];
        for (var sweep = 0; sweep < InitialisationSweeps; sweep++)
        {
            for (var j = 0; j < n; j++)
            {
                for (var i = 0; i < c; i++)
                {
                    strip[j * c + i] = totalCondenser && j == 0 ? vapor[0] / liquid[0] : k[j * c + i] * vapor[j] / liquid[j];
                }
            }
            for (var i = 0; i < c; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    var s = strip[j * c + i];
                    a[j] = j > 0 ? -1 : 0;
                    b[j] = 1 + liquidDraw[j] / liquid[j] + s * (1 + vaporDraw[j] / vapor[j]);
                    d[j] = j < n - 1 ? -strip[(j + 1) * c + i] : 0;
                    r[j] = feedFlow[j * c + i];
                }
                ScalarThomas(a, b, d, r);
                for (var j = 0; j < n; j++)
                {
                    var l = Math.Max(r[j], 0);
                    x[Row(j) + i] = l;
                    x[Row(j) + c + i] = strip[j * c + i] * l;
                }
            }
            for (var j = 0; j < n; j++)
            {
                var total = Liquid(j);
                if (!(total > 0))
                {
                    return $"stage {j + 1} has no liquid after the initial component balances";
                }
                for (var i = 0; i < c; i++)
                {
                    compX[i] = x[Row(j) + i] / total;
                }
                var bubble = bubblePoints ? package.FlashPVF(pressure[j], 0, compX) : null;
                if (bubble is { Converged: true } && bubble.TemperatureK >= FlashSettings.MinSearchTemperatureK && bubble.TemperatureK <= FlashSettings.MaxSearchTemperatureK)
                {
                    x[Row(j) + 2 * c] = bubble.TemperatureK / TemperatureScaleK;
                }
                if (sweep < InitialisationSweeps - 1 && StageProperties(j) is { } failure)
                {
                    return failure;
                }
            }
        }
        return null;
    }

    /// <summary>Wilson's estimate Kᵢ = (Pc,ᵢ/P)·exp[5.373(1 + ωᵢ)(1 − Tc,ᵢ/T)] (Wilson, 1968) at stage j's T and P.</summary>
    private void WilsonKValues(int j)
    {
        var t = x[Row(j) + 2 * c] * TemperatureScaleK;
        for (var i = 0; i < c; i++)
        {
            var component = package.Components[i];
            k[j * c + i] = component.CriticalPressurePa / pressure[j] * Math.Exp(5.373 * (1 + component.AcentricFactor) * (1 - component.CriticalTemperatureK / t));
        }
    }

    /// <summary>Thomas's algorithm for a[j]·y[j−1] + b[j]·y[j] + d[j]·y[j+1] = r[j]; r becomes y.</summary>
    private static void ScalarThomas(double[] a, double[] b, double[] d, double[] r)
    {
        var count = r.Length;
        for (var j = 1; j < count; j++)
        {
            var w = a[j] / b[j - 1];
            b[j] -= w * d[j - 1];
            r[j] -= w * r[j - 1];
        }
        r[count - 1] /= b[count - 1];
        for (var j = count - 2; j >= 0; j--)
        {
            r[j] = (r[j] - d[j] * r[j + 1]) / b[j];
        }
    }
}
