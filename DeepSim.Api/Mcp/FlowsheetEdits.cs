using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSim.Api.Infrastructure;

namespace DeepSim.Api.Mcp;

/// <summary>
/// Structured edits of a flowsheet document, applied in order to a copy of it, for assistants that change one thing
/// without resending the whole document:
/// <c>{"op": "add_unit", "unit": {id, type, spec?}}</c>, <c>{"op": "remove_unit", "id"}</c> (its streams go too),
/// <c>{"op": "connect", "stream": {id, from: "UNIT.port", to: "UNIT.port"}}</c>, <c>{"op": "remove_stream", "id"}</c>,
/// <c>{"op": "set", "unit"?: id, "path": "spec.temperature.value", "value"}</c> (a unit's field, or the document's
/// when no unit is named). What the engine accepts is still the engine's to say: the result is validated when stored.
/// Errors name the edit and its field (<c>edits[2].id</c>); nothing is applied when any edit is refused.
/// </summary>
public static class FlowsheetEdits
{
    public const int MaxEdits = 50;

    /// <summary>The edited document and one sentence per change, or the errors (and no document).</summary>
    public static (JsonObject? Document, IReadOnlyList<string> Changes, FieldErrors Errors) Apply(JsonElement document, JsonElement edits)
    {
        var errors = new FieldErrors();
        var changes = new List<string>();
        if (JsonNode.Parse(document.GetRawText()) is not JsonObject doc)
        {
            errors.Add("document", "the stored flowsheet is not a JSON object");
            return (null, changes, errors);
        }
        if (edits.ValueKind != JsonValueKind.Array || edits.GetArrayLength() is 0 or > MaxEdits)
        {
            errors.Add("edits", $"must be an array of 1 to {MaxEdits} edits");
            return (null, changes, errors);
        }
        if (doc["units"] is not JsonArray units)
        {
            doc["units"] = units = [];
        }
        if (doc["streams"] is not JsonArray streams)
        {
            doc["streams"] = streams = [];
        }
        var n = 0;
        foreach (var edit in edits.EnumerateArray())
        {
            var at = $"edits[{n++}]";
            if (edit.ValueKind != JsonValueKind.Object)
            {
                errors.Add(at, "must be an object with an op");
                continue;
            }
            switch (Text(edit, "op"))
            {
                case "add_unit":
                    if (!edit.TryGetProperty("unit", out var unit) || unit.ValueKind != JsonValueKind.Object || Text(unit, "id") is not { Length: > 0 } newId
                        || Text(unit, "type") is not { Length: > 0 } type)
                    {
                        errors.Add(at + ".unit", "must be an object with an id and a type");
                    }
                    else if (IndexOf(units, newId) >= 0)
                    {
                        errors.Add(at + ".unit.id", $"a unit '{newId}' already exists");
                    }
                    else
                    {
                        units.Add(JsonNode.Parse(unit.GetRawText()));
                        changes.Add($"added unit '{newId}' ({type})");
                    }
                    break;
                case "remove_unit":
                    if (Id(edit, at, errors) is not { } gone)
                    {
                        break;
                    }
                    if (IndexOf(units, gone) is var u and >= 0)
                    {
                        units.RemoveAt(u);
                        var attached = streams.OfType<JsonObject>().Where(s => Touches(s, gone)).ToList();
                        foreach (var s in attached)
                        {
                            streams.Remove(s);
                        }
                        changes.Add($"removed unit '{gone}'" + (attached.Count > 0 ? $" and its streams {string.Join(", ", attached.Select(s => s["id"]?.ToString()))}" : ""));
                    }
                    else
                    {
                        errors.Add(at + ".id", $"there is no unit '{gone}'");
                    }
                    break;
                case "connect":
                    if (!edit.TryGetProperty("stream", out var stream) || stream.ValueKind != JsonValueKind.Object
                        || Text(stream, "id") is not { Length: > 0 } streamId || Text(stream, "from") is not { Length: > 0 } from
                        || Text(stream, "to") is not { Length: > 0 } to)
                    {
                        errors.Add(at + ".stream", "must be an object with id, from (\"UNIT.port\") and to (\"UNIT.port\")");
                    }
                    else if (IndexOf(streams, streamId) >= 0)
                    {
                        errors.Add(at + ".stream.id", $"a stream '{streamId}' already exists");
                    }
                    else
                    {
                        streams.Add(JsonNode.Parse(stream.GetRawText()));
                        changes.Add($"connected {from} → {to} as stream '{streamId}'");
                    }
                    break;
                case "remove_stream":
                    if (Id(edit, at, errors) is not { } cut)
                    {
                        break;
                    }
                    if (IndexOf(streams, cut) is var st and >= 0)
                    {
                        streams.RemoveAt(st);
                        changes.Add($"removed stream '{cut}'");
                    }
                    else
                    {
                        errors.Add(at + ".id", $"there is no stream '{cut}'");
                    }
                    break;
                case "set":
                    Set(doc, units, edit, at, errors, changes);
                    break;
                default:
                    errors.Add(at + ".op", "must be one of add_unit, remove_unit, connect, remove_stream, set");
                    break;
            }
        }
        return errors.Any ? (null, [], errors) : (doc, changes, errors);
    }

    private static void Set(JsonObject doc, JsonArray units, JsonElement edit, string at, FieldErrors errors, List<string> changes)
    {
        if (Text(edit, "path") is not { Length: > 0 } path || path.Split('.') is var parts && parts.Any(p => p.Length == 0))
        {
            errors.Add(at + ".path", "must be a dotted path of field names, e.g. spec.temperature.value");
            return;
        }
        if (!edit.TryGetProperty("value", out var value))
        {
            errors.Add(at + ".value", "is required");
            return;
        }
        JsonObject target = doc;
        var unitId = Text(edit, "unit");
        if (unitId is not null)
        {
            if (IndexOf(units, unitId) is not (var u and >= 0) || units[u] is not JsonObject unit)
            {
                errors.Add(at + ".unit", $"there is no unit '{unitId}'");
                return;
            }
            target = unit;
        }
        else if (parts[0] is "units" or "streams")
        {
            errors.Add(at + ".path", "units and streams are changed by add_unit, remove_unit, connect and remove_stream, or with set and a unit");
            return;
        }
        if (unitId is not null && parts[0] == "id")
        {
            errors.Add(at + ".path", "a unit's id cannot be set (streams refer to it): remove the unit and add it again");
            return;
        }
        foreach (var part in parts[..^1])
        {
            if (target[part] is JsonObject next)
            {
                target = next;
            }
            else if (target[part] is null)
            {
                target[part] = next = [];
                target = next;
            }
            else
            {
                errors.Add(at + ".path", $"'{part}' is not an object");
                return;
            }
        }
        target[parts[^1]] = JsonNode.Parse(value.GetRawText());
        changes.Add($"set {(unitId is null ? "" : unitId + ".")}{path} = {value.GetRawText()}");
    }

    private static string? Id(JsonElement edit, string at, FieldErrors errors)
    {
        if (Text(edit, "id") is { Length: > 0 } id)
        {
            return id;
        }
        errors.Add(at + ".id", "is required");
        return null;
    }

    private static bool Touches(JsonObject stream, string unit) =>
        new[] { stream["from"]?.ToString(), stream["to"]?.ToString() }.Any(end => end is not null && end.Split('.')[0] == unit);

    private static int IndexOf(JsonArray items, string id)
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is JsonObject o && o["id"]?.GetValueKind() == JsonValueKind.String && o["id"]!.GetValue<string>() == id)
            {
                return i;
            }
        }
        return -1;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
