using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Confluent.Kafka;
using DeepSim.Api.Infrastructure;
using DeepSim.Kafka;
using DeepSim.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Events;

public enum RelayRole
{
    /// <summary>Not started, or has not reached PostgreSQL yet.</summary>
    Starting,
    /// <summary>Holds the lease: this replica publishes.</summary>
    Leader,
    /// <summary>Another replica holds the lease.</summary>
    Standby,
}

/// <summary>
/// Publishes the outbox to Kafka (issue 13): reads the feed after its position in <c>outbox_relays</c>, produces the
/// round's events (keyed by tenant, idempotent producer, acks from all in-sync replicas), waits for every delivery
/// report, and only then moves its position to the round's end. A round not fully acknowledged (no broker:
/// <c>Local_MsgTimedOut</c> after <see cref="OutboxRelaySettings.MessageTimeoutMs"/>) leaves the position where it
/// was and is published again after a backoff, so the relay never skips an event; redelivered ones are deduplicated
/// by event id downstream. One round in flight at a time bounds memory; one warning per failed round and one on each
/// change of the brokers' reachability keep the log readable while Kafka is away.
/// </summary>
public sealed partial class OutboxRelay : BackgroundService
{
    private readonly TenantDb db;
    private readonly OutboxRelaySettings settings;
    private readonly KafkaSettings kafka;
    private readonly string bootstrapServers;
    private readonly ILogger<OutboxRelay> logger;
    private readonly TimeProvider time;
    private readonly string holder = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    private readonly Counter<long>? publishedCounter;
    private readonly Lock gate = new();

    private RelayRole role = RelayRole.Starting;
    private FeedPosition? position;
    private long published;
    private long failedRounds;
    private string? lastFailure;
    // The oldest unpublished event's age when last measured, and when (Stopwatch ticks); no age: nothing waited.
    private TimeSpan? pendingAge;
    private long measuredAt;

    public OutboxRelay(TenantDb db, IOptions<OutboxRelaySettings> settings, KafkaSettings kafka, string bootstrapServers,
        ILogger<OutboxRelay> logger, TimeProvider time, IMeterFactory? meters = null)
    {
        this.db = db;
        this.settings = settings.Value;
        this.kafka = kafka;
        this.bootstrapServers = bootstrapServers;
        this.logger = logger;
        this.time = time;
        Connectivity = new KafkaConnectivity("outbox-relay", bootstrapServers, logger, time);
        if (meters is not null)
        {
            var meter = meters.Create(TelemetrySources.Name);
            publishedCounter = meter.CreateCounter<long>("deepsim.outbox.relay.published", "{event}",
                "Outbox events acknowledged by Kafka (republished ones included)");
            meter.CreateObservableGauge("deepsim.outbox.relay.lag", ObserveLag, "s",
                "Age of the oldest outbox event not yet acknowledged by Kafka (0 when caught up)");
        }
    }

    public KafkaConnectivity Connectivity { get; }
    public string Topic => kafka.Topic;
    public string Name => settings.Name;

    public RelayRole Role { get { lock (gate) { return role; } } }

    /// <summary>Where the relay has published up to (the position acknowledged last), once it holds the lease.</summary>
    public string? Position { get { lock (gate) { return position?.ToString(); } } }

    /// <summary>Events acknowledged by the broker, since start.</summary>
    public long Published => Interlocked.Read(ref published);

    /// <summary>Rounds not fully acknowledged (each republished after a backoff), since start.</summary>
    public long FailedRounds => Interlocked.Read(ref failedRounds);

    public string? LastFailure { get { lock (gate) { return lastFailure; } } }

    /// <summary>Age of the oldest event not yet acknowledged by Kafka; null until this replica has read the feed as leader.</summary>
    public TimeSpan? Lag
    {
        get
        {
            lock (gate)
            {
                if (role != RelayRole.Leader || measuredAt == 0)
                {
                    return null;
                }
                return pendingAge is { } age ? age + Stopwatch.GetElapsedTime(measuredAt) : TimeSpan.Zero;
            }
        }
    }

    private IEnumerable<Measurement<double>> ObserveLag() =>
        Lag is { } lag ? [new Measurement<double>(lag.TotalSeconds)] : [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var library = KafkaNative.Describe();
        Log.Starting(logger, settings.Name, kafka.Topic, bootstrapServers, library);
        var backoff = new Backoff(settings);
        IProducer<string, byte[]>? producer = null;
        var lastRenewal = 0L;
        var leaseRenewal = TimeSpan.FromSeconds(Math.Max(1, settings.LeaseSeconds) / 3.0);
        var idle = TimeSpan.FromMilliseconds(Math.Max(0, settings.IdlePollMilliseconds));
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (Connectivity.Fatal is { } fatal && producer is not null)
                    {
                        // A fatal error leaves the producer unusable: a new one (new producer id) carries on.
                        producer.Dispose();
                        producer = null;
                        Connectivity.ClearFatal();
                        Log.ProducerRebuilt(logger, fatal.Code, fatal.Reason);
                    }
                    producer ??= BuildProducer();

                    if (Role != RelayRole.Leader)
                    {
                        var claim = await ClaimAsync(stoppingToken);
                        if (claim is null)
                        {
                            SetRole(RelayRole.Standby);
                            await Task.Delay(leaseRenewal, stoppingToken);
                            continue;
                        }
                        lock (gate)
                        {
                            role = RelayRole.Leader;
                            position = claim.Value;
                            measuredAt = 0;
                        }
                        lastRenewal = Stopwatch.GetTimestamp();
                        Log.Leading(logger, settings.Name, claim.Value);
                    }

                    FeedPosition from;
                    lock (gate)
                    {
                        from = position ?? FeedPosition.Start;
                    }
                    var (events, end, status) = await db.WithoutTenantAsync(async s =>
                    {
                        var (read, last) = await OutboxFeed.ReadAsync(s, from, Math.Clamp(settings.BatchSize, 1, OutboxFeed.MaxLimit), stoppingToken);
                        return (read, last, await OutboxFeed.StatusAsync(s, last, stoppingToken));
                    }, stoppingToken);
                    // Until the round is acknowledged, its own events wait too.
                    Measure(events.Count > 0 ? Oldest(events, status) : status.OldestPendingAt, status.At);

                    if (events.Count == 0)
                    {
                        if (Stopwatch.GetElapsedTime(lastRenewal) >= leaseRenewal)
                        {
                            if (!await AdvanceAsync(from, stoppingToken))
                            {
                                continue;
                            }
                            lastRenewal = Stopwatch.GetTimestamp();
                        }
                        await Task.Delay(idle, stoppingToken);
                        continue;
                    }

                    var failure = await PublishAsync(producer, events, stoppingToken);
                    if (failure is not null)
                    {
                        Interlocked.Increment(ref failedRounds);
                        lock (gate)
                        {
                            lastFailure = failure;
                        }
                        Log.RoundNotAcknowledged(logger, events.Count, from, failure);
                        await backoff.WaitAsync(stoppingToken);
                        continue;
                    }
                    // Every event of the round is acknowledged: only now may the position move past them.
                    if (!await AdvanceAsync(end, stoppingToken))
                    {
                        continue;
                    }
                    lastRenewal = Stopwatch.GetTimestamp();
                    lock (gate)
                    {
                        position = end;
                        lastFailure = null;
                    }
                    Interlocked.Add(ref published, events.Count);
                    publishedCounter?.Add(events.Count);
                    Measure(status.OldestPendingAt, status.At);
                    backoff.Reset();
                    if (events.Count < settings.BatchSize)
                    {
                        await Task.Delay(idle, stoppingToken);
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested && ex is not OutOfMemoryException)
                {
                    // PostgreSQL away or a bug: retried with backoff, one line each time.
                    Log.RoundFailed(logger, ex, position);
                    await backoff.WaitAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping: whatever was not acknowledged is published again by the next leader
        }
        finally
        {
            await ReleaseAsync();
            producer?.Dispose();
        }
    }

    private IProducer<string, byte[]> BuildProducer()
    {
        var config = kafka.Apply(new ProducerConfig
        {
            // Idempotent: the broker drops the producer's own retries, and one partition keeps the feed's order.
            EnableIdempotence = true,
            Acks = Acks.All,
            MaxInFlight = 5,
            MessageTimeoutMs = Math.Max(1000, settings.MessageTimeoutMs),
            LingerMs = Math.Max(0, settings.LingerMs),
            // One round in flight, so twice a round is room enough; a full queue fails the round instead of growing.
            QueueBufferingMaxMessages = Math.Max(2 * settings.BatchSize, 100),
        }, bootstrapServers, $"deepsim-api-relay-{Environment.MachineName}");
        return new ProducerBuilder<string, byte[]>(config)
            .SetErrorHandler(Connectivity.OnError)
            .SetLogHandler(Connectivity.OnLog)
            .SetStatisticsHandler(Connectivity.OnStatistics)
            .Build();
    }

    /// <summary>Produces every event and waits for all their reports; null when all were acknowledged, else the first error.</summary>
    private async Task<string?> PublishAsync(IProducer<string, byte[]> producer, List<FeedEvent> events, CancellationToken stoppingToken)
    {
        var deliveries = new List<Task<DeliveryResult<string, byte[]>>>(events.Count);
        string? failure = null;
        foreach (var e in events)
        {
            try
            {
                deliveries.Add(producer.ProduceAsync(kafka.Topic, new Message<string, byte[]>
                {
                    Key = OutboxTopic.Key(e.TenantId),
                    Value = JsonSerializer.SerializeToUtf8Bytes(e, OutboxTopic.Json),
                }, CancellationToken.None));
            }
            catch (ProduceException<string, byte[]> ex)
            {
                // Refused before it was queued (queue full, producer failed): the rest would be refused too.
                failure = $"{ex.Error.Code}: {ex.Error.Reason}";
                break;
            }
        }
        try
        {
            // Each report comes within message.timeout.ms; a stop does not wait for them (the round is published again).
            await Task.WhenAll(deliveries).WaitAsync(stoppingToken);
        }
        catch (Exception) when (!stoppingToken.IsCancellationRequested)
        {
            // inspected below, message by message
        }
        var notDelivered = 0;
        foreach (var delivery in deliveries)
        {
            if (delivery.IsCompletedSuccessfully && delivery.Result.Status == PersistenceStatus.Persisted)
            {
                continue;
            }
            notDelivered++;
            failure ??= delivery.Exception?.InnerException is ProduceException<string, byte[]> ex
                ? $"{ex.Error.Code}: {ex.Error.Reason}"
                : $"delivery {(delivery.IsCompletedSuccessfully ? delivery.Result.Status.ToString() : "failed")}";
        }
        if (failure is null)
        {
            Connectivity.MarkReachable();
            return null;
        }
        return $"{notDelivered + (events.Count - deliveries.Count)} of {events.Count} not acknowledged ({failure})";
    }

    private static DateTime Oldest(List<FeedEvent> events, FeedStatus status)
    {
        var oldest = events.Min(e => e.OccurredAt);
        return status.OldestPendingAt is { } later && later < oldest ? later : oldest;
    }

    private void Measure(DateTime? oldestPendingAt, DateTime at)
    {
        lock (gate)
        {
            pendingAge = oldestPendingAt is { } oldest ? (at > oldest ? at - oldest : TimeSpan.Zero) : null;
            measuredAt = Stopwatch.GetTimestamp();
        }
    }

    private void SetRole(RelayRole value)
    {
        lock (gate)
        {
            role = value;
        }
    }

    private sealed record ClaimRow(bool Ok, long AfterTxid, long AfterSeq);

    private async Task<FeedPosition?> ClaimAsync(CancellationToken ct)
    {
        var row = await db.WithoutTenantAsync(s => s.QuerySingleOrDefaultAsync<ClaimRow>(
            """select o_ok as "Ok", o_after_txid as "AfterTxid", o_after_seq as "AfterSeq" from outbox_relay_claim(@name, @holder, @lease)""",
            new { name = settings.Name, holder, lease = settings.LeaseSeconds }, ct), ct);
        return row is { Ok: true } ? new FeedPosition(row.AfterTxid, row.AfterSeq) : null;
    }

    /// <summary>Moves the position (and renews the lease); false, and standby, when the lease was lost meanwhile.</summary>
    private async Task<bool> AdvanceAsync(FeedPosition to, CancellationToken ct)
    {
        var held = await db.WithoutTenantAsync(s => s.ExecuteScalarAsync<bool>(
            "select outbox_relay_advance(@name, @holder, @txid, @seq, @lease)",
            new { name = settings.Name, holder, txid = to.Txid, seq = to.Seq, lease = settings.LeaseSeconds }, ct), ct);
        if (!held)
        {
            SetRole(RelayRole.Standby);
            Log.LeaseLost(logger, settings.Name, to);
        }
        return held;
    }

    private async Task ReleaseAsync()
    {
        if (Role != RelayRole.Leader)
        {
            return;
        }
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await db.WithoutTenantAsync(s => s.ExecuteAsync("select outbox_relay_release(@name, @holder)", new { name = settings.Name, holder }, timeout.Token), timeout.Token);
            SetRole(RelayRole.Standby);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The lease runs out by itself; another replica takes over then.
            Log.ReleaseFailed(logger, ex);
        }
    }

    private sealed class Backoff(OutboxRelaySettings settings)
    {
        private int delayMs = Math.Max(1, settings.InitialBackoffMilliseconds);

        public void Reset() => delayMs = Math.Max(1, settings.InitialBackoffMilliseconds);

        public async Task WaitAsync(CancellationToken ct)
        {
            // Jitter keeps replicas and restarts from retrying in step.
            var wait = delayMs / 2 + Random.Shared.Next(delayMs / 2 + 1);
            delayMs = Math.Min(delayMs * 2, Math.Max(delayMs, settings.MaxBackoffMilliseconds));
            await Task.Delay(wait, ct);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Outbox relay '{Name}' starting: topic {Topic} at {BootstrapServers}, {Library}")]
        public static partial void Starting(ILogger logger, string name, string topic, string bootstrapServers, string library);

        [LoggerMessage(Level = LogLevel.Information, Message = "Outbox relay '{Name}' leads from position {Position}")]
        public static partial void Leading(ILogger logger, string name, FeedPosition position);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox relay: {Count} events after {Position} not all acknowledged by Kafka: {Failure}; the position stays, the round is published again")]
        public static partial void RoundNotAcknowledged(ILogger logger, int count, FeedPosition position, string failure);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox relay round failed at position {Position}; retrying")]
        public static partial void RoundFailed(ILogger logger, Exception exception, FeedPosition? position);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox relay '{Name}' lost its lease at {Position}: another replica publishes now")]
        public static partial void LeaseLost(ILogger logger, string name, FeedPosition position);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox relay: the Kafka producer failed fatally ({Code}: {Reason}); a new one is made")]
        public static partial void ProducerRebuilt(ILogger logger, ErrorCode code, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox relay could not give its lease up at stop; it runs out by itself")]
        public static partial void ReleaseFailed(ILogger logger, Exception exception);
    }
}
