using DeepSim.Engine.Flowsheets;

namespace DeepSim.Api.Catalog;

/// <summary>
/// One option of a property package: its key in the <c>propertyPackage</c> object, its values (the default first) and, for
/// <c>kij</c>, whether an array of <c>{ "components": [a, b], "value": k }</c> overrides is accepted besides the values.
/// </summary>
public sealed record PropertyPackageOption(string Key, IReadOnlyList<string> Values, string Default, bool AcceptsPairList, string Description);

/// <summary>A property package name as a flowsheet gives it (<c>"propertyPackage": "srk"</c> or <c>{ "name": "srk", … }</c>) and the options it takes.</summary>
public sealed record PropertyPackageItem(string Name, string Description, IReadOnlyList<PropertyPackageOption> Options);

/// <summary>
/// The names come from the engine (<see cref="IThermoCatalog.PackageNames"/>). The engine's reader has no list of which
/// options each package takes (it checks them as it builds the package), so that is this table, transcribed from
/// docs/flowsheet-format.md ("Property package"); CatalogTests run every option value listed here through the engine's
/// reader and check that the options a package is not listed with are refused.
/// </summary>
public static class PropertyPackageCatalog
{
    private static readonly PropertyPackageOption Kij = new("kij", ["chemsep", "none"], "chemsep", AcceptsPairList: true,
        "\"chemsep\": the ChemSep/DECHEMA databank kij; \"none\": every kij 0; or an array of { components: [a, b], value: k } overriding those pairs (|k| < 1) on top of kijDefaults.");

    private static readonly PropertyPackageOption KijDefaults = new("kijDefaults", ["chemsep", "none"], "chemsep", AcceptsPairList: false,
        "With a kij override array: where the other pairs come from. Not together with kij \"none\"/\"chemsep\".");

    private static readonly Dictionary<string, (string Description, PropertyPackageOption[] Options)> Described = new(StringComparer.Ordinal)
    {
        ["ideal"] = ("Raoult's law: ideal gas and ideal liquid solution.", []),
        ["peng-robinson"] = ("Peng–Robinson cubic equation of state with van der Waals mixing.",
        [
            new("constants", ["exact", "rounded-1976"], "exact", AcceptsPairList: false,
                "Ωa, Ωb: the exact roots of the critical-point conditions, or the rounded values printed by Peng and Robinson (1976)."),
            new("kappa", ["1976", "1978"], "1976", AcceptsPairList: false,
                "κ(ω): the 1976 polynomial for every ω, or the 1978 polynomial above ω = 0.491."),
            Kij,
            KijDefaults,
        ]),
        ["srk"] = ("Soave–Redlich–Kwong (1972) cubic equation of state with van der Waals mixing.",
        [
            Kij,
            KijDefaults,
            new("volumeTranslation", ["none", "peneloux"], "none", AcceptsPairList: false,
                "Péneloux–Rauzy–Fréze (1982) volume translation of molar volumes only."),
        ]),
        ["nrtl"] = ("NRTL liquid (ChemSep/DECHEMA nrtl.ipd parameters) with an ideal-gas vapour.", []),
        ["wilson"] = ("Wilson liquid (ChemSep/DECHEMA wilson.ipd parameters) with an ideal-gas vapour.", []),
        ["uniquac"] = ("UNIQUAC liquid (ChemSep/DECHEMA uniquac.ipd parameters) with an ideal-gas vapour.", []),
        ["unifac"] = ("Original UNIFAC liquid (group contribution, Hansen et al. 1991 parameters, ChemSep group assignments) with an ideal-gas vapour.", []),
        ["if97"] = ("IAPWS-IF97 water and steam (pure water only): liquid, steam, supercritical and wet steam.", []),
    };

    /// <summary>Every package the engine accepts, in the engine's order; one the table does not describe yet is listed without options.</summary>
    public static IReadOnlyList<PropertyPackageItem> All { get; } = DefaultThermoCatalog.Instance.PackageNames
        .Select(name => Described.TryGetValue(name, out var d) ? new PropertyPackageItem(name, d.Description, d.Options) : new PropertyPackageItem(name, "", []))
        .ToList();

    /// <summary>The package names this table describes (CatalogTests check they are exactly the engine's).</summary>
    internal static IReadOnlyCollection<string> DescribedNames => Described.Keys;
}
