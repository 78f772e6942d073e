using DeepSim.Api.Infrastructure;

namespace DeepSim.Api.Billing;

/// <summary>
/// Collects what invoices say is due. Without a payment provider configured this is the local ledger: an open
/// invoice is settled when it is paid, with no money moving (offline and development use).
/// </summary>
public sealed class PaymentProvider(BillingService billing)
{
    /// <summary>True when a real payment provider (Stripe) collects payments.</summary>
    public bool IsConfigured => false;

    /// <summary>Pays an open invoice; null when paid, otherwise why it cannot be.</summary>
    public async Task<string?> PayAsync(DbScope s, InvoiceSummary invoice, CancellationToken ct) =>
        await billing.SettleAsync(s, invoice.Id, "ledger-payment:" + invoice.Id, ct) ? null : $"Invoice {invoice.Number} is no longer open.";
}
