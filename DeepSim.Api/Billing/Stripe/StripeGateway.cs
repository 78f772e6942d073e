using System.Collections.Concurrent;
using global::Stripe;
using global::Stripe.Checkout;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Billing.Stripe;

/// <summary>A Stripe subscription as the local rules need it.</summary>
public sealed record StripeSubscriptionState(string Id, string Customer, string Status, string? LookupKey, DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd, bool CancelAtPeriodEnd);

/// <summary>
/// The calls DeepSim makes to Stripe (Stripe.net), each with an idempotency key derived from what it does, so a retried
/// request never creates a second customer, session change or meter event. Only used when Stripe is configured.
/// </summary>
public sealed class StripeGateway(IOptions<StripeSettings> options, IOptions<Mail.MailSettings> mail)
{
    private readonly ConcurrentDictionary<string, string> priceIds = new(StringComparer.Ordinal);
    private readonly Lazy<StripeClient> client = new(() => Create(options.Value));

    public bool IsConfigured => options.Value.IsConfigured;

    private StripeSettings Settings => options.Value;

    /// <summary>The billing page Stripe sends the browser back to.</summary>
    public string BackUrl => Settings.ReturnUrl ?? mail.Value.WebLink("billing") ?? "http://localhost/billing";

    private static StripeClient Create(StripeSettings settings)
    {
        if (!settings.IsConfigured)
        {
            throw new InvalidOperationException("Stripe is not configured (Stripe:SecretKey).");
        }
        // No retries inside the client: the callers' idempotency keys make a retry by the caller (or the job's next pass) safe.
        var http = new SystemNetHttpClient(new HttpClient { Timeout = TimeSpan.FromSeconds(30) }, 0, null, false);
        return new StripeClient(settings.SecretKey, httpClient: http, apiBase: string.IsNullOrWhiteSpace(settings.ApiBase) ? null : settings.ApiBase.TrimEnd('/'));
    }

    private static RequestOptions Key(string idempotencyKey) => new() { IdempotencyKey = idempotencyKey };

    /// <summary>The tenant's one Stripe customer (the key is the tenant id: a retry returns the same customer).</summary>
    public async Task<string> CreateCustomerAsync(Guid tenantId, string name, string? email, CancellationToken ct)
    {
        var customer = await new CustomerService(client.Value).CreateAsync(new CustomerCreateOptions
        {
            Name = name,
            Email = email,
            Metadata = new Dictionary<string, string> { ["tenant_id"] = tenantId.ToString() },
        }, Key("customer:" + tenantId), ct);
        return customer.Id;
    }

    /// <summary>The Stripe price id for a plan_prices.stripe_price lookup key (cached: prices do not move between keys).</summary>
    public async Task<string> PriceIdAsync(string lookupKey, CancellationToken ct)
    {
        if (priceIds.TryGetValue(lookupKey, out var cached))
        {
            return cached;
        }
        var prices = await new PriceService(client.Value).ListAsync(new PriceListOptions { LookupKeys = [lookupKey], Active = true }, null, ct);
        var price = prices.Data.FirstOrDefault()
            ?? throw new InvalidOperationException($"Stripe has no active price with the lookup key '{lookupKey}'.");
        priceIds[lookupKey] = price.Id;
        return price.Id;
    }

    /// <summary>A Checkout session (mode subscription) for the plan's price; the subscription exists when its webhook says so.</summary>
    public async Task<string> CheckoutUrlAsync(Guid tenantId, string customer, string lookupKey, string plan, string cycle, string idempotencyKey,
        CancellationToken ct)
    {
        var metadata = new Dictionary<string, string> { ["tenant_id"] = tenantId.ToString(), ["plan"] = plan, ["cycle"] = cycle };
        var session = await new SessionService(client.Value).CreateAsync(new SessionCreateOptions
        {
            Mode = "subscription",
            Customer = customer,
            ClientReferenceId = tenantId.ToString(),
            LineItems = [new SessionLineItemOptions { Price = await PriceIdAsync(lookupKey, ct), Quantity = 1 }],
            SuccessUrl = BackUrl + "?checkout=success",
            CancelUrl = BackUrl + "?checkout=canceled",
            Metadata = metadata,
            SubscriptionData = new SessionSubscriptionDataOptions { Metadata = metadata },
        }, Key(idempotencyKey), ct);
        return session.Url;
    }

    /// <summary>A Billing Portal session where the customer manages payment methods.</summary>
    public async Task<string> PortalUrlAsync(string customer, CancellationToken ct)
    {
        var session = await new global::Stripe.BillingPortal.SessionService(client.Value).CreateAsync(new global::Stripe.BillingPortal.SessionCreateOptions
        {
            Customer = customer,
            ReturnUrl = BackUrl,
            FlowData = new global::Stripe.BillingPortal.SessionFlowDataOptions { Type = "payment_method_update" },
        }, null, ct);
        return session.Url;
    }

    public async Task<StripeSubscriptionState> GetSubscriptionAsync(string subscriptionId, CancellationToken ct) =>
        State(await new SubscriptionService(client.Value).GetAsync(subscriptionId, null, null, ct));

    /// <summary>Moves the subscription's item to the price of <paramref name="lookupKey"/> (proration always_invoice or none).</summary>
    public async Task<StripeSubscriptionState> ChangePriceAsync(string subscriptionId, string lookupKey, string prorationBehavior, string idempotencyKey,
        CancellationToken ct)
    {
        var service = new SubscriptionService(client.Value);
        var current = await service.GetAsync(subscriptionId, null, null, ct);
        var item = current.Items?.Data?.FirstOrDefault() ?? throw new InvalidOperationException($"Stripe subscription {subscriptionId} has no item.");
        var updated = await service.UpdateAsync(subscriptionId, new SubscriptionUpdateOptions
        {
            Items = [new SubscriptionItemOptions { Id = item.Id, Price = await PriceIdAsync(lookupKey, ct) }],
            ProrationBehavior = prorationBehavior,
            CancelAtPeriodEnd = false,
        }, Key(idempotencyKey), ct);
        return State(updated);
    }

    /// <summary>
    /// A change at the period's end, left to Stripe so it cannot race the renewal: the subscription's schedule (made
    /// from it the first time) keeps the current price to <paramref name="periodEnd"/>, then runs one cycle of the new
    /// price without proration and releases the subscription, which carries on at that price.
    /// </summary>
    public async Task<string> ScheduleChangeAsync(string subscriptionId, string currentLookupKey, string nextLookupKey, string nextCycle,
        DateTimeOffset periodEnd, string idempotencyKey, CancellationToken ct)
    {
        var service = new SubscriptionScheduleService(client.Value);
        var subscription = await new SubscriptionService(client.Value).GetAsync(subscriptionId, null, null, ct);
        var schedule = subscription.ScheduleId is { Length: > 0 } existing
            ? await service.GetAsync(existing, null, null, ct)
            : await service.CreateAsync(new SubscriptionScheduleCreateOptions { FromSubscription = subscriptionId }, Key(idempotencyKey + ":create"), ct);
        var phaseStart = schedule.Phases?.FirstOrDefault()?.StartDate ?? throw new InvalidOperationException($"Stripe schedule {schedule.Id} has no phase.");
        var updated = await service.UpdateAsync(schedule.Id, new SubscriptionScheduleUpdateOptions
        {
            EndBehavior = "release",
            ProrationBehavior = "none",
            Phases =
            [
                new SubscriptionSchedulePhaseOptions
                {
                    StartDate = phaseStart,
                    EndDate = periodEnd.UtcDateTime,
                    Items = [new SubscriptionSchedulePhaseItemOptions { Price = await PriceIdAsync(currentLookupKey, ct), Quantity = 1 }],
                },
                new SubscriptionSchedulePhaseOptions
                {
                    Items = [new SubscriptionSchedulePhaseItemOptions { Price = await PriceIdAsync(nextLookupKey, ct), Quantity = 1 }],
                    Duration = new SubscriptionSchedulePhaseDurationOptions { Interval = nextCycle == Cycles.Annual ? "year" : "month", IntervalCount = 1 },
                    ProrationBehavior = "none",
                },
            ],
        }, Key(idempotencyKey), ct);
        return updated.Id;
    }

    /// <summary>Drops a scheduled change: the subscription leaves its schedule (if it has one) and keeps its current price.</summary>
    public async Task<bool> ReleaseScheduleAsync(string subscriptionId, string idempotencyKey, CancellationToken ct)
    {
        var subscription = await new SubscriptionService(client.Value).GetAsync(subscriptionId, null, null, ct);
        if (subscription.ScheduleId is not { Length: > 0 } schedule)
        {
            return false;
        }
        await new SubscriptionScheduleService(client.Value).ReleaseAsync(schedule, new SubscriptionScheduleReleaseOptions(), Key(idempotencyKey), ct);
        return true;
    }

    public async Task<StripeSubscriptionState> SetCancelAtPeriodEndAsync(string subscriptionId, bool cancel, string idempotencyKey, CancellationToken ct) =>
        State(await new SubscriptionService(client.Value).UpdateAsync(subscriptionId,
            new SubscriptionUpdateOptions { CancelAtPeriodEnd = cancel }, Key(idempotencyKey), ct));

    /// <summary>Pays an open Stripe invoice with the customer's default payment method: null when paid, otherwise why not and where to pay.</summary>
    public async Task<(bool Paid, string? Refusal)> PayInvoiceAsync(string invoiceId, string idempotencyKey, CancellationToken ct)
    {
        var service = new InvoiceService(client.Value);
        try
        {
            var invoice = await service.PayAsync(invoiceId, new InvoicePayOptions(), Key(idempotencyKey), ct);
            return invoice.Status == InvoiceStatus.Paid ? (true, null) : (false, $"Stripe did not collect the invoice (it is {invoice.Status}): pay it on {invoice.HostedInvoiceUrl}");
        }
        catch (StripeException ex) when (ex.StripeError?.Type is "card_error" or "invalid_request_error")
        {
            var invoice = await service.GetAsync(invoiceId, null, null, ct);
            return (false, $"The payment failed ({ex.StripeError?.Message ?? ex.Message}). Update the payment method or pay on {invoice.HostedInvoiceUrl}");
        }
    }

    /// <summary>One billing meter event; Stripe counts an identifier once, so re-sending after a crash counts nothing twice.</summary>
    public Task SendMeterEventAsync(string customer, long value, string identifier, DateTimeOffset at, CancellationToken ct) =>
        new global::Stripe.Billing.MeterEventService(client.Value).CreateAsync(new global::Stripe.Billing.MeterEventCreateOptions
        {
            EventName = Settings.MeterEventName,
            Identifier = identifier,
            Timestamp = at.UtcDateTime,
            Payload = new Dictionary<string, string>
            {
                ["stripe_customer_id"] = customer,
                ["value"] = value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        }, Key("meter:" + identifier), ct);

    private static StripeSubscriptionState State(Subscription subscription)
    {
        var item = subscription.Items?.Data?.FirstOrDefault();
        return new StripeSubscriptionState(subscription.Id, subscription.CustomerId, subscription.Status, item?.Price?.LookupKey,
            Utc(item?.CurrentPeriodStart ?? subscription.StartDate), Utc(item?.CurrentPeriodEnd ?? subscription.StartDate), subscription.CancelAtPeriodEnd);
    }

    private static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at, DateTimeKind.Utc));
}
