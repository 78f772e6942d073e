using DeepSim.Engine.Components;
using DeepSim.Engine.Thermo.Steam;

namespace DeepSim.Engine.Thermo;

/// <summary>Creates property packages by name.</summary>
public static class PropertyPackages
{
    /// <summary>The package names accepted by <see cref="Create(string, IReadOnlyList{Component}, PropertyPackageOptions)"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["ideal", "peng-robinson", "srk", "nrtl", "wilson", "uniquac", "unifac", "if97"];

    /// <summary>Creates a package with the default options and the given kᵢⱼ overrides (see the other overload).</summary>
    public static IPropertyPackage Create(string name, IReadOnlyList<Component> components, IReadOnlyDictionary<(int I, int J), double>? kijOverrides = null)
        => Create(name, components, PropertyPackageOptions.Default with { KijOverrides = kijOverrides });

    /// <summary>
    /// Creates "ideal", "peng-robinson", "srk", the γ–φ packages "nrtl", "wilson", "uniquac", "unifac", or "if97" (IAPWS-IF97
    /// for pure water, exactly one component with CAS 7732-18-5) (case-insensitive; aliases "pr", "pengrobinson",
    /// "soave-redlich-kwong", "iapws-if97", "steam") over the components; nrtl, wilson and uniquac take their binary
    /// parameters from ChemSep's DECHEMA tables (a pair without parameters is estimated from UNIFAC where possible, else
    /// ideal and reported as a warning), unifac its group parameters from Hansen et al. (1991) and ChemSep's group
    /// assignments (a component without them throws). Cubic kᵢⱼ default to the ChemSep/DECHEMA value for the CAS pair
    /// (pr.ipd or srk.ipd) unless <see cref="PropertyPackageOptions.UseDatabankKij"/> is false, else 0; each
    /// override (by component index, either order) replaces the pair symmetrically. Throws ArgumentException for an
    /// unknown name, an option the package does not take, or bad data.
    /// </summary>
    public static IPropertyPackage Create(string name, IReadOnlyList<Component> components, PropertyPackageOptions options)
    {
        ArgumentNullException.ThrowIfNull(components);
        ArgumentNullException.ThrowIfNull(options);
        var key = (name ?? "").Trim().ToLowerInvariant();
        switch (key)
        {
            case "ideal":
                if (options.KijOverrides is { Count: > 0 })
                {
                    throw new ArgumentException("Binary interaction parameters apply to the cubic packages (peng-robinson, srk) only, not to the ideal package.", nameof(options));
                }

                RequireExactConstants(options, "ideal");
                if (options.PenelouxTranslation)
                {
                    throw new ArgumentException("The Péneloux volume translation applies to the cubic packages only, not to the ideal package.", nameof(options));
                }

                RequireNoKappaOption(options, "ideal");
                RequireHenryDefault(options, "ideal");
                return new IdealPackage(components);
            case "peng-robinson":
            case "pengrobinson":
            case "pr":
                if (options.PenelouxTranslation)
                {
                    // Péneloux's generalised c(ω) was fitted for SRK; PR needs its own (per-component) shifts, not implemented.
                    throw new ArgumentException("The Péneloux volume translation is implemented for srk only (its generalised correlation was fitted for SRK).", nameof(options));
                }

                var pr = CubicEquationOfState.CreatePengRobinson(options.Constants, options.Kappa1978 ? KappaCorrelation.PengRobinson1978 : KappaCorrelation.PengRobinson1976);
                return CreateCubic(pr, components, options, static (db, a, b) => db.BinaryInteractionPR(a, b));
            case "srk":
            case "soave-redlich-kwong":
                RequireExactConstants(options, "srk");
                RequireNoKappaOption(options, "srk");
                return CreateCubic(CubicEquationOfState.SoaveRedlichKwong, components, options, static (db, a, b) => db.BinaryInteractionSRK(a, b));
            case "nrtl":
                return CreateActivity(ActivityModel.Nrtl, key, components, options);
            case "wilson":
                return CreateActivity(ActivityModel.Wilson, key, components, options);
            case "uniquac":
                return CreateActivity(ActivityModel.Uniquac, key, components, options);
            case "unifac":
                return CreateActivity(ActivityModel.Unifac, key, components, options);
            case "if97":
            case "iapws-if97":
            case "steam":
                return CreateIapws97(components, options);
            default:
                throw new ArgumentException($"Unknown property package '{name}'. Known packages: {string.Join(", ", Names)}.", nameof(name));
        }
    }

    // γ–φ packages take their binary parameters from the ChemSep/DECHEMA tables and none of the cubic options.
    private static ActivityPackage CreateActivity(ActivityModel model, string package, IReadOnlyList<Component> components, PropertyPackageOptions options)
    {
        if (options.KijOverrides is { Count: > 0 } || !options.UseDatabankKij)
        {
            throw new ArgumentException(model == ActivityModel.Unifac
                ? "kij options apply to the cubic packages (peng-robinson, srk) only; the unifac package takes its group parameters from the published UNIFAC tables."
                : $"kij options apply to the cubic packages (peng-robinson, srk) only; the {package} package takes its binary parameters from the ChemSep/DECHEMA {package}.ipd table.", nameof(options));
        }

        RequireExactConstants(options, package);
        RequireNoKappaOption(options, package);
        if (options.PenelouxTranslation)
        {
            throw new ArgumentException($"The Péneloux volume translation applies to srk only, not to the {package} package.", nameof(options));
        }

        return new ActivityPackage(components, model, henryLaw: options.HenryLaw);
    }

    // IAPWS-IF97 for pure water: none of the cubic or γ–φ options apply.
    private static Iapws97Package CreateIapws97(IReadOnlyList<Component> components, PropertyPackageOptions options)
    {
        if (options.KijOverrides is { Count: > 0 } || !options.UseDatabankKij || options.PenelouxTranslation)
        {
            throw new ArgumentException("The if97 package is pure water; kij and volume-translation options do not apply to it.", nameof(options));
        }

        RequireExactConstants(options, "if97");
        RequireNoKappaOption(options, "if97");
        RequireHenryDefault(options, "if97");
        return new Iapws97Package(components);
    }

    private static void RequireExactConstants(PropertyPackageOptions options, string package)
    {
        if (options.Constants != CubicConstants.Exact)
        {
            throw new ArgumentException($"The rounded 1976 constants are a Peng–Robinson option; the {package} package does not take them.", nameof(options));
        }
    }

    private static void RequireHenryDefault(PropertyPackageOptions options, string package)
    {
        if (!options.HenryLaw)
        {
            throw new ArgumentException($"Switching Henry's law off is an option of the γ–φ packages (nrtl, wilson, uniquac); the {package} package does not apply it.", nameof(options));
        }
    }

    private static void RequireNoKappaOption(PropertyPackageOptions options, string package)
    {
        if (options.Kappa1978)
        {
            throw new ArgumentException($"The 1978 κ polynomial is a Peng–Robinson option; the {package} package does not take it.", nameof(options));
        }
    }

    private static CubicPackage CreateCubic(CubicEquationOfState eos, IReadOnlyList<Component> components, PropertyPackageOptions options, Func<ComponentDatabase, string, string, double?> databank)
    {
        RequireHenryDefault(options, eos == CubicEquationOfState.SoaveRedlichKwong ? "srk" : "peng-robinson");
        var n = components.Count;
        var sources = new KijSource[n, n];
        var kij = BuildKij(components, options.UseDatabankKij ? databank : null, options.KijOverrides, sources);
        return new CubicPackage(components, eos, kij, sources, options.PenelouxTranslation);
    }

    // databank null: every pair 0 (source None) unless overridden.
    private static double[,] BuildKij(IReadOnlyList<Component> components, Func<ComponentDatabase, string, string, double?>? databank, IReadOnlyDictionary<(int I, int J), double>? overrides, KijSource[,] sources)
    {
        var n = components.Count;
        var kij = new double[n, n];
        var db = ComponentDatabase.Default;
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                var tabulated = databank?.Invoke(db, components[i]?.Cas ?? "", components[j]?.Cas ?? "");
                var k = tabulated ?? 0;
                kij[i, j] = k;
                kij[j, i] = k;
                sources[i, j] = sources[j, i] = databank is null ? KijSource.None : (tabulated is null ? KijSource.Default : KijSource.ChemSep);
            }
        }

        if (overrides is null)
        {
            return kij;
        }

        foreach (var ((i, j), value) in overrides)
        {
            if (i < 0 || j < 0 || i >= n || j >= n || i == j)
            {
                throw new ArgumentException($"kij override ({i}, {j}) does not name two different components of the {n} given.", nameof(overrides));
            }

            if (!double.IsFinite(value) || Math.Abs(value) >= 1)
            {
                throw new ArgumentException($"kij override ({i}, {j}) = {value} must be a finite number with |kij| < 1.", nameof(overrides));
            }

            kij[i, j] = value;
            kij[j, i] = value;
            sources[i, j] = sources[j, i] = KijSource.User;
        }

        return kij;
    }
}
