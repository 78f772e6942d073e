using System.Diagnostics.Metrics;
using DeepSim.ServiceDefaults;
using StackExchange.Redis;

namespace DeepSim.Api.Infrastructure;

/// <summary>Where the Redis circuit stands: calls go through (closed), are skipped (open), or one probe goes (half-open).</summary>
public enum RedisCircuitState
{
    Closed,
    Open,
    HalfOpen,
}

/// <summary>
/// Every request-path Redis call goes through here. Redis only holds what the Api can do without (result cache,
/// rate-limit counters, signed-out access tokens), so a call is bounded by <see cref="CallBudget"/> and any failure is
/// an answer of "unavailable" that the caller turns into its fallback, never an exception. After a failure the circuit
/// opens for <see cref="OpenDuration"/>: calls are skipped at once instead of each waiting out the budget (a stopped
/// Redis otherwise cost every request the client's 5 s backlog timeout); then one call probes, and its success closes
/// the circuit again.
/// </summary>
public sealed partial class RedisCircuit(IConnectionMultiplexer redis, TimeProvider clock, IMeterFactory meters, ILogger<RedisCircuit> logger)
{
    /// <summary>
    /// A healthy Redis next to the Api answers in about a millisecond, so a call this late means Redis is frozen or
    /// overloaded; the budget is also the most a request waits on Redis before the circuit opens (an authenticated
    /// tenant request makes at most two calls: revocation and rate limit). Not lower: at 75 ms, thread-pool stalls on a
    /// loaded 2-core machine opened the circuit with Redis healthy.
    /// </summary>
    public static readonly TimeSpan CallBudget = TimeSpan.FromMilliseconds(250);

    /// <summary>Long enough that a Redis in trouble costs requests nothing, short enough that a recovery is used within seconds.</summary>
    public static readonly TimeSpan OpenDuration = TimeSpan.FromSeconds(5);

    private readonly Lock gate = new();
    private readonly Counter<long> failureCounter = meters.Create(TelemetrySources.Name).CreateCounter<long>(
        "deepsim.redis.failures", description: "Redis calls that failed or exceeded their budget");
    private readonly Counter<long> skippedCounter = meters.Create(TelemetrySources.Name).CreateCounter<long>(
        "deepsim.redis.skipped", description: "Redis calls skipped because the circuit was open");
    private RedisCircuitState state = RedisCircuitState.Closed;
    private DateTimeOffset openUntil;
    private long failures;
    private long skipped;
    private long trips;
    private string? lastFailure;

    public RedisCircuitState State
    {
        get
        {
            lock (gate)
            {
                return state;
            }
        }
    }

    /// <summary>Calls that failed or ran over budget, since start.</summary>
    public long Failures => Interlocked.Read(ref failures);

    /// <summary>Calls not made because the circuit was open, since start.</summary>
    public long Skipped => Interlocked.Read(ref skipped);

    /// <summary>How many times the circuit opened, since start.</summary>
    public long Trips => Interlocked.Read(ref trips);

    /// <summary>One line for the health report.</summary>
    public string Describe()
    {
        lock (gate)
        {
            return $"circuit {state}; {Interlocked.Read(ref trips)} trips, {Interlocked.Read(ref failures)} failed and {Interlocked.Read(ref skipped)} skipped calls"
                + (lastFailure is null ? "" : "; last failure: " + lastFailure);
        }
    }

    /// <summary>
    /// Runs one Redis call within the budget. Ok is false when Redis was skipped, failed or was late. Only the request's
    /// own abort (<paramref name="requestAborted"/>) escapes, as the OperationCanceledException it is.
    /// </summary>
    public async Task<(bool Ok, T Value)> TryAsync<T>(Func<IDatabase, Task<T>> call, CancellationToken requestAborted = default)
    {
        if (!TryEnter(out var probe))
        {
            Interlocked.Increment(ref skipped);
            skippedCounter.Add(1);
            return (false, default!);
        }
        var settled = false;
        try
        {
            if (!redis.IsConnected)
            {
                Fail("not connected");
                settled = true;
                return (false, default!);
            }
            var task = call(redis.GetDatabase());
            // A late call is abandoned, not awaited: observe its eventual failure so it is not reported as unobserved.
            _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            var value = await task.WaitAsync(CallBudget, clock, requestAborted);
            Succeed();
            settled = true;
            return (true, value);
        }
        catch (Exception ex) when (!requestAborted.IsCancellationRequested
            && ex is RedisException or TimeoutException or OperationCanceledException)
        {
            // OperationCanceledException here is the client's, not the request's: the request is still listening.
            Fail(ex is TimeoutException and not RedisTimeoutException ? $"no answer within {CallBudget.TotalMilliseconds:F0} ms" : ex.GetType().Name + ": " + ex.Message);
            settled = true;
            return (false, default!);
        }
        finally
        {
            if (probe && !settled)
            {
                // The request went away during the probe: let the next call probe instead.
                lock (gate)
                {
                    state = RedisCircuitState.Open;
                }
            }
        }
    }

    /// <summary>
    /// Redis answered outside the request path (the health check's PING): the same evidence a probe gives, so the
    /// circuit closes now rather than at the next request after the open interval.
    /// </summary>
    public void ObservedAnswer() => Succeed();

    private bool TryEnter(out bool probe)
    {
        probe = false;
        lock (gate)
        {
            switch (state)
            {
                case RedisCircuitState.Closed:
                    return true;
                case RedisCircuitState.Open when clock.GetUtcNow() >= openUntil:
                    state = RedisCircuitState.HalfOpen;
                    probe = true;
                    return true;
                default:
                    return false;
            }
        }
    }

    private void Succeed()
    {
        bool closed;
        lock (gate)
        {
            closed = state != RedisCircuitState.Closed;
            state = RedisCircuitState.Closed;
        }
        if (closed)
        {
            Log.Closed(logger);
        }
    }

    private void Fail(string reason)
    {
        Interlocked.Increment(ref failures);
        failureCounter.Add(1);
        bool opened;
        lock (gate)
        {
            lastFailure = reason;
            opened = state != RedisCircuitState.Open;
            state = RedisCircuitState.Open;
            openUntil = clock.GetUtcNow() + OpenDuration;
        }
        if (opened)
        {
            Interlocked.Increment(ref trips);
            Log.Opened(logger, reason, OpenDuration.TotalSeconds);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unavailable ({Reason}); not calling it for {Seconds} s: caches miss, rate limits are per process, revocations fall back to the database")]
        public static partial void Opened(ILogger logger, string reason, double seconds);

        [LoggerMessage(Level = LogLevel.Information, Message = "Redis answers again; circuit closed")]
        public static partial void Closed(ILogger logger);
    }
}
