namespace DeepSim.Api.Billing;

/// <summary>Billing settings (section <c>Billing</c>).</summary>
public sealed class BillingSettings
{
    public const string Section = "Billing";

    /// <summary>Days a past-due tenant keeps full use before it becomes read-only.</summary>
    public int GraceDays { get; set; } = 7;

    /// <summary>How often the billing job renews periods and applies dunning.</summary>
    public int JobIntervalSeconds { get; set; } = 60;

    /// <summary>The name on invoices.</summary>
    public string Seller { get; set; } = "DeepSim";

    public TimeSpan Grace => TimeSpan.FromDays(GraceDays);
}

/// <summary>Subscription statuses.</summary>
public static class SubscriptionStatus
{
    public const string Active = "active";
    public const string PastDue = "past_due";
    public const string Canceled = "canceled";
}

/// <summary>Invoice statuses (Stripe's names).</summary>
public static class InvoiceStatus
{
    public const string Draft = "draft";
    public const string Open = "open";
    public const string Paid = "paid";
    public const string Void = "void";
    public const string Uncollectible = "uncollectible";
}

/// <summary>Payment providers: the local ledger (no provider configured) or Stripe.</summary>
public static class Providers
{
    public const string Ledger = "ledger";
    public const string Stripe = "stripe";
}

/// <summary>A subscriptions row.</summary>
public sealed record SubscriptionRow(
    Guid TenantId, string Plan, string Cycle, string Status, DateTime CurrentPeriodStart, DateTime CurrentPeriodEnd,
    bool CancelAtPeriodEnd, string? PendingPlan, string? PendingCycle, bool Complimentary, DateTime? PastDueSince,
    DateTime? RestrictedSince, long CreditBalance, string Currency, string Provider, string? StripeCustomer, string? StripeSubscription)
{
    public const string Columns = """
        tenant_id as "TenantId", plan as "Plan", cycle as "Cycle", status as "Status", current_period_start as "CurrentPeriodStart",
        current_period_end as "CurrentPeriodEnd", cancel_at_period_end as "CancelAtPeriodEnd", pending_plan as "PendingPlan",
        pending_cycle as "PendingCycle", complimentary as "Complimentary", past_due_since as "PastDueSince",
        restricted_since as "RestrictedSince", credit_balance as "CreditBalance", currency as "Currency", provider as "Provider",
        stripe_customer as "StripeCustomer", stripe_subscription as "StripeSubscription"
        """;

    public DateTimeOffset PeriodStart => new(DateTime.SpecifyKind(CurrentPeriodStart, DateTimeKind.Utc));
    public DateTimeOffset PeriodEnd => new(DateTime.SpecifyKind(CurrentPeriodEnd, DateTimeKind.Utc));
}

public sealed record SubscriptionView(
    string Plan, string PlanDisplayName, string Cycle, string Status, DateTimeOffset CurrentPeriodStart, DateTimeOffset CurrentPeriodEnd,
    bool CancelAtPeriodEnd, string? PendingPlan, string? PendingCycle, bool Complimentary, DateTimeOffset? PastDueSince,
    DateTimeOffset? RestrictedSince, long CreditBalance, string Currency, string Provider, long Charge);

public sealed record PriceView(string Plan, string DisplayName, string Cycle, long Amount, string Currency, int Rank);

public sealed record PeriodUsage(double SolverSeconds, int? IncludedSolverHours, long? OveragePerSolverHour, long OverageUnits, long EstimatedOverage);

public sealed record BillingAccountResponse(
    SubscriptionView Subscription, PeriodUsage Usage, IReadOnlyList<PriceView> Prices, long OpenBalance, bool PaymentProviderConfigured);

public sealed record ChangePlanRequest(string? Plan, string? Cycle);

// DateTime (UTC) where Dapper materializes from timestamptz.
public sealed record InvoiceLineView(int Position, string Kind, string Description, decimal Quantity, long UnitAmount, long Amount,
    DateTime? PeriodStart, DateTime? PeriodEnd);

public sealed record InvoiceSummary(Guid Id, string Number, string Status, string Reason, string Currency, long Subtotal, long CreditApplied,
    long AmountDue, long AmountPaid, DateTime PeriodStart, DateTime PeriodEnd, DateTime CreatedAt, DateTime? PaidAt)
{
    public const string Columns = """
        id as "Id", number as "Number", status as "Status", reason as "Reason", currency as "Currency", subtotal as "Subtotal",
        credit_applied as "CreditApplied", amount_due as "AmountDue", amount_paid as "AmountPaid", period_start as "PeriodStart",
        period_end as "PeriodEnd", created_at as "CreatedAt", paid_at as "PaidAt"
        """;
}

public sealed record InvoiceResponse(InvoiceSummary Invoice, IReadOnlyList<InvoiceLineView> Lines);

/// <summary>A plan the tenant is over: which limit, the new plan's maximum, the tenant's count and by how much.</summary>
public sealed record LimitViolation(string Limit, int Max, long Usage, long Over);

/// <summary>What a plan change does (a preview) or did.</summary>
public sealed record PlanChangeResponse(
    string Plan, string Cycle, string Effective, DateTimeOffset EffectiveAt, IReadOnlyList<InvoiceLineView> Lines, long Subtotal,
    long CreditApplied, long AmountDue, string Currency, InvoiceSummary? Invoice, SubscriptionView Subscription, string? CheckoutUrl);

public sealed record CheckoutRequest(string? Plan, string? Cycle);

/// <summary>A Stripe page to send the browser to (Checkout or the Billing Portal).</summary>
public sealed record StripeRedirectResponse(string Url);

/// <summary>What became of a verified webhook event: applied, duplicate, stale, ignored…</summary>
public sealed record StripeWebhookResponse(string Outcome);
