namespace DeepSim.Api.Billing.Stripe;

/// <summary>
/// Stripe settings (section <c>Stripe</c>). Stripe is on when <see cref="SecretKey"/> is set; without it billing stays
/// on the local ledger. The secrets are never logged.
/// </summary>
public sealed class StripeSettings
{
    public const string Section = "Stripe";

    public string? SecretKey { get; set; }

    /// <summary>The webhook endpoint's signing secret (whsec_…): without it every webhook is refused.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Another API base (a local fake in tests); null for api.stripe.com.</summary>
    public string? ApiBase { get; set; }

    /// <summary>How old a webhook's signed timestamp may be.</summary>
    public int WebhookToleranceSeconds { get; set; } = 300;

    /// <summary>
    /// Where Checkout and the Billing Portal send the customer back; null for the web app's Plan and billing page
    /// (<c>Mail:WebUrl</c> + <c>/billing</c>, the address the AppHost gives the Api).
    /// </summary>
    public string? ReturnUrl { get; set; }

    /// <summary>The billing meter's event name for solver time beyond the plan (hundredths of an hour).</summary>
    public string MeterEventName { get; set; } = "deepsim_solver_overage";

    /// <summary>How often the reconciliation job compares local subscriptions with Stripe's.</summary>
    public int ReconcileIntervalSeconds { get; set; } = 3600;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(SecretKey);
}
