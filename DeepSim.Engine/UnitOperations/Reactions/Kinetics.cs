using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.UnitOperations.Reactions;

/// <summary>What the power-law rate multiplies: molar concentrations (mol/m³) or partial pressures (Pa).</summary>
public enum RateBasis
{
    Concentration,
    PartialPressure,
}

/// <summary>
/// Power-law rate r = k₀ exp(−Ea/RT) Πᵢ cᵢ^orderᵢ in mol/(m³ s) of reaction extent per reactor volume, cᵢ a
/// concentration in mol/m³ or a partial pressure in Pa, so k₀'s unit follows from the orders.
/// </summary>
public sealed record RateLaw(double PreExponentialFactor, double ActivationEnergyJPerMol, double[] Orders);

public sealed record KineticReaction(double[] Stoichiometry, RateLaw Rate);

/// <summary>
/// Rates of a set of reactions in one fluid phase: the whole reacting mixture is taken as that phase. Vapour
/// concentrations are y P/(Z R T) with Z from the package's equation of state when it has one (else 1); liquid
/// concentrations use the ideal mixing of the component DIPPR liquid densities, v = Σ xᵢ/ρᵢ(T), as the pump does.
/// </summary>
public sealed class RateModel(IPropertyPackage package, IReadOnlyList<KineticReaction> reactions, Phase phase, RateBasis basis)
{
    public IReadOnlyList<KineticReaction> Reactions => reactions;

    public Phase Phase => phase;

    public IReadOnlyList<double[]> Stoichiometry { get; } = [.. reactions.Select(r => r.Stoichiometry)];

    /// <summary>Null when the rates can be evaluated for this package, else the reason (a liquid density is missing).</summary>
    public string? Check()
    {
        if (phase == Phase.Liquid && basis == RateBasis.Concentration)
        {
            foreach (var c in package.Components)
            {
                if (c.LiquidDensity is null)
                {
                    return $"liquid concentrations need a liquid density for '{c.Name}'";
                }
            }
        }
        return null;
    }

    /// <summary>Molar volume of the reacting phase, m³/mol.</summary>
    public double MolarVolume(double temperatureK, double pressurePa, ReadOnlySpan<double> x)
    {
        if (phase == Phase.Liquid)
        {
            double v = 0;
            for (var i = 0; i < x.Length; i++)
            {
                if (x[i] > 0)
                {
                    v += x[i] / package.Components[i].LiquidDensity!.Evaluate(temperatureK);
                }
            }
            return v;
        }
        return package is ICubicPropertyPackage cubic
            ? cubic.MolarVolume(Phase.Vapor, temperatureK, pressurePa, x)
            : StandardGibbs.GasConstant * temperatureK / pressurePa;
    }

    /// <summary>Each reaction's rate, mol/(m³ s), at the given flows (negative round-off flows count as zero).</summary>
    public bool TryRates(double temperatureK, double pressurePa, ReadOnlySpan<double> flows, Span<double> rates)
    {
        var n = flows.Length;
        Span<double> x = n <= 64 ? stackalloc double[n] : new double[n];
        double total = 0;
        for (var i = 0; i < n; i++)
        {
            x[i] = Math.Max(flows[i], 0);
            total += x[i];
        }
        if (!(total > 0))
        {
            rates.Clear();
            return true;
        }
        for (var i = 0; i < n; i++)
        {
            x[i] /= total;
        }
        double factor;
        if (basis == RateBasis.PartialPressure)
        {
            factor = pressurePa;
        }
        else
        {
            double v;
            try
            {
                v = MolarVolume(temperatureK, pressurePa, x);
            }
            catch (ArgumentException)
            {
                return false;
            }
            if (!(v > 0) || !double.IsFinite(v))
            {
                return false;
            }
            factor = 1 / v;
        }
        for (var r = 0; r < reactions.Count; r++)
        {
            var law = reactions[r].Rate;
            var rate = law.PreExponentialFactor * Math.Exp(-law.ActivationEnergyJPerMol / (StandardGibbs.GasConstant * temperatureK));
            for (var i = 0; i < n; i++)
            {
                if (law.Orders[i] != 0)
                {
                    rate *= Math.Pow(x[i] * factor, law.Orders[i]);
                }
            }
            rates[r] = rate;
        }
        return true;
    }

    /// <summary>Enthalpy flow, W, of the flows as the reacting phase at T and P.</summary>
    public double EnthalpyFlow(double temperatureK, double pressurePa, ReadOnlySpan<double> flows)
    {
        double total = 0;
        foreach (var f in flows)
        {
            total += Math.Max(f, 0);
        }
        if (!(total > 0))
        {
            return 0;
        }
        var x = new double[flows.Length];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = Math.Max(flows[i], 0) / total;
        }
        return total * package.Enthalpy(phase, temperatureK, pressurePa, x);
    }

    /// <summary>Flows n₀ + Σ ν ξ into <paramref name="flows"/>.</summary>
    public void Flows(ReadOnlySpan<double> feed, ReadOnlySpan<double> extents, Span<double> flows)
    {
        for (var i = 0; i < feed.Length; i++)
        {
            var f = feed[i];
            for (var r = 0; r < extents.Length; r++)
            {
                f += reactions[r].Stoichiometry[i] * extents[r];
            }
            flows[i] = f;
        }
    }

    /// <summary>The temperature at which the flows as the reacting phase carry the given enthalpy flow (Newton, then bisection on a bracket).</summary>
    public double TemperatureAtEnthalpy(double pressurePa, ReadOnlySpan<double> flows, double enthalpyFlowW, double guessK)
    {
        const double toleranceK = 1e-9;
        const double differenceK = 1e-3;
        var t = guessK;
        var flowsCopy = flows.ToArray();
        for (var k = 0; k < 50; k++)
        {
            double h, slope;
            try
            {
                h = EnthalpyFlow(t, pressurePa, flowsCopy) - enthalpyFlowW;
                slope = (EnthalpyFlow(t + differenceK, pressurePa, flowsCopy) - EnthalpyFlow(t - differenceK, pressurePa, flowsCopy)) / (2 * differenceK);
            }
            catch (ArgumentException)
            {
                return double.NaN;
            }
            if (!(slope > 0))
            {
                return double.NaN;
            }
            var step = Math.Clamp(-h / slope, -200, 200);
            t = Math.Max(t + step, 0.5 * t);
            if (Math.Abs(step) < toleranceK)
            {
                return t;
            }
        }
        return double.NaN;
    }
}
