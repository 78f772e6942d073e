using System.Net;
using System.Text.Json;
using DeepSim.Api.Auth;

namespace DeepSim.Api.Tests;

/// <summary>
/// The platform analyst role: granted, listed and revoked by operators through the platform functions (audited), signed
/// in with <c>asAnalyst</c> to a token of kind analyst carrying platform.analytics.read and nothing of a tenant, checked
/// in the database on every request, so a revocation or a sign-out holds at once.
/// </summary>
[Collection(ApiTests.Name)]
public sealed class AnalystTests(ApiFixture api)
{
    private const string Analysts = "/api/v1/platform/analysts";
    private static readonly string[] AnalyticsPermission = ["platform.analytics.read"];

    private static JsonElement Claims(string token) => JsonDocument.Parse(ForgedTokens.Payload(token)).RootElement.Clone();

    private async Task<(HttpStatusCode Status, JsonElement Body)> CallAsync(string? bearer, HttpMethod method, string url, object? body = null)
    {
        using var client = api.CreateClient(bearer);
        using var response = await TestApi.Send(client, method, url, body);
        return (response.StatusCode, await response.ReadJsonAsync());
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SignInAsync(object request) =>
        await CallAsync(null, HttpMethod.Post, "/api/v1/auth/signin", request);

    [Fact]
    public async Task An_operator_grants_by_email_idempotently_lists_and_the_grant_is_audited()
    {
        var tenant = await TestApi.SignUpAsync(api);
        var op = await TestApi.OperatorAsync(api);
        var operatorId = await TestApi.ScalarAsync<Guid>(api, "select id from users where email_normalized = @e", ("e", ApiFixture.OperatorEmail));

        // Any spelling of the address finds the person.
        var (status, first) = await CallAsync(op.AccessToken, HttpMethod.Post, Analysts, new { email = "  " + tenant.OwnerEmail.ToUpperInvariant() + " " });
        Assert.True(status == HttpStatusCode.OK, $"{status} {first}");
        Assert.Equal(tenant.OwnerId, first.GetProperty("userId").GetGuid());
        Assert.Equal(tenant.OwnerEmail, first.GetProperty("email").GetString());
        Assert.Equal("Owner", first.GetProperty("displayName").GetString());
        Assert.Equal(operatorId, first.GetProperty("grantedBy").GetGuid());

        var (again, second) = await CallAsync(op.AccessToken, HttpMethod.Post, Analysts, new { email = tenant.OwnerEmail });
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal(first.GetProperty("grantedAt").GetDateTime(), second.GetProperty("grantedAt").GetDateTime());
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from platform_roles where user_id = @u", ("u", tenant.OwnerId)));

        var (listed, list) = await CallAsync(op.AccessToken, HttpMethod.Get, Analysts);
        Assert.Equal(HttpStatusCode.OK, listed);
        var mine = list.EnumerateArray().Where(a => a.GetProperty("userId").GetGuid() == tenant.OwnerId).ToList();
        Assert.Single(mine);
        Assert.Equal(tenant.OwnerEmail, mine[0].GetProperty("email").GetString());
        Assert.Equal(first.GetProperty("grantedAt").GetDateTime(), mine[0].GetProperty("grantedAt").GetDateTime());

        // Both grants are in the platform audit log, the second marked as changing nothing.
        var audited = await TestApi.ScalarAsync<string>(api,
            """
            select string_agg(actor_kind || ':' || (actor_user_id = @op)::text || ':' || (details ->> 'alreadyGranted'), ',' order by id)
            from audit_log where action = 'platform.analyst.granted' and target = @u
            """, ("op", operatorId), ("u", tenant.OwnerId.ToString()));
        Assert.Equal("operator:true:false,operator:true:true", audited);
    }

    [Fact]
    public async Task Granting_an_unknown_email_is_404_and_a_malformed_one_400_naming_the_field()
    {
        var op = await TestApi.OperatorAsync(api);
        var (unknown, problem) = await CallAsync(op.AccessToken, HttpMethod.Post, Analysts, new { email = TestApi.UniqueEmail("nobody") });
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal("https://deepsim.dev/problems/not-found", problem.GetProperty("type").GetString());

        foreach (var body in new object[] { new { email = "not-an-address" }, new { email = "" }, new { } })
        {
            var (status, invalid) = await CallAsync(op.AccessToken, HttpMethod.Post, Analysts, body);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.True(invalid.GetProperty("errors").TryGetProperty("email", out _), invalid.ToString());
        }
    }

    [Fact]
    public async Task An_analyst_signs_in_to_a_platform_token_that_me_describes()
    {
        var (tenant, analyst) = await TestApi.AnalystAsync(api);
        Assert.Null(analyst.RefreshToken);
        Assert.Null(analyst.TenantId);
        Assert.Equal(Roles.PlatformAnalyst, analyst.Role);
        var claims = Claims(analyst.AccessToken);
        Assert.Equal("analyst", claims.GetProperty("kind").GetString());
        Assert.Equal(tenant.OwnerId.ToString(), claims.GetProperty("sub").GetString());
        Assert.False(claims.TryGetProperty("tid", out _));
        Assert.False(claims.TryGetProperty("sid", out _));
        Assert.Equal(["platform.analytics.read", "profile.edit"], claims.GetProperty("perm").EnumerateArray().Select(p => p.GetString()!).ToArray());

        var (status, me) = await CallAsync(analyst.AccessToken, HttpMethod.Get, "/api/v1/auth/me");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("analyst", me.GetProperty("kind").GetString());
        Assert.Equal(Roles.PlatformAnalyst, me.GetProperty("role").GetString());
        Assert.Equal(tenant.OwnerEmail, me.GetProperty("email").GetString());
        Assert.Equal(JsonValueKind.Null, me.GetProperty("tenantId").ValueKind);
        Assert.Equal(["platform.analytics.read", "profile.edit"], me.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()!).ToArray());

        // Without asAnalyst the same person still signs in to their tenant, as before.
        var member = await TestApi.SignInAsync(api, tenant.OwnerEmail, tenant.OwnerPassword);
        Assert.Equal(tenant.Id, member.TenantId);
        Assert.Equal(Roles.Owner, member.Role);
        Assert.DoesNotContain("platform.analytics.read", Claims(member.AccessToken).GetProperty("perm").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task Asking_for_an_analyst_token_is_refused_without_the_role_the_password_or_with_another_choice()
    {
        var member = await TestApi.SignUpAsync(api);
        var (notAnalyst, refusal) = await SignInAsync(new { email = member.OwnerEmail, password = member.OwnerPassword, asAnalyst = true });
        Assert.Equal(HttpStatusCode.Forbidden, notAnalyst);
        Assert.Equal("https://deepsim.dev/problems/not-platform-analyst", refusal.GetProperty("type").GetString());

        // The role is asked only after the password: a wrong one gets the answer everyone gets.
        var (wrong, invalid) = await SignInAsync(new { email = member.OwnerEmail, password = "wrong-password-123", asAnalyst = true });
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.Equal("https://deepsim.dev/problems/invalid-credentials", invalid.GetProperty("type").GetString());

        var (both, combined) = await SignInAsync(new { email = ApiFixture.OperatorEmail, password = ApiFixture.OperatorPassword, asAnalyst = true, asOperator = true });
        Assert.Equal(HttpStatusCode.BadRequest, both);
        Assert.True(combined.GetProperty("errors").TryGetProperty("asAnalyst", out _), combined.ToString());
        var (withTenant, tenantProblem) = await SignInAsync(new { email = member.OwnerEmail, password = member.OwnerPassword, asAnalyst = true, tenantId = member.Id });
        Assert.Equal(HttpStatusCode.BadRequest, withTenant);
        Assert.True(tenantProblem.GetProperty("errors").TryGetProperty("asAnalyst", out _), tenantProblem.ToString());

        // An operator is no analyst unless granted.
        var (operatorAsAnalyst, _) = await SignInAsync(new { email = ApiFixture.OperatorEmail, password = ApiFixture.OperatorPassword, asAnalyst = true });
        Assert.Equal(HttpStatusCode.Forbidden, operatorAsAnalyst);
    }

    [Fact]
    public async Task An_analyst_token_reaches_no_tenant_data_and_no_operator_power()
    {
        var (_, analyst) = await TestApi.AnalystAsync(api);
        foreach (var (method, url, permission) in new[]
        {
            (HttpMethod.Get, "/api/v1/flowsheets", "flowsheets.read"),
            (HttpMethod.Get, "/api/v1/tenant", "tenant.read"),
            (HttpMethod.Get, "/api/v1/platform/tenants", "platform.tenants"),
            (HttpMethod.Get, "/api/v1/platform/audit", "platform.audit"),
            (HttpMethod.Get, Analysts, "platform.analysts"),
            (HttpMethod.Post, Analysts, "platform.analysts"),
        })
        {
            var (status, problem) = await CallAsync(analyst.AccessToken, method, url, method == HttpMethod.Post ? new { email = "x@example.test" } : null);
            Assert.True(status == HttpStatusCode.Forbidden, $"{method} {url}: {status} {problem}");
            Assert.Equal(permission, problem.GetProperty("requiredPermission").GetString());
        }
        // The refused grant attempt is in the platform audit log as the analyst's.
        var analystId = Guid.Parse(Claims(analyst.AccessToken).GetProperty("sub").GetString()!);
        Assert.Equal("analyst:denied", await TestApi.ScalarAsync<string>(api,
            "select actor_kind || ':' || outcome from audit_log where action = 'platform.analysts.grant' and actor_user_id = @u order by id desc limit 1", ("u", analystId)));
    }

    [Fact]
    public async Task Tenant_roles_and_api_keys_cannot_hold_or_use_the_analytics_permission()
    {
        foreach (var role in Roles.TenantRoles.Append(Roles.PlatformOperator))
        {
            Assert.DoesNotContain(Permission.PlatformAnalyticsRead, (IEnumerable<Permission>)PermissionTable.For(role));
        }
        Assert.DoesNotContain(Permission.PlatformAnalyticsRead, (IEnumerable<Permission>)PermissionTable.ApiKeyGrantable);
        var tenant = await TestApi.SignUpAsync(api);
        var (status, problem) = await CallAsync(tenant.Owner.AccessToken, HttpMethod.Post, "/api/v1/api-keys", new { name = "analytics", permissions = AnalyticsPermission });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("permissions", problem.GetProperty("errors").EnumerateObject().Select(e => e.Name.Split('[')[0]));
        // Owners and viewers cannot manage analysts either.
        var viewer = await TestApi.AddMemberAsync(api, tenant, Roles.Viewer);
        foreach (var bearer in new[] { tenant.Owner.AccessToken, viewer.Tokens.AccessToken })
        {
            var (refused, body) = await CallAsync(bearer, HttpMethod.Post, Analysts, new { email = tenant.OwnerEmail });
            Assert.Equal(HttpStatusCode.Forbidden, refused);
            Assert.Equal("platform.analysts", body.GetProperty("requiredPermission").GetString());
        }
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from platform_roles where user_id = @u", ("u", tenant.OwnerId)));
    }

    [Fact]
    public async Task A_revocation_holds_at_once_for_tokens_already_issued()
    {
        var (tenant, analyst) = await TestApi.AnalystAsync(api);
        var op = await TestApi.OperatorAsync(api);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(analyst.AccessToken, HttpMethod.Get, "/api/v1/auth/me")).Status);

        var (revoked, _) = await CallAsync(op.AccessToken, HttpMethod.Delete, $"{Analysts}/{tenant.OwnerId}");
        Assert.Equal(HttpStatusCode.NoContent, revoked);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(analyst.AccessToken, HttpMethod.Get, "/api/v1/auth/me")).Status);
        var (again, problem) = await CallAsync(op.AccessToken, HttpMethod.Delete, $"{Analysts}/{tenant.OwnerId}");
        Assert.Equal(HttpStatusCode.NotFound, again);
        Assert.Equal("https://deepsim.dev/problems/not-found", problem.GetProperty("type").GetString());
        var (signIn, _) = await SignInAsync(new { email = tenant.OwnerEmail, password = tenant.OwnerPassword, asAnalyst = true });
        Assert.Equal(HttpStatusCode.Forbidden, signIn);
        var (listed, list) = await CallAsync(op.AccessToken, HttpMethod.Get, Analysts);
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.DoesNotContain(list.EnumerateArray(), a => a.GetProperty("userId").GetGuid() == tenant.OwnerId);
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api,
            "select count(*) from audit_log where action = 'platform.analyst.revoked' and actor_kind = 'operator' and target = @u", ("u", tenant.OwnerId.ToString())));

        // Granted again, a new sign-in works; the person's tenant membership was never touched.
        await TestApi.GrantAnalystAsync(api, tenant.OwnerEmail);
        var fresh = await TestApi.SignInAsync(api, tenant.OwnerEmail, tenant.OwnerPassword, asAnalyst: true);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(fresh.AccessToken, HttpMethod.Get, "/api/v1/auth/me")).Status);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(tenant.Owner.AccessToken, HttpMethod.Get, "/api/v1/flowsheets")).Status);
    }

    [Fact]
    public async Task A_signed_out_analyst_token_stops_working_and_the_sign_out_is_recorded_as_theirs()
    {
        var (tenant, analyst) = await TestApi.AnalystAsync(api);
        var other = await TestApi.SignInAsync(api, tenant.OwnerEmail, tenant.OwnerPassword, asAnalyst: true);
        Assert.Equal(HttpStatusCode.NoContent, (await CallAsync(analyst.AccessToken, HttpMethod.Post, "/api/v1/auth/signout")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(analyst.AccessToken, HttpMethod.Get, "/api/v1/auth/me")).Status);
        // Only that token: the person's other analyst token is still good.
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(other.AccessToken, HttpMethod.Get, "/api/v1/auth/me")).Status);
        var jti = Claims(analyst.AccessToken).GetProperty("jti").GetString()!;
        Assert.Equal("analyst", await TestApi.ScalarAsync<string>(api, "select kind from platform_signouts where token_id = @t", ("t", jti)));
        Assert.Equal("analyst:success", await TestApi.ScalarAsync<string>(api,
            "select actor_kind || ':' || outcome from audit_log where action = 'auth.signout' and actor_user_id = @u order by id desc limit 1", ("u", tenant.OwnerId)));
    }

    [Fact]
    public async Task An_analyst_whose_last_tenant_is_deleted_keeps_the_account_and_signs_in_as_analyst()
    {
        var (tenant, _) = await TestApi.AnalystAsync(api);
        var op = await TestApi.OperatorAsync(api);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(op.AccessToken, HttpMethod.Delete, $"/api/v1/platform/tenants/{tenant.Id}")).Status);
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from users where id = @u", ("u", tenant.OwnerId)));
        // No tenant left: a plain sign-in gives the one thing the person still has.
        var tokens = await TestApi.SignInAsync(api, tenant.OwnerEmail, tenant.OwnerPassword);
        Assert.Equal(Roles.PlatformAnalyst, tokens.Role);
        Assert.Equal("analyst", Claims(tokens.AccessToken).GetProperty("kind").GetString());
    }

    [Fact]
    public async Task The_application_role_cannot_grant_itself_the_role()
    {
        var tenant = await TestApi.SignUpAsync(api);
        await using var app = await api.OpenAppAsync();
        await using var insert = new Npgsql.NpgsqlCommand("insert into platform_roles (user_id, role) values (@u, 'analyst')", app);
        insert.Parameters.AddWithValue("u", tenant.OwnerId);
        var denied = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => insert.ExecuteNonQueryAsync());
        Assert.Equal(Npgsql.PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
        await using var grant = new Npgsql.NpgsqlCommand("select * from platform_grant_analyst(@u, @e, null)", app);
        grant.Parameters.AddWithValue("u", tenant.OwnerId);
        grant.Parameters.AddWithValue("e", tenant.OwnerEmail);
        var function = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => grant.ExecuteNonQueryAsync());
        Assert.Equal(Npgsql.PostgresErrorCodes.InsufficientPrivilege, function.SqlState);
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from platform_roles where user_id = @u", ("u", tenant.OwnerId)));
    }
}
