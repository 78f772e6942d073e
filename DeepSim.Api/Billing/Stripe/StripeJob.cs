using DeepSim.Api.Infrastructure;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Billing.Stripe;

/// <summary>
/// The Stripe side of the billing job: at each period's end the ended period's overage is recorded, then sent as a
/// billing meter event and marked sent (a crash between the two re-sends the same identifier, which Stripe counts once);
/// a pending change moves the Stripe price. Reconciliation compares every local Stripe subscription with Stripe's.
/// Each tenant is handled in its own transactions, so one failing tenant does not hold the others back.
/// </summary>
public sealed partial class StripeJob(TenantDb db, BillingService billing, StripeGateway stripe, IOptions<BillingSettings> billingOptions,
    IOptions<StripeSettings> options, ILogger<StripeJob> log) : BackgroundService
{
    public const int TenantsPerPass = 200;

    /// <summary>Test hook: runs after a meter event was sent and before it is marked sent (a crash there is simulated by throwing).</summary>
    internal Func<string, Task>? AfterMeterEventSent { get; set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var usageEvery = TimeSpan.FromSeconds(Math.Max(1, billingOptions.Value.JobIntervalSeconds));
        var reconcileEvery = TimeSpan.FromSeconds(Math.Max(1, options.Value.ReconcileIntervalSeconds));
        var nextReconcile = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(usageEvery);
        do
        {
            try
            {
                await RunOnceAsync(billing.Now(), stoppingToken);
                if (billing.Now() >= nextReconcile)
                {
                    await ReconcileOnceAsync(stoppingToken);
                    nextReconcile = billing.Now() + reconcileEvery;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Log.PassFailed(log, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One usage and period-end pass at <paramref name="now"/>: returns the meter events marked sent.</summary>
    public async Task<int> RunOnceAsync(DateTimeOffset now, CancellationToken ct)
    {
        if (!stripe.IsConfigured)
        {
            return 0;
        }
        var due = (await db.WithoutTenantAsync(s => s.QueryAsync<Guid>("select tenant_id from billing_stripe_due_tenants(@now, @limit)",
            new { now = now.UtcDateTime, limit = TenantsPerPass }, ct), ct)).ToList();
        var sent = 0;
        foreach (var tenant in due)
        {
            try
            {
                // Recorded (and committed) before anything is sent.
                var (customer, unsent) = await db.InTenantAsync(tenant, async s =>
                {
                    await billing.ApplyStripePeriodEndAsync(s, now, ct);
                    var sub = await billing.EnsureSubscriptionAsync(s, forUpdate: false, ct);
                    return (sub.StripeCustomer, await BillingService.UnsentUsageAsync(s, ct));
                }, ct);
                foreach (var (identifier, units, periodEnd) in customer is null ? [] : unsent)
                {
                    await stripe.SendMeterEventAsync(customer!, units, identifier, new DateTimeOffset(DateTime.SpecifyKind(periodEnd, DateTimeKind.Utc)).AddSeconds(-1), ct);
                    if (AfterMeterEventSent is { } hook)
                    {
                        await hook(identifier);
                    }
                    await db.InTenantAsync(tenant, s => s.ExecuteAsync(
                        "update usage_reports set sent_at = now() where identifier = @identifier and sent_at is null", new { identifier }, ct), ct);
                    sent++;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.TenantFailed(log, ex, tenant);
            }
        }
        return sent;
    }

    /// <summary>Compares every local Stripe subscription with Stripe's and corrects drift: returns the tenants corrected.</summary>
    public async Task<int> ReconcileOnceAsync(CancellationToken ct)
    {
        if (!stripe.IsConfigured)
        {
            return 0;
        }
        var corrected = 0;
        Guid? after = null;
        while (true)
        {
            var page = (await db.WithoutTenantAsync(s => s.QueryAsync<Guid>("select tenant_id from billing_stripe_tenants(@after, @limit)",
                new { after, limit = TenantsPerPass }, ct), ct)).ToList();
            foreach (var tenant in page)
            {
                try
                {
                    var subscriptionId = await db.InTenantAsync(tenant, s => s.ExecuteScalarAsync<string>(
                        "select stripe_subscription from subscriptions where tenant_id = current_tenant_id()", null, ct), ct);
                    var remote = await stripe.GetSubscriptionAsync(subscriptionId!, ct);
                    var differences = await db.InTenantAsync(tenant, s => billing.ReconcileAsync(s, remote, ct), ct);
                    if (differences.Count > 0)
                    {
                        corrected++;
                        Log.Reconciled(log, tenant, differences.Count);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.TenantFailed(log, ex, tenant);
                }
            }
            if (page.Count < TenantsPerPass)
            {
                return corrected;
            }
            after = page[^1];
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe billing pass failed; it is retried on the next tick")]
        public static partial void PassFailed(ILogger logger, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe billing for tenant {TenantId} failed; it is retried on the next pass")]
        public static partial void TenantFailed(ILogger logger, Exception exception, Guid tenantId);

        [LoggerMessage(Level = LogLevel.Information, Message = "Stripe reconciliation corrected {Count} fields of tenant {TenantId} (billing.reconciled says which)")]
        public static partial void Reconciled(ILogger logger, Guid tenantId, int count);
    }
}
