using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DeepSim.Simulation.Workers;

public sealed record ClaimedRun(Guid RunId, int Attempt, DateTime LeaseExpiresAt, int LeaseSeconds, JsonElement Flowsheet);
public sealed record HeartbeatAnswer(DateTime LeaseExpiresAt, bool CancelRequested);

/// <summary>The Api's internal run endpoints as the worker sees them. A 409 means the attempt is fenced off.</summary>
public sealed class ApiRunClient(HttpClient http)
{
    public const string HttpClientName = "deepsim-api-internal";

    public async Task<ClaimedRun?> ClaimAsync(string workerId, int waitSeconds, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/internal/v1/runs/claim", new { workerId, waitSeconds }, ct);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<ClaimedRun>(ct);
    }

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

    /// <summary>False when the attempt was fenced off and the result changed nothing.</summary>
    public async Task<bool> CompleteAsync(Guid runId, int attempt, string workerId, bool converged, string? failureReason,
        double solverSeconds, string resultJson, CancellationToken ct)
    {
        using var result = JsonDocument.Parse(resultJson);
        using var response = await http.PostAsJsonAsync($"/internal/v1/runs/{runId}/complete",
            new { workerId, attempt, converged, failureReason, solverSeconds, result = result.RootElement }, ct);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
        response.EnsureSuccessStatusCode();
        return true;
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
