namespace DeepSim.Analytics.Tests;

/// <summary>Polls a condition the ingester makes true in its own time, bounded: a timeout names what was awaited.</summary>
internal static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan budget)
    {
        using var timeout = new CancellationTokenSource(budget);
        while (!await condition())
        {
            try
            {
                await Task.Delay(PollInterval, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{what}: not reached within {budget.TotalSeconds} s");
            }
        }
    }
}
