using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.Streams;

/// <summary>
/// A material stream at equilibrium: temperature, pressure, component molar flows (mol/s) and the flash
/// state the property package gives for them. Immutable; arrays must not be modified by callers.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "'Material stream' is the process-engineering term, not an I/O stream.")]
public sealed class MaterialStream
{
    public required double TemperatureK { get; init; }

    public required double PressurePa { get; init; }

    /// <summary>Component molar flows, mol/s, in the package's component order.</summary>
    public required double[] ComponentMolarFlows { get; init; }

    /// <summary>mol/s.</summary>
    public required double TotalMolarFlow { get; init; }

    /// <summary>Overall mole fractions (all zero for an empty stream).</summary>
    public required double[] MoleFractions { get; init; }

    public required double VaporFraction { get; init; }

    public required PhaseState State { get; init; }

    public required double[] LiquidComposition { get; init; }

    public required double[] VaporComposition { get; init; }

    /// <summary>Molar fraction of the second, heavier liquid (LiquidLiquid and ThreePhase states; 0 otherwise).</summary>
    public double SecondLiquidFraction { get; init; }

    /// <summary>Mole fractions of the second, heavier liquid (empty unless there are two liquids); LiquidComposition is the lighter one.</summary>
    public double[] SecondLiquidComposition { get; init; } = [];

    /// <summary>J/mol, on the package's formation-basis reference state.</summary>
    public required double MolarEnthalpy { get; init; }

    /// <summary>J/(mol K).</summary>
    public required double MolarEntropy { get; init; }

    /// <summary>Mixture molar mass, kg/mol.</summary>
    public required double MolarMass { get; init; }

    /// <summary>kg/s.</summary>
    public double MassFlow => TotalMolarFlow * MolarMass;

    /// <summary>Enthalpy flow, W.</summary>
    public double EnthalpyFlow => TotalMolarFlow * MolarEnthalpy;

    /// <summary>True when the stream carries no material (its intensive state is then only nominal).</summary>
    public bool IsEmpty => TotalMolarFlow <= 0;
}
