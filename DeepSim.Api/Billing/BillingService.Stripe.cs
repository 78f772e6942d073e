using System.Globalization;
using System.Text.Json;
using DeepSim.Api.Infrastructure;
using DeepSim.Api.Plans;

namespace DeepSim.Api.Billing;

/// <summary>
/// The Stripe side of billing, in the tenant's transaction like the rest: the local rules decide what a change does,
/// Stripe holds the customer and subscription, and its webhooks (applied here) move the local rows. Each object is
/// applied only when it is newer than what the row last followed (<c>stripe_synced_at</c>), so arrival order does not matter.
/// </summary>
public sealed partial class BillingService
{
    /// <summary>True when the row follows a Stripe subscription that still runs.</summary>
    public static bool HasLiveStripeSubscription(SubscriptionRow sub) =>
        sub.Provider == Providers.Stripe && sub.StripeSubscription is not null && sub.Status != SubscriptionStatus.Canceled;

    private static string LookupKey(PlanPrice price) =>
        price.StripePrice ?? throw new InvalidOperationException($"plan_prices has no Stripe lookup key for {price.Plan} ({price.Cycle})");

    private static Task<long> SyncedAtAsync(DbScope s, CancellationToken ct) =>
        s.ExecuteScalarAsync<long>("select stripe_synced_at from subscriptions where tenant_id = current_tenant_id()", null, ct);

    private async Task UncancelOnStripeAsync(SubscriptionRow sub, CancellationToken ct)
    {
        if (sub.CancelAtPeriodEnd && HasLiveStripeSubscription(sub))
        {
            await stripe.SetCancelAtPeriodEndAsync(sub.StripeSubscription!, false, $"{sub.TenantId}:uncancel:{sub.StripeSubscription}:{sub.PeriodEnd.ToUnixTimeSeconds()}", ct);
        }
    }

    /// <summary>
    /// The idempotency key of a scheduling call: the row's last change is in it, so a retry of the same request reuses
    /// it and a later, different request (schedule, release, schedule again) does not replay an earlier one.
    /// </summary>
    private static async Task<string> ScheduleKeyAsync(DbScope s, SubscriptionRow sub, string what, CancellationToken ct) =>
        $"{sub.TenantId}:{what}:{sub.StripeSubscription}:{sub.PeriodEnd.ToUnixTimeSeconds()}:" + await s.ExecuteScalarAsync<long>(
            "select (extract(epoch from updated_at) * 1000000)::bigint from subscriptions where tenant_id = current_tenant_id()", null, ct);

    /// <summary>
    /// A change at the period's end to a plan with a Stripe price, left to Stripe's subscription schedule (its renewal
    /// moves the price, so the local job cannot be late for it). The local row keeps it as pending until the webhook.
    /// </summary>
    private async Task ScheduleOnStripeAsync(DbScope s, SubscriptionRow sub, IReadOnlyList<PlanPrice> prices, PlanPrice target, CancellationToken ct)
    {
        var current = PriceOf(prices, sub.Plan, sub.Cycle) ?? throw new InvalidOperationException($"no price for {sub.Plan} ({sub.Cycle})");
        await UncancelOnStripeAsync(sub, ct);
        await stripe.ScheduleChangeAsync(sub.StripeSubscription!, LookupKey(current), LookupKey(target), target.Cycle, sub.PeriodEnd,
            await ScheduleKeyAsync(s, sub, $"schedule:{target.Plan}:{target.Cycle}", ct), ct);
    }

    /// <summary>Drops what was scheduled on Stripe for the period's end: a cancellation and a scheduled price.</summary>
    private async Task UnscheduleOnStripeAsync(DbScope s, SubscriptionRow sub, CancellationToken ct)
    {
        await UncancelOnStripeAsync(sub, ct);
        if (sub.PendingPlan is not null && HasLiveStripeSubscription(sub))
        {
            await stripe.ReleaseScheduleAsync(sub.StripeSubscription!, await ScheduleKeyAsync(s, sub, "release", ct), ct);
        }
    }

    /// <summary>The tenant's Stripe customer, created once (metadata tenant_id; the idempotency key is the tenant id).</summary>
    public async Task<string> EnsureStripeCustomerAsync(DbScope s, CancellationToken ct)
    {
        var sub = await EnsureSubscriptionAsync(s, forUpdate: true, ct);
        if (sub.StripeCustomer is { } existing)
        {
            return existing;
        }
        var tenant = await s.QuerySingleOrDefaultAsync<(string Name, string? Email)>(
            """
            select t.name, (select u.email from memberships m join users u on u.id = m.user_id where m.role = 'owner' order by u.email limit 1)
            from tenants t where t.id = current_tenant_id()
            """, null, ct);
        var customer = await stripe.CreateCustomerAsync(sub.TenantId, tenant.Name, tenant.Email, ct);
        await s.ExecuteAsync("update subscriptions set stripe_customer = @customer, updated_at = now() where tenant_id = current_tenant_id()",
            new { customer }, ct);
        return customer;
    }

    /// <summary>A Checkout session for a paid plan: the subscription row moves to Stripe, its plan when the webhook says so.</summary>
    public async Task<string> CheckoutUrlAsync(DbScope s, SubscriptionRow sub, PlanPrice target, CancellationToken ct)
    {
        var customer = await EnsureStripeCustomerAsync(s, ct);
        await s.ExecuteAsync("update subscriptions set provider = 'stripe', updated_at = now() where tenant_id = current_tenant_id()", null, ct);
        // One session per tenant, plan and cycle per ten minutes: a double click opens the same page.
        var window = Now().ToUnixTimeSeconds() / 600;
        return await stripe.CheckoutUrlAsync(sub.TenantId, customer, LookupKey(target), target.Plan, target.Cycle,
            $"{sub.TenantId}:checkout:{target.Plan}:{target.Cycle}:{window}", ct);
    }

    public async Task<string> PortalUrlAsync(DbScope s, CancellationToken ct) => await stripe.PortalUrlAsync(await EnsureStripeCustomerAsync(s, ct), ct);

    /// <summary>The local plan and cycle of a Stripe price lookup key; null when no plan_prices row has it.</summary>
    private static Task<(string Plan, string Cycle)?> PlanOfLookupKeyAsync(DbScope s, string? lookupKey, CancellationToken ct) =>
        s.QuerySingleOrDefaultAsync<(string Plan, string Cycle)?>("select plan, cycle from plan_prices where stripe_price = @lookupKey",
            new { lookupKey }, ct);

    private static DateTimeOffset FromUnix(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds);

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long Long(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;

    private static bool Bool(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static JsonElement Obj(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : default;

    private static List<JsonElement> Data(JsonElement list) =>
        Obj(list, "data") is { ValueKind: JsonValueKind.Array } data ? [.. data.EnumerateArray()] : [];

    /// <summary>A Stripe subscription (from a webhook at <paramref name="objectTime"/>, or retrieved): the outcome recorded for the event.</summary>
    public async Task<string> ApplyStripeSubscriptionAsync(DbScope s, JsonElement subscription, long objectTime, bool deleted, CancellationToken ct)
    {
        var sub = await EnsureSubscriptionAsync(s, forUpdate: true, ct);
        var synced = await SyncedAtAsync(s, ct);
        if (objectTime <= synced)
        {
            return "stale";
        }
        var id = Str(subscription, "id");
        if (sub.StripeSubscription is { } current && current != id && sub.Status != SubscriptionStatus.Canceled)
        {
            return "other_subscription";
        }
        var item = Data(Obj(subscription, "items")).FirstOrDefault();
        var stripeStatus = deleted ? "canceled" : Str(subscription, "status");
        var status = stripeStatus switch
        {
            "active" or "trialing" => SubscriptionStatus.Active,
            "past_due" or "unpaid" or "incomplete" => SubscriptionStatus.PastDue,
            "canceled" or "incomplete_expired" => SubscriptionStatus.Canceled,
            _ => null,
        };
        var mapped = await PlanOfLookupKeyAsync(s, Str(Obj(item, "price"), "lookup_key"), ct);
        if (status is null || mapped is not { } planCycle)
        {
            return "unknown_price_or_status";
        }
        var (plan, cycle) = status == SubscriptionStatus.Canceled ? (PlanCatalog.FallbackPlan, Cycles.Monthly) : planCycle;
        var start = FromUnix(Long(item, "current_period_start") is > 0 and var st ? st : Long(subscription, "current_period_start"));
        var end = FromUnix(Long(item, "current_period_end") is > 0 and var en ? en : Long(subscription, "current_period_end"));
        if (end <= start)
        {
            return "invalid_period";
        }
        if (start > sub.PeriodStart && sub.Provider == Providers.Stripe && sub.StripeSubscription is not null)
        {
            // Stripe renewed: the ended period's solver time beyond the plan goes to the meter.
            await RecordUsageAsync(s, sub, ct);
        }
        await s.ExecuteAsync(
            """
            update subscriptions set provider = 'stripe', stripe_subscription = @id, plan = @plan, cycle = @cycle, status = @status,
                current_period_start = @start, current_period_end = @end, cancel_at_period_end = @cancel, complimentary = false,
                pending_plan = case when pending_plan = @plan and coalesce(pending_cycle, @cycle) = @cycle or @status = 'canceled' then null else pending_plan end,
                pending_cycle = case when pending_plan = @plan and coalesce(pending_cycle, @cycle) = @cycle or @status = 'canceled' then null else pending_cycle end,
                past_due_since = case when @status = 'past_due' then coalesce(past_due_since, @now) else past_due_since end,
                stripe_synced_at = @objectTime, updated_at = now()
            where tenant_id = current_tenant_id()
            """,
            new
            {
                id, plan, cycle, status, start = start.UtcDateTime, end = end.UtcDateTime, cancel = !deleted && Bool(subscription, "cancel_at_period_end"),
                now = Now().UtcDateTime, objectTime,
            }, ct);
        await s.ExecuteAsync("select billing_sync_plan()", null, ct);
        plans.Invalidate();
        await Outbox.AddWithTenantStateAsync(s, "billing.subscription.synced", new { subscription = id, plan, cycle, status, periodStart = start, periodEnd = end }, ct);
        return "applied";
    }

    /// <summary>Checkout finished: the row follows the new subscription (its own events carry the plan).</summary>
    public static async Task<string> ApplyCheckoutCompletedAsync(DbScope s, JsonElement session, CancellationToken ct)
    {
        var subscription = Str(session, "subscription");
        if (Str(session, "mode") != "subscription" || subscription is null)
        {
            return "ignored";
        }
        await s.ExecuteAsync(
            """
            update subscriptions set provider = 'stripe', updated_at = now(),
                stripe_subscription = case when stripe_subscription is null or status = 'canceled' and stripe_synced_at = 0 then @subscription else stripe_subscription end
            where tenant_id = current_tenant_id()
            """, new { subscription }, ct);
        await Outbox.AddAsync(s, "billing.checkout.completed", new { session = Str(session, "id"), subscription }, ct);
        return "applied";
    }

    private static string InvoiceReason(string? billingReason) =>
        billingReason is "subscription_create" or "subscription_update" or "subscription_cycle" ? billingReason : "manual";

    /// <summary>
    /// A Stripe invoice event: the local invoice (by stripe_invoice) is created with Stripe's lines and amounts the first
    /// time, then follows newer objects only; a payment settles it through the ledger once (reference stripe:in_…).
    /// </summary>
    public async Task<string> ApplyStripeInvoiceAsync(DbScope s, string eventType, JsonElement invoice, long objectTime, CancellationToken ct)
    {
        if (Str(invoice, "id") is not { } stripeId)
        {
            return "invalid_object";
        }
        var sub = await EnsureSubscriptionAsync(s, forUpdate: true, ct);
        var local = await s.QuerySingleOrDefaultAsync<(Guid Id, string Status, long Synced)?>(
            "select id, status, stripe_synced_at from invoices where stripe_invoice = @stripeId for update", new { stripeId }, ct);
        var stripeStatus = Str(invoice, "status");
        var amountDue = Math.Max(0, Long(invoice, "amount_due"));
        Guid id;
        if (local is not { } existing)
        {
            id = await InsertStripeInvoiceAsync(s, sub, stripeId, invoice, amountDue, objectTime, ct);
        }
        else if (objectTime <= existing.Synced)
        {
            return "stale";
        }
        else
        {
            id = existing.Id;
            await s.ExecuteAsync("update invoices set stripe_synced_at = @objectTime where id = @id", new { id, objectTime }, ct);
        }
        switch (stripeStatus)
        {
            case InvoiceStatus.Paid:
                await SettleAsync(s, id, "stripe:" + stripeId, ct);
                break;
            case InvoiceStatus.Void:
                var voided = await s.QuerySingleOrDefaultAsync<(long Owed, string Currency)?>(
                    """
                    update invoices set status = 'void', voided_at = @now where id = @id and status = 'open'
                    returning amount_due - amount_paid, currency
                    """, new { id, now = Now().UtcDateTime }, ct);
                if (voided is { } v)
                {
                    await PostAsync(s, id, "void", -v.Owed, v.Currency, "void:" + id, ct);
                    await Outbox.AddAsync(s, "billing.invoice.voided", new { invoiceId = id, stripeInvoice = stripeId }, ct);
                    await RestoreIfSettledAsync(s, ct);
                }
                break;
            case InvoiceStatus.Uncollectible:
                await s.ExecuteAsync("update invoices set status = 'uncollectible' where id = @id and status = 'open'", new { id }, ct);
                break;
            case InvoiceStatus.Open when eventType == "invoice.payment_failed":
                // A subscription Stripe already ended is not made past due by an older failure arriving late.
                var live = await s.ExecuteScalarAsync<bool>("select status <> 'canceled' from subscriptions where tenant_id = current_tenant_id()", null, ct);
                if (live)
                {
                    await MarkPaymentFailedAsync(s, id, Long(invoice, "attempt_count") is > 0 and var n ? $"attempt {n}" : null, ct);
                }
                break;
        }
        return "applied";
    }

    private static async Task<Guid> InsertStripeInvoiceAsync(DbScope s, SubscriptionRow sub, string stripeId, JsonElement invoice, long amountDue, long objectTime,
        CancellationToken ct)
    {
        var lines = Data(Obj(invoice, "lines")).Select(line =>
        {
            var amount = Long(line, "amount");
            var quantity = Long(line, "quantity");
            var proration = Bool(Obj(Obj(line, "parent"), "subscription_item_details"), "proration")
                || Bool(Obj(Obj(line, "parent"), "invoice_item_details"), "proration");
            var period = Obj(line, "period");
            return new DraftLine(proration ? "proration" : amount < 0 ? "credit" : "plan", Str(line, "description") ?? "Stripe invoice line",
                quantity, quantity > 0 ? Money.DivideRounded(amount, quantity) : amount, amount,
                Long(period, "start") is > 0 and var ps ? FromUnix(ps) : null, Long(period, "end") is > 0 and var pe ? FromUnix(pe) : null);
        }).ToList();
        var periodStart = lines.Select(l => l.PeriodStart).Where(p => p is not null).Min() ?? FromUnix(Long(invoice, "period_start"));
        var periodEnd = lines.Select(l => l.PeriodEnd).Where(p => p is not null).Max() ?? FromUnix(Long(invoice, "period_end"));
        var subtotal = Long(invoice, "subtotal");
        var total = Long(invoice, "total");
        var id = Guid.NewGuid();
        var created = FromUnix(Long(invoice, "created") is > 0 and var c ? c : objectTime);
        var sequence = await s.ExecuteScalarAsync<long>("select nextval('invoice_numbers')", null, ct);
        var number = string.Create(CultureInfo.InvariantCulture, $"DS-{created.Year}-{sequence:D6}");
        var currency = Str(invoice, "currency") ?? sub.Currency;
        var reason = InvoiceReason(Str(invoice, "billing_reason"));
        // Paid is reached through SettleAsync below, so the payment posts exactly once.
        var status = Str(invoice, "status") is InvoiceStatus.Draft ? InvoiceStatus.Draft : InvoiceStatus.Open;
        await s.ExecuteAsync(
            """
            insert into invoices (id, tenant_id, number, status, reason, currency, subtotal, credit_applied, amount_due, period_start, period_end,
                                  created_at, finalized_at, stripe_invoice, stripe_synced_at)
            values (@id, current_tenant_id(), @number, @status, @reason, @currency, @subtotal, @credit, @amountDue, @periodStart, @periodEnd,
                    @created, @created, @stripeId, @objectTime)
            """,
            new
            {
                id, number, status, reason, currency, subtotal, credit = Math.Max(0, total - amountDue), amountDue,
                periodStart = periodStart.UtcDateTime, periodEnd = (periodEnd > periodStart ? periodEnd : periodStart).UtcDateTime,
                created = created.UtcDateTime, stripeId, objectTime,
            }, ct);
        await s.ExecuteAsync(
            """
            insert into invoice_lines (id, tenant_id, invoice_id, position, kind, description, quantity, unit_amount, amount, period_start, period_end)
            select gen_random_uuid(), current_tenant_id(), @invoice, l.position, l.kind, l.description, l.quantity, l.unit_amount, l.amount, l.period_start, l.period_end
            from jsonb_to_recordset(@lines::jsonb) as l(position int, kind text, description text, quantity numeric, unit_amount bigint, amount bigint,
                                                        period_start timestamptz, period_end timestamptz)
            """,
            new
            {
                invoice = id,
                lines = JsonSerializer.Serialize(lines.Select((l, i) => new
                {
                    position = i + 1, kind = l.Kind, description = l.Description, quantity = l.Quantity, unit_amount = l.UnitAmount,
                    amount = l.Amount, period_start = l.PeriodStart, period_end = l.PeriodEnd,
                })),
            }, ct);
        // Stripe keeps the customer's credit balance: the ledger posts what the invoice asks for.
        await PostAsync(s, id, "invoice", amountDue, currency, "invoice:" + id, ct);
        await Outbox.AddAsync(s, "billing.invoice.finalized",
            new { invoiceId = id, number, reason, currency, subtotal, amountDue, stripeInvoice = stripeId }, ct);
        return id;
    }

    /// <summary>
    /// Records (once per tenant and period) the ended period's solver time beyond the plan for the meter: the row exists
    /// before anything is sent, and its identifier is the meter event's identifier.
    /// </summary>
    public async Task<bool> RecordUsageAsync(DbScope s, SubscriptionRow sub, CancellationToken ct)
    {
        if (sub.Complimentary)
        {
            return false;
        }
        var plan = await plans.GetAsync(sub.Plan, ct);
        var seconds = await SolverSecondsAsync(s, sub.PeriodStart, sub.PeriodEnd, ct);
        var (units, _) = Overage.Of(seconds, plan.IncludedSolverHours, plan.OveragePerSolverHour);
        if (units <= 0)
        {
            return false;
        }
        var identifier = UsageIdentifier(sub.TenantId, sub.PeriodStart);
        return await s.ExecuteAsync(
            """
            insert into usage_reports (tenant_id, period_start, period_end, solver_seconds, identifier, overage_units)
            values (current_tenant_id(), @start, @end, @seconds, @identifier, @units) on conflict do nothing
            """, new { start = sub.PeriodStart.UtcDateTime, end = sub.PeriodEnd.UtcDateTime, seconds, identifier, units }, ct) == 1;
    }

    public static string UsageIdentifier(Guid tenant, DateTimeOffset periodStart) =>
        string.Create(CultureInfo.InvariantCulture, $"{tenant:N}-{periodStart.ToUnixTimeSeconds()}");

    /// <summary>
    /// At a Stripe period's end (before or after Stripe's renewal webhook): the ended period's usage is recorded. A
    /// pending change is Stripe's own (its subscription schedule): nothing to move here. Safe to repeat (on conflict).
    /// </summary>
    public async Task ApplyStripePeriodEndAsync(DbScope s, DateTimeOffset now, CancellationToken ct)
    {
        var sub = await EnsureSubscriptionAsync(s, forUpdate: true, ct);
        if (!HasLiveStripeSubscription(sub) || sub.PeriodEnd > now)
        {
            return;
        }
        await RecordUsageAsync(s, sub, ct);
    }

    /// <summary>Unsent usage rows of the tenant (oldest first).</summary>
    public static async Task<IReadOnlyList<(string Identifier, long Units, DateTime PeriodEnd)>> UnsentUsageAsync(DbScope s, CancellationToken ct) =>
        (await s.QueryAsync<(string Identifier, long Units, DateTime PeriodEnd)>(
            "select identifier, overage_units, period_end from usage_reports where sent_at is null order by period_start", null, ct)).ToList();

    /// <summary>
    /// Compares the row with Stripe's subscription and corrects plan, status, period and cancellation drift; the
    /// differences go to the outbox as <c>billing.reconciled</c>. Returns them (empty when none).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, object?>> ReconcileAsync(DbScope s, Billing.Stripe.StripeSubscriptionState remote, CancellationToken ct)
    {
        var sub = await EnsureSubscriptionAsync(s, forUpdate: true, ct);
        var differences = new Dictionary<string, object?>(StringComparer.Ordinal);
        var status = remote.Status switch
        {
            "active" or "trialing" => SubscriptionStatus.Active,
            "past_due" or "unpaid" or "incomplete" => SubscriptionStatus.PastDue,
            _ => SubscriptionStatus.Canceled,
        };
        var mapped = await PlanOfLookupKeyAsync(s, remote.LookupKey, ct);
        var (plan, cycle) = status == SubscriptionStatus.Canceled || mapped is null ? (PlanCatalog.FallbackPlan, Cycles.Monthly) : mapped.Value;
        void Compare(string field, object local, object stripeValue)
        {
            if (!Equals(local, stripeValue))
            {
                differences[field] = new { local, stripe = stripeValue };
            }
        }
        Compare("plan", sub.Plan, plan);
        Compare("cycle", sub.Cycle, cycle);
        Compare("status", sub.Status, status);
        Compare("currentPeriodStart", sub.PeriodStart, remote.PeriodStart);
        Compare("currentPeriodEnd", sub.PeriodEnd, remote.PeriodEnd);
        Compare("cancelAtPeriodEnd", sub.CancelAtPeriodEnd, remote.CancelAtPeriodEnd);
        if (differences.Count == 0)
        {
            return differences;
        }
        await s.ExecuteAsync(
            """
            update subscriptions set plan = @plan, cycle = @cycle, status = @status, current_period_start = @start, current_period_end = @end,
                cancel_at_period_end = @cancel, past_due_since = case when @status = 'past_due' then coalesce(past_due_since, @now) else past_due_since end,
                stripe_synced_at = greatest(stripe_synced_at, @seen), updated_at = now()
            where tenant_id = current_tenant_id()
            """,
            new
            {
                plan, cycle, status, start = remote.PeriodStart.UtcDateTime, end = remote.PeriodEnd.UtcDateTime, cancel = remote.CancelAtPeriodEnd,
                now = Now().UtcDateTime, seen = Now().ToUnixTimeSeconds(),
            }, ct);
        await s.ExecuteAsync("select billing_sync_plan()", null, ct);
        plans.Invalidate();
        await Outbox.AddAsync(s, "billing.reconciled", new { subscription = remote.Id, differences }, ct);
        return differences;
    }
}
