using System.Text.Json;

namespace DeepSim.Web.Assistant;

/// <summary>What the panel says about a tool call: what it is doing, what it read or changed, from the tool's JSON answer.</summary>
public static class AssistantToolText
{
    public static string Calling(string tool) => tool switch
    {
        "search_components" => "Searching compounds…",
        "list_flowsheets" => "Listing flowsheets…",
        "get_flowsheet" => "Reading the flowsheet…",
        "validate_flowsheet" => "Validating a document…",
        "create_flowsheet" => "Creating a flowsheet…",
        "update_flowsheet" or "edit_flowsheet" => "Changing the flowsheet…",
        "run_flowsheet" => "Running the flowsheet…",
        "get_run_result" => "Reading a run's result…",
        "explain_run" => "Explaining a run…",
        "run_study" => "Starting a study…",
        "get_study" => "Reading a study…",
        "get_usage" => "Reading usage…",
        _ => $"Calling {tool}…",
    };

    /// <summary>One line on what the call did; a refusal gives the Api's own words.</summary>
    public static string Done(string tool, string result, bool failed)
    {
        JsonElement root;
        try
        {
            using var parsed = JsonDocument.Parse(result);
            root = parsed.RootElement.Clone();
        }
        catch (JsonException)
        {
            return failed ? $"{tool} failed." : $"{tool} answered.";
        }
        if (failed)
        {
            var detail = Text(root, "detail") ?? Text(root, "title") ?? Text(root, "error");
            var errors = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object
                ? string.Join("; ", e.EnumerateObject().Select(p => $"{p.Name}: {string.Join(", ", p.Value.ValueKind == JsonValueKind.Array ? p.Value.EnumerateArray().Select(v => v.ToString()) : [p.Value.ToString()])}"))
                : "";
            return $"{tool} refused: {detail}{(errors.Length > 0 ? " (" + errors + ")" : "")}";
        }
        return tool switch
        {
            "search_components" or "list_flowsheets" => $"{(tool == "list_flowsheets" ? "Listed flowsheets" : "Searched compounds")}: {Number(root, "total") ?? 0} found.",
            "get_flowsheet" => $"Read '{Text(root, "name")}' (v{Number(root, "version")}).",
            "validate_flowsheet" => root.TryGetProperty("valid", out var v) && v.ValueKind == JsonValueKind.True
                ? "Validated: no errors." : $"Validated: {(root.TryGetProperty("errors", out var es) && es.ValueKind == JsonValueKind.Array ? es.GetArrayLength() : 0)} error(s).",
            "edit_flowsheet" => $"Changed '{Text(root.GetProperty("flowsheet"), "name")}', stored as v{Number(root.GetProperty("flowsheet"), "version")}: "
                + string.Join("; ", Strings(root, "changes")) + ".",
            "update_flowsheet" => $"Replaced the document of '{Text(root, "name")}', stored as v{Number(root, "version")}.",
            "create_flowsheet" => $"Created flowsheet '{Text(root, "name")}' (v{Number(root, "version")}).",
            "run_flowsheet" => $"Run {Text(root, "status")}" + (root.TryGetProperty("converged", out var c) && c.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? (c.GetBoolean() ? ", converged." : ", did not converge.") : "."),
            "get_run_result" or "explain_run" => $"Read the run's {(tool == "explain_run" ? "explanation" : "result")}"
                + (root.TryGetProperty("converged", out var rc) && rc.ValueKind is JsonValueKind.True or JsonValueKind.False ? (rc.GetBoolean() ? " (converged)." : " (not converged).") : "."),
            "run_study" => "Started a study.",
            "get_study" => "Read a study.",
            "get_usage" => $"Read usage for {Text(root, "month")}.",
            _ => $"{tool} answered.",
        };
    }

    /// <summary>The flowsheet version a changing tool stored, from its answer (edit_flowsheet: {flowsheet, changes}; the others: the flowsheet).</summary>
    public static FlowsheetChange? Change(string tool, string result)
    {
        try
        {
            using var parsed = JsonDocument.Parse(result);
            var root = parsed.RootElement;
            var flowsheet = tool == "edit_flowsheet" ? root.GetProperty("flowsheet") : root;
            if (!flowsheet.TryGetProperty("id", out var id) || !id.TryGetGuid(out var flowsheetId)
                || !flowsheet.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Object
                || Number(flowsheet, "version") is not { } version)
            {
                return null;
            }
            var changes = tool == "edit_flowsheet" ? Strings(root, "changes").ToList()
                : [tool == "create_flowsheet" ? "created the flowsheet" : "replaced the whole document"];
            return new FlowsheetChange(flowsheetId, Text(flowsheet, "name") ?? "", version, content.GetRawText(), changes);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Number(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : null;

    private static IEnumerable<string> Strings(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!) : [];
}
