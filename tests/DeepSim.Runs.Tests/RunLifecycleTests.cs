using System.Net;
using Dapper;
using Xunit.Abstractions;

namespace DeepSim.Runs.Tests;

[Collection(RunsTests.Name)]
public sealed class RunLifecycleTests(RunsFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan RunBudget = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Submitted_run_is_solved_by_a_worker_process_and_its_result_reads_back()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.Example());
        await using var worker = WorkerProcess.Start(fixture.Api.Url);

        var runId = await tenant.SubmitOkAsync(fixture.Api, flowsheet);
        var status = await TestTenant.WaitForStatusAsync(fixture, runId, RunBudget, "completed", "failed");
        output.WriteLine(string.Join('\n', worker.Logs.Tail(20)));

        Assert.Equal("completed", status);
        var run = await tenant.GetAsync(fixture.Api, $"/api/v1/runs/{runId}");
        Assert.True(run.GetProperty("converged").GetBoolean());
        Assert.False(run.GetProperty("cached").GetBoolean());
        Assert.Equal(1, run.GetProperty("attempt").GetInt32());
        Assert.StartsWith(worker.WorkerId, run.GetProperty("workerId").GetString(), StringComparison.Ordinal);
        var result = await tenant.GetAsync(fixture.Api, $"/api/v1/runs/{runId}/result");
        var streams = result.GetProperty("result").GetProperty("streams");
        Assert.Equal(3, streams.GetArrayLength());
        // The drum runs at 95 C, so its vapour leaves at 368.15 K.
        Assert.Equal(368.15, streams[1].GetProperty("temperatureK").GetDouble(), 6);
        var events = await tenant.GetAsync(fixture.Api, $"/api/v1/runs/{runId}/events");
        var kinds = events.EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Equal("queued", kinds[0]);
        Assert.Equal("claimed", kinds[1]);
        Assert.Equal("completed", kinds[^1]);
        await using var db = await fixture.OpenOwnerAsync();
        var outbox = (await db.QueryAsync<string>("select type from event_outbox where payload->>'runId' = @id order by seq", new { id = runId.ToString() })).ToList();
        Assert.Equal(["run.submitted", "run.claimed", "run.completed", "usage.solver_seconds"], outbox);
        // The month's run counter moved by one, as an event too.
        var usage = await db.QuerySingleAsync<(int Count, int RunsThisMonth)>(
            "select (payload->>'count')::int, (payload->>'runsThisMonth')::int from event_outbox where tenant_id = @Id and type = 'usage.runs'", new { tenant.Id });
        Assert.Equal((1, 1), usage);
    }

    [Fact]
    public async Task Internal_endpoints_refuse_tenant_tokens_and_wrong_service_tokens()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        foreach (var bearer in new[] { tenant.Token, "not-the-token", RunsFixture.ServiceToken + "x" })
        {
            using var client = fixture.Api.Client(bearer);
            using var response = await client.PostAsync("/internal/v1/runs/claim-batch",
                new StringContent("""{"workerId":"intruder","waitSeconds":0,"max":1}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        using var anonymous = fixture.Api.Client();
        using var none = await anonymous.PostAsync("/internal/v1/runs/claim-batch",
            new StringContent("""{"workerId":"intruder","waitSeconds":0,"max":1}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        // The token is checked before the body is read: a caller without it learns nothing about the request shapes.
        foreach (var body in new[] { """{"workerId":"intruder","guess":1}""", """{"workerId":""", """{"results":[{"runId":"x"}]}""" })
        {
            using var probe = await anonymous.PostAsync("/internal/v1/runs/complete-batch",
                new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Unauthorized, probe.StatusCode);
        }
    }
}
