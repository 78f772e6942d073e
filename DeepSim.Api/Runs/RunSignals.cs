using DeepSim.Api.Infrastructure;

namespace DeepSim.Api.Runs;

/// <summary>
/// Wakes long-polling claims when work may have appeared (a submit) or capacity freed (a result or report), so an
/// idle worker picks a new run up without waiting out its poll interval. The wake travels through PostgreSQL
/// (NOTIFY in the changing transaction, delivered at its commit), so it reaches the claims waiting on every Api
/// process, not only the one that took the request; <see cref="RunSignalListener"/> turns it into a
/// <see cref="Pulse"/>. A wake that is lost only costs the poll interval.
/// </summary>
public sealed class RunSignals
{
    /// <summary>The PostgreSQL notification channel.</summary>
    public const string Channel = "deepsim_runs";

    private TaskCompletionSource pulse = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Queues the wake in the scope's transaction: every listening Api pulses when (and only if) it commits.</summary>
    public static Task NotifyAsync(DbScope scope, CancellationToken ct) =>
        scope.ExecuteAsync("select pg_notify(@channel, '')", new { channel = Channel }, ct);

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
}
