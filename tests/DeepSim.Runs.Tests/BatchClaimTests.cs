using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;

namespace DeepSim.Runs.Tests;

[Collection(RunsTests.Name)]
public sealed class BatchClaimTests(RunsFixture fixture)
{
    // The Pro plan's max_concurrent_runs (migration 0100).
    private const int ProCap = 5;
    private const int Submitted = ProCap + 2;

    [Fact]
    public async Task A_batch_claim_takes_several_runs_in_one_call_but_never_past_the_tenant_cap()
    {
        var tenant = await TestTenant.CreateAsync(fixture, "pro");
        var runIds = new HashSet<Guid>();
        for (var i = 0; i < Submitted; i++)
        {
            // Distinct content, so the result cache never answers in place of the queue.
            var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(60.0 + i));
            runIds.Add(await tenant.SubmitOkAsync(fixture.Api, flowsheet));
        }
        using var service = fixture.Api.Client(RunsFixture.ServiceToken);
        using var invalid = await service.PostAsJsonAsync("/internal/v1/runs/claim-batch", new { workerId = "batch-test", waitSeconds = 0, max = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);

        using var response = await service.PostAsJsonAsync("/internal/v1/runs/claim-batch", new { workerId = "batch-test", waitSeconds = 0, max = 100 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var claimed = (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()
            .Select(r => (Id: r.GetProperty("runId").GetGuid(), Attempt: r.GetProperty("attempt").GetInt32())).ToList();
        try
        {
            var mine = claimed.Where(c => runIds.Contains(c.Id)).ToList();
            Assert.Equal(ProCap, mine.Count);
            Assert.Equal(mine.Count, mine.Select(c => c.Id).Distinct().Count());
            Assert.All(mine, c => Assert.Equal(1, c.Attempt));
            await using var db = await fixture.OpenOwnerAsync();
            var states = (await db.QueryAsync<(string Status, string? Worker)>(
                "select status, worker_id from runs where tenant_id = @id", new { id = tenant.Id })).ToList();
            Assert.Equal(ProCap, states.Count(s => s.Status == "running" && s.Worker == "batch-test"));
            Assert.Equal(Submitted - ProCap, states.Count(s => s.Status == "queued"));
        }
        finally
        {
            // Hand every claimed run back (no attempt used up), so nothing waits out a lease in later tests.
            foreach (var (id, attempt) in claimed)
            {
                using var released = await service.PostAsJsonAsync($"/internal/v1/runs/{id}/report",
                    new { workerId = "batch-test", attempt, outcome = "released", reason = "test done", retryable = true });
            }
            await using var db = await fixture.OpenOwnerAsync();
            await db.ExecuteAsync("update runs set status = 'cancelled', finished_at = now() where tenant_id = @id and status = 'queued'", new { id = tenant.Id });
        }
    }
}
