using Npgsql;

namespace DeepSim.Api.Runs;

/// <summary>
/// Holds one connection LISTENing on <see cref="RunSignals.Channel"/> and pulses this process's waiting claims on
/// every notification. A lost connection is opened again with backoff; while it is down, claims fall back to
/// polling, and after it comes back one pulse covers what may have been missed.
/// </summary>
public sealed partial class RunSignalListener(NpgsqlDataSource dataSource, RunSignals signals, ILogger<RunSignalListener> logger) : BackgroundService
{
    // A quiet connection is checked this often, so a dead server is noticed even without notifications.
    private static readonly TimeSpan IdleCheck = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(10);

    private readonly TaskCompletionSource listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the first LISTEN is in place.</summary>
    public Task Listening => listening.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retry = FirstRetry;
        var lost = false;
        // Bounded by the host's lifetime: each pass ends when the connection fails or the host stops.
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, _) => signals.Pulse();
                await using (var listen = new NpgsqlCommand($"listen {RunSignals.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                listening.TrySetResult();
                if (lost)
                {
                    signals.Pulse();
                    Log.Restored(logger);
                }
                retry = FirstRetry;
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(IdleCheck, stoppingToken))
                    {
                        await using var ping = new NpgsqlCommand("select 1", connection);
                        await ping.ExecuteScalarAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException or System.IO.IOException)
            {
                lost = true;
                Log.Lost(logger, ex, retry.TotalSeconds);
                try
                {
                    await Task.Delay(retry, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, MaxRetry.Ticks));
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Run wake-ups from PostgreSQL lost; claims poll until the listener is back (retry in {Seconds} s)")]
        public static partial void Lost(ILogger logger, Exception exception, double seconds);

        [LoggerMessage(Level = LogLevel.Information, Message = "Run wake-ups from PostgreSQL restored")]
        public static partial void Restored(ILogger logger);
    }
}
