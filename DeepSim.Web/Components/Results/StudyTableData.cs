using System.Text.Json;
using DeepSim.Web.Units;

namespace DeepSim.Web.Components.Results;

/// <summary>
/// A study's result table (GET /api/v1/studies/{id}/results: <c>{ columns, rows }</c>): columns are <c>point</c>, the varied
/// inputs' JSON paths, <c>status</c>, <c>converged</c>, then <c>&lt;stream&gt;.&lt;result&gt;</c> outputs in SI.
/// </summary>
public sealed record StudyTableData(IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyList<StudyPoint> Points)
{
    public static StudyTableData Empty { get; } = new([], [], []);

    /// <summary>The points that failed, were cancelled or did not converge: the gaps in a chart.</summary>
    public int GapCount => Points.Count(p => !p.Ok);

    public static StudyTableData Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return Empty;
        }
        try
        {
            using var document = JsonDocument.Parse(json);
            return Parse(document.RootElement);
        }
        catch (JsonException)
        {
            return Empty;
        }
    }

    public static StudyTableData Parse(JsonElement root)
    {
        var columns = Json.Strings(root, "columns");
        var status = IndexOf(columns, "status");
        var converged = IndexOf(columns, "converged");
        var point = IndexOf(columns, "point");
        // Inputs sit between "point" and "status", outputs after "converged" (StudyEndpoints.TableAsync); without those markers every column is an output.
        var firstInput = point + 1;
        var endInputs = status >= 0 ? status : firstInput;
        var firstOutput = Math.Max(Math.Max(status, converged), point) + 1;
        var inputs = Enumerable.Range(firstInput, Math.Max(0, endInputs - firstInput)).ToList();
        var outputs = Enumerable.Range(firstOutput, Math.Max(0, columns.Count - firstOutput)).ToList();
        var points = new List<StudyPoint>();
        foreach (var row in Json.Array(root, "rows"))
        {
            if (row.ValueKind != JsonValueKind.Array)
            {
                continue;
            }
            var cells = row.EnumerateArray().ToList();
            JsonElement Cell(int i) => i >= 0 && i < cells.Count ? cells[i] : default;
            points.Add(new StudyPoint(
                Cell(point) is { ValueKind: JsonValueKind.Number } p && p.TryGetInt32(out var n) ? n : null,
                inputs.Select(i => NumberOf(Cell(i))).ToList(),
                Cell(status) is { ValueKind: JsonValueKind.String } s ? s.GetString() : null,
                Cell(converged) is { ValueKind: JsonValueKind.True or JsonValueKind.False } c ? c.GetBoolean() : null,
                outputs.Select(i => NumberOf(Cell(i))).ToList()));
        }
        return new StudyTableData(inputs.Select(i => columns[i]).ToList(), outputs.Select(i => columns[i]).ToList(), points);
    }

    /// <summary>From the Kiota client's model (its rows are free-form values).</summary>
    public static StudyTableData FromApi(ApiClient.Models.StudyTable? table)
    {
        if (table is null)
        {
            return Empty;
        }
        var columns = JsonSerializer.Serialize(table.Columns ?? []);
        var rows = "[" + string.Join(",", (table.Rows ?? []).Select(DeepSim.Web.Services.KiotaJson.ToJson)) + "]";
        return Parse($$"""{"columns":{{columns}},"rows":{{rows}}}""");
    }

    public int OutputIndex(string output) => Outputs.ToList().IndexOf(output);

    /// <summary>The dimension an output's name carries (S1.temperatureK → temperature), or null.</summary>
    public static Dimension? OutputDimension(string output) => ResultKeys.DimensionOf(output);

    /// <summary>An output's SI value in the unit system (fractions and plain numbers unchanged).</summary>
    public static double? Convert(double? si, string output, UnitSystem system) =>
        si is { } v && OutputDimension(output) is { } d && d != Dimension.Fraction ? Quantities.In(system, d).FromSi(v) : si;

    /// <summary>"S1.temperatureK" → "S1 temperature (°C)".</summary>
    public static string OutputLabel(string output, UnitSystem system)
    {
        var label = ResultKeys.Label(output);
        return OutputDimension(output) is { } d && d != Dimension.Fraction ? $"{label} ({Quantities.In(system, d).Label})" : label;
    }

    private static int IndexOf(IReadOnlyList<string> columns, string name)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (string.Equals(columns[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    private static double? NumberOf(JsonElement cell) => cell.ValueKind == JsonValueKind.Number ? cell.GetDouble() : null;
}

/// <summary>One point of a study: its input values, how its run ended, and its outputs (SI, null where the run wrote none).</summary>
public sealed record StudyPoint(int? Point, IReadOnlyList<double?> Inputs, string? Status, bool? Converged, IReadOnlyList<double?> Outputs)
{
    /// <summary>A completed run that converged: the only points whose outputs are plotted.</summary>
    public bool Ok => Status == "completed" && Converged == true;
}
