using DeepSim.Engine.Components;

namespace DeepSim.Engine.Thermo;

/// <summary>
/// A thermodynamic model over a fixed component list. Implementations are immutable and thread-safe:
/// one instance serves any number of concurrent solves.
/// Units: K, Pa, mol fractions, J/mol, J/(mol K), kg/mol. Reference state: ideal gas at 298.15 K and
/// 101325 Pa on a formation basis (H = ΔHf° of the ideal gas at the reference state).
/// </summary>
public interface IPropertyPackage
{
    /// <summary>"ideal", "peng-robinson", "srk", "nrtl", "wilson", "uniquac", "unifac" or "if97".</summary>
    string Name { get; }

    IReadOnlyList<Component> Components { get; }

    /// <summary>Mixture molar mass, kg/mol.</summary>
    double MolarMass(ReadOnlySpan<double> moleFractions);

    /// <summary>Molar enthalpy of one phase of the given composition, J/mol.</summary>
    double Enthalpy(Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> moleFractions);

    /// <summary>Molar entropy of one phase of the given composition, J/(mol K).</summary>
    double Entropy(Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> moleFractions);

    FlashResult FlashPT(double temperatureK, double pressurePa, ReadOnlySpan<double> z);

    FlashResult FlashPH(double pressurePa, double enthalpyJPerMol, ReadOnlySpan<double> z, double temperatureGuessK = double.NaN);

    FlashResult FlashPS(double pressurePa, double entropyJPerMolK, ReadOnlySpan<double> z, double temperatureGuessK = double.NaN);

    /// <summary>Temperature and vapour fraction given (0 = bubble point, 1 = dew point); solves for pressure.</summary>
    FlashResult FlashTVF(double temperatureK, double vaporFraction, ReadOnlySpan<double> z);

    /// <summary>Pressure and vapour fraction given (0 = bubble point, 1 = dew point); solves for temperature.</summary>
    FlashResult FlashPVF(double pressurePa, double vaporFraction, ReadOnlySpan<double> z);
}

public enum Phase
{
    Liquid,
    Vapor,
}

public enum PhaseState
{
    Vapor,
    Liquid,
    Supercritical,

    /// <summary>Vapour and one liquid.</summary>
    TwoPhase,

    /// <summary>Two liquids, no vapour (the lighter in the liquid composition, the heavier in the second liquid's).</summary>
    LiquidLiquid,

    /// <summary>Vapour and two liquids.</summary>
    ThreePhase,
}

/// <summary>The outcome of a flash. A failure is a value with a reason, never an exception.</summary>
public sealed class FlashResult
{
    public required bool Converged { get; init; }

    /// <summary>Why the flash failed; null when converged.</summary>
    public string? FailureReason { get; init; }

    public PhaseState State { get; init; }

    public double TemperatureK { get; init; }

    public double PressurePa { get; init; }

    /// <summary>Molar vapour fraction, 0..1 (0 or 1 for a single phase).</summary>
    public double VaporFraction { get; init; }

    /// <summary>Liquid mole fractions (equal to z for a single liquid/supercritical phase); the lighter liquid when there are two.</summary>
    public double[] LiquidComposition { get; init; } = [];

    /// <summary>Molar fraction of the second, heavier (denser) liquid; 0 unless the state is LiquidLiquid or ThreePhase.</summary>
    public double SecondLiquidFraction { get; init; }

    /// <summary>Mole fractions of the second, heavier liquid; empty unless the state is LiquidLiquid or ThreePhase.</summary>
    public double[] SecondLiquidComposition { get; init; } = [];

    /// <summary>Vapour mole fractions (equal to z for a single vapour phase and for two liquids without vapour).</summary>
    public double[] VaporComposition { get; init; } = [];

    /// <summary>Mixture molar enthalpy, J/mol.</summary>
    public double EnthalpyJPerMol { get; init; }

    /// <summary>Mixture molar entropy, J/(mol K).</summary>
    public double EntropyJPerMolK { get; init; }

    public int Iterations { get; init; }
}
