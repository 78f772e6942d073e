using System.Net;
using Dapper;

namespace DeepSim.Runs.Tests;

[Collection(RunsTests.Name)]
public sealed class PlanLimitTests(RunsFixture fixture)
{
    [Fact]
    public async Task A_free_tenant_may_create_five_flowsheets_and_the_sixth_names_the_limit()
    {
        var tenant = await TestTenant.CreateAsync(fixture, plan: "free");
        for (var i = 0; i < 5; i++)
        {
            await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(90 + i));
        }
        using var client = fixture.Api.Client(tenant.Token);
        using var body = new StringContent($$"""{"name": "sixth", "content": {{TestTenant.FlashAt(99)}}}""", System.Text.Encoding.UTF8, "application/json");

        using var response = await client.PostAsync("/api/v1/flowsheets", body);
        var problem = await TestTenant.ReadAsync(response);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("https://deepsim.dev/problems/plan-limit-exceeded", problem.GetProperty("type").GetString());
        Assert.Equal("flowsheets", problem.GetProperty("limit").GetString());
        Assert.Equal(5, problem.GetProperty("max").GetInt32());
        await using var db = await fixture.OpenOwnerAsync();
        Assert.Equal(5L, await db.ExecuteScalarAsync<long>("select count(*) from flowsheets where tenant_id = @Id", new { tenant.Id }));
    }

    [Fact]
    public async Task Usage_reports_this_month_s_runs_and_api_calls_with_the_plan_limits()
    {
        var tenant = await TestTenant.CreateAsync(fixture, plan: "pro");
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(88.5));
        await tenant.SubmitOkAsync(fixture.Api, flowsheet);
        // The flowsheet create and the submit are counted calls; they reach the table within the flush period.
        await using var db = await fixture.OpenOwnerAsync();
        await TestTenant.WaitUntilAsync(async () => await db.ExecuteScalarAsync<long>(
            "select coalesce(sum(api_calls), 0) from usage_monthly where tenant_id = @Id", new { tenant.Id }) >= 2, TimeSpan.FromSeconds(30), "API calls flushed");

        var usage = await tenant.GetAsync(fixture.Api, "/api/v1/usage");

        Assert.Equal("pro", usage.GetProperty("plan").GetString());
        Assert.Equal(1, usage.GetProperty("runs").GetInt32());
        Assert.True(usage.GetProperty("apiCalls").GetInt64() >= 2);
        Assert.Equal(1000, usage.GetProperty("limits").GetProperty("runsPerMonth").GetInt32());
        Assert.Equal(5, usage.GetProperty("limits").GetProperty("concurrentRuns").GetInt32());
        Assert.True(await db.ExecuteScalarAsync<long>(
            "select count(*) from event_outbox where tenant_id = @Id and type = 'usage.api_calls'", new { tenant.Id }) >= 1);
    }
}
