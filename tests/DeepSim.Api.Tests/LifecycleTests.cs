using System.Net;
using DeepSim.Api.Auth;

namespace DeepSim.Api.Tests;

[Collection(ApiTests.Name)]
public sealed class LifecycleTests(ApiFixture api)
{
    /// <summary>A tenant with rows in every kind of table: members, invitation, key, flowsheet versions, audit, outbox, mail.</summary>
    private async Task<TestTenant> BusyTenantAsync()
    {
        var t = await TestApi.SignUpAsync(api);
        await TestApi.AddMemberAsync(api, t, Roles.Engineer);
        await TestApi.InviteAsync(api, t.Owner.AccessToken, TestApi.UniqueEmail("pending"), Roles.Viewer);
        await ApiKeysTests.CreateKeyAsync(api, t.Owner.AccessToken, ["flowsheets.read"]);
        using var created = await TestApi.CreateFlowsheetAsync(api, t.Owner.AccessToken, "design");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return t;
    }

    private async Task<long> TenantRowsAsync(Guid tenant)
    {
        await using var owner = await api.OpenOwnerAsync();
        var tables = await DatabaseIsolationTests.ListAsync(owner,
            "select table_name from information_schema.columns where table_schema = 'public' and column_name = 'tenant_id'");
        long total = 0;
        foreach (var table in tables)
        {
            total += await TestApi.ScalarAsync<long>(api, $"select count(*) from {table} where tenant_id = @t", ("t", tenant));
        }
        return total + await TestApi.ScalarAsync<long>(api, "select count(*) from tenants where id = @t", ("t", tenant));
    }

    [Fact]
    public async Task Operator_delete_purges_every_tenant_row_records_counts_and_leaves_others_untouched()
    {
        var a = await BusyTenantAsync();
        var b = await BusyTenantAsync();
        var rowsBefore = await TenantRowsAsync(a.Id);
        Assert.True(rowsBefore > 10, $"tenant A should have data in many tables, has {rowsBefore} rows");
        var bBefore = await TestApi.TenantSnapshotAsync(api, b.Id);
        var op = await TestApi.OperatorAsync(api);
        using var client = api.CreateClient(op.AccessToken);
        using var delete = await TestApi.Send(client, HttpMethod.Delete, $"/api/v1/platform/tenants/{a.Id}");
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        var counts = (await delete.ReadJsonAsync()).GetProperty("rowsPurged");

        Assert.Equal(0L, await TenantRowsAsync(a.Id));
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from users where email_normalized = @e", ("e", a.OwnerEmail)));
        Assert.Equal(bBefore, await TestApi.TenantSnapshotAsync(api, b.Id));
        Assert.Equal(1, counts.GetProperty("tenants").GetInt64());
        Assert.Equal(1, counts.GetProperty("flowsheets").GetInt64());
        Assert.Equal(2, counts.GetProperty("memberships").GetInt64());
        var recorded = await TestApi.ScalarAsync<string>(api,
            "select details::text from audit_log where tenant_id is null and action = 'tenant.purged' and target = @t", ("t", a.Id.ToString()));
        Assert.Contains("\"flowsheets\": 1", recorded, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.CreateClient(a.Owner.AccessToken).GetAsync(new Uri("/api/v1/tenant", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task An_owner_can_delete_their_own_tenant_and_only_that()
    {
        var a = await BusyTenantAsync();
        var b = await BusyTenantAsync();
        var bBefore = await TestApi.TenantSnapshotAsync(api, b.Id);
        using var client = api.CreateClient(a.Owner.AccessToken);
        using var delete = await TestApi.Send(client, HttpMethod.Delete, "/api/v1/tenant");
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        Assert.Equal(0L, await TenantRowsAsync(a.Id));
        Assert.Equal(bBefore, await TestApi.TenantSnapshotAsync(api, b.Id));
    }

    [Fact]
    public async Task Operators_list_filter_search_get_update_and_create_tenants()
    {
        var marker = "zebra" + Guid.NewGuid().ToString("N")[..8];
        var a = await TestApi.SignUpAsync(api, $"{marker} one", plan: "free");
        var b = await TestApi.SignUpAsync(api, $"{marker} two", plan: "free");
        var op = await TestApi.OperatorAsync(api);
        using var client = api.CreateClient(op.AccessToken);
        using (var suspend = await TestApi.Send(client, HttpMethod.Post, $"/api/v1/platform/tenants/{b.Id}/suspend"))
        {
            Assert.Equal(HttpStatusCode.OK, suspend.StatusCode);
        }
        using (var list = await TestApi.Send(client, HttpMethod.Get, $"/api/v1/platform/tenants?search={marker}&status=suspended"))
        {
            var json = await list.ReadJsonAsync();
            Assert.Equal([b.Id], json.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetGuid()));
            Assert.Equal(1, json.GetProperty("total").GetInt64());
        }
        using (var update = await TestApi.Send(client, HttpMethod.Patch, $"/api/v1/platform/tenants/{a.Id}", new { plan = "pro" }))
        {
            Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        }
        using (var list = await TestApi.Send(client, HttpMethod.Get, $"/api/v1/platform/tenants?search={marker}&plan=pro"))
        {
            Assert.Equal([a.Id], (await list.ReadJsonAsync()).GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetGuid()));
        }
        using (var bad = await TestApi.Send(client, HttpMethod.Get, "/api/v1/platform/tenants?status=gone"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }
        var ownerEmail = TestApi.UniqueEmail("new-owner");
        var slug = TestApi.UniqueSlug("made");
        using var created = await TestApi.Send(client, HttpMethod.Post, "/api/v1/platform/tenants", new { name = "Made by operator", slug, plan = "enterprise", ownerEmail });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var tenantId = (await created.ReadJsonAsync()).GetProperty("id").GetGuid();
        using (var get = await TestApi.Send(client, HttpMethod.Get, $"/api/v1/platform/tenants/{tenantId}"))
        {
            Assert.Equal("enterprise", (await get.ReadJsonAsync()).GetProperty("plan").GetString());
        }
        // The owner joins through the mailed invitation and owns the tenant.
        var body = await TestApi.ScalarAsync<string>(api, "select body from mail_outbox where to_address = @e", ("e", ownerEmail));
        var token = body[body.IndexOf("inv_", StringComparison.Ordinal)..].Trim();
        using var accept = await TestApi.Send(api.CreateClient(), HttpMethod.Post, "/api/v1/invitations/accept", new { token, password = TestApi.Password, displayName = "Owner" });
        Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        Assert.Equal(Roles.Owner, TestApi.ToTokens(await accept.ReadJsonAsync()).Role);
    }

    [Fact]
    public async Task Audit_records_who_what_target_client_and_outcome_and_admins_see_only_their_own()
    {
        var a = await TestApi.SignUpAsync(api);
        var b = await TestApi.SignUpAsync(api);
        using var created = await TestApi.CreateFlowsheetAsync(api, a.Owner.AccessToken, "audited");
        var id = (await created.ReadJsonAsync()).GetProperty("id").GetString();
        using (var failed = await TestApi.CreateFlowsheetAsync(api, a.Owner.AccessToken, ""))
        {
            Assert.Equal(HttpStatusCode.BadRequest, failed.StatusCode);
        }
        using var client = api.CreateClient(a.Owner.AccessToken);
        using var audit = await TestApi.Send(client, HttpMethod.Get, "/api/v1/audit?action=flowsheets.create");
        var entries = (await audit.ReadJsonAsync()).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, entries.Count);
        Assert.All(entries, e =>
        {
            Assert.Equal(a.Id, e.GetProperty("tenantId").GetGuid());
            Assert.Equal(a.OwnerId, e.GetProperty("actorUserId").GetGuid());
            Assert.Equal("user", e.GetProperty("actorKind").GetString());
            Assert.Equal(ApiFixture.TestClientAddress, e.GetProperty("clientAddress").GetString());
        });
        Assert.Equal(["failure", "success"], entries.Select(e => e.GetProperty("outcome").GetString()));
        Assert.Equal(id, entries[1].GetProperty("target").GetString());
        Assert.Equal(201, entries[1].GetProperty("statusCode").GetInt32());

        using var bClient = api.CreateClient(b.Owner.AccessToken);
        using var bAudit = await TestApi.Send(bClient, HttpMethod.Get, "/api/v1/audit?pageSize=100");
        Assert.All((await bAudit.ReadJsonAsync()).GetProperty("items").EnumerateArray(), e => Assert.Equal(b.Id, e.GetProperty("tenantId").GetGuid()));

        var op = await TestApi.OperatorAsync(api);
        using var opClient = api.CreateClient(op.AccessToken);
        using var all = await TestApi.Send(opClient, HttpMethod.Get, $"/api/v1/platform/audit?tenantId={a.Id}&pageSize=100");
        Assert.Contains((await all.ReadJsonAsync()).GetProperty("items").EnumerateArray(), e => e.GetProperty("action").GetString() == "flowsheets.create");
    }

    [Fact]
    public async Task A_denied_write_is_audited_as_denied()
    {
        var a = await TestApi.SignUpAsync(api);
        var viewer = await TestApi.AddMemberAsync(api, a, Roles.Viewer);
        using (var denied = await TestApi.CreateFlowsheetAsync(api, viewer.Tokens.AccessToken, "not-allowed"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        }
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api,
            "select count(*) from audit_log where tenant_id = @t and actor_user_id = @u and action = 'flowsheets.create' and outcome = 'denied' and status_code = 403",
            ("t", a.Id), ("u", viewer.UserId)));
    }
}
