namespace DeepSim.Engine.Thermo;

/// <summary>A cubic-equation-of-state package (Peng–Robinson, SRK): its equation and the kᵢⱼ it uses.</summary>
public interface ICubicPropertyPackage : IPropertyPackage
{
    /// <summary>δ1, δ2, Ωa, Ωb and the κ polynomial in use.</summary>
    CubicEquationOfState Equation { get; }

    /// <summary>Every component pair (I &lt; J, component indices) with the kᵢⱼ used and where it came from.</summary>
    IReadOnlyList<BinaryInteractionParameter> InteractionParameters { get; }

    /// <summary>Whether <see cref="MolarVolume"/> applies the Péneloux volume translation.</summary>
    bool VolumeTranslation { get; }

    /// <summary>
    /// Molar volume (m³/mol) of one phase (liquid = smallest root, vapour = largest), minus Σ xᵢcᵢ when the Péneloux
    /// translation is on. The translation changes only this volume: fugacities, phase equilibrium, enthalpy and
    /// entropy are those of the untranslated equation. NaN when the cubic has no physical root. Throws
    /// ArgumentException for invalid T, P or composition.
    /// </summary>
    double MolarVolume(Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> moleFractions);
}

/// <summary>Where a kᵢⱼ came from.</summary>
public enum KijSource
{
    /// <summary>The bundled ChemSep/DECHEMA databank (pr.ipd for PR, srk.ipd for SRK).</summary>
    ChemSep,

    /// <summary>An override given by the caller (the flowsheet's propertyPackage.kij).</summary>
    User,

    /// <summary>0 because the databank was switched off (kij "none").</summary>
    None,

    /// <summary>0 because the databank has no value for the pair.</summary>
    Default,
}

/// <summary>One pair's kᵢⱼ (symmetric) and its source.</summary>
public readonly record struct BinaryInteractionParameter(int I, int J, double Value, KijSource Source)
{
    /// <summary>The source as written in results: "chemsep", "user", "none" or "default".</summary>
    public string SourceName => Source switch
    {
        KijSource.ChemSep => "chemsep",
        KijSource.User => "user",
        KijSource.None => "none",
        _ => "default",
    };
}
