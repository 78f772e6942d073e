using System.Globalization;
using DeepSim.Api.Billing.Stripe;
using DeepSim.Api.Infrastructure;
using DeepSim.Api.Plans;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Billing;

/// <summary>
/// Subscriptions, invoices and the ledger, in the tenant's own transaction. The local rules (<see cref="PlanChange"/>)
/// decide plan changes and amounts; the payment provider only collects. With no provider configured the ledger
/// settles each invoice as it is finalized, so billing works offline.
/// </summary>
public sealed partial class BillingService(PlanCatalog plans, TimeProvider clock, IOptions<BillingSettings> options, StripeGateway stripe)
{
    /// <summary>A subscription behind by more periods than this is renewed over several job passes.</summary>
    public const int MaxPeriodsPerRenewal = 24;

    private BillingSettings Settings => options.Value;

    public DateTimeOffset Now() => TruncateToMicroseconds(clock.GetUtcNow());

    // PostgreSQL keeps microseconds: amounts computed from times must use the times as stored.
    private static DateTimeOffset TruncateToMicroseconds(DateTimeOffset at) => at.AddTicks(-(at.Ticks % 10));

    /// <summary>The tenant's subscription, created on first use from its current plan (an operator-set paid plan is complimentary).</summary>
    public async Task<SubscriptionRow> EnsureSubscriptionAsync(DbScope s, bool forUpdate, CancellationToken ct)
    {
        var row = await ReadSubscriptionAsync(s, forUpdate, ct);
        if (row is not null)
        {
            return row;
        }
        var now = Now();
        await s.ExecuteAsync(
            """
            insert into subscriptions (tenant_id, plan, cycle, status, current_period_start, current_period_end, complimentary)
            select t.id, t.plan, 'monthly', 'active', @start, @end, t.plan <> 'free' from tenants t where t.id = current_tenant_id()
            on conflict (tenant_id) do nothing
            """, new { start = now.UtcDateTime, end = Cycles.PeriodEnd(Cycles.Monthly, now).UtcDateTime }, ct);
        return await ReadSubscriptionAsync(s, forUpdate, ct)
            ?? throw new InvalidOperationException("the tenant row is not visible: no subscription can be created");
    }

    private static Task<SubscriptionRow?> ReadSubscriptionAsync(DbScope s, bool forUpdate, CancellationToken ct) =>
        s.QuerySingleOrDefaultAsync<SubscriptionRow>(
            $"select {SubscriptionRow.Columns} from subscriptions where tenant_id = current_tenant_id(){(forUpdate ? " for update" : "")}", null, ct);

    public static async Task<IReadOnlyList<PlanPrice>> PricesAsync(DbScope s, CancellationToken ct) =>
        (await s.QueryAsync<PlanPrice>(
            """select plan as "Plan", cycle as "Cycle", currency as "Currency", amount as "Amount", stripe_price as "StripePrice" from plan_prices""",
            null, ct)).ToList();

    public static PlanPrice? PriceOf(IEnumerable<PlanPrice> prices, string plan, string cycle) =>
        prices.FirstOrDefault(p => p.Plan == plan && p.Cycle == cycle);

    public static long ChargeOf(SubscriptionRow sub, IEnumerable<PlanPrice> prices) =>
        sub.Complimentary ? 0 : PriceOf(prices, sub.Plan, sub.Cycle)?.Amount ?? 0;

    public async Task<SubscriptionView> ViewAsync(SubscriptionRow sub, IEnumerable<PlanPrice> prices, CancellationToken ct)
    {
        var plan = await plans.GetAsync(sub.Plan, ct);
        return new SubscriptionView(sub.Plan, plan.DisplayName, sub.Cycle, sub.Status, sub.PeriodStart, sub.PeriodEnd, sub.CancelAtPeriodEnd,
            sub.PendingPlan, sub.PendingCycle, sub.Complimentary, Utc(sub.PastDueSince), Utc(sub.RestrictedSince), sub.CreditBalance,
            sub.Currency, sub.Provider, ChargeOf(sub, prices));
    }

    /// <summary>Solver time of the runs that finished in [start, end): cached results are not simulations and count nothing.</summary>
    public static Task<double> SolverSecondsAsync(DbScope s, DateTimeOffset start, DateTimeOffset end, CancellationToken ct) =>
        s.ExecuteScalarAsync<double>(
            """
            select coalesce(sum(solver_seconds), 0) from runs
            where not cached and finished_at >= @start and finished_at < @end
            """, new { start = start.UtcDateTime, end = end.UtcDateTime }, ct);

    public async Task<PeriodUsage> UsageAsync(DbScope s, SubscriptionRow sub, CancellationToken ct)
    {
        var plan = await plans.GetAsync(sub.Plan, ct);
        var seconds = await SolverSecondsAsync(s, sub.PeriodStart, sub.PeriodEnd, ct);
        var (units, amount) = sub.Complimentary ? (0, 0) : Overage.Of(seconds, plan.IncludedSolverHours, plan.OveragePerSolverHour);
        return new PeriodUsage(seconds, plan.IncludedSolverHours, plan.OveragePerSolverHour, units, amount);
    }

    /// <summary>The result of a plan change request: a refusal, or what it does (and did, unless a preview).</summary>
    public sealed record ChangeOutcome(PlanChangeResponse? Response, IReadOnlyList<LimitViolation> Violations, string? Conflict);

    /// <summary>
    /// Applies (or, with <paramref name="apply"/> false, previews) a change to <paramref name="planName"/> on
    /// <paramref name="cycle"/>; the caller validated both names. Runs in the caller's transaction; a preview rolls it back.
    /// </summary>
    public async Task<ChangeOutcome> ChangePlanAsync(DbScope s, string planName, string cycle, bool apply, CancellationToken ct)
    {
        var sub = await EnsureSubscriptionAsync(s, forUpdate: true, ct);
        var prices = await PricesAsync(s, ct);
        var target = PriceOf(prices, planName, cycle)
            ?? throw new InvalidOperationException($"no price for {planName} ({cycle})");
        if (sub.Status == SubscriptionStatus.PastDue && apply)
        {
            return new ChangeOutcome(null, [], "The subscription is past due: pay the open invoice before changing the plan.");
        }
        var currentPlan = await plans.GetAsync(sub.Plan, ct);
        var targetPlan = await plans.GetAsync(planName, ct);
        var now = Now();
        var decision = PlanChange.Decide(new SubscriptionTerms(sub.Plan, sub.Cycle, sub.PeriodStart, sub.PeriodEnd, ChargeOf(sub, prices)),
            currentPlan, targetPlan, target, now);
        switch (decision)
        {
            case PlanChangeDecision.Keep:
                if (apply)
                {
                    await UnscheduleOnStripeAsync(s, sub, ct);
                    await s.ExecuteAsync(
                        "update subscriptions set pending_plan = null, pending_cycle = null, cancel_at_period_end = false, updated_at = now() where tenant_id = current_tenant_id()",
                        null, ct);
                    await Outbox.AddWithTenantStateAsync(s, "billing.subscription.kept", new { plan = sub.Plan, cycle = sub.Cycle }, ct);
                }
                return await ResultAsync(s, planName, cycle, "none", now, [], null, ct);

            case PlanChangeDecision.AtPeriodEnd later:
                var violations = await PlanLimits.ViolationsAsync(s, targetPlan, ct);
                if (violations.Count > 0)
                {
                    return new ChangeOutcome(null, violations, null);
                }
                if (apply && HasLiveStripeSubscription(sub) && target.StripePrice is null)
                {
                    // On Stripe, a plan without a Stripe price (Free) at the period's end is the subscription's cancellation then.
                    return await CancelAsync(s, ct) is { } refusal
                        ? new ChangeOutcome(null, [], refusal)
                        : await ResultAsync(s, planName, cycle, "periodEnd", later.EffectiveAt, [], null, ct);
                }
                if (apply)
                {
                    if (HasLiveStripeSubscription(sub))
                    {
                        await ScheduleOnStripeAsync(s, sub, prices, target, ct);
                    }
                    await s.ExecuteAsync(
                        "update subscriptions set pending_plan = @plan, pending_cycle = @cycle, cancel_at_period_end = false, updated_at = now() where tenant_id = current_tenant_id()",
                        new { plan = planName, cycle }, ct);
                    await Outbox.AddWithTenantStateAsync(s, "billing.subscription.downgrade_scheduled",
                        new { from = sub.Plan, to = planName, cycle, effectiveAt = later.EffectiveAt }, ct);
                }
                return await ResultAsync(s, planName, cycle, "periodEnd", later.EffectiveAt, [], null, ct);

            case PlanChangeDecision.Immediate immediate:
                // No Stripe subscription to change yet: Checkout creates it (Stripe charges its first period), and its webhooks move the plan.
                var viaCheckout = stripe.IsConfigured && (ChargeOf(sub, prices) == 0 || sub.Provider == Providers.Stripe) && !HasLiveStripeSubscription(sub);
                if (!apply)
                {
                    var (subtotal, credit, due) = Totals(immediate.Lines, sub.CreditBalance);
                    var preview = await ResultAsync(s, planName, cycle, viaCheckout ? "checkout" : "now", now, immediate.Lines, null, ct);
                    return preview with { Response = preview.Response! with { Subtotal = subtotal, CreditApplied = credit, AmountDue = due } };
                }
                if (viaCheckout)
                {
                    var url = await CheckoutUrlAsync(s, sub, target, ct);
                    var started = await ResultAsync(s, planName, cycle, "checkout", now, immediate.Lines, null, ct);
                    return started with { Response = started.Response! with { CheckoutUrl = url } };
                }
                var onStripe = sub.Provider == Providers.Stripe;
                if (onStripe)
                {
                    // Stripe invoices the proration itself (its invoice.* webhooks record it here); the local lines are what the preview showed.
                    // A change scheduled for the period's end gives way to this one.
                    await UnscheduleOnStripeAsync(s, sub, ct);
                    await stripe.ChangePriceAsync(sub.StripeSubscription!, LookupKey(target), "always_invoice",
                        $"{sub.TenantId}:change:{planName}:{cycle}:{await SyncedAtAsync(s, ct)}", ct);
                }
                await s.ExecuteAsync(
                    """
                    update subscriptions set plan = @plan, cycle = @cycle, status = 'active', current_period_start = @start, current_period_end = @end,
                        pending_plan = null, pending_cycle = null, cancel_at_period_end = false, complimentary = false, updated_at = now()
                    where tenant_id = current_tenant_id()
                    """, new { plan = planName, cycle, start = immediate.PeriodStart.UtcDateTime, end = immediate.PeriodEnd.UtcDateTime }, ct);
                await s.ExecuteAsync("select billing_sync_plan()", null, ct);
                await Outbox.AddWithTenantStateAsync(s, "billing.subscription.updated",
                    new { from = sub.Plan, fromCycle = sub.Cycle, to = planName, cycle, periodStart = immediate.PeriodStart, periodEnd = immediate.PeriodEnd }, ct);
                var reason = ChargeOf(sub, prices) == 0 ? "subscription_create" : "subscription_update";
                var invoice = immediate.Lines.Count == 0 || onStripe ? null
                    : await CreateInvoiceAsync(s, reason, immediate.Lines, immediate.PeriodStart, immediate.PeriodEnd, now, ct);
                plans.Invalidate();
                return await ResultAsync(s, planName, cycle, "now", now, immediate.Lines, invoice, ct);

            default:
                throw new InvalidOperationException("unknown plan change decision");
        }
    }

    private async Task<ChangeOutcome> ResultAsync(DbScope s, string plan, string cycle, string effective, DateTimeOffset at,
        IReadOnlyList<DraftLine> lines, InvoiceSummary? invoice, CancellationToken ct)
    {
        var sub = await EnsureSubscriptionAsync(s, forUpdate: false, ct);
        var prices = await PricesAsync(s, ct);
        var (subtotal, credit, due) = invoice is null ? (lines.Sum(l => l.Amount), 0L, 0L) : (invoice.Subtotal, invoice.CreditApplied, invoice.AmountDue);
        return new ChangeOutcome(new PlanChangeResponse(plan, cycle, effective, at, lines.Select(LineView).ToList(), subtotal, credit, due,
            sub.Currency, invoice, await ViewAsync(sub, prices, ct), null), [], null);
    }

    /// <summary>Subtotal, credit taken from the balance, and the amount due for lines against a credit balance.</summary>
    public static (long Subtotal, long CreditApplied, long AmountDue) Totals(IEnumerable<DraftLine> lines, long creditBalance)
    {
        var subtotal = lines.Sum(l => l.Amount);
        var credit = subtotal > 0 ? Math.Min(creditBalance, subtotal) : 0;
        return (subtotal, credit, Math.Max(subtotal - credit, 0));
    }

    /// <summary>Subscription cancel at the period's end: the tenant moves to Free then.</summary>
    public async Task<string?> CancelAsync(DbScope s, CancellationToken ct)
    {
        var sub = await EnsureSubscriptionAsync(s, forUpdate: true, ct);
        var prices = await PricesAsync(s, ct);
        if (ChargeOf(sub, prices) == 0)
        {
            return sub.Complimentary
                ? "The plan was set by the platform operator and is not charged; ask them to change it."
                : "The tenant is on a plan without charge: there is nothing to cancel.";
        }
        if (sub.Provider == Providers.Stripe && HasLiveStripeSubscription(sub))
        {
            if (sub.PendingPlan is not null)
            {
                await stripe.ReleaseScheduleAsync(sub.StripeSubscription!, await ScheduleKeyAsync(s, sub, "release", ct), ct);
            }
            await stripe.SetCancelAtPeriodEndAsync(sub.StripeSubscription!, true, $"{sub.TenantId}:cancel:{sub.StripeSubscription}:{await SyncedAtAsync(s, ct)}", ct);
        }
        await s.ExecuteAsync(
            "update subscriptions set cancel_at_period_end = true, pending_plan = null, pending_cycle = null, updated_at = now() where tenant_id = current_tenant_id()",
            null, ct);
        await Outbox.AddWithTenantStateAsync(s, "billing.subscription.cancel_scheduled", new { plan = sub.Plan, effectiveAt = sub.PeriodEnd }, ct);
        return null;
    }

    /// <summary>Undoes a scheduled cancellation or downgrade.</summary>
    public async Task<string?> ReactivateAsync(DbScope s, CancellationToken ct)
    {
        var sub = await EnsureSubscriptionAsync(s, forUpdate: true, ct);
        if (!sub.CancelAtPeriodEnd && sub.PendingPlan is null)
        {
            return "Nothing is scheduled: the subscription continues as it is. To subscribe again after a cancellation, choose a plan.";
        }
        await UnscheduleOnStripeAsync(s, sub, ct);
        await s.ExecuteAsync(
            "update subscriptions set cancel_at_period_end = false, pending_plan = null, pending_cycle = null, updated_at = now() where tenant_id = current_tenant_id()",
            null, ct);
        await Outbox.AddWithTenantStateAsync(s, "billing.subscription.reactivated", new { plan = sub.Plan, cycle = sub.Cycle }, ct);
        return null;
    }

    /// <summary>
    /// Stores an invoice with its lines and finalizes it: credit from the balance is applied, the ledger posts the
    /// subtotal, a negative subtotal becomes credit. With the ledger as provider, what is due is settled at once.
    /// </summary>
    public async Task<InvoiceSummary> CreateInvoiceAsync(DbScope s, string reason, IReadOnlyList<DraftLine> lines,
        DateTimeOffset periodStart, DateTimeOffset periodEnd, DateTimeOffset now, CancellationToken ct)
    {
        var sub = await EnsureSubscriptionAsync(s, forUpdate: true, ct);
        var (subtotal, credit, due) = Totals(lines, sub.CreditBalance);
        var id = Guid.NewGuid();
        var sequence = await s.ExecuteScalarAsync<long>("select nextval('invoice_numbers')", null, ct);
        var number = string.Create(CultureInfo.InvariantCulture, $"DS-{now.Year}-{sequence:D6}");
        var status = due == 0 ? InvoiceStatus.Paid : InvoiceStatus.Open;
        await s.ExecuteAsync(
            """
            insert into invoices (id, tenant_id, number, status, reason, currency, subtotal, credit_applied, amount_due, period_start, period_end,
                                  created_at, finalized_at, paid_at)
            values (@id, current_tenant_id(), @number, @status, @reason, @currency, @subtotal, @credit, @due, @start, @end, @now, @now,
                    case when @status = 'paid' then @now end)
            """,
            new { id, number, status, reason, currency = sub.Currency, subtotal, credit, due, start = periodStart.UtcDateTime, end = periodEnd.UtcDateTime, now = now.UtcDateTime },
            ct);
        await s.ExecuteAsync(
            """
            insert into invoice_lines (id, tenant_id, invoice_id, position, kind, description, quantity, unit_amount, amount, period_start, period_end)
            select gen_random_uuid(), current_tenant_id(), @invoice, l.position, l.kind, l.description, l.quantity, l.unit_amount, l.amount,
                   l.period_start, l.period_end
            from jsonb_to_recordset(@lines::jsonb) as l (position integer, kind text, description text, quantity numeric, unit_amount bigint,
                                                          amount bigint, period_start timestamptz, period_end timestamptz)
            """,
            new
            {
                invoice = id,
                lines = System.Text.Json.JsonSerializer.Serialize(lines.Select((l, i) => new
                {
                    position = i + 1, kind = l.Kind, description = l.Description, quantity = l.Quantity, unit_amount = l.UnitAmount,
                    amount = l.Amount, period_start = l.PeriodStart, period_end = l.PeriodEnd,
                })),
            }, ct);
        await PostAsync(s, id, "invoice", subtotal, sub.Currency, "invoice:" + id, ct);
        var newCredit = sub.CreditBalance - credit + (subtotal < 0 ? -subtotal : 0);
        await s.ExecuteAsync("update subscriptions set credit_balance = @credit, updated_at = now() where tenant_id = current_tenant_id()",
            new { credit = newCredit }, ct);
        await Outbox.AddAsync(s, "billing.invoice.finalized",
            new { invoiceId = id, number, reason, currency = sub.Currency, subtotal, creditApplied = credit, amountDue = due }, ct);
        if (status == InvoiceStatus.Paid)
        {
            await Outbox.AddAsync(s, "billing.invoice.paid", new { invoiceId = id, number, amountPaid = 0L, currency = sub.Currency, reason }, ct);
        }
        else if (sub.Provider == Providers.Ledger)
        {
            await SettleAsync(s, id, "ledger:" + id, ct);
        }
        return (await InvoiceAsync(s, id, ct))!.Invoice;
    }

    internal static Task<int> PostAsync(DbScope s, Guid invoice, string kind, long amount, string currency, string reference, CancellationToken ct) =>
        s.ExecuteAsync(
            """
            insert into ledger_entries (tenant_id, invoice_id, kind, amount, currency, reference)
            values (current_tenant_id(), @invoice, @kind, @amount, @currency, @reference) on conflict (reference) do nothing
            """, new { invoice, kind, amount, currency, reference }, ct);

    /// <summary>
    /// Records a payment of an open invoice's amount due (once per <paramref name="reference"/>). When no open invoice
    /// is left, a past-due subscription is active again and a restricted tenant is restored at once. False when the
    /// invoice is not open.
    /// </summary>
    public async Task<bool> SettleAsync(DbScope s, Guid invoiceId, string reference, CancellationToken ct)
    {
        var now = Now();
        var paid = await s.QuerySingleOrDefaultAsync<(string Number, long Amount, string Currency, string Reason)?>(
            """
            update invoices set status = 'paid', amount_paid = amount_due, paid_at = @now
            where id = @id and status = 'open' returning number, amount_due, currency, reason
            """, new { id = invoiceId, now = now.UtcDateTime }, ct);
        if (paid is not { } p)
        {
            return false;
        }
        await PostAsync(s, invoiceId, "payment", -p.Amount, p.Currency, reference, ct);
        await Outbox.AddAsync(s, "billing.invoice.paid", new { invoiceId, number = p.Number, amountPaid = p.Amount, currency = p.Currency, reason = p.Reason }, ct);
        await RestoreIfSettledAsync(s, ct);
        return true;
    }

    internal async Task RestoreIfSettledAsync(DbScope s, CancellationToken ct)
    {
        var stillOpen = await s.ExecuteScalarAsync<bool>("select exists (select 1 from invoices where status = 'open' and amount_due > 0)", null, ct);
        if (stillOpen)
        {
            return;
        }
        var was = await s.QuerySingleOrDefaultAsync<(string Status, DateTime? Restricted)?>(
            """
            update subscriptions x set status = case when x.status = 'past_due' then 'active' else x.status end,
                past_due_since = null, restricted_since = null, updated_at = now()
            from subscriptions old where old.tenant_id = x.tenant_id and x.tenant_id = current_tenant_id()
            returning old.status, old.restricted_since
            """, null, ct);
        if (was is { Status: SubscriptionStatus.PastDue } w)
        {
            await Outbox.AddAsync(s, w.Restricted is null ? "billing.subscription.recovered" : "billing.tenant.restored", new { at = Now() }, ct);
            if (w.Restricted is not null)
            {
                await MailOwnersAsync(s, "DeepSim: your workspace is fully available again",
                    "Thank you: the payment was received and the workspace is no longer read-only.", ct);
            }
        }
    }

    /// <summary>A payment of an open invoice failed: the subscription is past due (once), and the owners are told.</summary>
    public async Task MarkPaymentFailedAsync(DbScope s, Guid invoiceId, string? reason, CancellationToken ct)
    {
        var now = Now();
        var invoice = await s.QuerySingleOrDefaultAsync<(string Number, long AmountDue, string Currency)?>(
            "select number, amount_due, currency from invoices where id = @id and status = 'open'", new { id = invoiceId }, ct);
        if (invoice is not { } i)
        {
            return;
        }
        var becamePastDue = await s.ExecuteAsync(
            """
            update subscriptions set status = 'past_due', past_due_since = coalesce(past_due_since, @now), updated_at = now()
            where tenant_id = current_tenant_id() and status <> 'past_due'
            """, new { now = now.UtcDateTime }, ct) == 1;
        await Outbox.AddAsync(s, "billing.payment_failed", new { invoiceId, number = i.Number, amountDue = i.AmountDue, reason }, ct);
        if (becamePastDue)
        {
            var deadline = now + Settings.Grace;
            await MailOwnersAsync(s, $"DeepSim: payment of invoice {i.Number} failed",
                $"The payment of {Money.Format(i.AmountDue, i.Currency)} for invoice {i.Number} failed{(reason is null ? "" : $" ({reason})")}. " +
                $"Please update the payment method in Plan and billing. If it is still unpaid on {PlanChange.Day(deadline)}, the workspace becomes read-only until it is paid.",
                ct);
        }
    }

    /// <summary>Makes a tenant past due beyond the grace period read-only (once). True when it did.</summary>
    public async Task<bool> RestrictIfOverdueAsync(DbScope s, DateTimeOffset now, CancellationToken ct)
    {
        var restricted = await s.ExecuteAsync(
            """
            update subscriptions set restricted_since = @now, updated_at = now()
            where tenant_id = current_tenant_id() and status = 'past_due' and restricted_since is null and past_due_since + @grace <= @now
            """, new { now = now.UtcDateTime, grace = Settings.Grace }, ct) == 1;
        if (restricted)
        {
            await Outbox.AddAsync(s, "billing.tenant.restricted", new { at = now }, ct);
            await MailOwnersAsync(s, "DeepSim: your workspace is read-only",
                "An invoice is still unpaid after the grace period, so the workspace is read-only: flowsheets, runs and the team cannot be changed. " +
                "Paying the open invoice in Plan and billing restores it at once.", ct);
        }
        return restricted;
    }

    /// <summary>
    /// Ends every period that is over by <paramref name="now"/> (at most <see cref="MaxPeriodsPerRenewal"/>): the
    /// ended period's solver-time overage and the next period's plan charge go on one invoice; a scheduled downgrade
    /// or cancellation takes effect. Ledger subscriptions only (Stripe renews its own). Returns the periods renewed.
    /// </summary>
    public async Task<int> RenewAsync(DbScope s, DateTimeOffset now, CancellationToken ct)
    {
        var renewed = 0;
        for (; renewed < MaxPeriodsPerRenewal; renewed++)
        {
            var sub = await EnsureSubscriptionAsync(s, forUpdate: true, ct);
            if (sub.Provider != Providers.Ledger || sub.PeriodEnd > now)
            {
                break;
            }
            var prices = await PricesAsync(s, ct);
            var endedPlan = await plans.GetAsync(sub.Plan, ct);
            var lines = new List<DraftLine>();
            if (!sub.Complimentary)
            {
                var seconds = await SolverSecondsAsync(s, sub.PeriodStart, sub.PeriodEnd, ct);
                var (units, amount) = Overage.Of(seconds, endedPlan.IncludedSolverHours, endedPlan.OveragePerSolverHour);
                if (units > 0)
                {
                    lines.Add(new DraftLine("usage",
                        $"Solver time beyond {endedPlan.IncludedSolverHours} h included, {PlanChange.Day(sub.PeriodStart)} to {PlanChange.Day(sub.PeriodEnd)} ({units / 100m:0.00} h)",
                        units / 100m, endedPlan.OveragePerSolverHour ?? 0, amount, sub.PeriodStart, sub.PeriodEnd));
                }
            }
            var (plan, cycle, status) = sub.CancelAtPeriodEnd ? (PlanCatalog.FallbackPlan, Cycles.Monthly, SubscriptionStatus.Canceled)
                : sub.PendingPlan is { } pending ? (pending, sub.PendingCycle ?? sub.Cycle, sub.Status)
                : (sub.Plan, sub.Cycle, sub.Status);
            var start = sub.PeriodEnd;
            var end = Cycles.PeriodEnd(cycle, start);
            var complimentary = sub.Complimentary && plan == sub.Plan;
            var nextPlan = await plans.GetAsync(plan, ct);
            if (!complimentary && PriceOf(prices, plan, cycle) is { Amount: > 0 } price)
            {
                lines.Add(PlanChange.PlanLine(nextPlan, price, start, end));
            }
            await s.ExecuteAsync(
                """
                update subscriptions set plan = @plan, cycle = @cycle, status = @status, current_period_start = @start, current_period_end = @end,
                    pending_plan = null, pending_cycle = null, cancel_at_period_end = false, complimentary = @complimentary, updated_at = now()
                where tenant_id = current_tenant_id()
                """, new { plan, cycle, status, start = start.UtcDateTime, end = end.UtcDateTime, complimentary }, ct);
            await s.ExecuteAsync("select billing_sync_plan()", null, ct);
            await Outbox.AddWithTenantStateAsync(s, sub.CancelAtPeriodEnd ? "billing.subscription.canceled" : "billing.subscription.renewed",
                new { from = sub.Plan, to = plan, cycle, periodStart = start, periodEnd = end }, ct);
            if (lines.Count > 0)
            {
                await CreateInvoiceAsync(s, "subscription_cycle", lines, start, end, Now(), ct);
            }
        }
        if (renewed > 0)
        {
            plans.Invalidate();
        }
        return renewed;
    }

    public static async Task<InvoiceResponse?> InvoiceAsync(DbScope s, Guid id, CancellationToken ct)
    {
        var invoice = await s.QuerySingleOrDefaultAsync<InvoiceSummary>($"select {InvoiceSummary.Columns} from invoices where id = @id", new { id }, ct);
        if (invoice is null)
        {
            return null;
        }
        var lines = await s.QueryAsync<InvoiceLineView>(
            """
            select position as "Position", kind as "Kind", description as "Description", quantity as "Quantity", unit_amount as "UnitAmount",
                   amount as "Amount", period_start as "PeriodStart", period_end as "PeriodEnd"
            from invoice_lines where invoice_id = @id order by position
            """, new { id }, ct);
        return new InvoiceResponse(invoice, lines.ToList());
    }

    private static InvoiceLineView LineView(DraftLine line, int index) =>
        new(index + 1, line.Kind, line.Description, line.Quantity, line.UnitAmount, line.Amount, line.PeriodStart?.UtcDateTime, line.PeriodEnd?.UtcDateTime);

    /// <summary>Queues a mail to each owner of the tenant, in the caller's transaction.</summary>
    public static async Task MailOwnersAsync(DbScope s, string subject, string body, CancellationToken ct)
    {
        var owners = await s.QueryAsync<string>(
            "select u.email from memberships m join users u on u.id = m.user_id where m.role = 'owner' order by u.email", null, ct);
        foreach (var owner in owners)
        {
            await Outbox.AddMailAsync(s, owner, subject, body, ct);
        }
    }

    private static DateTimeOffset? Utc(DateTime? at) => at is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;
}
