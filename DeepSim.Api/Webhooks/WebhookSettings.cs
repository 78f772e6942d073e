namespace DeepSim.Api.Webhooks;

/// <summary>Webhook settings (section <c>Webhooks</c>).</summary>
public sealed class WebhookSettings
{
    public const string Section = "Webhooks";

    /// <summary>
    /// Lets endpoints point at loopback, private, link-local and other non-public addresses. Off in production (SSRF);
    /// the AppHost turns it on for local development and the tests for their receiver on 127.0.0.1.
    /// </summary>
    public bool AllowPrivateTargets { get; set; }

    /// <summary>Lets endpoints use plain <c>http</c>; otherwise only <c>https</c>. On with <see cref="AllowPrivateTargets"/> in development.</summary>
    public bool AllowHttp { get; set; }

    /// <summary>Attempts per delivery (per round: a replay starts a new one) before it is marked failed.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The delay before the second attempt; each further one doubles it (up to <see cref="RetryMaxMilliseconds"/>), with jitter.</summary>
    public int RetryBaseMilliseconds { get; set; } = 30_000;

    public int RetryMaxMilliseconds { get; set; } = 3_600_000;

    /// <summary>The whole request, connect to last byte read.</summary>
    public int TimeoutMilliseconds { get; set; } = 10_000;

    public int PollMilliseconds { get; set; } = 1000;

    public int BatchSize { get; set; } = 20;
}
