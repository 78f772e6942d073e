using Dapper;
using Xunit.Abstractions;

namespace DeepSim.Runs.Tests;

/// <summary>Real worker processes killed, paused and stopped mid-run.</summary>
[Collection(RunsTests.Name)]
public sealed class WorkerFailureTests(RunsFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);

    private async Task WaitHeldByAsync(Guid runId, WorkerProcess worker)
    {
        await using var db = await fixture.OpenOwnerAsync();
        await TestTenant.WaitUntilAsync(async () =>
            await db.ExecuteScalarAsync<string>("select worker_id from runs where id = @runId and status = 'running'", new { runId }) is { } w
            && w.StartsWith(worker.WorkerId, StringComparison.Ordinal), Budget, $"run {runId} claimed by {worker.WorkerId}");
    }

    [Fact]
    public async Task A_killed_worker_s_run_is_claimed_again_after_its_lease_and_completes_exactly_once()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(91));
        // The first worker holds every run for a minute, so it is surely mid-run when killed.
        await using var doomed = WorkerProcess.Start(fixture.Api.Url, concurrency: 1, minimumRunMilliseconds: 60_000);
        var runId = await tenant.SubmitOkAsync(fixture.Api, flowsheet);
        await WaitHeldByAsync(runId, doomed);

        await doomed.KillAsync();
        Assert.True(await doomed.WaitForExitAsync(TimeSpan.FromSeconds(10)), "the worker did not die");
        await using var rescuer = WorkerProcess.Start(fixture.Api.Url, concurrency: 1);
        Assert.Equal("completed", await TestTenant.WaitForStatusAsync(fixture, runId, Budget, "completed", "failed"));

        await using var db = await fixture.OpenOwnerAsync();
        var run = await db.QuerySingleAsync<(int Attempt, string Worker, bool Converged)>(
            "select attempt, worker_id, converged from runs where id = @runId", new { runId });
        Assert.Equal(2, run.Attempt);
        Assert.StartsWith(rescuer.WorkerId, run.Worker, StringComparison.Ordinal);
        Assert.True(run.Converged);
        var kinds = (await db.QueryAsync<string>("select kind from run_events where run_id = @runId order by id", new { runId })).ToList();
        output.WriteLine(string.Join(", ", kinds));
        Assert.Contains("lease-expired", kinds);
        Assert.Single(kinds, k => k == "completed");
        var outbox = (await db.QueryAsync<string>("select type from event_outbox where payload->>'runId' = @id", new { id = runId.ToString() })).ToList();
        Assert.Single(outbox, t => t == "run.completed");
        Assert.Single(outbox, t => t == "usage.solver_seconds");
        var usage = await db.QuerySingleAsync<(int Runs, double Seconds)>(
            "select runs, solver_seconds from usage_monthly where tenant_id = @Id", new { tenant.Id });
        Assert.Equal(1, usage.Runs);
        Assert.True(usage.Seconds > 0);
    }

    [Fact]
    public async Task A_paused_worker_s_late_result_changes_nothing()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(92));
        // Held for 8 s: paused past its 3 s lease, it still has a report to make when it wakes.
        await using var sleeper = WorkerProcess.Start(fixture.Api.Url, concurrency: 1, minimumRunMilliseconds: 8_000);
        var runId = await tenant.SubmitOkAsync(fixture.Api, flowsheet);
        await WaitHeldByAsync(runId, sleeper);

        await sleeper.PauseAsync();
        await using var other = WorkerProcess.Start(fixture.Api.Url, concurrency: 1);
        Assert.Equal("completed", await TestTenant.WaitForStatusAsync(fixture, runId, Budget, "completed", "failed"));
        await using var db = await fixture.OpenOwnerAsync();
        const string RunSql = "select attempt, worker_id, result::text, solver_seconds, finished_at from runs where id = @runId";
        var before = await db.QuerySingleAsync<(int Attempt, string Worker, string Result, double Seconds, DateTime Finished)>(RunSql, new { runId });
        Assert.Equal(2, before.Attempt);

        await sleeper.ResumeAsync();
        // The first attempt wakes up and reports (a heartbeat or its result); the Api records and ignores it.
        await TestTenant.WaitUntilAsync(async () => await db.ExecuteScalarAsync<long>(
            "select count(*) from run_events where run_id = @runId and attempt = 1 and kind like 'stale-%'", new { runId }) > 0,
            Budget, "the paused worker's stale report");

        var after = await db.QuerySingleAsync<(int Attempt, string Worker, string Result, double Seconds, DateTime Finished)>(RunSql, new { runId });
        Assert.Equal(before, after);
        Assert.StartsWith(other.WorkerId, after.Worker, StringComparison.Ordinal);
        var kinds = (await db.QueryAsync<string>("select kind from run_events where run_id = @runId order by id", new { runId })).ToList();
        output.WriteLine(string.Join(", ", kinds));
        Assert.Single(kinds, k => k == "completed");
        Assert.Equal(1L, await db.ExecuteScalarAsync<long>(
            "select count(*) from event_outbox where type = 'usage.solver_seconds' and payload->>'runId' = @id", new { id = runId.ToString() }));
    }

    [Fact]
    public async Task A_worker_shutting_down_releases_its_run_for_another_worker()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(93));
        // The run outlasts the 1 s shutdown grace, so the worker must hand it back rather than finish it.
        await using var leaving = WorkerProcess.Start(fixture.Api.Url, concurrency: 1, minimumRunMilliseconds: 120_000, shutdownGraceSeconds: 1);
        var runId = await tenant.SubmitOkAsync(fixture.Api, flowsheet);
        await WaitHeldByAsync(runId, leaving);

        await leaving.TerminateAsync();
        Assert.True(await leaving.WaitForExitAsync(TimeSpan.FromSeconds(45)), "the worker did not shut down");
        output.WriteLine(string.Join('\n', leaving.Logs.Tail(30)));
        await using var db = await fixture.OpenOwnerAsync();
        var state = await db.QuerySingleAsync<(string Status, int Releases)>("select status, releases from runs where id = @runId", new { runId });
        Assert.Equal(("queued", 1), state);

        await using var next = WorkerProcess.Start(fixture.Api.Url, concurrency: 1);
        Assert.Equal("completed", await TestTenant.WaitForStatusAsync(fixture, runId, Budget, "completed", "failed"));
    }
}
