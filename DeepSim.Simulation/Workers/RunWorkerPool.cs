using System.Diagnostics;
using System.Globalization;
using DeepSim.Simulation.Execution;
using Microsoft.Extensions.Options;

namespace DeepSim.Simulation.Workers;

/// <summary>
/// Up to <see cref="WorkerOptions.Concurrency"/> solves at once: one loop long-polls the Api for as many runs as it
/// has free slots, solves each while a heartbeat renews its lease, and reports the outcome. A heartbeat answered 409 (fenced) or with a cancel request
/// stops the solve. On shutdown no new run is claimed; solves in progress get a grace period, then are released.
/// </summary>
public sealed partial class RunWorkerPool(ApiRunClient api, IOptions<WorkerOptions> options, ILogger<RunWorkerPool> logger) : BackgroundService
{
    // After an Api error the loop waits before claiming again, so a down Api is not hammered.
    private static readonly TimeSpan ErrorBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinimumHeartbeatInterval = TimeSpan.FromMilliseconds(200);
    // Reports after shutdown began still get this long to reach the Api.
    private static readonly TimeSpan ReportTimeout = TimeSpan.FromSeconds(10);
    private const int MaxDrainPasses = 100;
    // The Api's limit on a reported reason (InternalRunEndpoints.MaxReasonLength).
    private const int MaxReasonLength = 4000;

    // Solves at once are capped at the cores: more slots keep small runs from waiting on round trips, not more CPU.
    private readonly SemaphoreSlim cpu = new(Math.Max(1, Environment.ProcessorCount));

    private readonly string workerId = options.Value.WorkerId is { Length: > 0 } id
        ? id
        : string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}-{Environment.ProcessId}");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var concurrency = Math.Max(1, options.Value.Concurrency);
        Log.Started(logger, workerId, concurrency);
        // One claim loop asks for as many runs as there are free slots (one call, one transaction), instead of one
        // loop per slot racing its siblings for the same tenant's claim lock.
        using var slots = new SemaphoreSlim(concurrency, concurrency);
        var inFlight = new List<Task>();
        var name = string.Create(CultureInfo.InvariantCulture, $"{workerId}/batch");
        // A busy worker's reports also claim the next runs for the slots they free; the claim loop below then only
        // long-polls when slots are idle.
        ResultReporter reporter = null!;
        void Start(ClaimedRun run)
        {
            var task = Task.Run(async () =>
            {
                var handedOver = false;
                try
                {
                    handedOver = await ProcessAsync(name, run, reporter, stoppingToken);
                }
                finally
                {
                    // A slot handed over already carries a run the report claimed in its place.
                    if (!handedOver)
                    {
                        slots.Release();
                    }
                }
            }, CancellationToken.None);
            lock (inFlight)
            {
                inFlight.RemoveAll(t => t.IsCompleted);
                inFlight.Add(task);
            }
        }
        reporter = new ResultReporter(api, name, () => !stoppingToken.IsCancellationRequested, Start, logger);
        var reporting = reporter.RunAsync();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await slots.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            var free = 1;
            // Bounded by the slot count.
            while (free < concurrency && slots.Wait(0, CancellationToken.None))
            {
                free++;
            }
            IReadOnlyList<ClaimedRun> runs;
            try
            {
                // Not cancelled by shutdown: a claim the Api granted must reach us, or the run would sit out its lease.
                // The long poll is bounded by ClaimWaitSeconds; a run granted while stopping gets the grace, then is released.
                runs = await api.ClaimBatchAsync(name, options.Value.ClaimWaitSeconds, free, CancellationToken.None);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException)
            {
                Log.ClaimFailed(logger, ex, name);
                slots.Release(free);
                await DelayQuietly(ErrorBackoff, stoppingToken);
                continue;
            }
            if (free > runs.Count)
            {
                slots.Release(free - runs.Count);
            }
            foreach (var run in runs)
            {
                Start(run);
            }
        }
        // Runs a report claimed while stopping start too (and are released after the grace): wait until none is left.
        // Bounded: after the stop no report claims, so each pass can only find what the last in-flight report brought.
        for (var pass = 0; pass < MaxDrainPasses; pass++)
        {
            Task[] running;
            lock (inFlight)
            {
                running = [.. inFlight.Where(t => !t.IsCompleted)];
            }
            if (running.Length == 0)
            {
                break;
            }
            await Task.WhenAll(running);
        }
        reporter.Complete();
        await reporting;
    }

    /// <summary>Solves and reports one run; true when its slot was handed over to a run claimed with its report.</summary>
    private async Task<bool> ProcessAsync(string name, ClaimedRun run, ResultReporter reporter, CancellationToken stopping)
    {
        using var solve = new CancellationTokenSource();
        var grace = TimeSpan.FromSeconds(Math.Max(0, options.Value.ShutdownGraceSeconds));
        await using var onStop = stopping.Register(() => solve.CancelAfter(grace));
        var state = new AttemptState();
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(name, run, state, solve, heartbeatStop.Token);
        ExecutionOutcome outcome;
        try
        {
            outcome = await ExecuteAsync(run, solve.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            outcome = new ExecutionOutcome(ExecutionStatus.Invalid, false, "the worker failed: " + ex.Message, null, 0);
            state.Crashed = true;
        }
        await heartbeatStop.CancelAsync();
        await heartbeat;
        if (state.Fenced)
        {
            Log.Fenced(logger, run.RunId, run.Attempt, name);
            return false;
        }
        using var reportTimeout = new CancellationTokenSource(ReportTimeout);
        try
        {
            var verdict = outcome.Status switch
            {
                // Results go out in batches (which may hand this slot to a run claimed in the same call); the rarer
                // endings below are reported one by one.
                ExecutionStatus.Solved => await reporter.ReportAsync(new AttemptResult(run.RunId, run.Attempt, outcome.Converged,
                    Clip(outcome.FailureReason), outcome.SolverSeconds, outcome.ResultJson!)),
                ExecutionStatus.Cancelled when state.CancelRequested => new ReportVerdict(await api.ReportAsync(run.RunId, run.Attempt, name, "cancelled",
                    "stopped on request", false, reportTimeout.Token), false),
                ExecutionStatus.Cancelled => new ReportVerdict(await api.ReportAsync(run.RunId, run.Attempt, name, "released",
                    "the worker is shutting down", true, reportTimeout.Token), false),
                _ => new ReportVerdict(await api.ReportAsync(run.RunId, run.Attempt, name, "failed", Clip(outcome.FailureReason), state.Crashed,
                    reportTimeout.Token), false),
            };
            if (verdict.Accepted)
            {
                Log.Reported(logger, run.RunId, run.Attempt, outcome.Status, outcome.Converged, outcome.SolverSeconds);
            }
            else
            {
                Log.Fenced(logger, run.RunId, run.Attempt, name);
            }
            return verdict.SlotHandedOver;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException)
        {
            // The lease will expire and the run be claimed again; nothing is lost.
            Log.ReportFailed(logger, ex, run.RunId, run.Attempt);
            return false;
        }
    }

    private async Task<ExecutionOutcome> ExecuteAsync(ClaimedRun run, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var json = run.Flowsheet.GetRawText();
        try
        {
            await cpu.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return new ExecutionOutcome(ExecutionStatus.Cancelled, false, null, null, 0);
        }
        ExecutionOutcome outcome;
        try
        {
            outcome = await Task.Run(() => FlowsheetExecution.Execute(json, ct), CancellationToken.None);
        }
        finally
        {
            cpu.Release();
        }
        var pad = TimeSpan.FromMilliseconds(options.Value.MinimumRunMilliseconds) - clock.Elapsed;
        if (pad > TimeSpan.Zero && outcome.Status != ExecutionStatus.Cancelled)
        {
            try
            {
                await Task.Delay(pad, ct);
            }
            catch (OperationCanceledException)
            {
                return outcome with { Status = ExecutionStatus.Cancelled, ResultJson = null };
            }
        }
        return outcome;
    }

    private async Task HeartbeatAsync(string name, ClaimedRun run, AttemptState state, CancellationTokenSource solve, CancellationToken stop)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(1, run.LeaseSeconds) / 3.0);
        if (interval < MinimumHeartbeatInterval)
        {
            interval = MinimumHeartbeatInterval;
        }
        while (!stop.IsCancellationRequested)
        {
            if (!await DelayQuietly(interval, stop))
            {
                return;
            }
            try
            {
                var answer = await api.HeartbeatAsync(run.RunId, run.Attempt, name, stop);
                if (answer is null)
                {
                    state.Fenced = true;
                    await solve.CancelAsync();
                    return;
                }
                if (answer.CancelRequested)
                {
                    state.CancelRequested = true;
                    await solve.CancelAsync();
                    return;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException)
            {
                Log.HeartbeatFailed(logger, ex, run.RunId, run.Attempt);
            }
        }
    }

    // The Api refuses longer reasons; one over-long reason must not sink the batch it travels in.
    private static string? Clip(string? reason) =>
        reason is { Length: > MaxReasonLength } ? string.Concat(reason.AsSpan(0, MaxReasonLength - 1), "…") : reason;

    public override void Dispose()
    {
        cpu.Dispose();
        base.Dispose();
    }

    private static async Task<bool> DelayQuietly(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private sealed class AttemptState
    {
        public volatile bool Fenced;
        public volatile bool CancelRequested;
        public volatile bool Crashed;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} started with {Concurrency} concurrent solves")]
        public static partial void Started(ILogger logger, string workerId, int concurrency);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Claim by {Worker} failed; retrying")]
        public static partial void ClaimFailed(ILogger logger, Exception exception, string worker);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} attempt {Attempt} is no longer held by {Worker}; its work is dropped")]
        public static partial void Fenced(ILogger logger, Guid runId, int attempt, string worker);

        [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} attempt {Attempt}: {Status} (converged {Converged}) in {Seconds:F4} s")]
        public static partial void Reported(ILogger logger, Guid runId, int attempt, ExecutionStatus status, bool converged, double seconds);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Report of run {RunId} attempt {Attempt} failed; the lease will expire and the run be retried")]
        public static partial void ReportFailed(ILogger logger, Exception exception, Guid runId, int attempt);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat of run {RunId} attempt {Attempt} failed")]
        public static partial void HeartbeatFailed(ILogger logger, Exception exception, Guid runId, int attempt);
    }
}
