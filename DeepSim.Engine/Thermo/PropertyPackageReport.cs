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
                WritePair(w, componentNames, p.I, p.J);
                w.WriteNumber("value", p.Value);
                w.WriteString("source", p.SourceName);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }
        else if (package is IActivityPropertyPackage activity)
        {
            WriteActivity(w, activity, componentNames);
        }

        w.WriteEndObject();
    }

    // "activityModel", "parameterUnits" (cal/mol; K for unifac), for unifac "unifacParameters" and "unifacGroups",
    // "binaryParameters": [ { "components", "a12", "a21", ("alpha12"), "source" ("chemsep" | "unifac" | "user" | "missing") } ],
    // "missingPairs": [[a, b]] and "warnings": [text] (pairs without parameters, treated as ideal; pairs estimated from UNIFAC).
    private static void WriteActivity(Utf8JsonWriter w, IActivityPropertyPackage activity, IReadOnlyList<string> componentNames)
    {
        w.WriteString("activityModel", activity.Name);
        w.WriteString("vapour", "ideal gas");
        w.WriteString("parameterUnits", activity.Model == ActivityModel.Unifac ? "K" : "cal/mol");
        if (activity.Model == ActivityModel.Unifac)
        {
            WriteUnifacGroups(w, activity, componentNames);
        }

        w.WriteStartArray("binaryParameters");
        foreach (var p in activity.Parameters)
        {
            w.WriteStartObject();
            WritePair(w, componentNames, p.I, p.J);
            w.WriteNumber("a12", p.A12);
            w.WriteNumber("a21", p.A21);
            if (activity.Model == ActivityModel.Nrtl)
            {
                w.WriteNumber("alpha12", p.Alpha12);
            }

            w.WriteString("source", p.SourceName);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("missingPairs");
        foreach (var p in activity.Parameters)
        {
            if (p.Source == ActivityParameterSource.Missing)
            {
                w.WriteStartArray();
                w.WriteStringValue(componentNames[p.I]);
                w.WriteStringValue(componentNames[p.J]);
                w.WriteEndArray();
            }
        }

        w.WriteEndArray();
        w.WriteStartArray("henryComponents");
        foreach (var name in activity.HenryComponents)
        {
            w.WriteStringValue(name);
        }

        w.WriteEndArray();
        w.WriteStartArray("warnings");
        foreach (var text in activity.Warnings)
        {
            w.WriteStringValue(text);
        }

        w.WriteEndArray();
    }

    // "unifacGroups": [ { "component", "groups": [ { "subgroup", "name", "mainGroup", "count" } ] } ] (standard subgroup numbers).
    private static void WriteUnifacGroups(Utf8JsonWriter w, IActivityPropertyPackage activity, IReadOnlyList<string> componentNames)
    {
        w.WriteString("unifacParameters", "Hansen et al., Ind. Eng. Chem. Res. 30 (1991) 2352, with the UNIFAC consortium's revisions");
        w.WriteStartArray("unifacGroups");
        for (var i = 0; i < activity.Components.Count; i++)
        {
            w.WriteStartObject();
            w.WriteString("component", componentNames[i]);
            w.WriteStartArray("groups");
            foreach (var g in UnifacTables.Groups(activity.Components[i]) ?? [])
            {
                w.WriteStartObject();
                w.WriteNumber("subgroup", g.Subgroup.Id);
                w.WriteString("name", g.Subgroup.Name);
                w.WriteNumber("mainGroup", g.Subgroup.MainGroup);
                w.WriteNumber("count", g.Count);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    // "components": [a, b] of a binary parameter, as both the cubic and the activity reports name their pairs.
    private static void WritePair(Utf8JsonWriter w, IReadOnlyList<string> componentNames, int i, int j)
    {
        w.WriteStartArray("components");
        w.WriteStringValue(componentNames[i]);
        w.WriteStringValue(componentNames[j]);
        w.WriteEndArray();
    }
}
