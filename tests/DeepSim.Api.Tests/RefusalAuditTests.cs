using System.Net;
using DeepSim.Api.Audit;

namespace DeepSim.Api.Tests;

/// <summary>
/// Refused reads and requests the body binder refused leave an audit row with the reason (once each), and a flood of
/// refusals by one actor is capped.
/// </summary>
[Collection(ApiTests.Name)]
public sealed class RefusalAuditTests(ApiFixture api)
{
    private Task<long> CountAsync(Guid tenant, string where, params (string, object)[] parameters) =>
        TestApi.ScalarAsync<long>(api, $"select count(*) from audit_log where tenant_id = @t and {where}", [("t", tenant), .. parameters]);

    [Fact]
    public async Task Another_tenants_flowsheet_read_by_id_is_audited_as_not_found_in_the_readers_tenant()
    {
        var a = await TestApi.SignUpAsync(api);
        var b = await TestApi.SignUpAsync(api);
        using var created = await TestApi.CreateFlowsheetAsync(api, a.Owner.AccessToken, "a-private");
        var id = (await created.ReadJsonAsync()).GetProperty("id").GetGuid();
        using var reader = api.CreateClient(b.Owner.AccessToken);

        using var refused = await TestApi.Send(reader, HttpMethod.Get, $"/api/v1/flowsheets/{id}");
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal(1L, await CountAsync(b.Id, "action = 'flowsheets.get' and status_code = 404 and actor_user_id = @u and target = @f"
            + " and details->>'refused' like 'not found%' and details->>'method' = 'GET'", ("u", b.OwnerId), ("f", $"flowsheetId={id}")));
        // Nothing about it lands in the owner's tenant, and a read that succeeds is not audited at all.
        Assert.Equal(0L, await CountAsync(a.Id, "action = 'flowsheets.get'"));
        using var own = api.CreateClient(a.Owner.AccessToken);
        using var read = await TestApi.Send(own, HttpMethod.Get, $"/api/v1/flowsheets/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(0L, await CountAsync(a.Id, "action = 'flowsheets.get'"));
    }

    [Fact]
    public async Task A_read_the_role_may_not_make_is_audited_with_the_missing_permission()
    {
        var tenant = await TestApi.SignUpAsync(api);
        var viewer = await TestApi.AddMemberAsync(api, tenant, "viewer");
        using var client = api.CreateClient(viewer.Tokens.AccessToken);

        using var refused = await TestApi.Send(client, HttpMethod.Get, "/api/v1/api-keys");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(1L, await CountAsync(tenant.Id, "action = 'apikeys.list' and outcome = 'denied' and status_code = 403 and actor_user_id = @u"
            + " and details->>'refused' like '%apikeys.manage%'", ("u", viewer.UserId)));
    }

    [Fact]
    public async Task A_body_the_binder_refuses_is_audited_once_with_the_reason()
    {
        var tenant = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient(tenant.Owner.AccessToken);
        using var refused = await TestApi.Send(client, HttpMethod.Post, "/api/v1/flowsheets",
            new { name = "planted", content = TestApi.SampleFlowsheet(), tenantId = Guid.NewGuid() });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(1L, await CountAsync(tenant.Id, "action = 'flowsheets.create' and status_code = 400 and actor_user_id = @u"
            + " and details->>'refused' like 'invalid input%'", ("u", tenant.OwnerId)));
        // A refusal its handler made (and so the audit filter recorded) is not recorded a second time.
        using var unnamed = await TestApi.Send(client, HttpMethod.Post, "/api/v1/flowsheets", new { name = "", content = TestApi.SampleFlowsheet() });
        Assert.Equal(HttpStatusCode.BadRequest, unnamed.StatusCode);
        Assert.Equal(2L, await CountAsync(tenant.Id, "action = 'flowsheets.create' and status_code = 400"));
    }

    [Fact]
    public async Task A_flood_of_refused_reads_by_one_actor_is_capped_per_minute()
    {
        var tenant = await TestApi.SignUpAsync(api);
        var viewer = await TestApi.AddMemberAsync(api, tenant, "viewer");
        using var client = api.CreateClient(viewer.Tokens.AccessToken);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < RefusalAudit.RowsPerMinute + 7; i++)
        {
            using var refused = await TestApi.Send(client, HttpMethod.Get, $"/api/v1/flowsheets/{Guid.NewGuid()}");
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }
        var rows = await CountAsync(tenant.Id, "status_code = 404 and actor_user_id = @u", ("u", viewer.UserId));
        // The actor's one-minute window starts at its first refusal; only a loop slower than that sees a second window.
        if (clock.Elapsed < TimeSpan.FromSeconds(55))
        {
            Assert.Equal(RefusalAudit.RowsPerMinute, rows);
        }
        else
        {
            Assert.InRange(rows, RefusalAudit.RowsPerMinute, RefusalAudit.RowsPerMinute + 7);
        }
    }
}
