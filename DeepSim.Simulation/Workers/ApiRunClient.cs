using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DeepSim.Simulation.Workers;

public sealed record ClaimedRun(Guid RunId, int Attempt, DateTime LeaseExpiresAt, int LeaseSeconds, JsonElement Flowsheet);
public sealed record HeartbeatAnswer(DateTime LeaseExpiresAt, bool CancelRequested);

/// <summary>A finished attempt's result, as the Api's batch report takes it (the result is the engine's JSON, as is).</summary>
public sealed record AttemptResult(Guid RunId, int Attempt, bool Converged, string? FailureReason, double SolverSeconds, string ResultJson);

/// <summary>Per run of a batch report: accepted, or fenced off (then <see cref="Status"/> is what the run is now).</summary>
public sealed record AttemptVerdict(Guid RunId, bool Accepted, string? Status);

/// <summary>A batch report's answer: a verdict per result and the runs claimed in the same call.</summary>
public sealed record BatchReportAnswer(List<AttemptVerdict> Results, List<ClaimedRun> Claimed);

/// <summary>The Api's internal run endpoints as the worker sees them. A 409 means the attempt is fenced off.</summary>
public sealed class ApiRunClient(HttpClient http)
{
    public const string HttpClientName = "deepsim-api-internal";

    /// <summary>Up to <paramref name="max"/> runs claimed in one call; empty when none came within the wait.</summary>
    public async Task<IReadOnlyList<ClaimedRun>> ClaimBatchAsync(string workerId, int waitSeconds, int max, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/internal/v1/runs/claim-batch", new { workerId, waitSeconds, max }, ct);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return [];
        }
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<List<ClaimedRun>>(ct) ?? [];
    }

    /// <summary>Null when the attempt is no longer current.</summary>
    public async Task<HeartbeatAnswer?> HeartbeatAsync(Guid runId, int attempt, string workerId, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync($"/internal/v1/runs/{runId}/heartbeat", new { workerId, attempt }, ct);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<HeartbeatAnswer>(ct);
    }

    /// <summary>
    /// Reports many results in one call and claims up to <paramref name="claim"/> runs in the same transaction; the
    /// Api answers each result: accepted, or fenced off.
    /// </summary>
    public async Task<BatchReportAnswer> CompleteBatchAsync(string workerId, IReadOnlyList<AttemptResult> results, int claim, CancellationToken ct)
    {
        using var body = new ByteArrayContent(BatchBody(workerId, results, claim));
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync("/internal/v1/runs/complete-batch", body, ct);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<BatchReportAnswer>(ct) ?? new BatchReportAnswer([], []);
    }

    // The engine's result JSON is embedded as written, not parsed and serialised again.
    private static byte[] BatchBody(string workerId, IReadOnlyList<AttemptResult> results, int claim)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("workerId", workerId);
            json.WriteNumber("claim", claim);
            json.WriteStartArray("results");
            foreach (var r in results)
            {
                json.WriteStartObject();
                json.WriteString("runId", r.RunId);
                json.WriteNumber("attempt", r.Attempt);
                json.WriteBoolean("converged", r.Converged);
                json.WriteString("failureReason", r.FailureReason);
                json.WriteNumber("solverSeconds", r.SolverSeconds);
                json.WritePropertyName("result");
                json.WriteRawValue(r.ResultJson, skipInputValidation: false);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Ends the attempt as failed, cancelled or released; false when fenced off.</summary>
    public async Task<bool> ReportAsync(Guid runId, int attempt, string workerId, string outcome, string? reason, bool retryable, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync($"/internal/v1/runs/{runId}/report",
            new { workerId, attempt, outcome, reason, retryable }, ct);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
        response.EnsureSuccessStatusCode();
        return true;
    }
}
