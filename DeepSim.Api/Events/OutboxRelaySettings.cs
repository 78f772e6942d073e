namespace DeepSim.Api.Events;

/// <summary>The <c>OutboxRelay</c> configuration section (the relay runs only where <c>ConnectionStrings:kafka</c> is set).</summary>
public sealed class OutboxRelaySettings
{
    public const string Section = "OutboxRelay";

    /// <summary>The relay's row in <c>outbox_relays</c>: its position and lease.</summary>
    public string Name { get; set; } = "kafka";

    /// <summary>
    /// Events read and published per round (1..1000). A round is in flight at most once, so this also bounds what the
    /// producer holds in memory while the broker is away.
    /// </summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>Wait after a round that was not full, before reading the feed again.</summary>
    public int IdlePollMilliseconds { get; set; } = 200;

    /// <summary>
    /// How long the producer tries to deliver a message (librdkafka's <c>message.timeout.ms</c>) before it reports
    /// <c>Local_MsgTimedOut</c>; the round is then published again from the unchanged position.
    /// </summary>
    public int MessageTimeoutMs { get; set; } = 30_000;

    /// <summary>librdkafka's <c>linger.ms</c>: how long the producer waits to fill a request.</summary>
    public int LingerMs { get; set; } = 5;

    /// <summary>How long a replica's hold on the relay lasts without renewal; another replica takes over after it.</summary>
    public int LeaseSeconds { get; set; } = 30;

    /// <summary>The first wait after a failed round; it doubles up to <see cref="MaxBackoffMilliseconds"/>.</summary>
    public int InitialBackoffMilliseconds { get; set; } = 500;

    public int MaxBackoffMilliseconds { get; set; } = 30_000;
}
