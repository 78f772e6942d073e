using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;
using DeepSim.Analytics.ClickHouse;
using DeepSim.Kafka;
using DeepSim.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace DeepSim.Analytics.Ingest;

/// <summary>
/// Kafka mode of the ingester (where <c>ConnectionStrings:kafka</c> is set): applies the ClickHouse migrations, then
/// consumes the outbox topic in its consumer group, stores each batch in <c>events</c> and only then commits the
/// batch's offsets (manual commits, no auto-commit). A crash or a failed commit redelivers the batch; <c>events</c> and
/// its queries dedupe by event id, as in the HTTP mode. ClickHouse down: the batch in hand is retried with backoff and
/// nothing more is consumed meanwhile (memory stays one batch, at most <see cref="IngestOptions.MaxInsertRows"/>), while the lag (<see cref="IngestLag.Topic"/>) grows.
/// The consumer runs on a thread of its own, since librdkafka's poll blocks.
/// </summary>
public sealed partial class KafkaIngester : BackgroundService
{
    private readonly ClickHouseDatabase database;
    private readonly EventStore store;
    private readonly IngestOptions settings;
    private readonly KafkaSettings kafka;
    private readonly string bootstrapServers;
    private readonly IngestLag lag;
    private readonly ILogger<KafkaIngester> logger;
    private readonly TimeProvider time;
    private readonly Counter<long>? ingestedCounter;
    private long ingested;
    private long commitFailures;
    private long skipped;
    private int commitFailureStreak;
    private volatile bool migrated;

    public KafkaIngester(ClickHouseDatabase database, EventStore store, IOptions<IngestOptions> options, KafkaSettings kafka, string bootstrapServers,
        IngestLag lag, ILogger<KafkaIngester> logger, TimeProvider time, IMeterFactory? meters = null)
    {
        this.database = database;
        this.store = store;
        settings = options.Value;
        this.kafka = kafka;
        this.bootstrapServers = bootstrapServers;
        this.lag = lag;
        this.logger = logger;
        this.time = time;
        Connectivity = new KafkaConnectivity("analytics-consumer", bootstrapServers, logger, time);
        ingestedCounter = meters?.Create(TelemetrySources.Name).CreateCounter<long>("deepsim.ingest.events", "{event}", "Events inserted into ClickHouse (redeliveries included)");
    }

    public KafkaConnectivity Connectivity { get; }
    public string Topic => kafka.Topic;

    /// <summary>Events inserted by this instance (redeliveries included).</summary>
    public long Ingested => Interlocked.Read(ref ingested);

    /// <summary>Commits that failed after their batch was stored (the batch comes again; dedupe absorbs it).</summary>
    public long CommitFailures => Interlocked.Read(ref commitFailures);

    /// <summary>Messages that were not an outbox event (logged and committed past, so they block nothing).</summary>
    public long Skipped => Interlocked.Read(ref skipped);

    /// <summary>True once the ClickHouse migrations ran.</summary>
    public bool Migrated => migrated;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stoppingToken)
    {
        var backoff = new Backoff(settings);
        var library = KafkaNative.Describe();
        Log.Starting(logger, kafka.Topic, settings.KafkaGroupId, bootstrapServers, library);
        lag.Unknown(IngestLag.Topic, "waiting for ClickHouse: migrations not applied yet");
        while (!migrated && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var version in Bounded(ct => ClickHouseMigrator.MigrateAsync(database, ct), stoppingToken))
                {
                    Log.MigrationApplied(logger, version);
                }
                migrated = true;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && ex is not OutOfMemoryException)
            {
                Log.NotReady(logger, ex);
                backoff.Wait(stoppingToken);
            }
        }
        if (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        backoff.Reset();

        var consumer = BuildConsumer();
        consumer.Subscribe(kafka.Topic);
        var batch = new List<FeedEvent>(Math.Min(settings.MaxInsertRows, 100_000));
        var offsets = new Dictionary<TopicPartition, Offset>();
        var poll = TimeSpan.FromMilliseconds(Math.Clamp(settings.IdlePollMilliseconds, 50, 1000));
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    // Wait for the first message, then take what is already fetched, up to one insert's worth.
                    var wait = poll;
                    while (batch.Count < settings.MaxInsertRows && consumer.Consume(wait) is { } result)
                    {
                        wait = TimeSpan.Zero;
                        Connectivity.MarkReachable();
                        offsets[result.TopicPartition] = result.Offset + 1;
                        if (Parse(result) is { } e)
                        {
                            batch.Add(e);
                        }
                    }
                    if (offsets.Count == 0)
                    {
                        ReportCaughtUp();
                        continue;
                    }
                    if (batch.Count > 0)
                    {
                        lag.Report(IngestLag.Topic, Age(batch), string.Create(CultureInfo.InvariantCulture, $"{batch.Count} events consumed, being stored"));
                        if (!Store(batch, backoff, stoppingToken))
                        {
                            return; // stopping: the batch was not committed and comes again
                        }
                    }
                    Commit(consumer, offsets);
                    Interlocked.Add(ref ingested, batch.Count);
                    ingestedCounter?.Add(batch.Count);
                    batch.Clear();
                    offsets.Clear();
                    backoff.Reset();
                }
                catch (ConsumeException ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The topic missing (not created yet) and the like: the consumer itself carries on.
                    Connectivity.OnError(consumer, ex.Error);
                    backoff.Wait(stoppingToken);
                }
            }
        }
        finally
        {
            Close(consumer);
        }
    }

    private IConsumer<string, byte[]> BuildConsumer()
    {
        var config = kafka.Apply(new ConsumerConfig
        {
            GroupId = settings.KafkaGroupId,
            // Offsets are committed by hand, after ClickHouse has the batch.
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            // A new group reads the topic from its start: ClickHouse gets the whole history the topic retains.
            AutoOffsetReset = AutoOffsetReset.Earliest,
            // Fetches return as soon as there is data, or after 100 ms: the lag budget is end to end.
            FetchWaitMaxMs = 100,
        }, bootstrapServers, $"deepsim-analytics-{Environment.MachineName}");
        return new ConsumerBuilder<string, byte[]>(config)
            .SetErrorHandler(Connectivity.OnError)
            .SetLogHandler(Connectivity.OnLog)
            .SetStatisticsHandler(Connectivity.OnStatistics)
            .Build();
    }

    /// <summary>Stores the batch, retrying with backoff until it is in; false when stopping first.</summary>
    private bool Store(List<FeedEvent> batch, Backoff backoff, CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Once begun, an insert finishes even when a stop comes (bounded by its timeout), as in the HTTP mode.
                Bounded(async ct => { await store.InsertAsync(batch, ct); return true; }, CancellationToken.None);
                if (failures > 0)
                {
                    Log.StoredAfterRetries(logger, batch.Count, failures);
                }
                return true;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                failures++;
                lag.Report(IngestLag.Topic, Age(batch), string.Create(CultureInfo.InvariantCulture, $"{batch.Count} events consumed, not stored yet ({failures} failed inserts)"));
                // One warning per outage, then quiet: the health check and the lag say the rest.
                if (failures == 1)
                {
                    Log.InsertFailed(logger, ex, batch.Count);
                }
                backoff.Wait(stoppingToken);
            }
        }
        return false;
    }

    private void Commit(IConsumer<string, byte[]> consumer, Dictionary<TopicPartition, Offset> offsets)
    {
        try
        {
            consumer.Commit(offsets.Select(o => new TopicPartitionOffset(o.Key, o.Value)));
        }
        catch (KafkaException ex)
        {
            // Stored but not committed: after a restart or a rebalance the batch comes again and dedupe absorbs it.
            Interlocked.Increment(ref commitFailures);
            if (++commitFailureStreak == 1)
            {
                Log.CommitFailed(logger, ex.Error.Code, ex.Error.Reason);
            }
            return;
        }
        commitFailureStreak = 0;
    }

    private void ReportCaughtUp()
    {
        var status = Connectivity.Current;
        if (status.Reachability == KafkaReachability.Reachable)
        {
            var behind = status.ConsumerLagMessages is { } n ? string.Create(CultureInfo.InvariantCulture, $" (librdkafka's last count: {n} messages behind)") : "";
            lag.Report(IngestLag.Topic, null, $"caught up with topic {kafka.Topic}{behind}");
        }
        else
        {
            lag.Unknown(IngestLag.Topic, $"nothing consumed, and {Connectivity.Describe()}: what waits in topic {kafka.Topic} cannot be seen");
        }
    }

    private FeedEvent? Parse(ConsumeResult<string, byte[]> result)
    {
        try
        {
            if (JsonSerializer.Deserialize<FeedEvent>(result.Message.Value, OutboxTopic.Json) is { Id: var id, Type: not null } e && id != Guid.Empty)
            {
                return e;
            }
        }
        catch (JsonException)
        {
            // below
        }
        // Not an outbox event: stopping here would block the partition for ever, so it is logged and passed.
        Interlocked.Increment(ref skipped);
        Log.NotAnEvent(logger, result.TopicPartitionOffset.ToString());
        return null;
    }

    // Event times are the Api database's; this compares them with this machine's clock (Kafka mode has no reading of
    // the database's clock at consumption).
    private TimeSpan Age(List<FeedEvent> batch)
    {
        var oldest = batch.Min(e => e.OccurredAt);
        var now = time.GetUtcNow().UtcDateTime;
        return now > oldest ? now - oldest : TimeSpan.Zero;
    }

    private T Bounded<T>(Func<CancellationToken, Task<T>> call, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(settings.CallTimeoutSeconds));
        return call(timeout.Token).GetAwaiter().GetResult();
    }

    private void Close(IConsumer<string, byte[]> consumer)
    {
        // Leaves the group so the partitions move at once; bounded, since without a broker it could wait. A consumer
        // still closing is not disposed under it (the process is stopping anyway).
        var close = Task.Run(consumer.Close);
        if (close.Wait(TimeSpan.FromSeconds(5)))
        {
            consumer.Dispose();
        }
        else
        {
            Log.CloseTimedOut(logger);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Ingesting Kafka topic {Topic} as group {GroupId} from {BootstrapServers}, {Library}")]
        public static partial void Starting(ILogger logger, string topic, string groupId, string bootstrapServers, string library);

        [LoggerMessage(Level = LogLevel.Information, Message = "ClickHouse migration {Version} applied")]
        public static partial void MigrationApplied(ILogger logger, string version);

        [LoggerMessage(Level = LogLevel.Warning, Message = "ClickHouse is not ready for the ingester; retrying")]
        public static partial void NotReady(ILogger logger, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Storing {Count} consumed events failed; retrying with backoff (nothing more is consumed meanwhile)")]
        public static partial void InsertFailed(ILogger logger, Exception exception, int count);

        [LoggerMessage(Level = LogLevel.Information, Message = "Stored {Count} consumed events after {Failures} failed attempts")]
        public static partial void StoredAfterRetries(ILogger logger, int count, int failures);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Committing offsets failed ({Code}: {Reason}); stored batches not committed come again and are deduplicated (logged once until a commit succeeds)")]
        public static partial void CommitFailed(ILogger logger, ErrorCode code, string reason);

        [LoggerMessage(Level = LogLevel.Error, Message = "Kafka message {Where} is not an outbox event; skipped")]
        public static partial void NotAnEvent(ILogger logger, string where);

        [LoggerMessage(Level = LogLevel.Warning, Message = "The Kafka consumer did not leave its group within 5 s at stop")]
        public static partial void CloseTimedOut(ILogger logger);
    }
}
