using DeepSim.Api.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSim.Runs.Tests;

/// <summary>Claims long-polling on one Api process are woken by work queued through another (NOTIFY through PostgreSQL).</summary>
[Collection(RunsTests.Name)]
public sealed class WakeUpTests(RunsFixture fixture)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_submit_on_one_Api_wakes_the_claims_waiting_on_another()
    {
        using var timeout = new CancellationTokenSource(Budget);
        await using var second = await fixture.StartApiAsync(fixture.Redis.ConnectionString, timeout.Token);
        await second.Services.GetRequiredService<RunSignalListener>().Listening.WaitAsync(Budget);
        var tenant = await TestTenant.CreateAsync(fixture);
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(66.6));
        var wake = second.Services.GetRequiredService<RunSignals>().Current;
        Assert.False(wake.IsCompleted, "nothing was queued yet, but the second Api was woken");

        // Submitted through the fixture's Api: only PostgreSQL connects the two processes.
        await tenant.SubmitOkAsync(fixture.Api, flowsheet);

        await wake.WaitAsync(Budget);
        Assert.True(wake.IsCompletedSuccessfully);
        await using var db = await fixture.OpenOwnerAsync();
        await Dapper.SqlMapper.ExecuteAsync(db, "update runs set status = 'cancelled', finished_at = now() where tenant_id = @Id and status = 'queued'", new { tenant.Id });
    }
}
