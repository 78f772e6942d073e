using System.Globalization;
using System.Text.Json;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations;

namespace DeepSim.Engine.Flowsheets;

public static partial class FlowsheetReader
{
    /// <summary>Stream properties a design specification can target, with their dimensions.</summary>
    internal static readonly Dictionary<string, Dimension> StreamTargets = new(StringComparer.Ordinal)
    {
        ["temperature"] = Dimension.Temperature,
        ["pressure"] = Dimension.Pressure,
        ["vaporFraction"] = Dimension.Dimensionless,
        ["molarFlow"] = Dimension.MolarFlow,
        ["massFlow"] = Dimension.MassFlow,
        ["moleFraction"] = Dimension.Dimensionless,
        ["componentMolarFlow"] = Dimension.MolarFlow,
    };

    internal static readonly Dictionary<string, Dimension> UnitTargets = new(StringComparer.Ordinal)
    {
        ["duty"] = Dimension.Power,
        ["power"] = Dimension.Power,
    };

    /// <summary>Default design-spec tolerance, relative to max(|target|, 1 SI unit).</summary>
    public const double DefaultDesignSpecRelativeTolerance = 1e-6;

    private sealed partial class ReadState
    {
        private StreamGuess?[] ReadGuesses()
        {
            var guesses = new StreamGuess?[streams.Count];
            for (var s = 0; s < streams.Count; s++)
            {
                var (_, _, _, _, _, path, element) = streams[s];
                if (!JsonCursor.TryGet(element, "initialGuess", out var g))
                {
                    continue;
                }
                var at = JsonCursor.Child(path, "initialGuess");
                if (!Cursor.IsObject(g, at))
                {
                    continue;
                }
                Cursor.OnlyKeys(g, at, "initial guess field", ["temperature", "pressure", "componentMolarFlows"]);
                var t = Cursor.Quantity(g, "temperature", at, Dimension.Temperature, Range.Positive);
                var p = Cursor.Quantity(g, "pressure", at, Dimension.Pressure, Range.Positive);
                var flows = JsonCursor.TryGet(g, "componentMolarFlows", out var f)
                    ? ReadComponentMap(f, JsonCursor.Child(at, "componentMolarFlows"), Dimension.MolarFlow, Range.NonNegative, requireUnitSum: false)
                    : null;
                foreach (var key in new[] { "temperature", "pressure", "componentMolarFlows" })
                {
                    if (!JsonCursor.TryGet(g, key, out _))
                    {
                        Cursor.Error(JsonCursor.Child(at, key), $"an initial guess needs '{key}'");
                    }
                }
                // A guess is an input like any other: outside the range the flashes search it cannot be used, and must not be dropped silently.
                if (t is not null && !(t >= FlashSettings.MinSearchTemperatureK && t <= FlashSettings.MaxSearchTemperatureK))
                {
                    Cursor.Error(JsonCursor.Child(at, "temperature"), string.Create(CultureInfo.InvariantCulture, $"{t:G6} K is outside the engine's range [{FlashSettings.MinSearchTemperatureK:G6}, {FlashSettings.MaxSearchTemperatureK:G6}] K"));
                    t = null;
                }
                if (p is not null && !(p >= FlashSettings.MinSearchPressurePa && p <= FlashSettings.MaxSearchPressurePa))
                {
                    Cursor.Error(JsonCursor.Child(at, "pressure"), string.Create(CultureInfo.InvariantCulture, $"{p:G6} Pa is outside the engine's range [{FlashSettings.MinSearchPressurePa:G6}, {FlashSettings.MaxSearchPressurePa:G6}] Pa"));
                    p = null;
                }
                if (t is not null && p is not null && flows is not null)
                {
                    guesses[s] = new StreamGuess(t.Value, p.Value, flows);
                }
            }
            return guesses;
        }

        private DesignSpecification[] ReadDesignSpecs(JsonElement root, UnitOperation?[] operations)
        {
            const string path = "$.designSpecs";
            if (!JsonCursor.TryGet(root, "designSpecs", out var list))
            {
                return [];
            }
            if (list.ValueKind != JsonValueKind.Array)
            {
                Cursor.Error(path, "expected an array of design specifications");
                return [];
            }
            var result = new List<DesignSpecification>();
            var varied = new HashSet<(int, string)>();
            var ids = new HashSet<string>(StringComparer.Ordinal);
            var k = 0;
            foreach (var item in list.EnumerateArray())
            {
                var at = JsonCursor.Index(path, k++);
                if (!Cursor.IsObject(item, at))
                {
                    continue;
                }
                Cursor.OnlyKeys(item, at, "design specification field", ["id", "vary", "target", "tolerance", "description"]);
                var id = Cursor.String(item, "id", at, required: false) ?? $"designSpec{k}";
                if (!ids.Add(id))
                {
                    Cursor.Error(JsonCursor.Child(at, "id"), $"duplicate design specification id '{id}'");
                }
                var vary = ReadVary(item, at, operations, varied);
                var target = ReadTarget(item, at);
                if (vary is null || target is null)
                {
                    continue;
                }
                var tolerance = JsonCursor.TryGet(item, "tolerance", out _)
                    ? Cursor.Quantity(item, "tolerance", at, target.Value.Dimension == Dimension.Temperature ? Dimension.TemperatureDifference : target.Value.Dimension, Range.Positive)
                    : DefaultDesignSpecRelativeTolerance * Math.Max(Math.Abs(target.Value.Value), 1);
                if (tolerance is null)
                {
                    continue;
                }
                result.Add(new DesignSpecification
                {
                    Id = id,
                    VaryUnit = vary.Value.Unit,
                    VaryParameter = vary.Value.Parameter,
                    Minimum = vary.Value.Min,
                    Maximum = vary.Value.Max,
                    TargetKind = target.Value.Kind,
                    TargetIndex = target.Value.Index,
                    TargetProperty = target.Value.Property,
                    TargetComponent = target.Value.Component,
                    TargetValue = target.Value.Value,
                    Tolerance = tolerance.Value,
                });
            }
            return [.. result];
        }

        private (int Unit, string Parameter, double Min, double Max)? ReadVary(JsonElement item, string at, UnitOperation?[] operations, HashSet<(int, string)> varied)
        {
            var path = JsonCursor.Child(at, "vary");
            if (!JsonCursor.TryGet(item, "vary", out var vary))
            {
                Cursor.Error(path, "'vary' is required: { \"unit\", \"parameter\", \"minimum\", \"maximum\" }");
                return null;
            }
            if (!Cursor.IsObject(vary, path))
            {
                return null;
            }
            Cursor.OnlyKeys(vary, path, "vary field", ["unit", "parameter", "minimum", "maximum"]);
            var unitId = Cursor.String(vary, "unit", path, required: true);
            var parameter = Cursor.String(vary, "parameter", path, required: true);
            if (unitId is null || parameter is null)
            {
                return null;
            }
            if (!unitIndex.TryGetValue(unitId, out var u))
            {
                Cursor.Error(JsonCursor.Child(path, "unit"), $"no unit with id '{unitId}'");
                return null;
            }
            var unit = units[u];
            if (!unit.ParameterMeta.TryGetValue(parameter, out var meta))
            {
                var choices = unit.ParameterMeta.Keys.Order(StringComparer.Ordinal).ToArray();
                Cursor.Error(JsonCursor.Child(path, "parameter"), choices.Length == 0
                    ? $"{unit.Type} '{unitId}' has no numeric specification to vary"
                    : $"'{parameter}' is not a specified parameter of {unit.Type} '{unitId}'; a design specification varies one of: {string.Join(", ", choices)}");
                return null;
            }
            if (!varied.Add((u, parameter)))
            {
                Cursor.Error(JsonCursor.Child(path, "parameter"), $"'{unitId}.{parameter}' is already varied by another design specification");
                return null;
            }
            foreach (var key in new[] { "minimum", "maximum" })
            {
                if (!JsonCursor.TryGet(vary, key, out _))
                {
                    Cursor.Error(JsonCursor.Child(path, key), $"'{key}' is required: the search interval bounds the solve");
                }
            }
            var min = Cursor.Quantity(vary, "minimum", path, meta.Dimension, meta.Range);
            var max = Cursor.Quantity(vary, "maximum", path, meta.Dimension, meta.Range);
            if (min is null || max is null)
            {
                return null;
            }
            if (!(max > min))
            {
                Cursor.Error(JsonCursor.Child(path, "maximum"), "maximum must be greater than minimum");
                return null;
            }
            return operations[u] is null ? null : (u, parameter, min.Value, max.Value);
        }

        private (TargetKind Kind, int Index, string Property, int Component, double Value, Dimension Dimension)? ReadTarget(JsonElement item, string at)
        {
            var path = JsonCursor.Child(at, "target");
            if (!JsonCursor.TryGet(item, "target", out var target))
            {
                Cursor.Error(path, "'target' is required: { \"stream\" or \"unit\", \"property\", \"value\" }");
                return null;
            }
            if (!Cursor.IsObject(target, path))
            {
                return null;
            }
            Cursor.OnlyKeys(target, path, "target field", ["stream", "unit", "property", "component", "value"]);
            var hasStream = JsonCursor.TryGet(target, "stream", out _);
            var hasUnit = JsonCursor.TryGet(target, "unit", out _);
            if (hasStream == hasUnit)
            {
                Cursor.Error(path, "a target names exactly one of 'stream' or 'unit'");
                return null;
            }
            var property = Cursor.String(target, "property", path, required: true);
            var table = hasStream ? StreamTargets : UnitTargets;
            if (property is null)
            {
                return null;
            }
            if (!table.TryGetValue(property, out var dimension))
            {
                Cursor.Error(JsonCursor.Child(path, "property"), $"unknown {(hasStream ? "stream" : "unit")} property '{property}'; accepted: {string.Join(", ", table.Keys)}");
                return null;
            }
            int index;
            if (hasStream)
            {
                var id = Cursor.String(target, "stream", path, required: true);
                if (id is null)
                {
                    return null;
                }
                if (!streamIndex.TryGetValue(id, out index))
                {
                    Cursor.Error(JsonCursor.Child(path, "stream"), $"no stream with id '{id}'");
                    return null;
                }
            }
            else
            {
                var id = Cursor.String(target, "unit", path, required: true);
                if (id is null)
                {
                    return null;
                }
                if (!unitIndex.TryGetValue(id, out index))
                {
                    Cursor.Error(JsonCursor.Child(path, "unit"), $"no unit with id '{id}'");
                    return null;
                }
            }
            var component = -1;
            var needsComponent = property is "moleFraction" or "componentMolarFlow";
            if (needsComponent)
            {
                var name = Cursor.String(target, "component", path, required: true);
                var c = name is null ? null : ComponentIndex(name, JsonCursor.Child(path, "component"));
                if (c is null)
                {
                    return null;
                }
                component = c.Value;
            }
            else if (JsonCursor.TryGet(target, "component", out _))
            {
                Cursor.Error(JsonCursor.Child(path, "component"), $"'component' applies only to moleFraction and componentMolarFlow");
                return null;
            }
            if (!JsonCursor.TryGet(target, "value", out _))
            {
                Cursor.Error(JsonCursor.Child(path, "value"), "'value' is required");
                return null;
            }
            var range = property is "vaporFraction" or "moleFraction" ? Range.Fraction : dimension is Dimension.Power ? Range.Any : Range.NonNegative;
            var value = Cursor.Quantity(target, "value", path, dimension, range);
            return value is null ? null : (hasStream ? TargetKind.Stream : TargetKind.Unit, index, property, component, value.Value, dimension);
        }

        private SolverOptions ReadSolverOptions(JsonElement root)
        {
            const string path = "$.solver";
            var options = new SolverOptions();
            if (!JsonCursor.TryGet(root, "solver", out var e) || !Cursor.IsObject(e, path))
            {
                return options;
            }
            Cursor.OnlyKeys(e, path, "solver option", ["tolerance", "maxIterations", "method", "wegsteinMinQ", "wegsteinMaxQ", "timeLimitSeconds", "designSpecMaxIterations"]);
            var tolerance = Cursor.Quantity(e, "tolerance", path, Dimension.Dimensionless, Range.Positive);
            if (tolerance >= 1)
            {
                Cursor.Error(JsonCursor.Child(path, "tolerance"), "a relative tolerance must be below 1");
            }
            var maxIterations = Cursor.Integer(e, "maxIterations", path, 1, 100_000);
            var method = Cursor.String(e, "method", path, required: false);
            ConvergenceMethod? m = method switch
            {
                null => null,
                "auto" => ConvergenceMethod.Auto,
                "wegstein" => ConvergenceMethod.Wegstein,
                "direct" => ConvergenceMethod.DirectSubstitution,
                "broyden" => ConvergenceMethod.Broyden,
                _ => null,
            };
            if (method is not null && m is null)
            {
                Cursor.Error(JsonCursor.Child(path, "method"), $"unknown method '{method}'; accepted: auto, wegstein, broyden, direct");
            }
            var qMin = Cursor.Quantity(e, "wegsteinMinQ", path, Dimension.Dimensionless, Range.Any);
            var qMax = Cursor.Quantity(e, "wegsteinMaxQ", path, Dimension.Dimensionless, Range.Any);
            var lo = qMin ?? options.WegsteinMinQ;
            var hi = qMax ?? options.WegsteinMaxQ;
            if (!(lo <= hi) || hi >= 1)
            {
                Cursor.Error(path, "Wegstein bounds need wegsteinMinQ ≤ wegsteinMaxQ < 1");
            }
            var time = Cursor.Quantity(e, "timeLimitSeconds", path, Dimension.Dimensionless, Range.Positive);
            var dsIterations = Cursor.Integer(e, "designSpecMaxIterations", path, 1, 10_000);
            return options with
            {
                Tolerance = tolerance ?? options.Tolerance,
                MaxIterations = maxIterations ?? options.MaxIterations,
                Method = m ?? options.Method,
                WegsteinMinQ = lo,
                WegsteinMaxQ = hi,
                TimeLimitSeconds = time ?? options.TimeLimitSeconds,
                DesignSpecMaxIterations = dsIterations ?? options.DesignSpecMaxIterations,
            };
        }
    }
}
