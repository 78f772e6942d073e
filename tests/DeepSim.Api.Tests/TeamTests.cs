using System.Net;
using DeepSim.Api.Auth;

namespace DeepSim.Api.Tests;

[Collection(ApiTests.Name)]
public sealed class TeamTests(ApiFixture api)
{
    [Fact]
    public async Task An_invitation_is_mailed_through_the_outbox_accepted_once_and_then_dead()
    {
        var a = await TestApi.SignUpAsync(api);
        var email = TestApi.UniqueEmail("invitee");
        var token = await TestApi.InviteAsync(api, a.Owner.AccessToken, email, Roles.Engineer);
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from invitations where position(convert_to(@t, 'UTF8') in token_hash) > 0", ("t", token)));
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from event_outbox where tenant_id = @t and type = 'invitation.created'", ("t", a.Id)));

        using var client = api.CreateClient();
        using (var accept = await TestApi.Send(client, HttpMethod.Post, "/api/v1/invitations/accept", new { token, password = TestApi.Password, displayName = "New" }))
        {
            Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
            var tokens = TestApi.ToTokens(await accept.ReadJsonAsync());
            Assert.Equal(Roles.Engineer, tokens.Role);
            Assert.Equal(a.Id, tokens.TenantId);
        }
        using var again = await TestApi.Send(client, HttpMethod.Post, "/api/v1/invitations/accept", new { token, password = TestApi.Password, displayName = "New" });
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal("https://deepsim.dev/problems/invitation-invalid", (await again.ReadJsonAsync()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task The_free_plan_member_limit_refuses_an_invitation_and_creates_nothing()
    {
        var a = await TestApi.SignUpAsync(api, plan: "free");
        using var owner = api.CreateClient(a.Owner.AccessToken);
        using var refused = await TestApi.Send(owner, HttpMethod.Post, "/api/v1/team/invitations", new { email = TestApi.UniqueEmail("one-too-many"), role = Roles.Viewer });

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var problem = await refused.ReadJsonAsync();
        Assert.Equal("https://deepsim.dev/problems/plan-limit-exceeded", problem.GetProperty("type").GetString());
        Assert.Equal("members", problem.GetProperty("limit").GetString());
        Assert.Equal(1, problem.GetProperty("max").GetInt32());
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from invitations where tenant_id = @t", ("t", a.Id)));
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from mail_outbox where tenant_id = @t", ("t", a.Id)));
    }

    [Fact]
    public async Task The_member_limit_holds_when_the_plan_shrinks_between_invitation_and_acceptance()
    {
        var a = await TestApi.SignUpAsync(api);
        var token = await TestApi.InviteAsync(api, a.Owner.AccessToken, TestApi.UniqueEmail("late-joiner"), Roles.Viewer);
        await TestApi.ScalarAsync<string>(api, "update tenants set plan = 'free' where id = @t returning plan", ("t", a.Id));

        using var client = api.CreateClient();
        using var accept = await TestApi.Send(client, HttpMethod.Post, "/api/v1/invitations/accept", new { token, password = TestApi.Password, displayName = "Late" });

        Assert.Equal(HttpStatusCode.Forbidden, accept.StatusCode);
        Assert.Equal("https://deepsim.dev/problems/plan-limit-exceeded", (await accept.ReadJsonAsync()).GetProperty("type").GetString());
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from memberships where tenant_id = @t", ("t", a.Id)));
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from invitations where tenant_id = @t and accepted_at is null", ("t", a.Id)));
    }

    [Fact]
    public async Task Expired_and_revoked_invitations_cannot_be_accepted()
    {
        var a = await TestApi.SignUpAsync(api);
        var expired = await TestApi.InviteAsync(api, a.Owner.AccessToken, TestApi.UniqueEmail("late"), Roles.Viewer);
        await using (var owner = await api.OpenOwnerAsync())
        await using (var command = new Npgsql.NpgsqlCommand("update invitations set expires_at = now() - interval '1 minute' where tenant_id = @t", owner))
        {
            command.Parameters.AddWithValue("t", a.Id);
            await command.ExecuteNonQueryAsync();
        }
        var revoked = await TestApi.InviteAsync(api, a.Owner.AccessToken, TestApi.UniqueEmail("revoked"), Roles.Viewer);
        var revokedId = Guid.ParseExact(revoked.Split('_')[2], "N");
        using (var ownerClient = api.CreateClient(a.Owner.AccessToken))
        using (var revoke = await TestApi.Send(ownerClient, HttpMethod.Delete, $"/api/v1/team/invitations/{revokedId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }
        using var client = api.CreateClient();
        foreach (var token in new[] { expired, revoked })
        {
            using var accept = await TestApi.Send(client, HttpMethod.Post, "/api/v1/invitations/accept", new { token, password = TestApi.Password, displayName = "X" });
            Assert.Equal(HttpStatusCode.NotFound, accept.StatusCode);
        }
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from memberships where tenant_id = @t", ("t", a.Id)));
    }

    [Fact]
    public async Task The_last_owner_cannot_be_demoted_or_removed_but_can_once_there_is_another()
    {
        var a = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient(a.Owner.AccessToken);
        using (var demote = await TestApi.Send(client, HttpMethod.Put, $"/api/v1/team/members/{a.OwnerId}/role", new { role = "admin" }))
        {
            Assert.Equal(HttpStatusCode.Conflict, demote.StatusCode);
            Assert.Equal("https://deepsim.dev/problems/last-owner", (await demote.ReadJsonAsync()).GetProperty("type").GetString());
        }
        using (var remove = await TestApi.Send(client, HttpMethod.Delete, $"/api/v1/team/members/{a.OwnerId}"))
        {
            Assert.Equal(HttpStatusCode.Conflict, remove.StatusCode);
        }
        var second = await TestApi.AddMemberAsync(api, a, Roles.Owner);
        using (var demote = await TestApi.Send(client, HttpMethod.Put, $"/api/v1/team/members/{a.OwnerId}/role", new { role = "admin" }))
        {
            Assert.Equal(HttpStatusCode.OK, demote.StatusCode);
        }
        using var secondClient = api.CreateClient(second.Tokens.AccessToken);
        using (var removeSelf = await TestApi.Send(secondClient, HttpMethod.Delete, $"/api/v1/team/members/{second.UserId}"))
        {
            Assert.Equal(HttpStatusCode.Conflict, removeSelf.StatusCode);
        }
        Assert.Equal("owner", await TestApi.ScalarAsync<string>(api, "select role from memberships where user_id = @u and tenant_id = @t", ("u", second.UserId), ("t", a.Id)));
    }

    [Fact]
    public async Task Role_changes_and_removal_apply_to_live_tokens_at_once()
    {
        var a = await TestApi.SignUpAsync(api);
        var engineer = await TestApi.AddMemberAsync(api, a, Roles.Engineer);
        using var ownerClient = api.CreateClient(a.Owner.AccessToken);
        using var engineerClient = api.CreateClient(engineer.Tokens.AccessToken);
        using (var write = await TestApi.CreateFlowsheetAsync(api, engineer.Tokens.AccessToken, "by-engineer"))
        {
            Assert.Equal(HttpStatusCode.Created, write.StatusCode);
        }
        using (var demote = await TestApi.Send(ownerClient, HttpMethod.Put, $"/api/v1/team/members/{engineer.UserId}/role", new { role = "viewer" }))
        {
            Assert.Equal(HttpStatusCode.OK, demote.StatusCode);
        }
        using (var write = await TestApi.CreateFlowsheetAsync(api, engineer.Tokens.AccessToken, "after-demotion"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        }
        using (var remove = await TestApi.Send(ownerClient, HttpMethod.Delete, $"/api/v1/team/members/{engineer.UserId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        }
        using var read = await TestApi.Send(engineerClient, HttpMethod.Get, "/api/v1/flowsheets");
        Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
    }

    [Fact]
    public async Task An_admin_cannot_grant_or_touch_the_owner_role()
    {
        var a = await TestApi.SignUpAsync(api);
        var admin = await TestApi.AddMemberAsync(api, a, Roles.Admin);
        var viewer = await TestApi.AddMemberAsync(api, a, Roles.Viewer);
        using var client = api.CreateClient(admin.Tokens.AccessToken);
        using (var promote = await TestApi.Send(client, HttpMethod.Put, $"/api/v1/team/members/{viewer.UserId}/role", new { role = "owner" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, promote.StatusCode);
        }
        using (var demoteOwner = await TestApi.Send(client, HttpMethod.Put, $"/api/v1/team/members/{a.OwnerId}/role", new { role = "viewer" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, demoteOwner.StatusCode);
        }
        using (var inviteOwner = await TestApi.Send(client, HttpMethod.Post, "/api/v1/team/invitations", new { email = TestApi.UniqueEmail("x"), role = "owner" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, inviteOwner.StatusCode);
        }
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from memberships where tenant_id = @t and role = 'owner'", ("t", a.Id)));
    }

    [Fact]
    public async Task Members_and_invitations_are_listed_in_pages()
    {
        var a = await TestApi.SignUpAsync(api);
        await TestApi.AddMemberAsync(api, a, Roles.Viewer);
        await TestApi.AddMemberAsync(api, a, Roles.Engineer);
        await TestApi.InviteAsync(api, a.Owner.AccessToken, TestApi.UniqueEmail("open"), Roles.Viewer);
        using var client = api.CreateClient(a.Owner.AccessToken);
        using (var members = await TestApi.Send(client, HttpMethod.Get, "/api/v1/team/members?pageSize=2&page=2"))
        {
            var json = await members.ReadJsonAsync();
            Assert.Equal(3, json.GetProperty("total").GetInt64());
            Assert.Equal([Roles.Engineer], json.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        }
        using var invitations = await TestApi.Send(client, HttpMethod.Get, "/api/v1/team/invitations?pageSize=500");
        var open = await invitations.ReadJsonAsync();
        Assert.Equal(1, open.GetProperty("total").GetInt64());
        Assert.Equal(100, open.GetProperty("pageSize").GetInt32());
    }
}
