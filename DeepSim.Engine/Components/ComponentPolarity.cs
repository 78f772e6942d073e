using System.Text.Json;

namespace DeepSim.Engine.Components;

/// <summary>
/// How polar a component is, for the model-sanity rules: ChemSep's dipole moment by CAS number (embedded
/// Data/dipole-moments.json) and whether the molecular formula is a hydrocarbon's. Immutable and thread-safe.
/// </summary>
public static class ComponentPolarity
{
    /// <summary>
    /// A component with at least this dipole moment is polar. 1 D takes in water (1.85), alcohols (≈ 1.7), ketones
    /// (acetone 2.88), acids, esters, amines, ammonia (1.47), ethers (diethyl ether 1.15) and chloroform (1.01), and leaves
    /// out hydrocarbons (toluene 0.36), CO (0.11), H2S (0.97) and the quadrupolar CO2 (0), which cubics handle with a kij.
    /// </summary>
    public const double PolarDipoleMomentDebye = 1.0;

    private const string ResourceName = "DeepSim.Engine.Data.dipole-moments.json";

    private static readonly Lazy<Dictionary<string, double>> Dipoles = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>ChemSep's dipole moment in debye for the component's CAS number; NaN when it has none (a user component).</summary>
    public static double DipoleMomentDebye(Component component)
    {
        ArgumentNullException.ThrowIfNull(component);
        return component.Cas.Length > 0 && Dipoles.Value.TryGetValue(component.Cas, out var d) ? d : double.NaN;
    }

    /// <summary>Dipole moment of at least <see cref="PolarDipoleMomentDebye"/>; a component without one is not polar.</summary>
    public static bool IsPolar(Component component) => DipoleMomentDebye(component) >= PolarDipoleMomentDebye;

    /// <summary>
    /// A formula of carbon and hydrogen only (with at least one carbon), or no formula at all: a user component without
    /// one is usually a petroleum pseudo-component.
    /// </summary>
    public static bool IsHydrocarbon(Component component)
    {
        ArgumentNullException.ThrowIfNull(component);
        var formula = component.Formula;
        if (formula.Length == 0)
        {
            return true;
        }
        var carbon = false;
        for (var k = 0; k < formula.Length; k++)
        {
            var ch = formula[k];
            if (char.IsDigit(ch) || ch == '.')
            {
                continue;
            }
            var symbol = k + 1 < formula.Length && char.IsLower(formula[k + 1]) ? formula.Substring(k++, 2) : formula[k].ToString();
            if (symbol == "C")
            {
                carbon = true;
            }
            else if (symbol != "H")
            {
                return false;
            }
        }
        return carbon;
    }

    private static Dictionary<string, double> Load()
    {
        using var stream = typeof(ComponentPolarity).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing.");
        using var doc = JsonDocument.Parse(stream);
        var map = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in doc.RootElement.GetProperty("dipoleMoments").EnumerateObject())
        {
            map[p.Name] = p.Value.GetDouble();
        }
        return map;
    }
}
