using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DeepSim.AppHost.Hosting;

/// <summary>
/// What <c>./deepsim up</c> prints after Aspire's dashboard login line: each resource's state changes, the last lines
/// of any resource that fails, once everything is healthy each service's URL and "All resources healthy in N s".
/// The dashboard shows all of it in full; this is so a terminal alone tells what went wrong.
/// </summary>
internal sealed partial class StartupReport(
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    ResourceLoggerService resourceLogs,
    ILogger<StartupReport> logger) : BackgroundService
{
    private const int TailLines = 15;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _tails = new();

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(ReportStatesAsync(stoppingToken), ReportHealthyAsync(stoppingToken));

    private async Task ReportStatesAsync(CancellationToken stoppingToken)
    {
        var lastState = new Dictionary<string, string?>();
        try
        {
            await foreach (var change in notifications.WatchAsync(stoppingToken))
            {
                if (_tails.TryAdd(change.ResourceId, new ConcurrentQueue<string>()))
                {
                    _ = TailAsync(change.ResourceId, stoppingToken);
                }
                var state = change.Snapshot.State?.Text;
                // Parameters and Aspire's hidden helpers (rebuilders) are noise on a terminal.
                if (change.Resource is ParameterResource || change.Snapshot.IsHidden
                    || string.IsNullOrEmpty(state) || lastState.GetValueOrDefault(change.ResourceId) == state)
                {
                    continue;
                }
                lastState[change.ResourceId] = state;
                var exitCode = change.Snapshot.ExitCode;
                if (exitCode is not null and not 0 || state == KnownResourceStates.FailedToStart)
                {
                    var tail = string.Join(Environment.NewLine + "    ", _tails[change.ResourceId]);
                    LogFailed(change.Resource.Name, state, exitCode, tail);
                }
                else
                {
                    LogState(change.Resource.Name, state);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task TailAsync(string resourceId, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var batch in resourceLogs.WatchAsync(resourceId).WithCancellation(stoppingToken))
            {
                var tail = _tails[resourceId];
                foreach (var line in batch)
                {
                    tail.Enqueue(line.Content);
                    while (tail.Count > TailLines && tail.TryDequeue(out _))
                    {
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ReportHealthyAsync(CancellationToken stoppingToken)
    {
        var watched = model.Resources
            .Where(resource => resource.HasAnnotationOfType<RestartOnCrashAnnotation>() || resource is IResourceWithConnectionString && resource.HasAnnotationOfType<HealthCheckAnnotation>())
            .ToList();
        try
        {
            await Task.WhenAll(watched.Select(resource => notifications.WaitForResourceHealthyAsync(resource.Name, stoppingToken)));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        foreach (var resource in watched.OfType<ProjectResource>())
        {
            if (resource.TryGetEndpoints(out var endpoints))
            {
                foreach (var endpoint in endpoints.Where(endpoint => endpoint.AllocatedEndpoint is not null))
                {
                    LogUrl(resource.Name, endpoint.AllocatedEndpoint!.UriString);
                }
            }
        }
        using var process = Process.GetCurrentProcess();
        var seconds = Math.Round((DateTime.Now - process.StartTime).TotalSeconds, 1);
        LogAllHealthy(seconds);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Resource}: {State}")]
    private partial void LogState(string resource, string state);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Resource}: {State} (exit code {ExitCode}); its last lines:\n    {Tail}")]
    private partial void LogFailed(string resource, string state, int? exitCode, string tail);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Resource}: {Url}")]
    private partial void LogUrl(string resource, string url);

    [LoggerMessage(Level = LogLevel.Information, Message = "All resources healthy in {Seconds} s")]
    private partial void LogAllHealthy(double seconds);
}
