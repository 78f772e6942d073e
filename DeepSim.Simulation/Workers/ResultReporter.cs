using System.Threading.Channels;

namespace DeepSim.Simulation.Workers;

/// <summary>
/// Reports finished attempts in batches: one call (one transaction at the Api) carries every result that finished
/// while the previous call was in flight, so under load a worker pays one round trip for many runs and when idle
/// a result still leaves at once. Each caller gets its own verdict: accepted, or fenced off.
/// </summary>
/// <summary>The Api's answer to one result; <see cref="SlotHandedOver"/> when a run claimed in the same call took its slot.</summary>
internal readonly record struct ReportVerdict(bool Accepted, bool SlotHandedOver);

/// <remarks>
/// Each call also claims up to as many runs as it carries results (when <paramref name="mayClaim"/> says so): the
/// slots those results free are handed straight to the new runs, started through <paramref name="start"/>.
/// </remarks>
internal sealed partial class ResultReporter(ApiRunClient api, string workerId, Func<bool> mayClaim, Action<ClaimedRun> start, ILogger logger)
{
    /// <summary>Results per call, the Api's limit.</summary>
    public const int MaxBatch = 100;

    // A report stuck longer than this fails its callers; the leases then expire and the runs are retried.
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Queues a result; the verdict says whether the Api accepted it and whether its slot now holds a new run.</summary>
    public Task<ReportVerdict> ReportAsync(AttemptResult result)
    {
        var pending = new Pending(result, new TaskCompletionSource<ReportVerdict>(TaskCreationOptions.RunContinuationsAsynchronously));
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
                var claim = mayClaim() ? batch.Count : 0;
                var answer = await api.CompleteBatchAsync(workerId, batch.ConvertAll(p => p.Result), claim, timeout.Token);
                var verdicts = answer.Results.ToDictionary(v => v.RunId);
                // Runs claimed in the call take over the slots of the first results; bounded by claim <= batch.Count.
                var handOver = Math.Min(answer.Claimed.Count, batch.Count);
                for (var i = 0; i < batch.Count; i++)
                {
                    var accepted = verdicts.TryGetValue(batch[i].Result.RunId, out var verdict) && verdict.Accepted;
                    batch[i].Verdict.TrySetResult(new ReportVerdict(accepted, i < handOver));
                }
                foreach (var run in answer.Claimed.Take(handOver))
                {
                    start(run);
                }
                Log.Reported(logger, batch.Count, handOver, workerId);
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

    private sealed record Pending(AttemptResult Result, TaskCompletionSource<ReportVerdict> Verdict);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "Reported {Count} results and took {Claimed} new runs for {Worker} in one call")]
        public static partial void Reported(ILogger logger, int count, int claimed, string worker);
    }
}
