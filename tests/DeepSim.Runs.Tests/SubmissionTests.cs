using System.Net;
using Dapper;

namespace DeepSim.Runs.Tests;

/// <summary>Idempotent submission and the exact monthly quota, under concurrency (no workers needed).</summary>
[Collection(RunsTests.Name)]
public sealed class SubmissionTests(RunsFixture fixture)
{
    [Fact]
    public async Task The_same_idempotency_key_five_times_at_once_makes_one_run_and_five_identical_responses()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(80));
        var key = "submit-" + Guid.NewGuid().ToString("N");

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => tenant.SubmitAsync(fixture.Api, flowsheet, key)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.Status));
        Assert.Single(responses.Select(r => r.Text).Distinct(StringComparer.Ordinal));
        await using var db = await fixture.OpenOwnerAsync();
        Assert.Equal(1L, await db.ExecuteScalarAsync<long>("select count(*) from runs where tenant_id = @Id", new { tenant.Id }));
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("select runs from usage_monthly where tenant_id = @Id", new { tenant.Id }));

        // Later, the same key and body still answer with the same run; unchanged while it waits, so the same bytes.
        var again = await tenant.SubmitAsync(fixture.Api, flowsheet, key);
        Assert.Equal(responses[0].Text, again.Text);
    }

    [Fact]
    public async Task A_replay_after_the_run_completed_answers_with_its_current_state()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(83));
        var key = "submit-" + Guid.NewGuid().ToString("N");
        var first = await tenant.SubmitAsync(fixture.Api, flowsheet, key);
        Assert.Equal(HttpStatusCode.Accepted, first.Status);
        Assert.Equal("queued", first.Body.GetProperty("status").GetString());
        var runId = first.Body.GetProperty("id").GetGuid();
        await using (var db = await fixture.OpenOwnerAsync())
        {
            // As a worker's completion leaves it (no worker needed to see what a replay reports).
            await db.ExecuteAsync(
                """
                update runs set status = 'completed', converged = true, result = '{}'::jsonb, solver_seconds = 0.1,
                                started_at = now(), finished_at = now(), attempt = 1
                where id = @runId
                """, new { runId });
        }

        var replay = await tenant.SubmitAsync(fixture.Api, flowsheet, key);

        Assert.Equal(HttpStatusCode.Accepted, replay.Status);
        Assert.Equal(runId, replay.Body.GetProperty("id").GetGuid());
        Assert.Equal("completed", replay.Body.GetProperty("status").GetString());
        Assert.Equal(first.Body.GetProperty("createdAt").GetDateTime(), replay.Body.GetProperty("createdAt").GetDateTime());
        Assert.Equal(first.Body.GetProperty("flowsheetVersion").GetInt32(), replay.Body.GetProperty("flowsheetVersion").GetInt32());
        await using var check = await fixture.OpenOwnerAsync();
        Assert.Equal(1L, await check.ExecuteScalarAsync<long>("select count(*) from runs where tenant_id = @Id", new { tenant.Id }));
    }

    [Fact]
    public async Task The_same_idempotency_key_with_a_different_body_is_refused_with_422()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(81));
        var key = "submit-" + Guid.NewGuid().ToString("N");
        Assert.Equal(HttpStatusCode.Accepted, (await tenant.SubmitAsync(fixture.Api, flowsheet, key)).Status);

        var other = await tenant.SubmitAsync(fixture.Api, flowsheet, key, $$"""{"flowsheetId": "{{flowsheet}}", "version": 1}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.Status);
        Assert.Equal("https://deepsim.dev/problems/idempotency-key-reused", other.Body.GetProperty("type").GetString());
        await using var db = await fixture.OpenOwnerAsync();
        Assert.Equal(1L, await db.ExecuteScalarAsync<long>("select count(*) from runs where tenant_id = @Id", new { tenant.Id }));
    }

    [Fact]
    public async Task Fifty_concurrent_submissions_with_five_left_in_the_quota_accept_exactly_five()
    {
        var tenant = await TestTenant.CreateAsync(fixture, plan: "pro");
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(82));
        await using (var db = await fixture.OpenOwnerAsync())
        {
            // Pro allows 1,000 a month: 995 used leaves 5. The usage flusher may already have made the month's row (API calls).
            await db.ExecuteAsync(
                """
                insert into usage_monthly (tenant_id, month, runs) values (@Id, date_trunc('month', now() at time zone 'UTC')::date, 995)
                on conflict (tenant_id, month) do update set runs = excluded.runs
                """, new { tenant.Id });
        }

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => tenant.SubmitAsync(fixture.Api, flowsheet)));

        Assert.Equal(5, responses.Count(r => r.Status == HttpStatusCode.Accepted));
        var refused = responses.Where(r => r.Status != HttpStatusCode.Accepted).ToList();
        Assert.Equal(45, refused.Count);
        Assert.All(refused, r =>
        {
            Assert.Equal(HttpStatusCode.Forbidden, r.Status);
            Assert.Equal("https://deepsim.dev/problems/quota-exceeded", r.Body.GetProperty("type").GetString());
            Assert.Equal("simulations-per-month", r.Body.GetProperty("limit").GetString());
            Assert.Equal(1000, r.Body.GetProperty("max").GetInt32());
            Assert.Equal(1000, r.Body.GetProperty("usage").GetInt32());
            Assert.True(r.Body.GetProperty("resetsAt").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        });
        await using var check = await fixture.OpenOwnerAsync();
        Assert.Equal(5L, await check.ExecuteScalarAsync<long>("select count(*) from runs where tenant_id = @Id", new { tenant.Id }));
        Assert.Equal(1000, await check.ExecuteScalarAsync<int>("select runs from usage_monthly where tenant_id = @Id", new { tenant.Id }));
    }

    [Fact]
    public async Task A_queued_run_is_cancelled_at_once_and_a_finished_run_cannot_be_cancelled()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(83));
        var runId = await tenant.SubmitOkAsync(fixture.Api, flowsheet);
        using var client = fixture.Api.Client(tenant.Token);

        using var cancel = await client.PostAsync($"/api/v1/runs/{runId}/cancel", null);
        var body = await TestTenant.ReadAsync(cancel);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", body.GetProperty("status").GetString());

        using var again = await client.PostAsync($"/api/v1/runs/{runId}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using var missing = await client.PostAsync($"/api/v1/runs/{Guid.NewGuid()}/cancel", null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Bad_submissions_name_the_field_and_runs_of_another_tenant_are_invisible()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var other = await TestTenant.CreateAsync(fixture);
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(84));

        var bad = await tenant.SubmitAsync(fixture.Api, flowsheet, rawBody: """{"flowsheetId": "nope", "version": 0, "extra": 1}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        var errors = bad.Body.GetProperty("errors");
        Assert.True(errors.TryGetProperty("flowsheetId", out _));
        Assert.True(errors.TryGetProperty("version", out _));
        Assert.True(errors.TryGetProperty("extra", out _));

        var foreign = await other.SubmitAsync(fixture.Api, flowsheet);
        Assert.Equal(HttpStatusCode.NotFound, foreign.Status);
        var runId = await tenant.SubmitOkAsync(fixture.Api, flowsheet);
        using var client = fixture.Api.Client(other.Token);
        using var peek = await client.GetAsync($"/api/v1/runs/{runId}");
        Assert.Equal(HttpStatusCode.NotFound, peek.StatusCode);
    }
}
