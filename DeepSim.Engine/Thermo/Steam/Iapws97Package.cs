using DeepSim.Engine.Components;

namespace DeepSim.Engine.Thermo.Steam;

/// <summary>
/// Pure water and steam from IAPWS-IF97 (<see cref="Iapws97"/>) behind the engine's property-package interface.
/// Molar values are IF97's specific values times M = 0.018015268 kg/mol (IF97's molar mass, used for
/// <see cref="MolarMass"/> too, so a stream's ṁ·Δh is IF97's exactly) plus constant offsets that put IF97 on the
/// engine's reference state: H = ΔHf°(ideal gas, 298.15 K) and S = 0 for the ideal gas at 298.15 K and 101325 Pa.
/// The offsets are fixed where IF97's steam is an ideal gas to within 1e-8 (298.15 K, 1 Pa, region 2):
/// H_offset = ΔHf° − M·h₂(1 Pa, 298.15 K) and S_offset = −R ln(1 Pa / 101325 Pa) − M·s₂(1 Pa, 298.15 K).
/// Away from that point IF97's ideal-gas part (fitted to IAPWS-95) differs slightly from the database's ideal-gas Cp.
/// </summary>
internal sealed class Iapws97Package : IPropertyPackage, IBufferedFlash, IFugacityModel
{
    private const double M = Iapws97.MolarMassKgPerMol;
    private const double R = FlashSettings.GasConstant;

    // Where the offsets are taken: IF97 region 2 at 1 Pa is an ideal gas to ~1e-8 relative in h and s (Z − 1 ∝ p).
    private const double OffsetPressurePa = 1;

    // Relative distance from p_s(T) within which Enthalpy/Entropy/ln φ honour the requested phase (see StateOfPhase):
    // wide enough for a saturation pressure recomputed from T_s(p), narrow enough to stay where both equations hold.
    private const double SaturationBranchTolerance = 1e-6;

    private readonly Component[] components;
    private readonly double enthalpyOffsetJPerMol;
    private readonly double entropyOffsetJPerMolK;

    public Iapws97Package(IReadOnlyList<Component> components)
    {
        ArgumentNullException.ThrowIfNull(components);
        if (components.Count != 1)
        {
            throw new ArgumentException($"The if97 package models pure water only: it takes exactly one component (water, CAS {Component.WaterCas}), not {components.Count}.", nameof(components));
        }

        var water = components[0] ?? throw new ArgumentException("The component list holds a null entry.", nameof(components));
        if (!water.IsWater)
        {
            throw new ArgumentException($"The if97 package models water (CAS {Component.WaterCas}) only; '{water.Name}' (CAS {(water.Cas.Length > 0 ? water.Cas : "none")}) is not water.", nameof(components));
        }

        this.components = [water];
        var reference = Iapws97.Region2(OffsetPressurePa, FlashSettings.ReferenceTemperatureK);
        enthalpyOffsetJPerMol = water.FormationEnthalpy - (M * reference.SpecificEnthalpyJPerKg);
        entropyOffsetJPerMolK = (-R * Math.Log(OffsetPressurePa / FlashSettings.ReferencePressurePa)) - (M * reference.SpecificEntropyJPerKgK);
    }

    public string Name => "if97";

    public IReadOnlyList<Component> Components => components;

    /// <summary>H_molar − M·h_IF97, J/mol (see the class summary).</summary>
    public double EnthalpyOffsetJPerMol => enthalpyOffsetJPerMol;

    /// <summary>S_molar − M·s_IF97, J/(mol K).</summary>
    public double EntropyOffsetJPerMolK => entropyOffsetJPerMolK;

    public double MolarMass(ReadOnlySpan<double> moleFractions)
    {
        ThrowIfInvalid(moleFractions);
        return M;
    }

    public double Enthalpy(Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> moleFractions)
    {
        ThrowIfInvalid(moleFractions);
        return MolarEnthalpy(StateOfPhase(phase, temperatureK, pressurePa));
    }

    public double Entropy(Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> moleFractions)
    {
        ThrowIfInvalid(moleFractions);
        return MolarEntropy(StateOfPhase(phase, temperatureK, pressurePa));
    }

    /// <summary>ln φ of water: (g − g_ig)/(RT) with IF97's own ideal gas (region 2's γ°), so 0 in the low-pressure limit.</summary>
    public void LnFugacityCoefficients(Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> moleFractions, Span<double> lnPhi)
    {
        ThrowIfInvalid(moleFractions);
        if (lnPhi.Length < 1)
        {
            throw new ArgumentException("lnPhi needs room for one component.", nameof(lnPhi));
        }

        var state = StateOfPhase(phase, temperatureK, pressurePa);
        var idealGibbsOverRT = Math.Log(pressurePa / 1e6) + Iapws97.Region2IdealGibbsAtUnitPressure(temperatureK);
        lnPhi[0] = (state.SpecificGibbsEnergyJPerKg / (Iapws97.SpecificGasConstantJPerKgK * temperatureK)) - idealGibbsOverRT;
    }

    public FlashResult FlashPT(double temperatureK, double pressurePa, ReadOnlySpan<double> z)
    {
        if ((Invalid(z) ?? InvalidTP(temperatureK, pressurePa)) is { } invalid)
        {
            return Failed(invalid, temperatureK, pressurePa);
        }

        var state = Iapws97.PT(pressurePa, temperatureK);
        return double.IsFinite(state.SpecificEnthalpyJPerKg)
            ? Result(state)
            : Failed(NotFound(temperatureK, pressurePa), temperatureK, pressurePa);
    }

    private static string NotFound(double temperatureK, double pressurePa)
        => $"IF97 region-3 density at T = {temperatureK} K, P = {pressurePa} Pa was not found (bounded Newton on p(ρ, T)).";

    public FlashSummary FlashPT(double temperatureK, double pressurePa, ReadOnlySpan<double> z, Span<double> liquidComposition, Span<double> vaporComposition)
    {
        var invalid = Invalid(z) ?? InvalidTP(temperatureK, pressurePa)
            ?? (liquidComposition.Length < 1 || vaporComposition.Length < 1 ? "Composition buffers need room for 1 component." : null);
        if (invalid is not null)
        {
            return new FlashSummary(false, default, temperatureK, pressurePa, double.NaN, double.NaN, double.NaN, 0, invalid);
        }

        var state = Iapws97.PT(pressurePa, temperatureK);
        if (!double.IsFinite(state.SpecificEnthalpyJPerKg))
        {
            return new FlashSummary(false, default, temperatureK, pressurePa, double.NaN, double.NaN, double.NaN, 0, NotFound(temperatureK, pressurePa));
        }

        liquidComposition[0] = 1;
        vaporComposition[0] = 1;
        return new FlashSummary(true, StateOf(state), state.TemperatureK, state.PressurePa, VaporFraction(state), MolarEnthalpy(state), MolarEntropy(state), 0, null);
    }

    public FlashResult FlashPH(double pressurePa, double enthalpyJPerMol, ReadOnlySpan<double> z, double temperatureGuessK = double.NaN)
        => FlashPX(pressurePa, enthalpyJPerMol, z, entropy: false);

    public FlashResult FlashPS(double pressurePa, double entropyJPerMolK, ReadOnlySpan<double> z, double temperatureGuessK = double.NaN)
        => FlashPX(pressurePa, entropyJPerMolK, z, entropy: true);

    public FlashResult FlashTVF(double temperatureK, double vaporFraction, ReadOnlySpan<double> z)
    {
        var invalid = Invalid(z) ?? InvalidVaporFraction(vaporFraction)
            ?? (!(temperatureK >= Iapws97.MinTemperatureK && temperatureK <= Iapws97.CriticalTemperatureK)
                ? $"IF97 saturation exists for {Iapws97.MinTemperatureK} K ≤ T ≤ {Iapws97.CriticalTemperatureK} K (the critical point), not at T = {temperatureK} K."
                : null);
        if (invalid is not null)
        {
            return Failed(invalid, temperatureK, double.NaN);
        }

        return Saturation(Iapws97.SaturationPressurePa(temperatureK), temperatureK, vaporFraction);
    }

    public FlashResult FlashPVF(double pressurePa, double vaporFraction, ReadOnlySpan<double> z)
    {
        var invalid = Invalid(z) ?? InvalidVaporFraction(vaporFraction)
            ?? (!(pressurePa >= Iapws97.MinSaturationPressurePa && pressurePa <= Iapws97.CriticalPressurePa)
                ? $"IF97 saturation exists for {Iapws97.MinSaturationPressurePa} Pa ≤ p ≤ {Iapws97.CriticalPressurePa} Pa (the critical point), not at p = {pressurePa} Pa."
                : null);
        if (invalid is not null)
        {
            return Failed(invalid, double.NaN, pressurePa);
        }

        return Saturation(pressurePa, Iapws97.SaturationTemperatureK(pressurePa), vaporFraction);
    }

    // Saturated liquid and vapour at (p, T_s) from the region's own equations (1 and 2 up to 623.15 K, 3 above),
    // as the (p,h) solve does, so PVF at β and PH at the PVF enthalpy agree.
    private FlashResult Saturation(double pressurePa, double temperatureK, double vaporFraction)
    {
        SteamState liquid, vapour;
        if (temperatureK <= Iapws97.Region13TemperatureK)
        {
            liquid = Iapws97.Region1(pressurePa, temperatureK);
            vapour = Iapws97.Region2(pressurePa, temperatureK);
        }
        else
        {
            var rhoL = Iapws97.Region3DensityOnBranch(pressurePa, temperatureK, liquid: true);
            var rhoV = Iapws97.Region3DensityOnBranch(pressurePa, temperatureK, liquid: false);
            if (!double.IsFinite(rhoL) || !double.IsFinite(rhoV))
            {
                return Failed($"IF97 region-3 saturated densities at p = {pressurePa} Pa, T = {temperatureK} K were not found.", temperatureK, pressurePa);
            }

            liquid = Iapws97.Region3(rhoL, temperatureK);
            vapour = Iapws97.Region3(rhoV, temperatureK);
        }

        var h = ((1 - vaporFraction) * MolarEnthalpy(liquid)) + (vaporFraction * MolarEnthalpy(vapour));
        var s = ((1 - vaporFraction) * MolarEntropy(liquid)) + (vaporFraction * MolarEntropy(vapour));
        var state = vaporFraction <= 0 ? PhaseState.Liquid : vaporFraction >= 1 ? PhaseState.Vapor : PhaseState.TwoPhase;
        return Success(state, temperatureK, pressurePa, vaporFraction, h, s);
    }

    private FlashResult FlashPX(double pressurePa, double molarValue, ReadOnlySpan<double> z, bool entropy)
    {
        var what = entropy ? "entropy" : "enthalpy";
        var invalid = Invalid(z)
            ?? (!(pressurePa > 0) || !double.IsFinite(pressurePa) ? $"Pressure must be positive and finite (got {pressurePa} Pa)." : null)
            ?? (!double.IsFinite(molarValue) ? $"The specified {what} must be finite (got {molarValue})." : null);
        if (invalid is not null)
        {
            return Failed(invalid, double.NaN, pressurePa);
        }

        var specific = entropy ? (molarValue - entropyOffsetJPerMolK) / M : (molarValue - enthalpyOffsetJPerMol) / M;
        SteamState state;
        string? reason;
        var ok = entropy ? Iapws97.TryPS(pressurePa, specific, out state, out reason) : Iapws97.TryPH(pressurePa, specific, out state, out reason);
        return ok ? Result(state) : Failed($"IF97 {(entropy ? "PS" : "PH")} flash: {reason}", double.NaN, pressurePa);
    }

    // The state of a requested phase. On the saturation line (within SaturationBranchTolerance) the requested branch:
    // region 1 or 2 up to 623.15 K, the region-3 root above. Elsewhere the stable state whatever the phase asked for:
    // IF97's region-2 equation is not valid far into metastable vapour (its residual series diverges: at 298.15 K and
    // 1 atm it gives S off by ~350 J/(mol K)), and the metastable-vapour equation of R7-97 is not implemented.
    private static SteamState StateOfPhase(Phase phase, double temperatureK, double pressurePa)
    {
        var region = Iapws97.RegionPT(pressurePa, temperatureK);
        var wantLiquid = phase == Phase.Liquid;
        if (temperatureK < Iapws97.CriticalTemperatureK && region != Iapws97Region.Region5)
        {
            var ps = Iapws97.SaturationPressurePa(temperatureK);
            if (Math.Abs(pressurePa - ps) <= SaturationBranchTolerance * ps)
            {
                if (temperatureK <= Iapws97.Region13TemperatureK)
                {
                    return wantLiquid ? Iapws97.Region1(pressurePa, temperatureK) : Iapws97.Region2(pressurePa, temperatureK);
                }

                var rho = Iapws97.Region3DensityOnBranch(pressurePa, temperatureK, wantLiquid);
                if (double.IsFinite(rho))
                {
                    return Iapws97.Region3(rho, temperatureK);
                }
            }
        }

        return Iapws97.PT(pressurePa, temperatureK);
    }

    private double MolarEnthalpy(in SteamState s) => (M * s.SpecificEnthalpyJPerKg) + enthalpyOffsetJPerMol;

    private double MolarEntropy(in SteamState s) => (M * s.SpecificEntropyJPerKgK) + entropyOffsetJPerMolK;

    private static PhaseState StateOf(in SteamState s)
    {
        if (s.Region == Iapws97Region.Region4)
        {
            return s.Quality <= 0 ? PhaseState.Liquid : s.Quality >= 1 ? PhaseState.Vapor : PhaseState.TwoPhase;
        }

        if (s.TemperatureK > Iapws97.CriticalTemperatureK && s.PressurePa > Iapws97.CriticalPressurePa)
        {
            return PhaseState.Supercritical;
        }

        return s.Quality < 0.5 ? PhaseState.Liquid : PhaseState.Vapor;
    }

    // Single phases are 0 (liquid-like) or 1 (vapour-like, including region-2/5 supercritical steam); the molar and mass
    // vapour fractions of a pure component are the same number.
    private static double VaporFraction(in SteamState s) => s.Region == Iapws97Region.Region4 ? s.Quality : (s.Quality < 0.5 ? 0 : 1);

    private FlashResult Result(in SteamState s) => Success(StateOf(s), s.TemperatureK, s.PressurePa, VaporFraction(s), MolarEnthalpy(s), MolarEntropy(s));

    private static FlashResult Success(PhaseState state, double temperatureK, double pressurePa, double vaporFraction, double h, double s) => new()
    {
        Converged = true,
        State = state,
        TemperatureK = temperatureK,
        PressurePa = pressurePa,
        VaporFraction = vaporFraction,
        LiquidComposition = [1.0],
        VaporComposition = [1.0],
        EnthalpyJPerMol = h,
        EntropyJPerMolK = s,
        Iterations = 0,
    };

    private static FlashResult Failed(string reason, double temperatureK, double pressurePa) => new()
    {
        Converged = false,
        FailureReason = reason,
        TemperatureK = temperatureK,
        PressurePa = pressurePa,
        VaporFraction = double.NaN,
        EnthalpyJPerMol = double.NaN,
        EntropyJPerMolK = double.NaN,
    };

    private static string? InvalidTP(double temperatureK, double pressurePa)
    {
        if (!double.IsFinite(temperatureK) || !double.IsFinite(pressurePa) || !(pressurePa > 0))
        {
            return $"Temperature and pressure must be finite with P > 0 (got T = {temperatureK} K, P = {pressurePa} Pa).";
        }

        var inRange = temperatureK >= Iapws97.MinTemperatureK
            && ((temperatureK <= Iapws97.Region2MaxTemperatureK && pressurePa <= Iapws97.MaxPressurePa)
                || (temperatureK <= Iapws97.MaxTemperatureK && pressurePa <= Iapws97.Region5MaxPressurePa));
        return inRange
            ? null
            : $"T = {temperatureK} K, P = {pressurePa} Pa is outside IF97's range (273.15–1073.15 K up to 100 MPa, 1073.15–2273.15 K up to 50 MPa).";
    }

    private static string? InvalidVaporFraction(double vaporFraction)
        => vaporFraction is >= 0 and <= 1 ? null : $"Vapour fraction must be in [0, 1] (got {vaporFraction}).";

    private static string? Invalid(ReadOnlySpan<double> z)
    {
        if (z.Length != 1)
        {
            return $"Composition has {z.Length} entries; the if97 package has 1 component (water).";
        }

        return double.IsFinite(z[0]) && Math.Abs(z[0] - 1) <= FlashSettings.CompositionSumTolerance
            ? null
            : $"The mole fraction of water must be 1 within {FlashSettings.CompositionSumTolerance} (got {z[0]}).";
    }

    private static void ThrowIfInvalid(ReadOnlySpan<double> z)
    {
        if (Invalid(z) is { } reason)
        {
            throw new ArgumentException(reason, nameof(z));
        }
    }
}
