using System.Net;
using System.Text.Json;
using DeepSim.Api.Runs;

namespace DeepSim.Runs.Tests;

/// <summary>The Api's <c>workers</c> health check follows real worker processes calling its internal endpoints.</summary>
[Collection(RunsTests.Name)]
public sealed class WorkerPresenceTests(RunsFixture fixture)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    // Above the test worker's 2 s claim long poll, so a live worker is never out of the window between two claims.
    private const int WindowSeconds = 4;

    [Fact]
    public async Task Health_is_degraded_until_a_worker_calls_and_degraded_again_once_it_is_gone()
    {
        using var timeout = new CancellationTokenSource(Budget);
        // A fresh Api process: the fixture's shared one has already been called by other tests' workers.
        await using var api = await fixture.StartApiAsync(fixture.Redis.ConnectionString, timeout.Token,
            new Dictionary<string, string?> { ["Workers:PresenceWindowSeconds"] = WindowSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        using var client = api.Client();

        var before = await HealthAsync(client, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, before.Status);
        Assert.Equal("Degraded", before.Overall);
        Assert.Equal("Degraded", before.WorkersStatus);
        Assert.Equal($"no simulation worker has contacted the Api in the last {WindowSeconds} s: runs stay queued", before.WorkersDescription);

        await using (var worker = WorkerProcess.Start(api.Url))
        {
            var seen = await WaitForWorkersStatusAsync(client, "Healthy", timeout.Token);
            Assert.Equal(HttpStatusCode.OK, seen.Status);
            Assert.Equal($"1 worker seen in the last {WindowSeconds} s", seen.WorkersDescription);
            Assert.False(worker.HasExited, string.Join(Environment.NewLine, worker.Logs.Tail(20)));
            await worker.KillAsync();
            Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(10)), "the killed worker did not exit");
        }

        var after = await WaitForWorkersStatusAsync(client, "Degraded", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, after.Status);
        Assert.Equal("Degraded", after.Overall);
    }

    private sealed record Health(HttpStatusCode Status, string? Overall, string? WorkersStatus, string? WorkersDescription);

    private static async Task<Health> HealthAsync(HttpClient client, CancellationToken ct)
    {
        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative), ct);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        var workers = body.RootElement.GetProperty("checks").GetProperty(RunsServiceExtensions.WorkersHealthCheckName);
        return new Health(response.StatusCode, body.RootElement.GetProperty("status").GetString(),
            workers.GetProperty("status").GetString(), workers.GetProperty("description").GetString());
    }

    // Bounded by the token: the test fails with the last answer when the status never comes.
    private static async Task<Health> WaitForWorkersStatusAsync(HttpClient client, string status, CancellationToken ct)
    {
        var last = await HealthAsync(client, ct);
        while (last.WorkersStatus != status)
        {
            try
            {
                await Task.Delay(PollInterval, ct);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the workers check never became {status}; last: {last}");
            }
            last = await HealthAsync(client, ct);
        }
        return last;
    }
}
