using System.Net;
using System.Net.Http.Json;
using Dapper;

namespace DeepSim.Runs.Tests;

/// <summary>Run and study changes commit in one transaction with their audit rows; refusals and replays are audited too.</summary>
[Collection(RunsTests.Name)]
public sealed class SubmitAuditTests(RunsFixture fixture)
{
    [Fact]
    public async Task Every_submit_leaves_exactly_one_audit_row_with_its_outcome()
    {
        var tenant = await TestTenant.CreateAsync(fixture, plan: "free");
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(71.5));
        var key = "audit-" + Guid.NewGuid().ToString("N");

        var first = await tenant.SubmitAsync(fixture.Api, flowsheet, key);
        var replay = await tenant.SubmitAsync(fixture.Api, flowsheet, key);
        Assert.Equal(HttpStatusCode.Accepted, first.Status);
        Assert.Equal(HttpStatusCode.Accepted, replay.Status);
        var runId = first.Body.GetProperty("id").GetGuid();
        await using var db = await fixture.OpenOwnerAsync();
        // Free allows 10 a month: with 10 used, the next submit is refused and rolled back.
        await db.ExecuteAsync("update usage_monthly set runs = 10 where tenant_id = @Id", new { tenant.Id });
        var refused = await tenant.SubmitAsync(fixture.Api, flowsheet);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);

        var rows = (await db.QueryAsync<(string Target, string Outcome, int Status)>(
            "select target, outcome, status_code from audit_log where tenant_id = @Id and action = 'runs.submit' order by id", new { tenant.Id })).ToList();
        var accepted = ("run=" + runId.ToString("D"), "success", 202);
        // The first submit's row was written in its own transaction; the replay and the refusal by the filter afterwards.
        Assert.Equal(3, rows.Count);
        Assert.Equal(accepted, rows[0]);
        Assert.Equal(("success", 202), (rows[1].Outcome, rows[1].Status));
        Assert.Equal(("denied", 403), (rows[2].Outcome, rows[2].Status));
        Assert.Equal(1L, await db.ExecuteScalarAsync<long>("select count(*) from runs where tenant_id = @Id", new { tenant.Id }));
        // Same transaction: the run (still queued, never updated: no worker runs here) and its audit row share an xmin.
        var sameTransaction = await db.ExecuteScalarAsync<bool>(
            """
            select (select xmin::text from runs where id = @runId)
                 = (select xmin::text from audit_log where tenant_id = @Id and action = 'runs.submit' and target = @target)
            """, new { runId, tenant.Id, target = accepted.Item1 });
        Assert.True(sameTransaction, "the run and its audit row were committed by different transactions");
    }

    [Fact]
    public async Task Cancelling_a_run_or_a_study_commits_with_its_audit_row()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(72.5));
        var runId = await tenant.SubmitOkAsync(fixture.Api, flowsheet);
        using var client = fixture.Api.Client(tenant.Token);
        using (var cancel = await client.PostAsync($"/api/v1/runs/{runId}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }
        using var created = await client.PostAsJsonAsync("/api/v1/studies", new
        {
            flowsheetId = flowsheet,
            name = "audited",
            parameters = new[] { new { path = "$.units[1].spec.temperature.value", values = new[] { 73.5, 74.5 } } },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var studyId = (await TestTenant.ReadAsync(created)).GetProperty("id").GetGuid();
        using (var cancel = await client.PostAsync($"/api/v1/studies/{studyId}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }

        await using var db = await fixture.OpenOwnerAsync();
        // No worker runs here, so the cancelling transactions are the last to have touched these rows.
        Assert.True(await SameTransactionAsync(db, "runs", runId, tenant.Id, "runs.cancel"), "the run's cancellation and its audit row committed apart");
        Assert.True(await SameTransactionAsync(db, "studies", studyId, tenant.Id, "studies.cancel"), "the study's cancellation and its audit row committed apart");
        Assert.Equal(1L, await db.ExecuteScalarAsync<long>(
            "select count(*) from audit_log where tenant_id = @Id and action = 'runs.cancel'", new { tenant.Id }));
    }

    private static Task<bool> SameTransactionAsync(Npgsql.NpgsqlConnection db, string table, Guid id, Guid tenantId, string action) =>
        db.ExecuteScalarAsync<bool>(
            $"""
            select (select xmin::text from {table} where id = @id)
                 = (select xmin::text from audit_log where tenant_id = @tenantId and action = @action)
            """, new { id, tenantId, action });
}
