using System.Globalization;
using Microsoft.Extensions.Options;

namespace DeepSim.Analytics.Ingest;

/// <summary>
/// Kafka mode: the part of the ingest lag still in the Api's outbox, behind its Kafka relay. Reads the relay's status
/// from the Api (<c>/internal/v1/outbox/relays/{name}</c>, service token) every <see cref="IngestOptions.IdlePollMilliseconds"/>
/// and reports it as <see cref="IngestLag.Relay"/>: an event the relay has not published yet is not in ClickHouse either.
/// </summary>
public sealed partial class RelayBacklogMonitor(OutboxFeedClient feed, IngestLag lag, IOptions<IngestOptions> options, ILogger<RelayBacklogMonitor> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var poll = TimeSpan.FromMilliseconds(Math.Max(100, settings.IdlePollMilliseconds));
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(settings.CallTimeoutSeconds));
                var status = await feed.ReadRelayAsync(settings.RelayName, timeout.Token);
                if (status is null)
                {
                    lag.Unknown(IngestLag.Relay, $"the Api has no relay '{settings.RelayName}' yet (it runs where the Api has ConnectionStrings:kafka)");
                }
                else
                {
                    lag.Report(IngestLag.Relay, status.PendingAge, string.Create(CultureInfo.InvariantCulture,
                        $"relay '{status.Name}' at {status.Position}, feed head {status.Head}"));
                }
                failing = false;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && ex is not OutOfMemoryException)
            {
                lag.CannotSee(IngestLag.Relay, $"the Api did not answer: {ex.GetType().Name}");
                if (!failing)
                {
                    Log.StatusFailed(logger, ex);
                    failing = true;
                }
            }
            try
            {
                await Task.Delay(poll, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "The Api's relay status could not be read; the relay's part of the ingest lag grows from its last reading (logged once until it answers)")]
        public static partial void StatusFailed(ILogger logger, Exception exception);
    }
}
