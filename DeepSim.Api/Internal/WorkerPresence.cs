using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Internal;

/// <summary>The <c>Workers</c> configuration section.</summary>
public sealed class WorkersSettings
{
    public const string Section = "Workers";

    /// <summary>
    /// How recently a worker must have called an internal endpoint to count as present. An idle worker long-polls a
    /// claim at least every <c>Runs:MaxClaimWaitSeconds</c> (8 s) plus a 1 s error backoff; a busy one heartbeats
    /// every lease/3 (10 s): 30 s is about three missed calls.
    /// </summary>
    public int PresenceWindowSeconds { get; set; } = 30;
}

/// <summary>A request to an internal endpoint, made by the worker it names.</summary>
public interface IWorkerRequest
{
    string? WorkerId { get; }
}

/// <summary>
/// When each worker last called this Api process. Kept in memory, not in PostgreSQL: it costs no write per internal
/// call, and a worker's calls (a claim every few seconds even when idle) reach every replica behind a balancer well
/// within the window while there are a few replicas. Each replica answers for the workers it sees, which is what
/// its readiness is about; with many replicas, a row per worker would be the shared record instead.
/// </summary>
public sealed class WorkerPresence(TimeProvider time)
{
    // Ids come only from service-token callers; still, forget stale ones so the map cannot grow without end.
    private const int PruneAbove = 1_000;
    private static readonly TimeSpan ForgetAfter = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, DateTimeOffset> lastSeen = new(StringComparer.Ordinal);

    public void Seen(string workerId)
    {
        var now = time.GetUtcNow();
        lastSeen[workerId] = now;
        if (lastSeen.Count > PruneAbove)
        {
            Prune(now - ForgetAfter);
        }
    }

    /// <summary>How many distinct workers called within <paramref name="window"/> up to now.</summary>
    public int CountSeenWithin(TimeSpan window)
    {
        var since = time.GetUtcNow() - window;
        var count = 0;
        foreach (var (_, at) in lastSeen)
        {
            if (at >= since)
            {
                count++;
            }
        }
        return count;
    }

    private void Prune(DateTimeOffset before)
    {
        foreach (var (id, at) in lastSeen)
        {
            if (at < before)
            {
                lastSeen.TryRemove(new KeyValuePair<string, DateTimeOffset>(id, at));
            }
        }
    }
}

/// <summary>Records the calling worker of every internal endpoint once its body is bound, before the handler runs.</summary>
internal sealed class WorkerPresenceFilter(WorkerPresence presence) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        foreach (var argument in context.Arguments)
        {
            // A long-poll claim counts when it arrives, not when it returns.
            if (argument is IWorkerRequest { WorkerId: { Length: > 0 and <= InternalRunEndpoints.MaxWorkerIdLength } id } && !string.IsNullOrWhiteSpace(id))
            {
                presence.Seen(id);
            }
        }
        return next(context);
    }
}

/// <summary>
/// Degraded (HTTP 200 still, so startup ordering that waits on the Api's health is not blocked) while no simulation
/// worker has called within the window: the Api works, but submitted runs stay queued.
/// </summary>
public sealed class WorkersHealthCheck(WorkerPresence presence, IOptionsMonitor<WorkersSettings> settings) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var seconds = Math.Max(1, settings.CurrentValue.PresenceWindowSeconds);
        var count = presence.CountSeenWithin(TimeSpan.FromSeconds(seconds));
        return Task.FromResult(count > 0
            ? HealthCheckResult.Healthy(string.Create(CultureInfo.InvariantCulture,
                $"{count} {(count == 1 ? "worker" : "workers")} seen in the last {seconds} s"))
            : HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture,
                $"no simulation worker has contacted the Api in the last {seconds} s: runs stay queued")));
    }
}
