using System.Diagnostics.Metrics;
using DeepSim.Analytics.ClickHouse;
using DeepSim.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace DeepSim.Analytics.Ingest;

/// <summary>
/// Copies the Api's outbox feed into ClickHouse: applies the ClickHouse migrations, reads the checkpoint, then
/// repeatedly takes a page after it, inserts the page, and only then moves the checkpoint to the page's end. A crash
/// between the two redelivers that page on restart (at least once); the events table and its queries dedupe by event
/// id, so a redelivered page changes no count. Failures of the Api or ClickHouse back off, doubling up to a cap; every
/// call is bounded by <see cref="IngestOptions.CallTimeoutSeconds"/>. Every feed read reports the ingest lag
/// (<see cref="IngestLag.Feed"/>): what waits after the checkpoint, including the page in hand until it is stored.
/// </summary>
public sealed partial class OutboxIngester(
    OutboxFeedClient feed, ClickHouseDatabase database, EventStore store, IOptions<IngestOptions> options,
    IngestLag lag, ILogger<OutboxIngester> logger, TimeProvider? time = null, IMeterFactory? meters = null) : BackgroundService
{
    private const string StartPosition = "0-0";

    // Under the one meter name the service defaults export (TelemetrySources), so the Aspire dashboard shows it.
    private readonly Counter<long>? ingestedCounter = meters?.Create(TelemetrySources.Name).CreateCounter<long>("deepsim.ingest.events", "{event}", "Events inserted into ClickHouse (redeliveries included)");
    private readonly TimeProvider clock = time ?? TimeProvider.System;
    private long ingested;

    /// <summary>Events inserted by this instance (redeliveries included).</summary>
    public long Ingested => Interlocked.Read(ref ingested);

    /// <summary>The position after the last page stored, once started.</summary>
    public string? Position { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var backoff = new Backoff(settings);
        // Migrations and checkpoint first: retried with backoff until ClickHouse answers.
        while (Position is null)
        {
            try
            {
                var applied = await BoundedAsync(ct => ClickHouseMigrator.MigrateAsync(database, ct), stoppingToken);
                foreach (var version in applied)
                {
                    Log.MigrationApplied(logger, version);
                }
                Position = await BoundedAsync(ct => store.ReadCheckpointAsync(settings.CheckpointName, ct), stoppingToken) ?? StartPosition;
                Log.Resuming(logger, Position);
            }
            catch (Exception ex) when (IsTransient(ex, stoppingToken))
            {
                Log.NotReady(logger, ex);
                lag.Unknown(IngestLag.Feed, "waiting for ClickHouse: the checkpoint is not read yet");
                await backoff.WaitAsync(stoppingToken);
            }
        }
        backoff.Reset();

        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var page = await ReadAsync(settings, stoppingToken);
                lag.Report(IngestLag.Feed, page.PendingAgeBeforeStored(clock.GetUtcNow().UtcDateTime), $"checkpoint {Position}, feed head {page.Head ?? "?"}");
                if (page.Events.Count > 0)
                {
                    // A page once read is stored and checkpointed even when a stop comes meanwhile (each call still
                    // bounded by its timeout), so a stop never leaves rows stored past the checkpoint.
                    await BoundedAsync(async ct => { await store.InsertAsync(page.Events, ct); return true; }, CancellationToken.None);
                    // Only after the insert succeeded: a failure here or before redelivers the page, never skips it.
                    await BoundedAsync(async ct => { await store.WriteCheckpointAsync(settings.CheckpointName, page.Next, ct); return true; }, CancellationToken.None);
                    Interlocked.Add(ref ingested, page.Events.Count);
                    ingestedCounter?.Add(page.Events.Count);
                    Position = page.Next;
                    lag.Report(IngestLag.Feed, page.PendingAgeAfterStored(clock.GetUtcNow().UtcDateTime), $"checkpoint {Position}, feed head {page.Head ?? "?"}");
                }
                backoff.Reset();
                if (failures > 0)
                {
                    Log.IngestRecovered(logger, Position, failures);
                    failures = 0;
                }
                if (!page.Full)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(settings.IdlePollMilliseconds), stoppingToken);
                }
            }
            catch (Exception ex) when (IsTransient(ex, stoppingToken))
            {
                lag.CannotSee(IngestLag.Feed, $"the last round failed: {ex.GetType().Name}: {ex.Message}");
                // The stack once per outage; each repeat as one line, so a repeating bug still shows at every backoff.
                if (++failures == 1)
                {
                    Log.IngestFailed(logger, ex, Position);
                }
                else
                {
                    Log.IngestStillFailing(logger, Position, failures, ex.GetType().Name, ex.Message);
                }
                await backoff.WaitAsync(stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: whatever was not checkpointed is redelivered at the next start.
                break;
            }
        }
    }

    /// <summary>
    /// The feed after the checkpoint: one page, or while pages come full (a backlog) several, up to
    /// <see cref="IngestOptions.MaxInsertRows"/>, so a backlog is stored in few large inserts (every insert also runs
    /// the roll-up view and writes new parts: ClickHouse wants them large). A page that is not full ends the read at
    /// once, so a quiet feed's events are stored as soon as they are read.
    /// </summary>
    private async Task<IngestRead> ReadAsync(IngestOptions settings, CancellationToken stoppingToken)
    {
        var page = await BoundedAsync(ct => feed.ReadAsync(Position!, settings.BatchSize, ct), stoppingToken);
        var read = new IngestRead(page, settings.BatchSize);
        while (read.Full && read.Events.Count + settings.BatchSize <= settings.MaxInsertRows)
        {
            read.Add(await BoundedAsync(ct => feed.ReadAsync(read.Next, settings.BatchSize, ct), stoppingToken));
        }
        return read;
    }

    private async Task<T> BoundedAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.CallTimeoutSeconds));
        return await call(timeout.Token);
    }

    // The Api or ClickHouse down, slow or answering an error: anything but our own stop is worth a retry, and a
    // bug that repeats shows in the log at every backoff.
    private static bool IsTransient(Exception ex, CancellationToken stoppingToken) =>
        !stoppingToken.IsCancellationRequested && ex is not OutOfMemoryException;

    /// <summary>Consecutive feed pages read for one insert; the lag fields are the last page's.</summary>
    private sealed class IngestRead(FeedPage first, int pageSize)
    {
        private FeedPage last = first;

        public List<FeedEvent> Events { get; } = [.. first.Events];
        public string Next => last.Next;
        public string? Head => last.Head;
        public bool Full => last.Events.Count >= pageSize;

        public void Add(FeedPage page)
        {
            Events.AddRange(page.Events);
            last = page;
        }

        public TimeSpan? PendingAgeBeforeStored(DateTime localNow) => (last with { Events = Events }).PendingAgeBeforeStored(localNow);

        public TimeSpan? PendingAgeAfterStored(DateTime localNow) => last.PendingAgeAfterStored(localNow);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "ClickHouse migration {Version} applied")]
        public static partial void MigrationApplied(ILogger logger, string version);

        [LoggerMessage(Level = LogLevel.Information, Message = "Ingesting the outbox feed from position {Position}")]
        public static partial void Resuming(ILogger logger, string position);

        [LoggerMessage(Level = LogLevel.Warning, Message = "ClickHouse is not ready for the ingester; retrying")]
        public static partial void NotReady(ILogger logger, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest failed at position {Position}; retrying")]
        public static partial void IngestFailed(ILogger logger, Exception exception, string position);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest still failing at position {Position} ({Failures} rounds): {Error}: {Reason}")]
        public static partial void IngestStillFailing(ILogger logger, string position, int failures, string error, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "Ingest recovered at position {Position} after {Failures} failed rounds")]
        public static partial void IngestRecovered(ILogger logger, string position, int failures);
    }
}
