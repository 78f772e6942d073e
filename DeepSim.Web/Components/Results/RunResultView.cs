using System.Text.Json;

namespace DeepSim.Web.Components.Results;

/// <summary>
/// The engine's result JSON read for the results views. Every field is optional: a field the engine did not write
/// (a failed run, an older engine) is null or empty here and shows as "–"; nothing in it throws on a missing field.
/// </summary>
public sealed record RunResultView(
    string? Flowsheet,
    bool? Converged,
    string? FailureReason,
    int? Iterations,
    int? FlowsheetSolves,
    double? SolveTimeSeconds,
    IReadOnlyList<string> Components,
    BalanceView Balance,
    IReadOnlyList<StreamResult> Streams,
    IReadOnlyList<UnitResult> Units,
    IReadOnlyList<RecycleBlock> RecycleBlocks,
    IReadOnlyList<DesignSpecResult> DesignSpecs,
    string? ParseError = null)
{
    public static RunResultView Empty { get; } = new(null, null, null, null, null, null, [], BalanceView.Empty, [], [], [], []);

    /// <summary>The engine's model-sanity warnings (<c>warnings</c>: code, unit, stream, message); empty when it wrote none.</summary>
    public IReadOnlyList<ResultWarning> Warnings { get; init; } = [];

    /// <summary>
    /// Reads the engine's result JSON, or the Api's envelope around it (GET /api/v1/runs/{id}/result:
    /// <c>{ runId, cached, converged, failureReason, result }</c>). Text that is not JSON gives <see cref="Empty"/> with
    /// <see cref="ParseError"/> set rather than an exception.
    /// </summary>
    public static RunResultView Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return Empty with { ParseError = "no result" };
        }
        try
        {
            using var document = JsonDocument.Parse(json);
            return Parse(document.RootElement);
        }
        catch (JsonException e)
        {
            return Empty with { ParseError = e.Message };
        }
    }

    public static RunResultView Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Empty with { ParseError = "the result is not a JSON object" };
        }
        // The Api's envelope: the engine's JSON is under "result"; its converged/failureReason stand in if the inner lacks them.
        if (root.TryGetProperty("result", out var inner) && inner.ValueKind == JsonValueKind.Object && !root.TryGetProperty("streams", out _))
        {
            var view = Parse(inner);
            return view with
            {
                Converged = view.Converged ?? Json.Bool(root, "converged"),
                FailureReason = view.FailureReason ?? Json.Text(root, "failureReason"),
            };
        }
        var components = Json.Array(root, "components").Select(c => c.ValueKind == JsonValueKind.String ? c.GetString() : null)
            .OfType<string>().ToList();
        var streams = Json.Array(root, "streams").Where(s => s.ValueKind == JsonValueKind.Object).Select(StreamResult.Read).ToList();
        // A result without a component list still names its components in the streams' fractions.
        if (components.Count == 0)
        {
            components = streams.SelectMany(s => s.MoleFractions.Keys).Distinct(StringComparer.Ordinal).ToList();
        }
        var convergence = Json.Object(root, "convergence");
        return new RunResultView(
            Json.Text(root, "flowsheet"),
            Json.Bool(root, "converged"),
            Json.Text(root, "failureReason"),
            Json.Int(root, "iterations"),
            Json.Int(root, "flowsheetSolves"),
            Json.Number(root, "solveTimeSeconds"),
            components,
            BalanceView.Read(root),
            streams,
            Json.Array(root, "units").Where(u => u.ValueKind == JsonValueKind.Object).Select(UnitResult.Read).ToList(),
            Json.Array(convergence, "blocks").Where(b => b.ValueKind == JsonValueKind.Object).Select(RecycleBlock.Read).ToList(),
            Json.Array(convergence, "designSpecs").Where(d => d.ValueKind == JsonValueKind.Object).Select(DesignSpecResult.Read).ToList())
        {
            Warnings = Json.Array(root, "warnings").Where(w => w.ValueKind == JsonValueKind.Object).Select(ResultWarning.Read).ToList(),
        };
    }

    /// <summary>From the Kiota client's envelope (its result is a free-form value); the envelope's converged/reason stand in if the result lacks them.</summary>
    public static RunResultView FromApi(ApiClient.Models.RunResult? envelope)
    {
        var view = envelope?.Result is { } result ? Parse(DeepSim.Web.Services.KiotaJson.ToJson(result)) : Empty with { ParseError = "no result" };
        return view with
        {
            Converged = view.Converged ?? envelope?.Converged,
            FailureReason = view.FailureReason ?? envelope?.FailureReason,
        };
    }

    public StreamResult? Stream(string id) => Streams.FirstOrDefault(s => s.Id == id);
}

/// <summary>The overall balance the engine checked: per component and energy, each relative to its throughput.</summary>
public sealed record BalanceView(
    double? ComponentTolerance,
    double? EnergyTolerance,
    IReadOnlyList<ComponentBalance> Components,
    double? EnergyRelative,
    double? OverallMassRelative)
{
    public static BalanceView Empty { get; } = new(null, null, [], null, null);

    /// <summary>The component whose balance closes worst (largest |relative|), or null when none was computed.</summary>
    public ComponentBalance? WorstComponent =>
        Components.Where(c => c.Relative is not null).OrderByDescending(c => Math.Abs(c.Relative!.Value)).FirstOrDefault();

    internal static BalanceView Read(JsonElement root)
    {
        var balance = Json.Object(root, "balance");
        return new BalanceView(
            Json.Number(balance, "componentTolerance"),
            Json.Number(balance, "energyTolerance"),
            Json.Array(balance, "components").Where(c => c.ValueKind == JsonValueKind.Object)
                .Select(c => new ComponentBalance(Json.Text(c, "component") ?? "?", Json.Number(c, "relative"))).ToList(),
            Json.Number(Json.Object(balance, "energy"), "relative"),
            Json.Number(root, "overallMassBalanceRelative"));
    }
}

public sealed record ComponentBalance(string Component, double? Relative);

/// <summary>One stream's state as the engine reports it, in SI (K, Pa, mol/s, kg/s).</summary>
public sealed record StreamResult(
    string Id,
    string? From,
    string? To,
    double? TemperatureK,
    double? PressurePa,
    double? VaporFraction,
    string? Phase,
    double? MolarFlowMolPerS,
    double? MassFlowKgPerS,
    IReadOnlyDictionary<string, double?> MoleFractions,
    IReadOnlyDictionary<string, double?> ComponentMolarFlowsMolPerS)
{
    internal static StreamResult Read(JsonElement s) => new(
        Json.Text(s, "id") ?? "?",
        Json.Text(s, "from"),
        Json.Text(s, "to"),
        Json.Number(s, "temperatureK"),
        Json.Number(s, "pressurePa"),
        Json.Number(s, "vaporFraction"),
        Json.Text(s, "phase"),
        Json.Number(s, "molarFlowMolPerS"),
        Json.Number(s, "massFlowKgPerS"),
        Json.NumberMap(Json.Object(s, "moleFractions")),
        Json.NumberMap(Json.Object(s, "componentMolarFlowsMolPerS")));

    public double? MoleFraction(string component) => MoleFractions.TryGetValue(component, out var x) ? x : null;

    public double? ComponentMolarFlow(string component) => ComponentMolarFlowsMolPerS.TryGetValue(component, out var f) ? f : null;
}

/// <summary>One unit's reported numbers: duty and power first, then what its details hold (column stages, reflux, LMTD…).</summary>
public sealed record UnitResult(string Id, string? Type, bool? Succeeded, IReadOnlyList<ReportedValue> Values)
{
    internal static UnitResult Read(JsonElement u)
    {
        var values = new List<ReportedValue>();
        foreach (var key in (string[])["dutyW", "powerW"])
        {
            if (u.TryGetProperty(key, out var v))
            {
                values.Add(ReportedValue.Create(key, v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null));
            }
        }
        if (Json.Object(u, "details") is { ValueKind: JsonValueKind.Object } details)
        {
            foreach (var detail in details.EnumerateObject())
            {
                values.Add(ReportedValue.Create(detail.Name, detail.Value.ValueKind == JsonValueKind.Number ? detail.Value.GetDouble() : null));
            }
        }
        return new UnitResult(Json.Text(u, "id") ?? "?", Json.Text(u, "type"), Json.Bool(u, "succeeded"), values);
    }
}

/// <summary>A reported number in SI with the dimension its key names (the engine suffixes keys with their unit); null dimension = a plain number.</summary>
public sealed record ReportedValue(string Key, string Label, double? SiValue, Units.Dimension? Dimension)
{
    public static ReportedValue Create(string key, double? siValue) => new(key, ResultKeys.Label(key), siValue, ResultKeys.DimensionOf(key));
}

/// <summary>One model-sanity warning of the engine (docs/warnings.md): its stable code, what it is about, what to do.</summary>
public sealed record ResultWarning(string? Code, string? Unit, string? Stream, string? Message)
{
    internal static ResultWarning Read(JsonElement w) => new(Json.Text(w, "code"), Json.Text(w, "unit"), Json.Text(w, "stream"), Json.Text(w, "message"));
}

/// <summary>One recycle block: its tear streams and the largest relative residual of each iteration.</summary>
public sealed record RecycleBlock(
    IReadOnlyList<string> Units,
    IReadOnlyList<string> TearStreams,
    bool? Converged,
    int? Iterations,
    IReadOnlyList<string> Notes,
    IReadOnlyList<ConvergenceStep> History)
{
    internal static RecycleBlock Read(JsonElement b) => new(
        Json.Strings(b, "units"),
        Json.Strings(b, "tearStreams"),
        Json.Bool(b, "converged"),
        Json.Int(b, "iterations"),
        Json.Strings(b, "notes"),
        Json.Array(b, "history").Where(h => h.ValueKind == JsonValueKind.Object).Select(ConvergenceStep.Read).ToList());

    public string Label => TearStreams.Count > 0 ? "torn at " + string.Join(", ", TearStreams) : "recycle";
}

/// <summary>One iteration of a recycle: its method (direct, wegstein, damped, broyden) and each tear stream's largest relative residual.</summary>
public sealed record ConvergenceStep(int? Iteration, string? Method, IReadOnlyDictionary<string, double?> ResidualByTear)
{
    /// <summary>The iteration's residual: the largest over the block's tear streams (what the tolerance is checked against).</summary>
    public double? Residual
    {
        get
        {
            double? largest = null;
            foreach (var value in ResidualByTear.Values)
            {
                if (value is { } v && (largest is null || v > largest))
                {
                    largest = v;
                }
            }
            return largest;
        }
    }

    internal static ConvergenceStep Read(JsonElement h) =>
        new(Json.Int(h, "iteration"), Json.Text(h, "method"), Json.NumberMap(Json.Object(h, "largestRelativeResidual")));
}

public sealed record DesignSpecResult(string Id, bool? Converged, int? Evaluations, double? VariedValue, double? AchievedValue, double? TargetValue)
{
    internal static DesignSpecResult Read(JsonElement d) => new(
        Json.Text(d, "id") ?? "?", Json.Bool(d, "converged"), Json.Int(d, "evaluations"),
        Json.Number(d, "variedValue"), Json.Number(d, "achievedValue"), Json.Number(d, "targetValue"));
}

/// <summary>Tolerant readers: a missing property or one of the wrong kind is null (or empty), never an exception.</summary>
internal static class Json
{
    public static double? Number(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    public static int? Int(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i)
            ? i : null;

    public static string? Text(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static bool? Bool(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean() : null;

    public static JsonElement Object(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : default;

    public static IEnumerable<JsonElement> Array(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray() : [];

    public static IReadOnlyList<string> Strings(JsonElement obj, string name) =>
        Array(obj, name).Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList();

    public static IReadOnlyDictionary<string, double?> NumberMap(JsonElement obj)
    {
        var map = new Dictionary<string, double?>(StringComparer.Ordinal);
        if (obj.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in obj.EnumerateObject())
            {
                map[p.Name] = p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() : null;
            }
        }
        return map;
    }
}
