using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;

namespace DeepSim.Runs.Tests;

/// <summary>The set-based worker path: many results in one report, each fenced on its own; batch claims dealt round-robin.</summary>
[Collection(RunsTests.Name)]
public sealed class BatchCompleteTests(RunsFixture fixture)
{
    private const string Worker = "batch-complete-test";

    [Fact]
    public async Task A_batch_report_accepts_current_attempts_and_fences_the_rest_each_on_its_own()
    {
        await ClearQueueAsync();
        var tenant = await TestTenant.CreateAsync(fixture, "pro");
        await SubmitFlashesAsync(tenant, 3, 50.0);
        using var service = fixture.Api.Client(RunsFixture.ServiceToken);
        var claimed = await ClaimAsync(service, 100);
        Assert.Equal(3, claimed.Count);
        var (a, b, c) = (claimed[0], claimed[1], claimed[2]);
        var missing = Guid.NewGuid();
        await using var db = await fixture.OpenOwnerAsync();
        var secondsBefore = await SolverSecondsAsync(db, tenant.Id);

        var verdicts = await CompleteAsync(service,
            Result(a.Id, a.Attempt, 0.25), Result(b.Id, b.Attempt + 1, 0.5), Result(missing, 1, 0.125), Result(c.Id, c.Attempt, 1.0));

        Assert.Equal((true, "completed"), verdicts[a.Id]);
        Assert.Equal((false, "running"), verdicts[b.Id]);
        Assert.Equal((false, (string?)null), verdicts[missing]);
        Assert.Equal((true, "completed"), verdicts[c.Id]);
        var rows = (await db.QueryAsync<(Guid Id, string Status, double? Seconds, string? Marker)>(
            "select id, status, solver_seconds, result ->> 'marker' from runs where tenant_id = @id", new { id = tenant.Id })).ToDictionary(r => r.Id);
        Assert.Equal(("completed", 0.25, a.Id.ToString()), (rows[a.Id].Status, rows[a.Id].Seconds, rows[a.Id].Marker));
        Assert.Equal(("running", (double?)null, (string?)null), (rows[b.Id].Status, rows[b.Id].Seconds, rows[b.Id].Marker));
        Assert.Equal(("completed", 1.0, c.Id.ToString()), (rows[c.Id].Status, rows[c.Id].Seconds, rows[c.Id].Marker));
        // Usage counts the accepted results only, once.
        Assert.Equal(secondsBefore + 1.25, await SolverSecondsAsync(db, tenant.Id), 9);
        var events = (await db.QueryAsync<(Guid Run, string Kind)>(
            "select run_id, kind from run_events where tenant_id = @id and kind in ('completed', 'stale-result')", new { id = tenant.Id })).ToList();
        Assert.Equal([(a.Id, "completed"), (b.Id, "stale-result"), (c.Id, "completed")], events.OrderBy(e => e.Run == a.Id ? 0 : e.Run == b.Id ? 1 : 2));
        var completedEvents = await db.ExecuteScalarAsync<long>(
            "select count(*) from event_outbox where tenant_id = @id and type = 'run.completed'", new { id = tenant.Id });
        Assert.Equal(2, completedEvents);

        // The same report again (a retried call): nothing is accepted twice, usage does not move.
        var again = await CompleteAsync(service, Result(a.Id, a.Attempt, 0.25), Result(c.Id, c.Attempt, 1.0));
        Assert.All(again.Values, v => Assert.Equal((false, "completed"), v));
        Assert.Equal(secondsBefore + 1.25, await SolverSecondsAsync(db, tenant.Id), 9);

        // b's real attempt still completes on its own.
        var last = await CompleteAsync(service, Result(b.Id, b.Attempt, 0.5));
        Assert.Equal((true, "completed"), last[b.Id]);
        Assert.Equal(secondsBefore + 1.75, await SolverSecondsAsync(db, tenant.Id), 9);
    }

    [Fact]
    public async Task A_bad_batch_report_is_refused_whole_with_the_field_path_and_changes_nothing()
    {
        await ClearQueueAsync();
        var tenant = await TestTenant.CreateAsync(fixture, "pro");
        await tenant.SubmitOkAsync(fixture.Api, await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(55.5)));
        using var service = fixture.Api.Client(RunsFixture.ServiceToken);
        var run = Assert.Single(await ClaimAsync(service, 100));

        await AssertRefusedAsync(service, new { workerId = Worker, results = Array.Empty<object>() }, "results");
        await AssertRefusedAsync(service, new { workerId = Worker, results = new[] { Result(run.Id, run.Attempt, 0.1), Result(run.Id, run.Attempt, 0.1) } },
            "results[1].runId");
        await AssertRefusedAsync(service, new { workerId = Worker, results = new[] { Result(run.Id, run.Attempt, -1) } }, "results[0].solverSeconds");
        await AssertRefusedAsync(service, new { workerId = "", results = new[] { Result(run.Id, run.Attempt, 0.1) } }, "workerId");
        using var tenantClient = fixture.Api.Client(tenant.Token);
        using var forbidden = await tenantClient.PostAsJsonAsync("/internal/v1/runs/complete-batch",
            new { workerId = Worker, results = new[] { Result(run.Id, run.Attempt, 0.1) } });
        Assert.Equal(HttpStatusCode.Unauthorized, forbidden.StatusCode);

        await using var db = await fixture.OpenOwnerAsync();
        Assert.Equal("running", await db.ExecuteScalarAsync<string>("select status from runs where id = @Id", new { run.Id }));
        var accepted = await CompleteAsync(service, Result(run.Id, run.Attempt, 0.1));
        Assert.True(accepted[run.Id].Accepted);
    }

    [Fact]
    public async Task A_batch_report_claims_the_next_runs_in_the_same_call_within_the_tenant_cap()
    {
        await ClearQueueAsync();
        // The Pro plan's max_concurrent_runs (migration 0100) is 5: submit 7, hold 5, report 2 asking for 5 more.
        var tenant = await TestTenant.CreateAsync(fixture, "pro");
        await SubmitFlashesAsync(tenant, 7, 30.0);
        using var service = fixture.Api.Client(RunsFixture.ServiceToken);
        var held = await ClaimAsync(service, 100);
        Assert.Equal(5, held.Count);

        var (verdicts, claimed) = await CompleteAndClaimAsync(service, 5, Result(held[0].Id, held[0].Attempt, 0.1), Result(held[1].Id, held[1].Attempt, 0.1));

        Assert.All(verdicts.Values, v => Assert.True(v.Accepted));
        // The two results freed two places under the cap, and only two: the other three are still running.
        Assert.Equal(2, claimed.Count);
        Assert.Empty(claimed.Select(c => c.Id).Intersect(held.Select(h => h.Id)));
        await using var db = await fixture.OpenOwnerAsync();
        var states = (await db.QueryAsync<(string Status, long Count)>(
            "select status, count(*) from runs where tenant_id = @id group by status", new { id = tenant.Id })).ToDictionary(r => r.Status, r => r.Count);
        Assert.Equal(2L, states["completed"]);
        Assert.Equal(5L, states["running"]);
        Assert.False(states.ContainsKey("queued"));
        var rest = held.Skip(2).Concat(claimed).Select(c => Result(c.Id, c.Attempt, 0.1)).ToArray();
        Assert.All((await CompleteAsync(service, rest)).Values, v => Assert.True(v.Accepted));
    }

    [Fact]
    public async Task A_batch_claim_deals_runs_round_robin_across_tenants()
    {
        await ClearQueueAsync();
        var first = await TestTenant.CreateAsync(fixture);
        var second = await TestTenant.CreateAsync(fixture);
        var owner = new Dictionary<Guid, Guid>();
        foreach (var run in await SubmitFlashesAsync(first, 4, 40.0))
        {
            owner[run] = first.Id;
        }
        foreach (var run in await SubmitFlashesAsync(second, 4, 45.0))
        {
            owner[run] = second.Id;
        }
        using var service = fixture.Api.Client(RunsFixture.ServiceToken);
        var claimed = await ClaimAsync(service, 4);

        // One batch of 4 from two tenants with 4 queued each: 2 and 2, not 4 from whichever comes first.
        Assert.Equal(4, claimed.Count);
        Assert.Equal(2, claimed.Count(c => owner[c.Id] == first.Id));
        Assert.Equal(2, claimed.Count(c => owner[c.Id] == second.Id));
        await CompleteAsync(service, [.. claimed.Select(c => Result(c.Id, c.Attempt, 0.01))]);
        await ClearQueueAsync();
    }

    // Distinct drum temperatures, so the result cache never answers in place of the queue.
    private async Task<List<Guid>> SubmitFlashesAsync(TestTenant tenant, int count, double firstTemperatureC)
    {
        var runs = new List<Guid>(count);
        for (var i = 0; i < count; i++)
        {
            runs.Add(await tenant.SubmitOkAsync(fixture.Api, await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(firstTemperatureC + i))));
        }
        return runs;
    }

    // Tests in this collection run one at a time; runs left queued by earlier tests would take part in the claims.
    private async Task ClearQueueAsync()
    {
        await using var db = await fixture.OpenOwnerAsync();
        await db.ExecuteAsync("update runs set status = 'cancelled', finished_at = now() where status = 'queued'");
    }

    private static object Result(Guid runId, int attempt, double seconds) => new
    {
        runId, attempt, converged = true, failureReason = (string?)null, solverSeconds = seconds, result = new { marker = runId.ToString() },
    };

    private static async Task<List<(Guid Id, int Attempt)>> ClaimAsync(HttpClient service, int max)
    {
        using var response = await service.PostAsJsonAsync("/internal/v1/runs/claim-batch", new { workerId = Worker, waitSeconds = 0, max });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await TestTenant.ReadAsync(response)).EnumerateArray()
            .Select(r => (r.GetProperty("runId").GetGuid(), r.GetProperty("attempt").GetInt32())).ToList();
    }

    private static async Task<Dictionary<Guid, (bool Accepted, string? Status)>> CompleteAsync(HttpClient service, params object[] results) =>
        (await CompleteAndClaimAsync(service, 0, results)).Verdicts;

    private static async Task<(Dictionary<Guid, (bool Accepted, string? Status)> Verdicts, List<(Guid Id, int Attempt)> Claimed)> CompleteAndClaimAsync(
        HttpClient service, int claim, params object[] results)
    {
        using var response = await service.PostAsJsonAsync("/internal/v1/runs/complete-batch", new { workerId = Worker, results, claim });
        var body = await TestTenant.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"complete-batch: {response.StatusCode} {body}");
        var verdicts = body.GetProperty("results").EnumerateArray().ToDictionary(v => v.GetProperty("runId").GetGuid(),
            v => (v.GetProperty("accepted").GetBoolean(), v.GetProperty("status").ValueKind == JsonValueKind.Null ? null : v.GetProperty("status").GetString()));
        var claimed = body.GetProperty("claimed").EnumerateArray()
            .Select(r => (r.GetProperty("runId").GetGuid(), r.GetProperty("attempt").GetInt32())).ToList();
        return (verdicts, claimed);
    }

    private static async Task AssertRefusedAsync(HttpClient service, object body, string field)
    {
        using var response = await service.PostAsJsonAsync("/internal/v1/runs/complete-batch", body);
        var json = await TestTenant.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400 for {field}: {response.StatusCode} {json}");
        Assert.True(json.GetProperty("errors").TryGetProperty(field, out _), $"no error at {field}: {json}");
    }

    private static Task<double> SolverSecondsAsync(Npgsql.NpgsqlConnection db, Guid tenantId) => db.ExecuteScalarAsync<double>(
        "select coalesce(sum(solver_seconds), 0) from usage_monthly where tenant_id = @tenantId", new { tenantId });
}
