using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSim.Api.Infrastructure;

namespace DeepSim.Api.Studies;

/// <summary>One varied input: a JSON path into the flowsheet and its values (a list, or from/to/steps).</summary>
public sealed record StudyParameter(string? Path, double[]? Values, double? From, double? To, int? Steps);

/// <summary>Expands study parameters into points and writes a point's values into a copy of the flowsheet.</summary>
public static class StudyGrid
{
    public const int MaxParameters = 2;
    public const int MaxValuesPerParameter = 1000;

    /// <summary>The values of each parameter, or the field errors that stop the study.</summary>
    public static IReadOnlyList<double[]> Expand(IReadOnlyList<StudyParameter>? parameters, JsonNode flowsheet, FieldErrors errors)
    {
        var result = new List<double[]>();
        if (parameters is null || parameters.Count is 0 or > MaxParameters)
        {
            errors.Add("parameters", $"must list 1 or {MaxParameters} varied inputs");
            return result;
        }
        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            var field = $"parameters[{i}]";
            if (p.Path is null || !TryParsePath(p.Path, out var segments))
            {
                errors.Add(field + ".path", "must be a JSON path such as $.units[1].spec.temperature.value");
                continue;
            }
            if (Resolve(flowsheet, segments) is not JsonValue leaf || leaf.GetValueKind() != JsonValueKind.Number)
            {
                errors.Add(field + ".path", $"'{p.Path}' does not name a number in the flowsheet");
            }
            double[]? values = null;
            if (p.Values is { Length: > 0 } list)
            {
                values = list;
            }
            else if (p.From is { } from && p.To is { } to && p.Steps is { } steps)
            {
                if (steps < 2 || steps > MaxValuesPerParameter)
                {
                    errors.Add(field + ".steps", $"must be 2 to {MaxValuesPerParameter} (both ends included)");
                }
                else
                {
                    values = Enumerable.Range(0, steps).Select(k => from + (to - from) * k / (steps - 1)).ToArray();
                }
            }
            else
            {
                errors.Add(field, "needs values, or from, to and steps");
            }
            if (values is not null && (values.Length > MaxValuesPerParameter || values.Any(v => !double.IsFinite(v))))
            {
                errors.Add(field + ".values", $"must be at most {MaxValuesPerParameter} finite numbers");
            }
            result.Add(values ?? []);
        }
        return result;
    }

    /// <summary>Every combination, first parameter slowest.</summary>
    public static IReadOnlyList<double[]> Points(IReadOnlyList<double[]> axes)
    {
        IEnumerable<double[]> points = [[]];
        foreach (var axis in axes)
        {
            points = points.SelectMany(p => axis.Select(v => (double[])[.. p, v]));
        }
        return points.ToList();
    }

    /// <summary>The flowsheet with each path set to its value.</summary>
    public static string Apply(JsonNode flowsheet, IReadOnlyList<string> paths, double[] values)
    {
        var copy = flowsheet.DeepClone();
        for (var i = 0; i < paths.Count; i++)
        {
            if (!TryParsePath(paths[i], out var segments))
            {
                throw new ArgumentException($"'{paths[i]}' is not a JSON path", nameof(paths));
            }
            var parent = Resolve(copy, segments[..^1]) ?? throw new InvalidOperationException("validated path vanished");
            switch (segments[^1])
            {
                case int index:
                    parent.AsArray()[index] = values[i];
                    break;
                case string name:
                    parent.AsObject()[name] = values[i];
                    break;
            }
        }
        return copy.ToJsonString();
    }

    /// <summary>Parses <c>$.a.b[0]['c d']</c> into names and indexes.</summary>
    public static bool TryParsePath(string path, out object[] segments)
    {
        var list = new List<object>();
        segments = [];
        if (!path.StartsWith('$'))
        {
            return false;
        }
        var i = 1;
        // Each step consumes at least one character, so the loop ends.
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = i + 1;
                while (end < path.Length && path[end] != '.' && path[end] != '[')
                {
                    end++;
                }
                if (end == i + 1)
                {
                    return false;
                }
                list.Add(path[(i + 1)..end]);
                i = end;
            }
            else if (path[i] == '[')
            {
                var close = path.IndexOf(']', i);
                if (close < 0)
                {
                    return false;
                }
                var inner = path[(i + 1)..close];
                if (inner.Length >= 2 && inner[0] == '\'' && inner[^1] == '\'')
                {
                    list.Add(inner[1..^1]);
                }
                else if (int.TryParse(inner, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    list.Add(index);
                }
                else
                {
                    return false;
                }
                i = close + 1;
            }
            else
            {
                return false;
            }
        }
        segments = [.. list];
        return list.Count > 0;
    }

    private static JsonNode? Resolve(JsonNode? node, object[] segments)
    {
        foreach (var segment in segments)
        {
            node = (segment, node) switch
            {
                (int index, JsonArray array) when index < array.Count => array[index],
                (string name, JsonObject obj) when obj.TryGetPropertyValue(name, out var child) => child,
                _ => null,
            };
            if (node is null)
            {
                return null;
            }
        }
        return node;
    }
}
