namespace DeepSim.Engine.Thermo;

/// <summary>Options of a property package beyond its name (all default to the documented defaults).</summary>
public sealed record PropertyPackageOptions
{
    public static PropertyPackageOptions Default { get; } = new();

    /// <summary>Ωa, Ωb: exact (default) or, for Peng–Robinson only, the rounded 1976 values.</summary>
    public CubicConstants Constants { get; init; } = CubicConstants.Exact;

    /// <summary>Peng–Robinson only: use the 1978 κ polynomial for ω &gt; 0.491 (default false: the 1976 κ for every ω).</summary>
    public bool Kappa1978 { get; init; }

    /// <summary>SRK only: apply the Péneloux volume translation in <see cref="ICubicPropertyPackage.MolarVolume"/> (default false).</summary>
    public bool PenelouxTranslation { get; init; }

    /// <summary>Take kᵢⱼ from the bundled ChemSep databank where tabulated (default true); false makes every kᵢⱼ 0 unless overridden.</summary>
    public bool UseDatabankKij { get; init; } = true;

    /// <summary>
    /// γ–φ packages (nrtl, wilson, uniquac) only: dissolve the bundled gases by Henry's law when water is a component
    /// (default true); false keeps every component on its vapour pressure. Other packages refuse false.
    /// </summary>
    public bool HenryLaw { get; init; } = true;

    /// <summary>kᵢⱼ by component index pair (either order), replacing the pair symmetrically.</summary>
    public IReadOnlyDictionary<(int I, int J), double>? KijOverrides { get; init; }
}
