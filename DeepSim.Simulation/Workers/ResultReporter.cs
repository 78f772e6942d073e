using System.Threading.Channels;

namespace DeepSim.Simulation.Workers;

/// <summary>
/// Reports finished attempts in batches: one call (one transaction at the Api) carries every result that finished
/// while the previous call was in flight, so under load a worker pays one round trip for many runs and when idle
/// a result still leaves at once. Each caller gets its own verdict: accepted, or fenced off.
/// </summary>
internal sealed partial class ResultReporter(ApiRunClient api, string workerId, ILogger logger)
{
    /// <summary>Results per call, the Api's limit.</summary>
    public const int MaxBatch = 100;

    // A report stuck longer than this fails its callers; the leases then expire and the runs are retried.
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Queues a result; the task ends with true when the Api accepted it, false when the attempt was fenced off.</summary>
    public Task<bool> ReportAsync(AttemptResult result)
    {
        var pending = new Pending(result, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!queue.Writer.TryWrite(pending))
        {
            pending.Verdict.SetException(new InvalidOperationException("the reporter has stopped"));
        }
        return pending.Verdict.Task;
    }

    /// <summary>No more results will come; <see cref="RunAsync"/> ends once the queued ones are reported.</summary>
    public void Complete() => queue.Writer.TryComplete();

    /// <summary>The reporting loop; ends after <see cref="Complete"/> when the queue is empty.</summary>
    public async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        // Bounded by the queue: it ends when the writer is completed and everything queued is sent.
        while (await queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }
            using var timeout = new CancellationTokenSource(CallTimeout);
            try
            {
                var verdicts = (await api.CompleteBatchAsync(workerId, batch.ConvertAll(p => p.Result), timeout.Token))
                    .ToDictionary(v => v.RunId);
                foreach (var pending in batch)
                {
                    pending.Verdict.TrySetResult(verdicts.TryGetValue(pending.Result.RunId, out var verdict) && verdict.Accepted);
                }
                Log.Reported(logger, batch.Count, workerId);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException
                                           or Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException)
            {
                foreach (var pending in batch)
                {
                    pending.Verdict.TrySetException(ex);
                }
            }
        }
    }

    private sealed record Pending(AttemptResult Result, TaskCompletionSource<bool> Verdict);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "Reported {Count} results for {Worker} in one call")]
        public static partial void Reported(ILogger logger, int count, string worker);
    }
}
