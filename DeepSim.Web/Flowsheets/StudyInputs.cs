using System.Globalization;
using System.Text.Json.Nodes;

namespace DeepSim.Web.Flowsheets;

/// <summary>A number in a flowsheet a study can vary: its JSON path (what the Api takes), a label, its value and unit.</summary>
public sealed record StudyInput(string Path, string Label, double Value, string? Unit);

/// <summary>Every number in the units' specs (and the feeds' compositions), as study inputs.</summary>
public static class StudyInputs
{
    public static IReadOnlyList<StudyInput> Of(string flowsheetJson)
    {
        var inputs = new List<StudyInput>();
        if (JsonNode.Parse(flowsheetJson)?["units"] is not JsonArray units)
        {
            return inputs;
        }
        for (var i = 0; i < units.Count; i++)
        {
            if (units[i] is JsonObject { } unit && unit["spec"] is JsonObject spec)
            {
                var id = unit["id"]?.ToString() ?? $"unit {i + 1}";
                Collect(spec, $"$.units[{i}].spec", id, inputs);
            }
        }
        return inputs;
    }

    private static void Collect(JsonObject obj, string path, string label, List<StudyInput> inputs)
    {
        foreach (var (key, node) in obj)
        {
            var childPath = $"{path}.{key}";
            var childLabel = $"{label} · {key}";
            switch (node)
            {
                case JsonValue value when value.TryGetValue<double>(out var number):
                    inputs.Add(new StudyInput(childPath, childLabel, number, null));
                    break;
                case JsonObject quantity when quantity["value"] is JsonValue v && v.TryGetValue<double>(out var number) && quantity.Count <= 2:
                    inputs.Add(new StudyInput(childPath + ".value", childLabel, number, quantity["unit"]?.ToString()));
                    break;
                case JsonObject nested:
                    Collect(nested, childPath, childLabel, inputs);
                    break;
                default:
                    break; // text, arrays (reactions): not varied by a study
            }
        }
    }

    private static readonly (string Key, string Label)[] StreamOutputs =
        [("temperatureK", "temperature"), ("pressurePa", "pressure"), ("vaporFraction", "vapour fraction"), ("molarFlowMolPerS", "molar flow"), ("massFlowKgPerS", "mass flow")];

    private static readonly Dictionary<string, (string Key, string Label)[]> UnitOutputs = new(StringComparer.Ordinal)
    {
        ["heater"] = [("dutyW", "duty")], ["cooler"] = [("dutyW", "duty")], ["flash"] = [("dutyW", "duty")], ["threePhaseSeparator"] = [("dutyW", "duty")],
        ["heatExchanger"] = [("dutyW", "duty")], ["conversionReactor"] = [("dutyW", "duty")],
        ["pump"] = [("powerW", "power")], ["compressor"] = [("powerW", "power")], ["expander"] = [("powerW", "power")],
    };

    /// <summary>The results a study can tabulate for this flowsheet ("ID.key" as the Api takes them), with labels.</summary>
    public static IReadOnlyList<(string Output, string Label)> OutputsOf(string flowsheetJson)
    {
        var document = JsonNode.Parse(flowsheetJson);
        var outputs = new List<(string, string)>();
        foreach (var stream in document?["streams"] as JsonArray ?? [])
        {
            var id = stream?["id"]?.ToString();
            if (id is not null)
            {
                outputs.AddRange(StreamOutputs.Select(o => ($"{id}.{o.Key}", $"{id} · {o.Label}")));
            }
        }
        foreach (var unit in document?["units"] as JsonArray ?? [])
        {
            if (unit?["id"]?.ToString() is { } id && unit["type"]?.ToString() is { } type && UnitOutputs.TryGetValue(type, out var keys))
            {
                outputs.AddRange(keys.Select(o => ($"{id}.{o.Key}", $"{id} · {o.Label}")));
            }
        }
        return outputs;
    }

    /// <summary>"80, 90, 100" or "80 90 100" as numbers; null when any item is not a number.</summary>
    public static double[]? ParseList(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var parts = text.Split([',', ';', ' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new double[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
            {
                return null;
            }
        }
        return values;
    }
}
