using System.Globalization;
using System.Text.Json.Nodes;
using DeepSim.Web.Components.UI;
using DeepSim.Web.Units;
using Microsoft.AspNetCore.Components;

namespace DeepSim.Web.Components.Designer;

public sealed partial class PropertyPanel
{
    private string? renameError;
    private string newComponent = "";
    private DesignerSelection? lastSelection;

    [Parameter, EditorRequired] public DesignerState State { get; set; } = default!;

    [Parameter] public DesignerSelection? Selection { get; set; }

    /// <summary>Raised when a rename changes the selected item's id.</summary>
    [Parameter] public EventCallback<DesignerSelection?> SelectionChanged { get; set; }

    [Parameter] public IReadOnlyList<ValidationIssue> Issues { get; set; } = [];

    [Parameter] public Func<string, CancellationToken, Task<IReadOnlyList<ComponentChoice>>>? SearchComponents { get; set; }

    [Parameter] public IReadOnlyDictionary<string, StreamSummary>? StreamResults { get; set; }

    [Parameter] public UnitSystem DisplayUnits { get; set; } = UnitSystem.Metric;

    /// <summary>Where to start a study varying a spec value, given its JSON path; null offers no link (unsaved documents never do).</summary>
    [Parameter] public Func<string, string>? StudyHref { get; set; }

    /// <summary>The path a study varies: the number itself, inside a {value, unit} quantity or plain.</summary>
    internal static string StudyPath(int unitIndex, string key, System.Text.Json.Nodes.JsonNode? node) =>
        $"$.units[{unitIndex}].spec.{key}" + (node is System.Text.Json.Nodes.JsonObject ? ".value" : "");

    private UnitView? SelectedUnit => Selection is { Kind: SelectionKind.Unit } s ? State.Unit(s.Id) : null;

    private StreamView? SelectedStream => Selection is { Kind: SelectionKind.Stream } s ? State.Stream(s.Id) : null;

    protected override void OnParametersSet()
    {
        if (Selection != lastSelection)
        {
            renameError = null;
            lastSelection = Selection;
        }
    }

    private sealed record FieldIssue(string? Field, string Message);

    private List<FieldIssue> IssuesFor(IssueScope scope, int index) =>
        Issues.Select(i => (i, at: IssueLocation.Parse(i.Path)))
            .Where(x => x.at.Scope == scope && x.at.Index == index)
            .Select(x => new FieldIssue(x.at.Field, x.i.Message)).ToList();

    private static IEnumerable<string?> Messages(List<FieldIssue> issues, string field) =>
        issues.Where(i => i.Field == field).Select(i => (string?)i.Message);

    private static string SymbolViewBox(string type)
    {
        var (w, h) = CanvasGeometry.Size(type);
        return string.Create(CultureInfo.InvariantCulture, $"-4 -4 {w + 8} {h + 8}");
    }

    private static string PackageLabel(string name) => name switch
    {
        "ideal" => "Ideal (Raoult)",
        "peng-robinson" => "Peng–Robinson",
        "srk" => "Soave–Redlich–Kwong",
        "nrtl" => "NRTL",
        "wilson" => "Wilson",
        "uniquac" => "UNIQUAC",
        "unifac" => "UNIFAC (original)",
        "if97" => "IAPWS-IF97 (water)",
        _ => name,
    };

    private async Task Rename(string id, string? newId)
    {
        if (State.TryRename(id, newId ?? "", out var error))
        {
            renameError = null;
            await SelectionChanged.InvokeAsync(new DesignerSelection(SelectionKind.Unit, newId!.Trim()));
        }
        else
        {
            renameError = error;
        }
    }

    private async Task RenameStream(string id, string? newId)
    {
        if (State.TryRenameStream(id, newId ?? "", out var error))
        {
            renameError = null;
            await SelectionChanged.InvokeAsync(new DesignerSelection(SelectionKind.Stream, newId!.Trim()));
        }
        else
        {
            renameError = error;
        }
    }

    private void Choose(string unitId, string? key)
    {
        if (!string.IsNullOrEmpty(key))
        {
            State.ChooseGroupMember(unitId, key);
        }
    }

    private void AddTypedComponent()
    {
        if (!string.IsNullOrWhiteSpace(newComponent))
        {
            State.AddComponent(newComponent.Trim());
            newComponent = "";
        }
    }

    /// <summary>A spec value as (number, unit): a plain number is SI, <c>{ value, unit }</c> as given.</summary>
    internal static (double? Value, string? Unit) ReadQuantity(JsonNode? node) => node switch
    {
        JsonValue v => (DesignerState.AsNumber(v), null),
        JsonObject o => (DesignerState.AsNumber(o["value"]), o["unit"] is JsonValue u && u.TryGetValue<string>(out var s) ? s : null),
        _ => (null, null),
    };

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private enum ReactionPart
    {
        KeyComponent,
        Conversion,
        Stoichiometry,
    }

    private const string ReactionsKey = "reactions";

    private void SetReaction(string unitId, JsonArray reactions, int index, ReactionPart part, JsonNode? value)
    {
        var copy = (JsonArray)reactions.DeepClone();
        if (copy[index] is not JsonObject reaction)
        {
            return;
        }
        var key = part switch
        {
            ReactionPart.KeyComponent => "keyComponent",
            ReactionPart.Conversion => "conversion",
            _ => "stoichiometry",
        };
        reaction[key] = value?.DeepClone();
        State.SetSpec(unitId, ReactionsKey, copy);
    }

    private void RemoveReaction(string unitId, JsonArray reactions, int index)
    {
        var copy = (JsonArray)reactions.DeepClone();
        copy.RemoveAt(index);
        State.SetSpec(unitId, ReactionsKey, copy);
    }

    /// <summary>Adds a placeholder reaction (first component to the second, half converted) for the person to edit.</summary>
    private void AddReaction(string unitId, JsonArray reactions)
    {
        var copy = (JsonArray)reactions.DeepClone();
        var field = UnitCatalog.Find("conversionReactor")!.Field(ReactionsKey)!;
        foreach (var r in (DesignerState.DefaultValue(field, State.Components) as JsonArray ?? []).ToList())
        {
            copy.Add(r?.DeepClone());
        }
        State.SetSpec(unitId, ReactionsKey, copy);
    }

    private static JsonNode ToNode(QuantityValue q) =>
        q.Unit is "" or "-" ? JsonValue.Create(q.Value) : DesignerState.Quantity(q.Value, q.Unit);

    private static JsonObject WithEntry(JsonObject map, string key, double? value)
    {
        var copy = (JsonObject)map.DeepClone();
        if (value is { } v)
        {
            copy[key] = v;
        }
        else
        {
            copy.Remove(key);
        }
        return copy;
    }

    /// <summary>The fractions divided by their sum (6 decimals; the last takes the remainder so the sum is 1).</summary>
    internal static JsonObject Normalised(JsonObject map, IReadOnlyList<string> keys)
    {
        var values = keys.Select(k => Math.Max(0, ReadQuantity(map[k]).Value ?? 0)).ToArray();
        var sum = values.Sum();
        var result = new JsonObject();
        if (sum <= 0)
        {
            return DesignerState.EqualFractions(keys);
        }
        var last = keys.Count - 1;
        while (last > 0 && values[last] == 0)
        {
            last--;
        }
        double given = 0;
        for (var i = 0; i < keys.Count; i++)
        {
            var f = i == last ? Math.Round(1 - given, 6) : Math.Round(values[i] / sum, 6);
            given += f;
            result[keys[i]] = f;
        }
        return result;
    }
}
