namespace DeepSim.Engine.Components;

/// <summary>
/// A pure component with its constants in SI units on a mole basis (not ChemSep's kmol basis).
/// Temperature-dependent properties are DIPPR-form correlations evaluated as published.
/// </summary>
public sealed record Component
{
    /// <summary>Water's CAS number: the solvent of the Henry constants, the aqueous liquid of a separator, IF97's one component.</summary>
    public const string WaterCas = "7732-18-5";

    public required string Name { get; init; }
    public string Cas { get; init; } = "";

    /// <summary>Whether this is water (by CAS number).</summary>
    public bool IsWater => Cas == WaterCas;
    public string Formula { get; init; } = "";
    /// <summary>kg/mol.</summary>
    public required double MolarMass { get; init; }
    public required double CriticalTemperatureK { get; init; }
    public required double CriticalPressurePa { get; init; }
    /// <summary>m³/mol.</summary>
    public double CriticalVolume { get; init; } = double.NaN;
    public double CriticalCompressibility { get; init; } = double.NaN;
    public required double AcentricFactor { get; init; }
    public double NormalBoilingPointK { get; init; } = double.NaN;
    /// <summary>Ideal-gas enthalpy of formation at 298.15 K, J/mol.</summary>
    public double FormationEnthalpy { get; init; }
    /// <summary>Ideal-gas Gibbs energy of formation at 298.15 K, J/mol.</summary>
    public double FormationGibbsEnergy { get; init; }
    /// <summary>Vapour pressure, Pa, as a function of T in K.</summary>
    public Correlation? VaporPressure { get; init; }
    /// <summary>Ideal-gas heat capacity, J/(mol K).</summary>
    public Correlation? IdealGasHeatCapacity { get; init; }
    /// <summary>Liquid molar density, mol/m³.</summary>
    public Correlation? LiquidDensity { get; init; }
    /// <summary>Heat of vaporization, J/mol.</summary>
    public Correlation? HeatOfVaporization { get; init; }
    /// <summary>Liquid dynamic viscosity at saturation, Pa·s.</summary>
    public Correlation? LiquidViscosity { get; init; }
    /// <summary>Dilute (low-pressure) gas dynamic viscosity, Pa·s.</summary>
    public Correlation? VaporViscosity { get; init; }
    /// <summary>Liquid thermal conductivity, W/(m K).</summary>
    public Correlation? LiquidThermalConductivity { get; init; }
    /// <summary>Dilute (low-pressure) gas thermal conductivity, W/(m K).</summary>
    public Correlation? VaporThermalConductivity { get; init; }
    /// <summary>Liquid surface tension against its vapour, N/m.</summary>
    public Correlation? SurfaceTension { get; init; }
    /// <summary>UNIQUAC volume parameter r (dimensionless, ChemSep); NaN when not tabulated.</summary>
    public double UniquacR { get; init; } = double.NaN;
    /// <summary>UNIQUAC surface parameter q (dimensionless, ChemSep); NaN when not tabulated.</summary>
    public double UniquacQ { get; init; } = double.NaN;
}
