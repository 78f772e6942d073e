namespace DeepSim.Analytics.Ingest;

/// <summary>The <c>Ingest</c> configuration section.</summary>
public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>The checkpoint's name: one per feed an ingester follows.</summary>
    public string CheckpointName { get; set; } = "outbox";

    /// <summary>Events asked for per call (the feed allows 1..1000).</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>
    /// The most events one insert takes: while the feed's pages come full (a backlog), the ingester reads on up to this
    /// many before it inserts and checkpoints once.
    /// </summary>
    public int MaxInsertRows { get; set; } = 20_000;

    /// <summary>Wait after a page that was not full, before asking again.</summary>
    public int IdlePollMilliseconds { get; set; } = 1000;

    /// <summary>The first wait after a failure; it doubles up to <see cref="MaxBackoffMilliseconds"/>.</summary>
    public int InitialBackoffMilliseconds { get; set; } = 500;

    public int MaxBackoffMilliseconds { get; set; } = 30_000;

    /// <summary>The most one feed call, insert or checkpoint write may take.</summary>
    public int CallTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// The ingest lag above which <c>/health</c> reports the <c>ingest</c> check Degraded. A minute: well above what a
    /// healthy pipeline shows (about a poll interval), and below what a person reading a dashboard would notice.
    /// </summary>
    public double LagDegradedSeconds { get; set; } = 60;

    /// <summary>Kafka mode: the consumer group of the Analytics ingesters (they share the topic's partitions).</summary>
    public string KafkaGroupId { get; set; } = "deepsim-analytics";

    /// <summary>Kafka mode: the Api relay whose backlog counts into the lag (its name in <c>outbox_relays</c>).</summary>
    public string RelayName { get; set; } = "kafka";
}
