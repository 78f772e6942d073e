using DeepSim.Engine.Thermo;
using static DeepSim.Engine.UnitOperations.Columns.ColumnSolver;

namespace DeepSim.Engine.UnitOperations.Columns;

internal sealed partial class MeshSystem
{
    /// <summary>
    /// K-values and phase enthalpies of stage j from its own unknowns. A total condenser's K-values are those of the
    /// incipient vapour over its liquid; a Murphree tray's are evaluated with its actual vapour (exact when the
    /// vapour phase is ideal). Null on success, else why not.
    /// </summary>
    private string? StageProperties(int j)
    {
        var o = Row(j);
        var liquid = Liquid(j);
        var vapor = Vapor(j);
        var t = x[o + 2 * c] * TemperatureScaleK;
        if (!(liquid > 0))
        {
            return $"stage {j + 1} has no liquid";
        }
        if (!(t >= FlashSettings.MinSearchTemperatureK && t <= FlashSettings.MaxSearchTemperatureK))
        {
            return $"stage {j + 1}'s temperature {Num(t)} K is outside the engine's range";
        }
        var incipient = (totalCondenser && j == 0) || !(vapor > 0);
        for (var i = 0; i < c; i++)
        {
            compX[i] = Math.Max(x[o + i], 0) / liquid;
            compY[i] = incipient ? compX[i] : Math.Max(x[o + c + i], 0) / vapor;
        }
        try
        {
            fugacity!.LnFugacityCoefficients(Phase.Liquid, t, pressure[j], compX, lnPhiL);
            var passes = incipient ? CondenserVaporPasses : 1;
            for (var pass = 0; pass < passes; pass++)
            {
                fugacity.LnFugacityCoefficients(Phase.Vapor, t, pressure[j], compY, lnPhiV);
                double sum = 0;
                for (var i = 0; i < c; i++)
                {
                    k[j * c + i] = Math.Exp(lnPhiL[i] - lnPhiV[i]);
                    sum += k[j * c + i] * compX[i];
                }
                if (pass < passes - 1)
                {
                    for (var i = 0; i < c; i++)
                    {
                        compY[i] = k[j * c + i] * compX[i] / sum;
                    }
                }
            }
            hL[j] = package.Enthalpy(Phase.Liquid, t, pressure[j], compX);
            hV[j] = totalCondenser && j == 0 ? hL[j] : package.Enthalpy(Phase.Vapor, t, pressure[j], compY);
        }
        catch (ArgumentException ex)
        {
            return $"stage {j + 1} properties at {Num(t)} K: {ex.Message}";
        }
        for (var i = 0; i < c; i++)
        {
            if (!double.IsFinite(k[j * c + i]))
            {
                return $"stage {j + 1}: the K-value of {package.Components[i].Name} is not finite at {Num(t)} K";
            }
        }
        return double.IsFinite(hL[j]) && double.IsFinite(hV[j]) ? null : $"stage {j + 1}: the enthalpies are not finite at {Num(t)} K";
    }

    private string? AllProperties()
    {
        for (var j = 0; j < n; j++)
        {
            if (StageProperties(j) is { } failure)
            {
                return failure;
            }
        }
        return null;
    }

    /// <summary>Stage j's M (c), E (c) and H (1) residuals, scaled.</summary>
    private void StageResiduals(int j, Span<double> r)
    {
        var o = Row(j);
        var liquid = Liquid(j);
        var vapor = Vapor(j);
        var up = j > 0 ? Row(j - 1) : -1;
        var down = j < n - 1 ? Row(j + 1) : -1;
        var liquidOut = 1 + liquidDraw[j] / liquid;
        var vaporOut = vapor > 0 ? 1 + vaporDraw[j] / vapor : 1;
        for (var i = 0; i < c; i++)
        {
            var fromAbove = up >= 0 ? x[up + i] : 0;
            var fromBelow = down >= 0 ? x[down + c + i] : 0;
            r[i] = x[o + i] * liquidOut + x[o + c + i] * vaporOut - fromAbove - fromBelow - feedFlow[j * c + i];
        }
        if (totalCondenser && j == 0)
        {
            // Distillate and reflux share the condensate's composition; its temperature is the bubble point ΣKx = 1.
            for (var i = 0; i < c - 1; i++)
            {
                r[c + i] = (x[o + c + i] * liquid - x[o + i] * vapor) / (liquid + vapor);
            }
            double sum = 0;
            for (var i = 0; i < c; i++)
            {
                sum += k[i] * x[o + i];
            }
            r[2 * c - 1] = sum - liquid;
        }
        else
        {
            var eta = efficiency[j];
            var vaporBelow = down >= 0 ? Vapor(j + 1) : 0;
            var murphree = eta < 1 && vaporBelow > 0;
            for (var i = 0; i < c; i++)
            {
                var equilibrium = k[j * c + i] * x[o + i] * vapor / liquid;
                r[c + i] = (murphree ? eta * equilibrium + (1 - eta) * x[down + c + i] * vapor / vaporBelow : equilibrium) - x[o + c + i];
            }
        }
        if (totalCondenser && j == 0)
        {
            // The condenser's energy balance only fixes its duty (computed afterwards); its row holds the split L = ρD.
            r[2 * c] = liquid - q[condenserQ] * vapor;
            return;
        }
        var duty = (j == 0 && condenserQ >= 0 ? q[condenserQ] : 0) + (j == n - 1 && reboilerQ >= 0 ? q[reboilerQ] : 0);
        r[2 * c] = StageEnthalpyExcess(j) - duty;
    }

    /// <summary>Enthalpy out minus in of stage j without its duty, scaled: the duty that would balance it.</summary>
    private double StageEnthalpyExcess(int j)
    {
        var enthalpyIn = (j > 0 ? Liquid(j - 1) * hL[j - 1] : 0) + (j < n - 1 ? Vapor(j + 1) * hV[j + 1] : 0);
        var enthalpyOut = (Liquid(j) + liquidDraw[j]) * hL[j] + (Vapor(j) + vaporDraw[j]) * hV[j];
        return (enthalpyOut - enthalpyIn) / EnergyScaleJPerMol - feedEnthalpy[j];
    }

    /// <summary>A total condenser's duty, scaled: what closes its energy balance.</summary>
    private double TotalCondenserDuty() => StageEnthalpyExcess(0);

    /// <summary>A specification's residual, scaled; it reads only the top and bottom stages and the duties.</summary>
    private double SpecResidual(in ColumnSpec s)
    {
        var bottom = Row(n - 1);
        var distillate = Vapor(0);
        var bottoms = Liquid(n - 1);
        return s.Kind switch
        {
            ColumnSpecKind.RefluxRatio => Liquid(0) - s.Value * distillate,
            ColumnSpecKind.BoilupRatio => Vapor(n - 1) - s.Value * bottoms,
            ColumnSpecKind.DistillateRate => distillate - s.Value / feedScale,
            ColumnSpecKind.BottomsRate => bottoms - s.Value / feedScale,
            ColumnSpecKind.DistillateMoleFraction => x[c + s.Component] / distillate - s.Value,
            ColumnSpecKind.BottomsMoleFraction => x[bottom + s.Component] / bottoms - s.Value,
            ColumnSpecKind.DistillateRecovery => x[c + s.Component] / FeedOf(s.Component) - s.Value,
            ColumnSpecKind.BottomsRecovery => x[bottom + s.Component] / FeedOf(s.Component) - s.Value,
            ColumnSpecKind.CondenserDuty => (totalCondenser ? TotalCondenserDuty() : q[condenserQ]) - s.Value / EnergyScale,
            ColumnSpecKind.ReboilerDuty => q[reboilerQ] - s.Value / EnergyScale,
            _ => throw new InvalidOperationException("unknown column specification"),
        };
    }

    private double FeedOf(int component)
    {
        double s = 0;
        for (var j = 0; j < n; j++)
        {
            s += feedFlow[j * c + component];
        }
        return s;
    }

    /// <summary>Every residual: stages in order (M, E, H each), then the specifications.</summary>
    private void Residuals(double[] r)
    {
        for (var j = 0; j < n; j++)
        {
            StageResiduals(j, r.AsSpan(Row(j), m));
        }
        for (var s = 0; s < specs.Length; s++)
        {
            r[n * m + s] = SpecResidual(specs[s]);
        }
    }

    /// <summary>The largest residual of each kind, with the summation ΣKx = 1 (Murphree: Σ y* = 1) checked on its own.</summary>
    private MeshResiduals Classify(double[] r)
    {
        double mass = 0, equilibrium = 0, summation = 0, energy = 0, spec = 0;
        for (var j = 0; j < n; j++)
        {
            var o = Row(j);
            for (var i = 0; i < c; i++)
            {
                mass = Math.Max(mass, Math.Abs(r[o + i]));
                equilibrium = Math.Max(equilibrium, Math.Abs(r[o + c + i]));
            }
            energy = Math.Max(energy, Math.Abs(r[o + 2 * c]));
            summation = Math.Max(summation, Math.Abs(SummationResidual(j)));
        }
        for (var s = 0; s < specs.Length; s++)
        {
            spec = Math.Max(spec, Math.Abs(r[n * m + s]));
        }
        return new MeshResiduals(mass, equilibrium, summation, energy, spec);
    }

    private double SummationResidual(int j)
    {
        var o = Row(j);
        var liquid = Liquid(j);
        double sum = 0;
        var down = j < n - 1 ? Row(j + 1) : -1;
        var vaporBelow = down >= 0 ? Vapor(j + 1) : 0;
        var eta = totalCondenser && j == 0 ? 1 : efficiency[j];
        for (var i = 0; i < c; i++)
        {
            var equilibrium = k[j * c + i] * x[o + i] / liquid;
            sum += eta < 1 && vaporBelow > 0 ? eta * equilibrium + (1 - eta) * x[down + c + i] / vaporBelow : equilibrium;
        }
        return sum - 1;
    }
}
