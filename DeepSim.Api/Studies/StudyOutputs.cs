using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSim.Api.Infrastructure;

namespace DeepSim.Api.Studies;

/// <summary>
/// What a study tabulates: "ID.key" where ID names a stream or a unit of the flowsheet and key a number in that
/// object of the engine's result ("V.temperatureK", "V.moleFractions.Benzene", "DRUM.dutyW", "COL.details.stages").
/// Without a choice, each stream's temperature, pressure, vapour fraction and molar flow.
/// </summary>
public static class StudyOutputs
{
    public const int MaxOutputs = 50;
    private static readonly string[] DefaultStreamColumns = ["temperatureK", "pressurePa", "vaporFraction", "molarFlowMolPerS"];

    /// <summary>Checks each output names a stream or unit of the flowsheet; errors at <c>outputs[i]</c>.</summary>
    public static void Validate(IReadOnlyList<string>? outputs, JsonNode flowsheet, FieldErrors errors)
    {
        if (outputs is null)
        {
            return;
        }
        if (outputs.Count is 0 or > MaxOutputs)
        {
            errors.Add("outputs", $"must list 1 to {MaxOutputs} outputs, or be left out for the default columns");
            return;
        }
        var ids = Ids(flowsheet, "units").Concat(Ids(flowsheet, "streams")).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < outputs.Count; i++)
        {
            var output = outputs[i];
            var dot = output?.IndexOf('.', StringComparison.Ordinal) ?? -1;
            if (output is null || dot <= 0 || dot == output.Length - 1 || output.Length > 200)
            {
                errors.Add($"outputs[{i}]", "must be ID.key, e.g. V.temperatureK or DRUM.dutyW");
            }
            else if (!ids.Contains(output[..dot]))
            {
                errors.Add($"outputs[{i}]", $"'{output[..dot]}' is not a stream or unit of the flowsheet");
            }
        }
    }

    /// <summary>The columns for a study: the chosen outputs, or the default four per stream of the first result.</summary>
    public static IReadOnlyList<string> Columns(IReadOnlyList<string>? chosen, IEnumerable<JsonElement?> results)
    {
        if (chosen is not null)
        {
            return chosen;
        }
        foreach (var result in results)
        {
            if (result is { } r && r.TryGetProperty("streams", out var streams) && streams.ValueKind == JsonValueKind.Array)
            {
                return streams.EnumerateArray().Select(s => s.TryGetProperty("id", out var id) ? id.GetString() ?? "" : "")
                    .SelectMany(id => DefaultStreamColumns.Select(c => id + "." + c)).ToList();
            }
        }
        return [];
    }

    /// <summary>The number an output names in one result, or null (not solved, or not a number there).</summary>
    public static double? Value(JsonElement? result, string output)
    {
        if (result is not { ValueKind: JsonValueKind.Object } r)
        {
            return null;
        }
        var parts = output.Split('.');
        var holder = Find(r, "streams", parts[0]) ?? Find(r, "units", parts[0]);
        if (holder is not { } node)
        {
            return null;
        }
        for (var i = 1; i < parts.Length; i++)
        {
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(parts[i], out node))
            {
                return null;
            }
        }
        return node.ValueKind == JsonValueKind.Number ? node.GetDouble() : null;
    }

    private static JsonElement? Find(JsonElement result, string list, string id)
    {
        if (!result.TryGetProperty(list, out var items) || items.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        foreach (var item in items.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("id", out var v) && v.ValueKind == JsonValueKind.String && v.GetString() == id)
            {
                return item;
            }
        }
        return null;
    }

    private static IEnumerable<string> Ids(JsonNode flowsheet, string list) =>
        (flowsheet[list] as JsonArray ?? []).Select(n => n?["id"]?.GetValue<string>()).OfType<string>();
}
