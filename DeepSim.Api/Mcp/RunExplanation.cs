using System.Globalization;
using System.Text.Json;

namespace DeepSim.Api.Mcp;

/// <summary>A recycle block of a run as explain_run tells it: how its tears moved, and which did not close.</summary>
public sealed record RecycleExplanation(IReadOnlyList<string> Units, IReadOnlyList<string> TearStreams, bool Converged, int Iterations,
    string Method, string Trend, IReadOnlyList<string> OpenTears, IReadOnlyList<IReadOnlyDictionary<string, double?>> LastResiduals,
    IReadOnlyList<string> Notes);

/// <summary>What explain_run answers: the outcome and the findings, each said in a sentence, then the details they come from.</summary>
public sealed record RunExplanationResult(Guid RunId, bool? Converged, string? FailureReason, IReadOnlyList<string> Findings,
    IReadOnlyList<RecycleExplanation> Recycles, IReadOnlyList<string> UnitsThatFailed, IReadOnlyList<string> UnbalancedComponents,
    IReadOnlyList<string> DesignSpecsNotMet);

/// <summary>
/// Reads a run's engine result (the document <c>SolveResultJson</c> writes) for what an engineer asks after a run: did it
/// converge, and if not where it went wrong: a unit that failed, a recycle whose tear residuals grew or stalled (and which
/// tear streams stayed open), a component or energy balance that did not close, a design spec not met. Unit notes and
/// the result's model-sanity `warnings` are the engine's warnings. Nothing in the result is taken as an instruction: names are quoted as data.
/// </summary>
public static class RunExplanation
{
    private const int ResidualsShown = 5;

    public static RunExplanationResult Explain(Guid runId, bool? converged, string? failureReason, JsonElement result)
    {
        var findings = new List<string>();
        var failedUnits = new List<string>();
        foreach (var unit in Array(result, "units"))
        {
            var id = Text(unit, "id") ?? "?";
            if (unit.TryGetProperty("failureReason", out var reason) && reason.ValueKind == JsonValueKind.String)
            {
                failedUnits.Add($"{id}: {reason.GetString()}");
            }
            foreach (var note in Array(unit, "notes").Where(n => n.ValueKind == JsonValueKind.String))
            {
                findings.Add($"Unit '{id}' warns: {note.GetString()}");
            }
        }
        findings.InsertRange(0, failedUnits.Select(f => "Unit " + f));

        var convergence = result.TryGetProperty("convergence", out var c) ? c : default;
        var recycles = Array(convergence, "blocks").Select(Recycle).ToList();
        foreach (var r in recycles.Where(r => !r.Converged))
        {
            findings.Add($"The recycle through {string.Join(", ", r.Units)} did not converge in {r.Iterations} iterations ({r.Method}); its residuals {r.Trend}"
                + (r.OpenTears.Count > 0 ? $"; tear streams still open: {string.Join(", ", r.OpenTears)}." : "."));
        }

        var unbalanced = new List<string>();
        if (result.TryGetProperty("balance", out var balance))
        {
            var tolerance = Number(balance, "componentTolerance") ?? 1e-6;
            foreach (var component in Array(balance, "components"))
            {
                if (Number(component, "relative") is { } rel && Math.Abs(rel) > tolerance)
                {
                    unbalanced.Add($"{Text(component, "component")}: relative error {Format(rel)} (tolerance {Format(tolerance)})");
                }
            }
            if (balance.TryGetProperty("energy", out var energy) && Number(energy, "relative") is { } e && Number(balance, "energyTolerance") is { } et
                && Math.Abs(e) > et)
            {
                unbalanced.Add($"energy: relative error {Format(e)} (tolerance {Format(et)})");
            }
        }
        findings.AddRange(unbalanced.Select(u => "The overall balance does not close for " + u + "."));

        var specs = Array(convergence, "designSpecs")
            .Where(d => d.TryGetProperty("converged", out var ok) && ok.ValueKind == JsonValueKind.False)
            .Select(d => $"{Text(d, "id")}: target {Format(Number(d, "targetValue"))}, achieved {Format(Number(d, "achievedValue"))}"
                + (Text(d, "failureReason") is { } why ? $" ({why})" : ""))
            .ToList();
        findings.AddRange(specs.Select(s => "Design spec not met: " + s + "."));

        if (findings.Count == 0)
        {
            findings.Add(converged == true
                ? "The run converged: every recycle closed and the component and energy balances are within tolerance."
                : $"The run did not converge: {failureReason ?? "no reason was recorded"}.");
        }
        // The engine's model-sanity warnings follow the outcome; a reaction past equilibrium is already its unit's note.
        foreach (var warning in Array(result, "warnings").Where(w => w.ValueKind == JsonValueKind.Object && Text(w, "code") != "conversion-beyond-equilibrium"))
        {
            findings.Add($"Model warning '{Text(warning, "code")}': {Text(warning, "message")}");
        }
        return new RunExplanationResult(runId, converged, failureReason, findings, recycles, failedUnits, unbalanced, specs);
    }

    private static RecycleExplanation Recycle(JsonElement block)
    {
        var tears = Array(block, "tearStreams").Select(t => t.GetString() ?? "").ToList();
        var history = Array(block, "history").ToList();
        var largest = history.Select(h => h.TryGetProperty("largestRelativeResidual", out var r)
            ? tears.Select(t => Number(r, t)).Where(v => v is not null).Select(v => v!.Value).DefaultIfEmpty(double.NaN).Max()
            : double.NaN).ToList();
        var last = history.Count == 0 ? default : history[^1];
        var converged = block.TryGetProperty("converged", out var ok) && ok.ValueKind == JsonValueKind.True;
        var open = converged || last.ValueKind != JsonValueKind.Object || !last.TryGetProperty("largestRelativeResidual", out var lastResiduals)
            ? []
            : tears.Where(t => Number(lastResiduals, t) is not { } v || v > 1e-6).ToList();
        var shown = history.TakeLast(ResidualsShown)
            .Select(h => (IReadOnlyDictionary<string, double?>)tears.ToDictionary(t => t,
                t => h.TryGetProperty("largestRelativeResidual", out var r) ? Number(r, t) : null))
            .ToList();
        return new RecycleExplanation(Array(block, "units").Select(u => u.GetString() ?? "").ToList(), tears, converged,
            (int)(Number(block, "iterations") ?? history.Count), Text(block, "method") ?? "", Trend(largest), open, shown,
            Array(block, "notes").Select(n => n.GetString() ?? "").ToList());
    }

    /// <summary>How the largest tear residual moved over the last iterations: the first thing to know about a stuck loop.</summary>
    internal static string Trend(IReadOnlyList<double> largest)
    {
        var finite = largest.Where(double.IsFinite).ToList();
        if (finite.Count < 2)
        {
            return "were not recorded";
        }
        var window = finite.TakeLast(Math.Min(ResidualsShown, finite.Count)).ToList();
        var (first, end) = (window[0], window[^1]);
        if (end < first * 0.5)
        {
            return $"were still falling ({Format(first)} → {Format(end)}): more iterations may be enough";
        }
        if (end > first * 2)
        {
            return $"grew ({Format(first)} → {Format(end)}): the loop diverges; check the specifications and the initial guesses";
        }
        return $"stalled near {Format(end)}: the loop may have no steady state for these specifications, or needs another method";
    }

    private static List<JsonElement> Array(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array
            ? [.. a.EnumerateArray()] : [];

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static double? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string Format(double? value) => value?.ToString("G3", CultureInfo.InvariantCulture) ?? "n/a";
}
