using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace DeepSim.Analytics.Ingest;

/// <summary>
/// The <c>ingest</c> check: Healthy while the ingest lag is at most <see cref="IngestOptions.LagDegradedSeconds"/>,
/// Degraded above it or while a part of it cannot be known, the lag in the description either way. Never Unhealthy:
/// Analytics still answers from what ClickHouse holds (ClickHouse itself has its own check).
/// </summary>
public sealed class IngestHealthCheck(IngestLag lag, IOptions<IngestOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var reading = lag.Current;
        var threshold = options.Value.LagDegradedSeconds;
        if (reading.Lag is not { } value)
        {
            return Task.FromResult(HealthCheckResult.Degraded($"ingest lag unknown: {reading.Details}"));
        }
        var seconds = value.TotalSeconds;
        var summary = string.Create(CultureInfo.InvariantCulture, $"ingest lag {seconds:F1} s (Degraded above {threshold} s)");
        if (seconds > threshold)
        {
            return Task.FromResult(HealthCheckResult.Degraded($"{summary}: events wait to reach ClickHouse; {reading.Details}"));
        }
        return Task.FromResult(reading.Complete
            ? HealthCheckResult.Healthy($"{summary}; {reading.Details}")
            : HealthCheckResult.Degraded($"{summary}, but a part is unknown; {reading.Details}"));
    }
}
