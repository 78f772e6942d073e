using DeepSim.Api.Billing.Stripe;
using DeepSim.Api.Infrastructure;

namespace DeepSim.Api.Billing;

/// <summary>
/// Collects what invoices say is due. With Stripe configured (<c>Stripe:SecretKey</c>) an invoice Stripe issued is paid
/// through Stripe's invoice pay; otherwise the local ledger settles an open invoice when it is paid, with no money
/// moving (offline and development use).
/// </summary>
public sealed class PaymentProvider(BillingService billing, StripeGateway stripe)
{
    /// <summary>True when a real payment provider (Stripe) collects payments.</summary>
    public bool IsConfigured => stripe.IsConfigured;

    /// <summary>Pays an open invoice; null when paid, otherwise why it cannot be (with Stripe, where to pay it).</summary>
    public async Task<string?> PayAsync(DbScope s, InvoiceSummary invoice, CancellationToken ct)
    {
        var stripeInvoice = await s.ExecuteScalarAsync<string?>("select stripe_invoice from invoices where id = @id", new { id = invoice.Id }, ct);
        if (stripeInvoice is null)
        {
            return stripe.IsConfigured && await s.ExecuteScalarAsync<string>("select provider from subscriptions where tenant_id = current_tenant_id()", null, ct) == Providers.Stripe
                ? $"Invoice {invoice.Number} was not issued by Stripe and waits for it."
                : await billing.SettleAsync(s, invoice.Id, "ledger-payment:" + invoice.Id, ct) ? null : $"Invoice {invoice.Number} is no longer open.";
        }
        if (!stripe.IsConfigured)
        {
            return $"Invoice {invoice.Number} is collected by Stripe, which is not configured here.";
        }
        var (paid, refusal) = await stripe.PayInvoiceAsync(stripeInvoice, "pay:" + stripeInvoice, ct);
        if (!paid)
        {
            return refusal;
        }
        // The same reference as the invoice.paid webhook: whichever comes second posts nothing.
        await billing.SettleAsync(s, invoice.Id, "stripe:" + stripeInvoice, ct);
        return null;
    }
}
