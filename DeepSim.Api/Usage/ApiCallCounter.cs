using System.Collections.Concurrent;
using DeepSim.Api.Infrastructure;

namespace DeepSim.Api.Usage;

/// <summary>
/// Counts allowed API calls per tenant in memory; <see cref="UsageFlusher"/> adds them to the month's usage row
/// (with an event) every few seconds, so a request never waits on a usage write.
/// </summary>
public sealed class ApiCallCounter
{
    private ConcurrentDictionary<Guid, long> counts = new();

    public void Add(Guid tenantId) => counts.AddOrUpdate(tenantId, 1, (_, n) => n + 1);

    internal ConcurrentDictionary<Guid, long> Take() => Interlocked.Exchange(ref counts, new ConcurrentDictionary<Guid, long>());

    internal void Restore(Guid tenantId, long count) => counts.AddOrUpdate(tenantId, count, (_, n) => n + count);
}

/// <summary>Writes counted API calls to <c>usage_monthly</c> and the outbox, periodically and at shutdown.</summary>
public sealed partial class UsageFlusher(ApiCallCounter counter, TenantDb db, IConfiguration configuration, ILogger<UsageFlusher> logger) : BackgroundService
{
    public const int DefaultFlushMilliseconds = 5000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromMilliseconds(configuration.GetValue("Usage:FlushMilliseconds", DefaultFlushMilliseconds));
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
            // stopping: the final flush below
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }

    public async Task FlushAsync(CancellationToken ct)
    {
        foreach (var (tenant, count) in counter.Take())
        {
            try
            {
                await db.InTenantAsync(tenant, async s =>
                {
                    await s.ExecuteAsync(
                        """
                        insert into usage_monthly as u (tenant_id, month, api_calls)
                        values (@tenant, date_trunc('month', now() at time zone 'UTC')::date, @count)
                        on conflict (tenant_id, month) do update set api_calls = u.api_calls + excluded.api_calls
                        """, new { tenant, count }, ct);
                    await Outbox.AddAsync(s, "usage.api_calls", new { tenantId = tenant, count }, ct);
                    return true;
                }, ct);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or OperationCanceledException)
            {
                // Kept for the next flush: usage is late rather than lost.
                counter.Restore(tenant, count);
                Log.FlushFailed(logger, ex, tenant);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "API call usage of tenant {TenantId} not written yet; retrying at the next flush")]
        public static partial void FlushFailed(ILogger logger, Exception exception, Guid tenantId);
    }
}
