using System.Diagnostics.Metrics;
using DeepSim.Analytics.ClickHouse;
using Microsoft.Extensions.Options;

namespace DeepSim.Analytics.Ingest;

/// <summary>
/// Copies the Api's outbox feed into ClickHouse: applies the ClickHouse migrations, reads the checkpoint, then
/// repeatedly takes a page after it, inserts the page, and only then moves the checkpoint to the page's end. A crash
/// between the two redelivers that page on restart (at least once); the events table and its queries dedupe by event
/// id, so a redelivered page changes no count. Failures of the Api or ClickHouse back off, doubling up to a cap; every
/// call is bounded by <see cref="IngestOptions.CallTimeoutSeconds"/>.
/// </summary>
public sealed partial class OutboxIngester(
    OutboxFeedClient feed, ClickHouseDatabase database, EventStore store, IOptions<IngestOptions> options,
    ILogger<OutboxIngester> logger, IMeterFactory? meters = null) : BackgroundService
{
    public const string MeterName = "DeepSim.Analytics.Ingest";
    private const string StartPosition = "0-0";

    private readonly Counter<long>? ingestedCounter = meters?.Create(MeterName).CreateCounter<long>("deepsim.ingest.events", "{event}", "Events inserted into ClickHouse (redeliveries included)");
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
                await backoff.WaitAsync(stoppingToken);
            }
        }
        backoff.Reset();

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var page = await BoundedAsync(ct => feed.ReadAsync(Position, settings.BatchSize, ct), stoppingToken);
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
                }
                backoff.Reset();
                if (page.Events.Count < settings.BatchSize)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(settings.IdlePollMilliseconds), stoppingToken);
                }
            }
            catch (Exception ex) when (IsTransient(ex, stoppingToken))
            {
                Log.IngestFailed(logger, ex, Position);
                await backoff.WaitAsync(stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: whatever was not checkpointed is redelivered at the next start.
                break;
            }
        }
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

    private sealed class Backoff(IngestOptions settings)
    {
        private int delayMs = settings.InitialBackoffMilliseconds;

        public void Reset() => delayMs = settings.InitialBackoffMilliseconds;

        public async Task WaitAsync(CancellationToken ct)
        {
            // Jitter keeps several ingesters (or restarts) from retrying in step.
            var wait = delayMs / 2 + Random.Shared.Next(delayMs / 2 + 1);
            delayMs = Math.Min(delayMs * 2, settings.MaxBackoffMilliseconds);
            try
            {
                await Task.Delay(wait, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // stopping: the loop condition ends the service
            }
        }
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
    }
}
