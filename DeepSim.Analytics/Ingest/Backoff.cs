namespace DeepSim.Analytics.Ingest;

/// <summary>The ingesters' wait after a failure: doubling from the initial delay up to the cap, with jitter.</summary>
internal sealed class Backoff(IngestOptions settings)
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

    /// <summary>The same wait, for the Kafka consumer's own thread.</summary>
    public void Wait(CancellationToken ct) => WaitAsync(ct).GetAwaiter().GetResult();
}
