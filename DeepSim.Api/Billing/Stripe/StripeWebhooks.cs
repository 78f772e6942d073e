using System.Text.Json;
using DeepSim.Api.Infrastructure;
using global::Stripe;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Billing.Stripe;

/// <summary>
/// Applies Stripe webhook events: the signature is verified on the raw body (Stripe.net's EventUtility), the event id is
/// recorded first so a redelivery is acknowledged and not applied again, and the work runs in the customer's tenant scope
/// in the same transaction as that record.
/// </summary>
public sealed partial class StripeWebhooks(TenantDb db, BillingService billing, IOptions<StripeSettings> options, ILogger<StripeWebhooks> log)
{
    public sealed record Outcome(bool Verified, string Result, string? Refusal);

    private static readonly HashSet<string> Handled =
    [
        "checkout.session.completed", "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
        "invoice.finalized", "invoice.paid", "invoice.payment_failed", "invoice.voided", "invoice.marked_uncollectible",
    ];

    public async Task<Outcome> HandleAsync(string body, string? signature, CancellationToken ct)
    {
        var settings = options.Value;
        if (string.IsNullOrEmpty(settings.WebhookSecret))
        {
            return Refuse("Stripe webhooks are not configured (Stripe:WebhookSecret).");
        }
        if (string.IsNullOrEmpty(signature))
        {
            return Refuse("The Stripe-Signature header is missing.");
        }
        // Shape first (nothing is applied either way): Stripe.net's own parsing of a body that is not an event is not a StripeException.
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(body).RootElement.Clone();
        }
        catch (JsonException)
        {
            return Refuse("The body is not JSON.");
        }
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("id", out var idElement) || idElement.ValueKind != JsonValueKind.String
            || !root.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String
            || !root.TryGetProperty("data", out var d) || d.ValueKind != JsonValueKind.Object
            || !d.TryGetProperty("object", out var obj) || obj.ValueKind != JsonValueKind.Object)
        {
            return Refuse("The body is not a Stripe event (id, type and data.object are required).");
        }
        try
        {
            // Verification only: the body is read above as Stripe sent it, whatever this Stripe.net version models.
            EventUtility.ConstructEvent(body, signature, settings.WebhookSecret, settings.WebhookToleranceSeconds, throwOnApiVersionMismatch: false);
        }
        catch (StripeException ex)
        {
            return Refuse(ex.Message);
        }
        var id = idElement.GetString()!;
        var type = typeElement.GetString()!;
        var created = root.TryGetProperty("created", out var c) && c.TryGetInt64(out var ts) ? ts : 0;
        var customer = obj.TryGetProperty("customer", out var cu) && cu.ValueKind == JsonValueKind.String ? cu.GetString() : null;
        var tenant = !Handled.Contains(type) || customer is null ? null
            : await db.WithoutTenantAsync(s => s.ExecuteScalarAsync<Guid?>("select billing_tenant_for_customer(@customer)", new { customer }, ct), ct);
        if (tenant is not { } tenantId)
        {
            var result = Handled.Contains(type) ? "no_tenant" : "ignored";
            var fresh = await db.WithoutTenantAsync(s => RecordAsync(s, id, type, created, result, ct), ct);
            return new Outcome(true, fresh ? result : "duplicate", null);
        }
        var outcome = await db.InTenantAsync(tenantId, async s =>
        {
            if (!await RecordAsync(s, id, type, created, "received", ct))
            {
                return "duplicate";
            }
            var result = type switch
            {
                "checkout.session.completed" => await BillingService.ApplyCheckoutCompletedAsync(s, obj, ct),
                "customer.subscription.created" or "customer.subscription.updated" =>
                    await billing.ApplyStripeSubscriptionAsync(s, obj, created, deleted: false, ct),
                "customer.subscription.deleted" => await billing.ApplyStripeSubscriptionAsync(s, obj, created, deleted: true, ct),
                _ => await billing.ApplyStripeInvoiceAsync(s, type, obj, created, ct),
            };
            await s.ExecuteAsync("update provider_events set outcome = @result where id = @id", new { id, result }, ct);
            return result;
        }, ct);
        Log.Applied(log, id, type, outcome);
        return new Outcome(true, outcome, null);
    }

    private static async Task<bool> RecordAsync(DbScope s, string id, string type, long created, string outcome, CancellationToken ct) =>
        await s.ExecuteAsync(
            "insert into provider_events (id, type, object_time, outcome) values (@id, @type, @created, @outcome) on conflict (id) do nothing",
            new { id, type, created, outcome }, ct) == 1;

    private Outcome Refuse(string reason)
    {
        // The reason is Stripe.net's or ours; neither includes the secret.
        Log.Refused(log, reason);
        return new Outcome(false, "refused", reason);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe webhook refused: {Reason}")]
        public static partial void Refused(ILogger logger, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "Stripe event {EventId} ({Type}): {Outcome}")]
        public static partial void Applied(ILogger logger, string eventId, string type, string outcome);
    }
}
