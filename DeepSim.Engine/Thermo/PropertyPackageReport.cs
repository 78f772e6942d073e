using System.Text.Json;

namespace DeepSim.Engine.Thermo;

/// <summary>Writes what a property package used (equation constants, κ, every kᵢⱼ and its source) into a result.</summary>
public static class PropertyPackageReport
{
    /// <summary>
    /// Writes "propertyPackageDetails": { "name", and for a cubic package "omegaA", "omegaB", "constants"
    /// ("exact" | "rounded-1976"), "kappa" ("1976" | "1978" | "soave-1972"), "volumeTranslation" ("none" | "peneloux"), "kij": [ { "components": [a, b],
    /// "value", "source" ("chemsep" | "user" | "none" | "default") } ] } with one kij entry per component pair.
    /// </summary>
    public static void Write(Utf8JsonWriter w, IPropertyPackage package, IReadOnlyList<string> componentNames)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(componentNames);
        w.WriteStartObject("propertyPackageDetails");
        w.WriteString("name", package.Name);
        if (package is ICubicPropertyPackage cubic)
        {
            var eos = cubic.Equation;
            w.WriteNumber("omegaA", eos.OmegaA);
            w.WriteNumber("omegaB", eos.OmegaB);
            w.WriteString("constants", eos.Constants == CubicConstants.Rounded1976 ? "rounded-1976" : "exact");
            w.WriteString("kappa", eos.Kappa switch
            {
                KappaCorrelation.PengRobinson1978 => "1978",
                KappaCorrelation.Soave1972 => "soave-1972",
                _ => "1976",
            });
            w.WriteString("volumeTranslation", cubic.VolumeTranslation ? "peneloux" : "none");
            w.WriteStartArray("kij");
            foreach (var p in cubic.InteractionParameters)
            {
                w.WriteStartObject();
                w.WriteStartArray("components");
                w.WriteStringValue(componentNames[p.I]);
                w.WriteStringValue(componentNames[p.J]);
                w.WriteEndArray();
                w.WriteNumber("value", p.Value);
                w.WriteString("source", p.SourceName);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }
}
