using DeepSim.Engine.Components;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.Flowsheets;

/// <summary>Where a flowsheet's component names and property package names are resolved.</summary>
public interface IThermoCatalog
{
    /// <summary>A database component by name, CAS number or formula (case-insensitive); null on a miss.</summary>
    Component? FindComponent(string nameCasOrFormula);

    /// <summary>Close matches for a missed name, best first.</summary>
    IReadOnlyList<string> SuggestComponents(string query, int max);

    /// <summary>Accepted property package names (lower case).</summary>
    IReadOnlyList<string> PackageNames { get; }

    /// <summary>
    /// Creates a package; kij overrides are keyed by component index pairs (I &lt; J). Throws ArgumentException when
    /// the components do not support the package (e.g. a missing vapour pressure for Ideal).
    /// </summary>
    IPropertyPackage CreatePackage(string name, IReadOnlyList<Component> components, IReadOnlyDictionary<(int I, int J), double>? kijOverrides);

    /// <summary>
    /// Creates a package with options (constants, κ, kij databank on/off, kij overrides). A catalog that does not
    /// implement options accepts only the defaults.
    /// </summary>
    IPropertyPackage CreatePackage(string name, IReadOnlyList<Component> components, PropertyPackageOptions options)
        => options with { KijOverrides = null } == PropertyPackageOptions.Default
            ? CreatePackage(name, components, options.KijOverrides)
            : throw new NotSupportedException("This thermo catalog does not take property package options.");
}
