using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace DeepSim.Api.Infrastructure;

/// <summary>
/// Redis answers PING, with the request path's circuit in the description. Redis trouble is Degraded, not Unhealthy:
/// the Api keeps serving without it (caches miss, rate limits hold per process, revocations fall back to PostgreSQL),
/// so it must stay in load balancing and its dependants must not count it down.
/// </summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis, RedisCircuit circuit) : IHealthCheck
{
    // Answer /health promptly when Redis is down instead of waiting out the client's own command timeout.
    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(1);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync().WaitAsync(PingTimeout, cancellationToken);
            circuit.ObservedAnswer();
            return HealthCheckResult.Healthy($"PING answered in {latency.TotalMilliseconds:F1} ms; {circuit.Describe()}");
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is RedisException or TimeoutException or OperationCanceledException)
        {
            return HealthCheckResult.Degraded(
                $"Redis did not answer PING: serving without it (cache misses, per-process rate limits, revocations from the database); {circuit.Describe()}", ex);
        }
    }
}
