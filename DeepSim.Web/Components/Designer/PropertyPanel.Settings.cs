using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DeepSim.Web.Components.UI;
using DeepSim.Web.Units;

namespace DeepSim.Web.Components.Designer;

/// <summary>A value a design specification can vary: a spec key of the unit (or one entry of a splitter's fractions) and its dimension.</summary>
public sealed record VariedParameter(string Key, string Label, Dimension? Dimension);

/// <summary>A result a design specification can aim at, as docs/flowsheet-format.md names it ("Design specifications").</summary>
public sealed record TargetProperty(string Key, string Label, Dimension? Dimension, bool NeedsComponent = false);

/// <summary>The flowsheet-level solver options and design specifications of the property panel.</summary>
public sealed partial class PropertyPanel
{
    internal static readonly IReadOnlyList<(string Key, string Label)> SolverMethods =
    [
        ("auto", "Automatic (Wegstein for one tear, Broyden for several)"),
        ("wegstein", "Bounded Wegstein"),
        ("broyden", "Broyden"),
        ("direct", "Direct substitution"),
    ];

    internal static readonly IReadOnlyList<TargetProperty> StreamTargets =
    [
        new("temperature", "Temperature", Dimension.Temperature),
        new("pressure", "Pressure", Dimension.Pressure),
        new("vaporFraction", "Vapour fraction", Dimension.Fraction),
        new("molarFlow", "Molar flow", Dimension.MolarFlow),
        new("massFlow", "Mass flow", Dimension.MassFlow),
        new("moleFraction", "Mole fraction of", Dimension.Fraction, NeedsComponent: true),
        new("componentMolarFlow", "Molar flow of", Dimension.MolarFlow, NeedsComponent: true),
    ];

    internal static readonly IReadOnlyList<TargetProperty> UnitTargets =
    [
        new("duty", "Duty", Dimension.Power),
        new("power", "Power", Dimension.Power),
    ];

    /// <summary>
    /// What a design specification may vary on <paramref name="unitId"/>: the numeric spec values it has been given
    /// (the engine refuses a parameter the unit is not specified by) and each given entry of a splitter's fractions.
    /// </summary>
    internal static IReadOnlyList<VariedParameter> VariedParameters(DesignerState state, string? unitId)
    {
        if (unitId is null || state.Unit(unitId) is not { } unit || UnitCatalog.Find(unit.Type) is not { } info)
        {
            return [];
        }
        var spec = state.Spec(unitId);
        var result = new List<VariedParameter>();
        foreach (var field in info.Fields)
        {
            if (!spec.ContainsKey(field.Key))
            {
                continue;
            }
            switch (field.Kind)
            {
                case SpecKind.Quantity or SpecKind.Number when ReadQuantity(spec[field.Key]).Value is not null:
                    result.Add(new VariedParameter(field.Key, field.Label, field.Kind == SpecKind.Quantity ? field.Dimension : null));
                    break;
                case SpecKind.PortFractions when spec[field.Key] is JsonObject fractions:
                    result.AddRange(fractions.Select(p => new VariedParameter($"{field.Key}.{p.Key}", $"{field.Label}: {p.Key}", Dimension.Fraction)));
                    break;
            }
        }
        return result;
    }

    /// <summary>The design specifications' issues by index, each with the part of its path below the specification.</summary>
    internal static ILookup<int, (string Field, string Message)> DesignSpecIssues(IEnumerable<ValidationIssue> issues) =>
        issues.Select(i => (Issue: i, Match: DesignSpecPath().Match(i.Path)))
            .Where(x => x.Match.Success)
            .ToLookup(x => int.Parse(x.Match.Groups[1].Value, CultureInfo.InvariantCulture),
                      x => (x.Match.Groups[2].Value.TrimStart('.'), x.Issue.Message));

    [GeneratedRegex(@"^\$\.designSpecs\[(\d+)\](.*)$")]
    private static partial Regex DesignSpecPath();

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static JsonObject Part(JsonObject spec, string key) => spec[key] as JsonObject ?? [];

    /// <summary>The specification with <paramref name="key"/> of its part <paramref name="part"/> set (or removed, for null).</summary>
    private static JsonObject With(JsonObject spec, string? part, string key, JsonNode? value)
    {
        var copy = (JsonObject)spec.DeepClone();
        var target = copy;
        if (part is not null)
        {
            if (copy[part] is not JsonObject inner)
            {
                inner = [];
                copy[part] = inner;
            }
            target = inner;
        }
        if (value is null)
        {
            target.Remove(key);
        }
        else
        {
            target[key] = value.DeepClone();
        }
        return copy;
    }

    private void SetVaryUnit(int index, JsonObject spec, string? unitId)
    {
        var parameters = VariedParameters(State, unitId);
        var vary = new JsonObject { ["unit"] = unitId ?? "" };
        if (parameters.Count > 0)
        {
            vary["parameter"] = parameters[0].Key;
        }
        State.SetDesignSpec(index, With(spec, null, "vary", vary));
    }

    private void SetVaryParameter(int index, JsonObject spec, string? parameter)
    {
        // A new parameter has another dimension: its bounds are given afresh.
        var vary = new JsonObject { ["unit"] = Str(Part(spec, "vary")["unit"]) ?? "", ["parameter"] = parameter ?? "" };
        State.SetDesignSpec(index, With(spec, null, "vary", vary));
    }

    private void SetTargetKind(int index, JsonObject spec, string kind)
    {
        var isUnit = kind == "unit";
        var target = new JsonObject
        {
            [isUnit ? "unit" : "stream"] = (isUnit ? State.Units.Select(u => u.Id) : State.Streams.Select(s => s.Id)).FirstOrDefault() ?? "",
            ["property"] = isUnit ? UnitTargets[0].Key : StreamTargets[0].Key,
        };
        var copy = With(spec, null, "target", target);
        copy.Remove("tolerance");
        State.SetDesignSpec(index, copy);
    }

    private void SetTargetProperty(int index, JsonObject spec, string? property)
    {
        var target = (JsonObject)Part(spec, "target").DeepClone();
        target["property"] = property ?? "";
        target.Remove("value");
        var needsComponent = StreamTargets.Any(t => t.Key == property && t.NeedsComponent);
        if (needsComponent && Str(target["component"]) is null && State.Components.Count > 0)
        {
            target["component"] = State.Components[0];
        }
        else if (!needsComponent)
        {
            target.Remove("component");
        }
        var copy = With(spec, null, "target", target);
        copy.Remove("tolerance");
        State.SetDesignSpec(index, copy);
    }

    private static TargetProperty? TargetOf(JsonObject spec)
    {
        var target = Part(spec, "target");
        var property = Str(target["property"]);
        var list = target.ContainsKey("unit") ? UnitTargets : StreamTargets;
        return list.FirstOrDefault(t => t.Key == property);
    }

    /// <summary>The unit offered for a quantity of <paramref name="dimension"/>: the one of the results' unit system.</summary>
    private string? DisplayUnit(Dimension? dimension) => dimension is { } d ? Quantities.In(DisplayUnits, d).Symbol : null;

    /// <summary>The unit offered for a bound: the unit the varied value itself is given in, else the display unit.</summary>
    private string? BoundUnit(string? unitId, VariedParameter? parameter)
    {
        if (parameter?.Dimension is not { } dimension)
        {
            return null;
        }
        var given = unitId is null ? null : ReadQuantity(State.Spec(unitId)[parameter.Key]).Unit;
        return given is not null && Quantities.Find(dimension, given) is not null ? given : DisplayUnit(dimension);
    }

    /// <summary>A tolerance is a difference: a temperature's is in K or °F-degrees, never offset like °C.</summary>
    private static Dimension? ToleranceDimension(TargetProperty? target) =>
        target?.Dimension == Dimension.Temperature ? Dimension.TemperatureDifference : target?.Dimension;
}
