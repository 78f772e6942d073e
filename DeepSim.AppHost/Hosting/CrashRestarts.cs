using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DeepSim.AppHost.Hosting;

/// <summary>Marks a long-running resource that is started again when it exits with a non-zero code.</summary>
public sealed class RestartOnCrashAnnotation : IResourceAnnotation;

public static class CrashRestartExtensions
{
    /// <summary>
    /// Starts the resource again, with backoff, whenever it exits with a non-zero code (a crash, SIGKILL, OOM) while
    /// the AppHost runs. A clean exit (code 0) or one after Stop in the dashboard is left alone.
    /// </summary>
    public static IResourceBuilder<T> WithRestartOnCrash<T>(this IResourceBuilder<T> builder) where T : IResource
    {
        builder.ApplicationBuilder.Services.AddHostedService<CrashRestarter>();
        return builder.WithAnnotation(new RestartOnCrashAnnotation(), ResourceAnnotationMutationBehavior.Replace);
    }
}

/// <summary>
/// Watches resource states and issues the dashboard's own Start command for a crashed resource: 1 s, 2 s, 4 s … up to
/// 30 s between attempts while it keeps crashing; the count resets once a start has run for a minute.
/// </summary>
internal sealed partial class CrashRestarter(
    ResourceNotificationService notifications,
    ResourceCommandService commands,
    IHostApplicationLifetime lifetime,
    ILogger<CrashRestarter> logger) : BackgroundService
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StableAfter = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, (int Crashes, DateTimeOffset? Started, bool Pending, bool Stopping)> _state = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lifetime.ApplicationStopping);
        try
        {
            await foreach (var change in notifications.WatchAsync(stopping.Token))
            {
                if (!change.Resource.HasAnnotationOfType<RestartOnCrashAnnotation>())
                {
                    continue;
                }
                var state = change.Snapshot.State?.Text;
                var current = _state.GetOrAdd(change.ResourceId, _ => (0, null, false, false));
                if (state == KnownResourceStates.Running && current.Started is null)
                {
                    _state[change.ResourceId] = current with { Started = change.Snapshot.StartTimeStamp ?? DateTimeOffset.UtcNow, Pending = false, Stopping = false };
                }
                else if (state == KnownResourceStates.Stopping)
                {
                    // Asked to stop (the dashboard's Stop): DCP reports such an exit as -1, which is not a crash.
                    _state[change.ResourceId] = current with { Stopping = true };
                }
                else if (state is "Exited" or "Finished" && current.Stopping)
                {
                    _state[change.ResourceId] = current with { Started = null, Stopping = false };
                }
                else if (state is "Exited" or "Finished" or "FailedToStart" && change.Snapshot.ExitCode is not 0 && !current.Pending)
                {
                    var crashes = current.Started is { } started && DateTimeOffset.UtcNow - started > StableAfter ? 1 : current.Crashes + 1;
                    _state[change.ResourceId] = (crashes, null, true, false);
                    var delay = TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, FirstDelay.Ticks << Math.Min(crashes - 1, 5)));
                    LogCrash(change.ResourceId, change.Snapshot.ExitCode, delay.TotalSeconds, crashes);
                    _ = RestartLaterAsync(change.ResourceId, delay, stopping.Token);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // the AppHost is stopping: nothing is restarted any more
        }
    }

    private async Task RestartLaterAsync(string resourceId, TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken);
            var result = await commands.ExecuteCommandAsync(resourceId, KnownResourceCommands.StartCommand, cancellationToken);
            if (!result.Success)
            {
                LogRestartFailed(resourceId, result.Message);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (_state.TryGetValue(resourceId, out var current))
            {
                _state[resourceId] = current with { Pending = false };
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Resource} exited with code {ExitCode}; starting it again in {DelaySeconds} s (crash {Crashes} in a row)")]
    private partial void LogCrash(string resource, int? exitCode, double delaySeconds, int crashes);

    [LoggerMessage(Level = LogLevel.Error, Message = "Starting {Resource} again failed: {Error}")]
    private partial void LogRestartFailed(string resource, string? error);
}
