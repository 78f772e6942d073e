namespace DeepSim.Api.Runs;

/// <summary>
/// Wakes this process's long-polling claims when work may have appeared (a submit) or capacity freed (a report),
/// so an idle worker picks a new run up without waiting out its poll interval. Other processes' changes are
/// seen at the next poll.
/// </summary>
public sealed class RunSignals
{
    private TaskCompletionSource pulse = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Pulse() => Interlocked.Exchange(ref pulse, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Returns when pulsed or after <paramref name="delay"/>, whichever is first.</summary>
    public async Task WaitAsync(TimeSpan delay, CancellationToken ct)
    {
        var current = Volatile.Read(ref pulse).Task;
        await Task.WhenAny(current, Task.Delay(delay, ct));
        ct.ThrowIfCancellationRequested();
    }
}
