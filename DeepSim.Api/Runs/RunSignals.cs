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

    /// <summary>The pulse the next <see cref="Pulse"/> completes; take it before looking for work so no wake is lost.</summary>
    public Task Current => Volatile.Read(ref pulse).Task;

    /// <summary>Returns when <paramref name="wake"/> completes or after <paramref name="delay"/>, whichever is first.</summary>
    public static async Task WaitAsync(Task wake, TimeSpan delay, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await Task.WhenAny(wake, Task.Delay(delay, stop.Token));
        // Ends the timer at once when woken, so idle long polls leave no pending delays behind.
        await stop.CancelAsync();
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>Returns when pulsed or after <paramref name="delay"/>, whichever is first.</summary>
    public async Task WaitAsync(TimeSpan delay, CancellationToken ct)
    {
        var current = Volatile.Read(ref pulse).Task;
        await Task.WhenAny(current, Task.Delay(delay, ct));
        ct.ThrowIfCancellationRequested();
    }
}
