using DeepSim.Engine.Components;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.Flowsheets;

/// <summary>The bundled ChemSep component database and the built-in property packages.</summary>
public sealed class DefaultThermoCatalog : IThermoCatalog
{
    public static DefaultThermoCatalog Instance { get; } = new();

    public IReadOnlyList<string> PackageNames => PropertyPackages.Names;

    public Component? FindComponent(string nameCasOrFormula) => ComponentDatabase.Default.Find(nameCasOrFormula);

    public IReadOnlyList<string> SuggestComponents(string query, int max) => ComponentDatabase.Default.Suggest(query, max);

    public IPropertyPackage CreatePackage(string name, IReadOnlyList<Component> components, IReadOnlyDictionary<(int I, int J), double>? kijOverrides)
        => PropertyPackages.Create(name, components, kijOverrides);

    public IPropertyPackage CreatePackage(string name, IReadOnlyList<Component> components, PropertyPackageOptions options)
        => PropertyPackages.Create(name, components, options);
}
