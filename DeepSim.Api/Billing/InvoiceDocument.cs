using System.Globalization;
using System.Text;
using static System.Net.WebUtility;

namespace DeepSim.Api.Billing;

/// <summary>An invoice as a self-contained printable HTML page (no scripts, no external assets).</summary>
public static class InvoiceDocument
{
    public static string Render(InvoiceResponse response, string tenantName, string tenantSlug, string seller)
    {
        var invoice = response.Invoice;
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Invoice {{HtmlEncode(invoice.Number)}}</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2.5rem auto; max-width: 48rem; color: #1f2933; }
            h1 { font-size: 1.6rem; margin: 0 0 .25rem; } .muted { color: #616e7c; }
            table { width: 100%; border-collapse: collapse; margin-top: 1.5rem; }
            th, td { padding: .5rem; border-bottom: 1px solid #e4e7eb; text-align: left; vertical-align: top; }
            td.num, th.num { text-align: right; white-space: nowrap; } tfoot td { border-bottom: none; }
            .status { display: inline-block; padding: .1rem .5rem; border-radius: .25rem; background: #e4e7eb; text-transform: uppercase; font-size: .8rem; }
            @media print { body { margin: 0; } }
            </style></head><body>
            <header><h1>Invoice {{HtmlEncode(invoice.Number)}}</h1>
            <div class="status" id="invoice-status">{{HtmlEncode(invoice.Status)}}</div>
            <p class="muted">From {{HtmlEncode(seller)}} to {{HtmlEncode(tenantName)}} ({{HtmlEncode(tenantSlug)}})<br>
            Issued {{Day(invoice.CreatedAt)}} · period {{Day(invoice.PeriodStart)}} to {{Day(invoice.PeriodEnd)}}{{(invoice.PaidAt is { } paid ? " · paid " + Day(paid) : "")}}</p>
            </header>
            <table><thead><tr><th>Description</th><th class="num">Quantity</th><th class="num">Unit price</th><th class="num">Amount</th></tr></thead><tbody>
            """);
        foreach (var line in response.Lines)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{HtmlEncode(line.Description)}</td><td class=\"num\">{line.Quantity:0.##}</td><td class=\"num\">{Money.Format(line.UnitAmount, invoice.Currency)}</td><td class=\"num\">{Money.Format(line.Amount, invoice.Currency)}</td></tr>\n");
        }
        html.Append(CultureInfo.InvariantCulture, $$"""
            </tbody><tfoot>
            <tr><td colspan="3" class="num">Subtotal</td><td class="num">{{Money.Format(invoice.Subtotal, invoice.Currency)}}</td></tr>
            <tr><td colspan="3" class="num">Account credit applied</td><td class="num">{{Money.Format(-invoice.CreditApplied, invoice.Currency)}}</td></tr>
            <tr><td colspan="3" class="num"><strong>Amount due</strong></td><td class="num" id="amount-due"><strong>{{Money.Format(invoice.AmountDue, invoice.Currency)}}</strong></td></tr>
            <tr><td colspan="3" class="num">Paid</td><td class="num">{{Money.Format(invoice.AmountPaid, invoice.Currency)}}</td></tr>
            </tfoot></table>
            <p class="muted">Amounts in {{HtmlEncode(invoice.Currency.ToUpperInvariant())}}. A negative subtotal is kept as account credit for the next invoices.</p>
            </body></html>
            """);
        return html.ToString();
    }

    private static string Day(DateTime at) => PlanChange.Day(new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)));
}
