using System.Net;
using Dapper;

namespace DeepSim.Runs.Tests;

/// <summary>A submitted run and its audit row commit in one transaction; refusals and replays are audited too.</summary>
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
}
