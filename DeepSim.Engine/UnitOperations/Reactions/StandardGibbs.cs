using DeepSim.Engine.Components;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.UnitOperations.Reactions;

/// <summary>
/// Standard (ideal gas, P° = 1 bar) Gibbs energies of components and equilibrium constants of reactions.
/// Each component's G°(T) = ΔHf° + ∫Cp dT − T (ΔSf° + ∫Cp/T dT), the integrals from 298.15 K with the ideal-gas Cp,
/// held constant beyond its correlation's range as the property packages do, and ΔSf° = (ΔHf° − ΔGf°)/298.15.
/// Summed over a reaction this is exactly the Gibbs–Helmholtz integral of ΔH°(T) = ΔH°(298.15) + ∫ΔCp dT
/// (d(ΔG°/T)/dT = −ΔH°/T²) with ΔG°(298.15) from the formation Gibbs energies. The element entropies left out of
/// ΔSf° add a term linear in the element amounts, so the same values serve a Gibbs minimisation under element balances.
/// </summary>
public sealed class StandardGibbs
{
    public const double ReferenceTemperatureK = 298.15;

    /// <summary>Standard-state pressure of K, Pa (IUPAC 1 bar).</summary>
    public const double StandardPressurePa = 1e5;

    public const double GasConstant = 8.314462618;

    private readonly IReadOnlyList<Component> components;

    private StandardGibbs(IReadOnlyList<Component> components) => this.components = components;

    /// <summary>Standard Gibbs energies over these components; check <see cref="Missing(int)"/> before using one.</summary>
    public static StandardGibbs Create(IReadOnlyList<Component> components) => new(components);

    /// <summary>Null with a reason when any of the components lacks a heat-capacity correlation or finite formation data.</summary>
    public static StandardGibbs? TryCreate(IReadOnlyList<Component> components, out string? reason)
    {
        var thermo = new StandardGibbs(components);
        for (var i = 0; i < components.Count; i++)
        {
            reason = thermo.Missing(i);
            if (reason is not null)
            {
                return null;
            }
        }
        reason = null;
        return thermo;
    }

    /// <summary>Why component i has no standard Gibbs energy, or null when it has one.</summary>
    public string? Missing(int i)
    {
        var c = components[i];
        return c.IdealGasHeatCapacity is null || !double.IsFinite(c.FormationEnthalpy) || !double.IsFinite(c.FormationGibbsEnergy)
            ? $"component '{c.Name}' has no ideal-gas heat capacity or formation enthalpy/Gibbs energy"
            : null;
    }

    /// <summary>Why the reaction has no K (a participating component lacks data), or null.</summary>
    public string? Missing(ReadOnlySpan<double> stoichiometry)
    {
        for (var i = 0; i < stoichiometry.Length; i++)
        {
            if (stoichiometry[i] != 0 && Missing(i) is { } reason)
            {
                return reason;
            }
        }
        return null;
    }

    /// <summary>G°ᵢ(T)/(R T) of every component (formation basis as above); NaN for one without data.</summary>
    public void ReducedGibbs(double temperatureK, Span<double> gOverRt)
    {
        for (var i = 0; i < components.Count; i++)
        {
            gOverRt[i] = Missing(i) is null ? Gibbs(i, temperatureK) / (GasConstant * temperatureK) : double.NaN;
        }
    }

    /// <summary>G°ᵢ(T), J/mol.</summary>
    public double Gibbs(int i, double temperatureK)
    {
        var c = components[i];
        CpIntegrals(c.IdealGasHeatCapacity!, temperatureK, out var h, out var s);
        var formationEntropy = (c.FormationEnthalpy - c.FormationGibbsEnergy) / ReferenceTemperatureK;
        return c.FormationEnthalpy + h - (temperatureK * (formationEntropy + s));
    }

    /// <summary>H°ᵢ(T) − ΔHf°ᵢ, J/mol: the ideal-gas sensible enthalpy from 298.15 K.</summary>
    public double SensibleEnthalpy(int i, double temperatureK)
    {
        CpIntegrals(components[i].IdealGasHeatCapacity!, temperatureK, out var h, out _);
        return h;
    }

    /// <summary>ΔH°(T) of a reaction, J per mol of extent.</summary>
    public double ReactionEnthalpy(ReadOnlySpan<double> stoichiometry, double temperatureK)
    {
        double dh = 0;
        for (var i = 0; i < stoichiometry.Length; i++)
        {
            if (stoichiometry[i] != 0)
            {
                dh += stoichiometry[i] * (components[i].FormationEnthalpy + SensibleEnthalpy(i, temperatureK));
            }
        }
        return dh;
    }

    /// <summary>ln K(T) = −ΔG°(T)/(R T) of a reaction.</summary>
    public double LnK(ReadOnlySpan<double> stoichiometry, double temperatureK)
    {
        double dg = 0;
        for (var i = 0; i < stoichiometry.Length; i++)
        {
            if (stoichiometry[i] != 0)
            {
                dg += stoichiometry[i] * Gibbs(i, temperatureK);
            }
        }
        return -dg / (GasConstant * temperatureK);
    }

    // ∫Cp dT and ∫Cp/T dT from 298.15 K to T, Cp constant beyond the correlation's range (as PropertyPackageBase).
    private static void CpIntegrals(Correlation cp, double temperatureK, out double h, out double s)
    {
        Antiderivatives(cp, temperatureK, out var h1, out var s1);
        Antiderivatives(cp, ReferenceTemperatureK, out var h0, out var s0);
        h = h1 - h0;
        s = s1 - s0;
    }

    private static void Antiderivatives(Correlation cp, double temperatureK, out double h, out double s)
    {
        var lo = cp.MinTemperatureK;
        var hi = cp.MaxTemperatureK;
        var t = Math.Clamp(temperatureK, lo, hi);
        cp.Integrals(lo, t, out h, out s);
        if (temperatureK < lo)
        {
            var c = cp.Evaluate(lo);
            h += c * (temperatureK - lo);
            s += c * Math.Log(temperatureK / lo);
        }
        else if (temperatureK > hi)
        {
            var c = cp.Evaluate(hi);
            h += c * (temperatureK - hi);
            s += c * Math.Log(temperatureK / hi);
        }
    }
}

/// <summary>A user's ln K(T) = A + B/T + C ln T + D T (T in K), replacing the one from formation data.</summary>
public sealed record LnKCorrelation(double A, double B, double C, double D)
{
    public double Evaluate(double temperatureK) => A + (B / temperatureK) + (C * Math.Log(temperatureK)) + (D * temperatureK);
}

/// <summary>Fugacities of a mixture for reaction quotients: f/P° = y φ P/P°, φ from the package when it offers one.</summary>
public static class Fugacity
{
    /// <summary>ln(fᵢ/P°) of a single phase of composition y; components with y = 0 get −∞.</summary>
    public static void LnReducedFugacities(IPropertyPackage package, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> y, Span<double> lnF)
    {
        if (package is IFugacityModel model)
        {
            model.LnFugacityCoefficients(phase, temperatureK, pressurePa, y, lnF);
        }
        else
        {
            lnF.Clear();
        }
        var lnP = Math.Log(pressurePa / StandardGibbs.StandardPressurePa);
        for (var i = 0; i < y.Length; i++)
        {
            lnF[i] += y[i] > 0 ? Math.Log(y[i]) + lnP : double.NegativeInfinity;
        }
    }
}
