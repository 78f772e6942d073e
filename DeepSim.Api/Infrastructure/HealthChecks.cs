using DeepSim.ServiceDefaults;
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

/// <summary>
/// The platform role logs in and runs a query. Its pool sits idle most of the time (only operator requests use it), so
/// after a database restart its idle connections are dead, and the first use of one fails ("terminating connection due
/// to administrator command") and discards it. That says nothing about the database now: the check tries a second time,
/// on a new connection, before it reports Unhealthy.
/// </summary>
public sealed class PlatformDatabaseHealthCheck([FromKeyedServices(ResourceNames.PlatformDatabase)] Npgsql.NpgsqlDataSource dataSource) : IHealthCheck
{
    public const string Name = "PostgreSql_platformdb";
    private const int Attempts = 2;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var command = dataSource.CreateCommand("select 1");
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy(attempt == 1 ? null : "answered on a new connection after a broken pooled one");
            }
            catch (Npgsql.NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
            {
                if (attempt == Attempts)
                {
                    return HealthCheckResult.Unhealthy(ex.Message, ex);
                }
            }
        }
    }
}
