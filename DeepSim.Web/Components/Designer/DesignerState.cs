using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepSim.Web.Components.Designer;

/// <summary>A unit as the canvas draws it: its index in <c>$.units</c>, id, type and drawing position (top-left).</summary>
public sealed record UnitView(int Index, string Id, string Type, double X, double Y);

/// <summary>A stream as the canvas draws it: its index in <c>$.streams</c> and both ends.</summary>
public sealed record StreamView(int Index, string Id, string FromUnit, string FromPort, string ToUnit, string ToPort);

/// <summary>
/// The flowsheet being designed. The JSON document is the one source of truth: the canvas, the property panel
/// and the JSON view all read it, and every edit is an operation here, undoable (a snapshot of the document is
/// kept before each edit, at most <see cref="HistoryLimit"/>).
/// </summary>
public sealed class DesignerState
{
    public const int HistoryLimit = 200;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] StreamEnds = ["from", "to"];

    private readonly LinkedList<string> undo = new();
    private readonly Stack<string> redo = new();
    private JsonObject document;
    private string json;
    private string savedJson;
    private List<UnitView> units = [];
    private List<StreamView> streams = [];

    public DesignerState(string? initialJson = null)
    {
        document = Parse(string.IsNullOrWhiteSpace(initialJson) ? EmptyFlowsheet : initialJson, out var error)
            ?? throw new ArgumentException($"The initial flowsheet is not valid: {error}", nameof(initialJson));
        Index();
        FillMissingLayout(document);
        json = Serialize(document);
        savedJson = json;
        document = JsonNode.Parse(json)!.AsObject();
        Index();
    }

    public const string EmptyFlowsheet = """{ "name": "New flowsheet", "components": [], "propertyPackage": "ideal", "units": [], "streams": [] }""";

    /// <summary>Raised after every change of the document (an edit, undo, redo, load).</summary>
    public event Action? Changed;

    /// <summary>The document. Read it; change it only through this class's operations.</summary>
    public JsonObject Document => document;

    public IReadOnlyList<UnitView> Units => units;

    public IReadOnlyList<StreamView> Streams => streams;

    public bool CanUndo => undo.Count > 0;

    public bool CanRedo => redo.Count > 0;

    public bool IsDirty => json != savedJson;

    public string ToJson() => json;

    public void MarkSaved()
    {
        savedJson = json;
        Changed?.Invoke();
    }

    public string Name => document["name"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    public string Description => document["description"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    public IReadOnlyList<string> Components => ComponentsArray(document).Select(ComponentName).Where(n => n.Length > 0).ToList();

    public string PropertyPackage => document["propertyPackage"] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o when o["name"] is JsonValue n && n.TryGetValue<string>(out var s) => s,
        _ => "",
    };

    public UnitView? Unit(string id) => units.Find(u => u.Id == id);

    public StreamView? Stream(string id) => streams.Find(s => s.Id == id);

    /// <summary>The unit's spec object (empty when it has none); read-only use.</summary>
    public JsonObject Spec(string unitId) => UnitNode(unitId)?["spec"] as JsonObject ?? [];

    // ---- Loading and history ------------------------------------------------------------------------------

    /// <summary>Replaces the document by <paramref name="newJson"/> (undoable); on bad JSON the state is unchanged.</summary>
    public bool TryLoad(string newJson, out string? error)
    {
        var parsed = Parse(newJson, out error);
        if (parsed is null)
        {
            return false;
        }
        Apply(d =>
        {
            d.Clear();
            foreach (var (key, value) in parsed.ToList())
            {
                parsed.Remove(key);
                d[key] = value;
            }
            Index();
            FillMissingLayout(d);
        });
        return true;
    }

    public void Undo()
    {
        if (undo.Last is not { } last)
        {
            return;
        }
        undo.RemoveLast();
        redo.Push(json);
        Restore(last.Value);
    }

    public void Redo()
    {
        if (!redo.TryPop(out var next))
        {
            return;
        }
        PushUndo(json);
        Restore(next);
    }

    // ---- Units ---------------------------------------------------------------------------------------------

    /// <summary>Adds a unit of <paramref name="type"/> with its catalogue defaults at (x, y); returns its id.</summary>
    public string AddUnit(string type, double x, double y)
    {
        var info = UnitCatalog.Find(type) ?? throw new ArgumentException($"unknown unit type '{type}'", nameof(type));
        var id = NextId(info.IdPrefix, units.Select(u => u.Id));
        var unit = new JsonObject
        {
            ["id"] = id,
            ["type"] = type,
        };
        var spec = DefaultSpec(info, Components);
        if (spec.Count > 0 || info.Fields.Count > 0)
        {
            unit["spec"] = spec;
        }
        unit["layout"] = Layout(x, y);
        Apply(d => UnitsArray(d).Add(unit));
        return id;
    }

    /// <summary>Removes the unit and every stream connected to it.</summary>
    public void RemoveUnit(string id)
    {
        if (Unit(id) is not { } unit)
        {
            return;
        }
        Apply(d =>
        {
            var list = StreamsArray(d);
            for (var i = list.Count - 1; i >= 0; i--)
            {
                var (from, to) = Ends(list[i]);
                if (UnitOf(from) == id || UnitOf(to) == id)
                {
                    list.RemoveAt(i);
                }
            }
            UnitsArray(d).RemoveAt(unit.Index);
        });
    }

    public void MoveUnit(string id, double x, double y)
    {
        if (Unit(id) is not { } unit || (Math.Round(x) == unit.X && Math.Round(y) == unit.Y))
        {
            return;
        }
        Apply(d => UnitsArray(d)[unit.Index]!["layout"] = Layout(x, y));
    }

    /// <summary>Renames a unit and the streams' references to it.</summary>
    public bool TryRename(string id, string newId, out string? error)
    {
        newId = newId.Trim();
        error = newId.Length == 0 ? "An id is required."
            : newId.Contains('.', StringComparison.Ordinal) ? "An id must not contain '.' (streams refer to ports as UNIT.port)."
            : newId != id && units.Exists(u => u.Id == newId) ? $"There is already a unit '{newId}'."
            : Unit(id) is null ? $"There is no unit '{id}'." : null;
        if (error is not null || newId == id)
        {
            return error is null;
        }
        var index = Unit(id)!.Index;
        Apply(d =>
        {
            UnitsArray(d)[index]!["id"] = newId;
            foreach (var s in StreamsArray(d).OfType<JsonObject>())
            {
                foreach (var end in StreamEnds)
                {
                    if (s[end] is JsonValue v && v.TryGetValue<string>(out var text) && UnitOf(text) == id)
                    {
                        s[end] = $"{newId}.{PortOf(text)}";
                    }
                }
            }
        });
        return true;
    }

    // ---- Streams -------------------------------------------------------------------------------------------

    /// <summary>
    /// Connects an outlet ("UNIT.port") to an inlet with a new stream (S1, S2…). Refused, with the reason, when a
    /// port does not exist for that type or is already connected.
    /// </summary>
    public bool TryConnect(string from, string to, out string? streamIdOrError)
    {
        streamIdOrError = CheckEnd(from, outlet: true) ?? CheckEnd(to, outlet: false);
        if (streamIdOrError is null && UnitOf(from) == UnitOf(to))
        {
            streamIdOrError = "A unit cannot feed itself.";
        }
        if (streamIdOrError is not null)
        {
            return false;
        }
        var id = NextId("S", streams.Select(s => s.Id));
        Apply(d => StreamsArray(d).Add(new JsonObject { ["id"] = id, ["from"] = from, ["to"] = to }));
        streamIdOrError = id;
        return true;
    }

    public void RemoveStream(string id)
    {
        if (Stream(id) is { } stream)
        {
            Apply(d => StreamsArray(d).RemoveAt(stream.Index));
        }
    }

    public bool TryRenameStream(string id, string newId, out string? error)
    {
        newId = newId.Trim();
        error = newId.Length == 0 ? "An id is required."
            : newId != id && streams.Exists(s => s.Id == newId) ? $"There is already a stream '{newId}'."
            : Stream(id) is null ? $"There is no stream '{id}'." : null;
        if (error is not null || newId == id)
        {
            return error is null;
        }
        var index = Stream(id)!.Index;
        Apply(d => StreamsArray(d)[index]!["id"] = newId);
        return true;
    }

    /// <summary>The ports a unit shows: its fixed ports, or for any-named ports those connected plus the next free name.</summary>
    public (IReadOnlyList<string> Inlets, IReadOnlyList<string> Outlets) Ports(string unitId)
    {
        var unit = Unit(unitId);
        var info = UnitCatalog.Find(unit?.Type);
        if (unit is null || info is null)
        {
            return ([], []);
        }
        return (Shown(info.Inlets, "in", streams.Where(s => s.ToUnit == unitId).Select(s => s.ToPort)),
            Shown(info.Outlets, "out", streams.Where(s => s.FromUnit == unitId).Select(s => s.FromPort)));

        static IReadOnlyList<string> Shown(IReadOnlyList<string> fixedPorts, string prefix, IEnumerable<string> connected)
        {
            if (fixedPorts is not [UnitTypeInfo.AnyPort])
            {
                return fixedPorts;
            }
            var used = connected.ToList();
            return [.. used, NextId(prefix, used)];
        }
    }

    /// <summary>The stream on a port, or null.</summary>
    public StreamView? StreamAt(string unitId, string port, bool outlet) =>
        streams.Find(s => outlet ? s.FromUnit == unitId && s.FromPort == port : s.ToUnit == unitId && s.ToPort == port);

    // ---- Specs ---------------------------------------------------------------------------------------------

    /// <summary>Sets a spec key to a quantity; a unit of "" or "-" writes the plain number.</summary>
    public void SetSpecQuantity(string unitId, string key, double value, string? unit) =>
        SetSpec(unitId, key, string.IsNullOrEmpty(unit) || unit == "-" ? JsonValue.Create(value) : Quantity(value, unit));

    /// <summary>Sets (or with null removes) one key of a unit's spec.</summary>
    public void SetSpec(string unitId, string key, JsonNode? value)
    {
        if (Unit(unitId) is not { } unit)
        {
            return;
        }
        var current = Spec(unitId)[key];
        if (current is null && value is null || current is not null && value is not null && JsonNode.DeepEquals(current, value))
        {
            return;
        }
        Apply(d =>
        {
            var node = UnitsArray(d)[unit.Index]!.AsObject();
            if (node["spec"] is not JsonObject spec)
            {
                spec = [];
                node["spec"] = spec;
            }
            if (value is null)
            {
                spec.Remove(key);
            }
            else
            {
                spec[key] = value.DeepClone();
            }
        });
    }

    /// <summary>Makes <paramref name="key"/> the given member of its "exactly one of" group: the others are removed, it gets its default.</summary>
    public void ChooseGroupMember(string unitId, string key)
    {
        var info = UnitCatalog.Find(Unit(unitId)?.Type);
        if (info?.GroupOf(key) is not { } group || info.Field(key) is not { } field || Spec(unitId).ContainsKey(key))
        {
            return;
        }
        var value = DefaultValue(field, Components);
        Apply(d =>
        {
            var node = UnitsArray(d)[Unit(unitId)!.Index]!.AsObject();
            if (node["spec"] is not JsonObject spec)
            {
                spec = [];
                node["spec"] = spec;
            }
            foreach (var other in group.Keys)
            {
                spec.Remove(other);
            }
            if (value is not null)
            {
                spec[key] = value;
            }
        });
    }

    // ---- Flowsheet -----------------------------------------------------------------------------------------

    public void SetName(string name) => SetTop("name", string.IsNullOrWhiteSpace(name) ? null : name);

    public void SetDescription(string description) => SetTop("description", string.IsNullOrWhiteSpace(description) ? null : description);

    public void SetPropertyPackage(string name) => SetTop("propertyPackage", name);

    // ---- Solver options and design specifications ----------------------------------------------------------

    /// <summary>The document's "solver" options (a copy; empty when none are given, i.e. every default).</summary>
    public JsonObject SolverOptions => document["solver"] is JsonObject o ? (JsonObject)o.DeepClone() : [];

    /// <summary>Sets (or with null removes) one solver option; the "solver" object goes when its last option does.</summary>
    public void SetSolverOption(string key, JsonNode? value) => Apply(d =>
    {
        if (d["solver"] is not JsonObject solver)
        {
            if (value is null)
            {
                return;
            }
            solver = [];
            d["solver"] = solver;
        }
        if (value is null)
        {
            solver.Remove(key);
        }
        else
        {
            solver[key] = value.DeepClone();
        }
        if (solver.Count == 0)
        {
            d.Remove("solver");
        }
    });

    /// <summary>The document's design specifications, in order (copies).</summary>
    public IReadOnlyList<JsonObject> DesignSpecs =>
        document["designSpecs"] is JsonArray a ? a.Select(n => n as JsonObject ?? []).Select(o => (JsonObject)o.DeepClone()).ToList() : [];

    /// <summary>
    /// Adds a design specification for the person to complete: DS1, DS2…, varying nothing yet, aiming the first
    /// stream's temperature at 300 K. The engine names what is missing until it is filled in.
    /// </summary>
    public void AddDesignSpec()
    {
        var id = NextId("DS", DesignSpecs.Select(d => d["id"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : ""));
        var spec = new JsonObject
        {
            ["id"] = id,
            ["vary"] = new JsonObject(),
            ["target"] = new JsonObject { ["stream"] = streams.Count > 0 ? streams[0].Id : "", ["property"] = "temperature", ["value"] = Quantity(300, "K") },
        };
        Apply(d =>
        {
            var list = d["designSpecs"] as JsonArray;
            if (list is null)
            {
                list = [];
                d["designSpecs"] = list;
            }
            list.Add(spec);
        });
    }

    /// <summary>Replaces design specification <paramref name="index"/> with <paramref name="spec"/>.</summary>
    public void SetDesignSpec(int index, JsonObject spec) => Apply(d =>
    {
        if (d["designSpecs"] is JsonArray list && index >= 0 && index < list.Count)
        {
            list[index] = spec.DeepClone();
        }
    });

    /// <summary>Removes design specification <paramref name="index"/>; the list goes when it is empty.</summary>
    public void RemoveDesignSpec(int index) => Apply(d =>
    {
        if (d["designSpecs"] is JsonArray list && index >= 0 && index < list.Count)
        {
            list.RemoveAt(index);
            if (list.Count == 0)
            {
                d.Remove("designSpecs");
            }
        }
    });

    public void SetComponents(IReadOnlyList<string> names)
    {
        var value = new JsonArray(names.Distinct(StringComparer.OrdinalIgnoreCase).Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());
        if (document["components"] is JsonNode current && JsonNode.DeepEquals(current, value))
        {
            return;
        }
        Apply(d => d["components"] = value);
    }

    public void AddComponent(string name)
    {
        if (!Components.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            SetComponents([.. Components, name]);
        }
    }

    public void RemoveComponent(string name) =>
        SetComponents(Components.Where(c => !string.Equals(c, name, StringComparison.OrdinalIgnoreCase)).ToList());

    /// <summary>Lays every unit out left to right by the stream graph (<see cref="AutoLayout"/>); one undo step.</summary>
    public void AutoLayout()
    {
        var positions = Designer.AutoLayout.Arrange(units, streams);
        if (positions.All(p => Unit(p.Key) is { } u && u.X == p.Value.X && u.Y == p.Value.Y))
        {
            return;
        }
        Apply(d =>
        {
            foreach (var u in units)
            {
                var (x, y) = positions[u.Id];
                UnitsArray(d)[u.Index]!["layout"] = Layout(x, y);
            }
        });
    }

    // ---- Defaults ------------------------------------------------------------------------------------------

    /// <summary>A new unit's spec: every required key and the first key of each group, at their catalogue defaults.</summary>
    public static JsonObject DefaultSpec(UnitTypeInfo info, IReadOnlyList<string> components)
    {
        var spec = new JsonObject();
        foreach (var field in info.Fields)
        {
            var group = field.Group is null ? null : info.Groups.First(g => g.Name == field.Group);
            if (field.Optional || (group is not null && group.DefaultKey != field.Key))
            {
                continue;
            }
            if (DefaultValue(field, components) is { } value)
            {
                spec[field.Key] = value;
            }
        }
        return spec;
    }

    public static JsonNode? DefaultValue(SpecField field, IReadOnlyList<string> components) => field.Kind switch
    {
        SpecKind.Quantity when field.DefaultUnit is "-" or null => JsonValue.Create(field.DefaultValue ?? 0),
        SpecKind.Quantity => Quantity(field.DefaultValue ?? 0, field.DefaultUnit),
        SpecKind.Number => JsonValue.Create(field.DefaultValue ?? 0),
        SpecKind.Choice => JsonValue.Create(field.DefaultChoice),
        SpecKind.Component => components.Count == 0 ? null : JsonValue.Create(field.Key == "heavyKey" && components.Count > 1 ? components[1] : components[0]),
        SpecKind.Composition => EqualFractions(components),
        SpecKind.ComponentFractions => new JsonObject(components.Take(1).Select(c => KeyValuePair.Create(c, (JsonNode?)JsonValue.Create(1.0)))),
        SpecKind.PortFractions => new JsonObject(),
        SpecKind.Reactions => DefaultReactions(components),
        _ => null,
    };

    /// <summary>Equal mole fractions of every component; the last takes the remainder so they sum to 1 exactly.</summary>
    public static JsonObject EqualFractions(IReadOnlyList<string> components)
    {
        var result = new JsonObject();
        for (var i = 0; i < components.Count; i++)
        {
            var f = Math.Round(1.0 / components.Count, 6);
            result[components[i]] = i == components.Count - 1 ? Math.Round(1 - f * (components.Count - 1), 6) : f;
        }
        return result;
    }

    private static JsonArray DefaultReactions(IReadOnlyList<string> components)
    {
        if (components.Count < 2)
        {
            return [];
        }
        return
        [
            new JsonObject
            {
                ["stoichiometry"] = new JsonObject { [components[0]] = -1.0, [components[1]] = 1.0 },
                ["keyComponent"] = components[0],
                ["conversion"] = 0.5,
            },
        ];
    }

    public static JsonObject Quantity(double value, string? unit) => new() { ["value"] = value, ["unit"] = unit };

    // ---- Internals -----------------------------------------------------------------------------------------

    private void SetTop(string key, string? value)
    {
        var current = document[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (current == value)
        {
            return;
        }
        Apply(d =>
        {
            if (value is null)
            {
                d.Remove(key);
            }
            else
            {
                d[key] = value;
            }
        });
    }

    private string? CheckEnd(string end, bool outlet)
    {
        var unitId = UnitOf(end);
        var port = PortOf(end);
        var direction = outlet ? "outlet" : "inlet";
        if (unitId.Length == 0 || port.Length == 0)
        {
            return $"Expected UNIT.port, found '{end}'.";
        }
        if (Unit(unitId) is not { } unit || UnitCatalog.Find(unit.Type) is not { } info)
        {
            return $"There is no unit '{unitId}'.";
        }
        var allowed = outlet ? info.Outlets : info.Inlets;
        var other = outlet ? info.Inlets : info.Outlets;
        var exists = allowed is [UnitTypeInfo.AnyPort] ? !other.Contains(port) : allowed.Contains(port);
        if (!exists)
        {
            return allowed.Count == 0
                ? $"A {info.DisplayName.ToLowerInvariant()} has no {direction} ports."
                : $"{unitId} has no {direction} port '{port}'.";
        }
        return StreamAt(unitId, port, outlet) is { } taken ? $"{unitId}.{port} is already connected (stream {taken.Id})." : null;
    }

    private void Apply(Action<JsonObject> mutate)
    {
        var before = json;
        mutate(document);
        var after = Serialize(document);
        if (after == before)
        {
            return;
        }
        PushUndo(before);
        redo.Clear();
        json = after;
        // Re-read what was written: every value is then as a loaded file has it (numbers read as any numeric type),
        // and no node is shared with a caller.
        document = JsonNode.Parse(after)!.AsObject();
        Index();
        Changed?.Invoke();
    }

    private void PushUndo(string snapshot)
    {
        undo.AddLast(snapshot);
        if (undo.Count > HistoryLimit)
        {
            undo.RemoveFirst();
        }
    }

    private void Restore(string snapshot)
    {
        document = JsonNode.Parse(snapshot)!.AsObject();
        json = snapshot;
        Index();
        Changed?.Invoke();
    }

    /// <summary>
    /// A file written by hand has no layout: its units get the positions auto-layout gives them, written into the
    /// document as part of loading it, so that later edits never move them.
    /// </summary>
    private void FillMissingLayout(JsonObject d)
    {
        if (d["units"] is not JsonArray list || !list.OfType<JsonObject>().Any(u => u["layout"] is null))
        {
            return;
        }
        var auto = Designer.AutoLayout.Arrange(units, streams);
        foreach (var u in list.OfType<JsonObject>())
        {
            if (u["layout"] is null && u["id"] is JsonValue v && v.TryGetValue<string>(out var id) && auto.TryGetValue(id, out var xy))
            {
                u["layout"] = Layout(xy.X, xy.Y);
            }
        }
    }

    /// <summary>Rebuilds the canvas's views of units and streams from the document (never changes it).</summary>
    private void Index()
    {
        var unitNodes = document["units"] as JsonArray ?? [];
        var streamNodes = document["streams"] as JsonArray ?? [];
        var placed = unitNodes.Select((n, i) => n is JsonObject o ? ToView(o, i) : null).OfType<(UnitView View, bool HasLayout)>().ToList();
        streams = streamNodes.Select((n, i) =>
        {
            var (from, to) = Ends(n);
            return n?["id"] is JsonValue v && v.TryGetValue<string>(out var id)
                ? new StreamView(i, id, UnitOf(from), PortOf(from), UnitOf(to), PortOf(to))
                : null;
        }).OfType<StreamView>().ToList();
        units = placed.Select(p => p.View).ToList();
        if (placed.Exists(p => !p.HasLayout))
        {
            // A file written by hand has no layout: draw it where auto-layout would put it, without editing the document.
            var auto = Designer.AutoLayout.Arrange(units, streams);
            units = placed.Select(p => p.HasLayout || !auto.TryGetValue(p.View.Id, out var xy) ? p.View : p.View with { X = xy.X, Y = xy.Y }).ToList();
        }

        static (UnitView, bool)? ToView(JsonObject o, int i)
        {
            if (o["id"] is not JsonValue idValue || !idValue.TryGetValue<string>(out var id))
            {
                return null;
            }
            var type = o["type"] is JsonValue t && t.TryGetValue<string>(out var s) ? s : "";
            var layout = o["layout"] as JsonObject;
            var x = Number(layout?["x"]);
            var y = Number(layout?["y"]);
            return (new UnitView(i, id, type, x ?? 0, y ?? 0), x is not null && y is not null);
        }
    }

    private static double? Number(JsonNode? node) => AsNumber(node);

    /// <summary>A JSON number as a double, whatever numeric type it was created with; null when not a number.</summary>
    public static double? AsNumber(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
        ? v.TryGetValue<double>(out var d) ? d : v.TryGetValue<int>(out var i) ? i : v.TryGetValue<long>(out var l) ? l
        : v.TryGetValue<decimal>(out var m) ? (double)m : null
        : null;

    private static JsonObject Layout(double x, double y) => new() { ["x"] = Math.Round(x), ["y"] = Math.Round(y) };

    private static JsonArray UnitsArray(JsonObject d) => d["units"] as JsonArray ?? (JsonArray)(d["units"] = new JsonArray());

    private static JsonArray StreamsArray(JsonObject d) => d["streams"] as JsonArray ?? (JsonArray)(d["streams"] = new JsonArray());

    private static JsonArray ComponentsArray(JsonObject d) => d["components"] as JsonArray ?? [];

    private static string ComponentName(JsonNode? c) => c switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o when o["name"] is JsonValue n && n.TryGetValue<string>(out var s) => s,
        JsonObject o when o["cas"] is JsonValue n && n.TryGetValue<string>(out var s) => s,
        _ => "",
    };

    private JsonObject? UnitNode(string id) => Unit(id) is { } u ? UnitsArray(document)[u.Index] as JsonObject : null;

    private static (string From, string To) Ends(JsonNode? stream) =>
        (stream?["from"] is JsonValue f && f.TryGetValue<string>(out var from) ? from : "",
         stream?["to"] is JsonValue t && t.TryGetValue<string>(out var to) ? to : "");

    public static string UnitOf(string end) => end.LastIndexOf('.') is var dot and > 0 ? end[..dot] : "";

    public static string PortOf(string end) => end.LastIndexOf('.') is var dot and > 0 ? end[(dot + 1)..] : "";

    /// <summary>The first of prefix1, prefix2… not taken.</summary>
    public static string NextId(string prefix, IEnumerable<string> taken)
    {
        var set = taken.ToHashSet(StringComparer.Ordinal);
        for (var i = 1; ; i++)
        {
            var id = prefix + i.ToString(CultureInfo.InvariantCulture);
            if (!set.Contains(id))
            {
                return id;
            }
        }
    }

    private static JsonObject? Parse(string text, out string? error)
    {
        try
        {
            var node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (node is not JsonObject o)
            {
                error = "The flowsheet must be a JSON object ({ … }).";
                return null;
            }
            error = null;
            return o;
        }
        catch (JsonException ex)
        {
            error = $"Not valid JSON: {ex.Message}";
            return null;
        }
    }

    private static string Serialize(JsonObject d) => d.ToJsonString(Indented);
}
