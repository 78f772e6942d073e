using DeepSim.Api.Infrastructure;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Billing;

/// <summary>
/// Periodically renews ended periods (invoicing them) and makes tenants past due beyond the grace read-only. Each
/// tenant is handled in its own transaction, so one failing tenant does not hold the others back; every pass is
/// bounded (<c>billing_due_tenants</c> returns at most 500).
/// </summary>
public sealed partial class BillingJob(TenantDb db, BillingService billing, IOptions<BillingSettings> options, ILogger<BillingJob> log) : BackgroundService
{
    public const int TenantsPerPass = 200;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(1, options.Value.JobIntervalSeconds));
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                await RunOnceAsync(billing.Now(), stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Log.PassFailed(log, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass at <paramref name="now"/>: returns how many tenants were handled.</summary>
    public async Task<int> RunOnceAsync(DateTimeOffset now, CancellationToken ct)
    {
        var due = (await db.WithoutTenantAsync(s => s.QueryAsync<Guid>(
            "select tenant_id from billing_due_tenants(@now, @grace, @limit)",
            new { now = now.UtcDateTime, grace = options.Value.Grace, limit = TenantsPerPass }, ct), ct)).ToList();
        foreach (var tenant in due)
        {
            try
            {
                await db.InTenantAsync(tenant, async s =>
                {
                    await billing.RenewAsync(s, now, ct);
                    return await billing.RestrictIfOverdueAsync(s, now, ct);
                }, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.TenantFailed(log, ex, tenant);
            }
        }
        return due.Count;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Billing pass failed; it is retried on the next tick")]
        public static partial void PassFailed(ILogger logger, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Billing for tenant {TenantId} failed; it is retried on the next pass")]
        public static partial void TenantFailed(ILogger logger, Exception exception, Guid tenantId);
    }
}
