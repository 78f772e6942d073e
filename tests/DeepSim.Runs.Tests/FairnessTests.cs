using Dapper;
using Xunit.Abstractions;

namespace DeepSim.Runs.Tests;

[Collection(RunsTests.Name)]
public sealed class FairnessTests(RunsFixture fixture, ITestOutputHelper output)
{
    private sealed record Event(long Id, Guid Tenant, Guid Run, string Kind, DateTime At, DateTime Created);

    [Fact]
    public async Task Small_tenants_are_not_stuck_behind_a_flood_and_no_tenant_exceeds_its_cap()
    {
        var big = await TestTenant.CreateAsync(fixture, plan: "pro");
        var small = new List<TestTenant>();
        for (var i = 0; i < 5; i++)
        {
            small.Add(await TestTenant.CreateAsync(fixture, plan: "free"));
        }
        var bigFlowsheet = await big.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(96));
        var smallFlowsheets = new List<Guid>();
        foreach (var t in small)
        {
            smallFlowsheets.Add(await t.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(97)));
        }
        // The flood first, then the small tenants: a FIFO queue would serve all 500 before any of theirs.
        using (var gate = new SemaphoreSlim(8))
        {
            await Task.WhenAll(Enumerable.Range(0, 500).Select(async _ =>
            {
                await gate.WaitAsync();
                try
                {
                    await big.SubmitOkAsync(fixture.Api, bigFlowsheet);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
        for (var round = 0; round < 5; round++)
        {
            for (var i = 0; i < small.Count; i++)
            {
                await small[i].SubmitOkAsync(fixture.Api, smallFlowsheets[i]);
            }
        }
        var tenants = small.Select(t => t.Id).Append(big.Id).ToArray();
        await using var db = await fixture.OpenOwnerAsync();
        // 2 processes x 4 solves: more slots than the big tenant's cap of 5, so the cap is what holds it.
        await using (var a = WorkerProcess.Start(fixture.Api.Url, concurrency: 4))
        await using (var b = WorkerProcess.Start(fixture.Api.Url, concurrency: 4))
        {
            await TestTenant.WaitUntilAsync(async () => await db.ExecuteScalarAsync<long>(
                "select count(*) from runs where tenant_id = any(@tenants) and status not in ('completed', 'failed', 'cancelled')", new { tenants }) == 0,
                TimeSpan.FromSeconds(240), "all 525 runs finished");
        }
        var events = (await db.QueryAsync<Event>(
            """
            select e.id as "Id", e.tenant_id as "Tenant", e.run_id as "Run", e.kind as "Kind", e.at as "At", r.created_at as "Created"
            from run_events e join runs r on r.id = e.run_id
            where e.tenant_id = any(@tenants) and e.kind in ('claimed', 'completed', 'failed', 'cancelled', 'lease-expired', 'released')
            order by e.id
            """, new { tenants })).ToList();

        var claims = events.Where(e => e.Kind == "claimed").ToList();
        Assert.Equal(525, claims.Select(c => c.Run).Distinct().Count());
        var smallIds = small.Select(t => t.Id).ToHashSet();
        var lastSmallPosition = claims.FindLastIndex(c => smallIds.Contains(c.Tenant));
        output.WriteLine($"the last small-tenant run was claim number {lastSmallPosition + 1} of {claims.Count}");
        foreach (var group in claims.GroupBy(c => c.Tenant))
        {
            var waits = group.Select(c => (c.At - c.Created).TotalSeconds).Order().ToList();
            output.WriteLine($"{(group.Key == big.Id ? "big  " : "small")} {group.Key}: {waits.Count} runs, wait median {waits[waits.Count / 2]:F2} s, max {waits[^1]:F2} s");
        }
        // Round-robin serves each small tenant about once per six claims; FIFO would put them after claim 500.
        Assert.True(lastSmallPosition < 150, $"small tenants waited behind the flood (last at claim {lastSmallPosition + 1})");

        var running = new Dictionary<Guid, int>();
        var peak = new Dictionary<Guid, int>();
        foreach (var e in events)
        {
            running[e.Tenant] = running.GetValueOrDefault(e.Tenant) + (e.Kind == "claimed" ? 1 : -1);
            peak[e.Tenant] = Math.Max(peak.GetValueOrDefault(e.Tenant), running[e.Tenant]);
        }
        output.WriteLine($"peak concurrent runs: big {peak[big.Id]} (cap 5), small {string.Join(", ", small.Select(t => peak[t.Id]))} (cap 1)");
        Assert.InRange(peak[big.Id], 1, 5);
        Assert.All(small, t => Assert.Equal(1, peak[t.Id]));
    }
}
