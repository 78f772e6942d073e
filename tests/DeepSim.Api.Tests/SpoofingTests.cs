using System.Net;
using DeepSim.Api.Auth;

namespace DeepSim.Api.Tests;

/// <summary>The tenant comes from the credentials only; nothing a client sends can move data or widen rights.</summary>
[Collection(ApiTests.Name)]
public sealed class SpoofingTests(ApiFixture api)
{

    [Fact]
    public async Task Tenant_named_in_headers_or_query_is_ignored_and_in_a_body_is_refused()
    {
        var a = await TestApi.SignUpAsync(api);
        var b = await TestApi.SignUpAsync(api);
        using (var mine = await TestApi.CreateFlowsheetAsync(api, a.Owner.AccessToken, "a-private"))
        {
            Assert.Equal(HttpStatusCode.Created, mine.StatusCode);
        }
        var headers = new Dictionary<string, string> { ["X-Tenant-Id"] = a.Id.ToString(), ["Tenant"] = a.Id.ToString(), ["X-Forwarded-Tenant"] = a.Slug };
        using var client = api.CreateClient(b.Owner.AccessToken);
        using (var list = await TestApi.Send(client, HttpMethod.Get, $"/api/v1/flowsheets?tenantId={a.Id}&tenant_id={a.Id}&tid={a.Id}", null, headers))
        {
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            Assert.Equal(0, (await list.ReadJsonAsync()).GetProperty("total").GetInt64());
        }
        using (var tenant = await TestApi.Send(client, HttpMethod.Get, $"/api/v1/tenant?tenantId={a.Id}", null, headers))
        {
            Assert.Equal(b.Id, (await tenant.ReadJsonAsync()).GetProperty("id").GetGuid());
        }
        using (var create = await TestApi.Send(client, HttpMethod.Post, $"/api/v1/flowsheets?tenantId={a.Id}",
            new { name = "planted", content = TestApi.SampleFlowsheet() }, headers))
        {
            Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        }
        // A tenant in the body is not a field of any request: refused outright, not silently dropped.
        using (var create = await TestApi.Send(client, HttpMethod.Post, "/api/v1/flowsheets",
            new { name = "planted-body", content = TestApi.SampleFlowsheet(), tenantId = a.Id, tenant_id = a.Id }, headers))
        {
            await JsonBodyTests.SingleFieldErrorAsync(create, "tenantId");
        }
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from flowsheets where tenant_id = @a and name like 'planted%'", ("a", a.Id)));
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from flowsheets where tenant_id = @b and name like 'planted%'", ("b", b.Id)));
    }

    [Fact]
    public async Task Protected_fields_in_bodies_are_refused_and_change_nothing()
    {
        var a = await TestApi.SignUpAsync(api);
        var b = await TestApi.SignUpAsync(api);
        var viewerEmail = TestApi.UniqueEmail("viewer");
        var token = await TestApi.InviteAsync(api, a.Owner.AccessToken, viewerEmail, Roles.Viewer);
        using var anonymous = api.CreateClient();
        // Accepting with role/tenant fields is refused; the invitation stays open and accepting it plainly gives the invited role.
        using (var accept = await TestApi.Send(anonymous, HttpMethod.Post, "/api/v1/invitations/accept",
            new { token, password = TestApi.Password, displayName = "V", role = "owner", tenantId = b.Id, isPlatformOperator = true }))
        {
            await JsonBodyTests.SingleFieldErrorAsync(accept, "role");
        }
        using (var accept = await TestApi.Send(anonymous, HttpMethod.Post, "/api/v1/invitations/accept", new { token, password = TestApi.Password, displayName = "V" }))
        {
            var tokens = TestApi.ToTokens(await accept.ReadJsonAsync());
            Assert.Equal(Roles.Viewer, tokens.Role);
            Assert.Equal(a.Id, tokens.TenantId);
        }
        Assert.False(await TestApi.ScalarAsync<bool>(api, "select is_platform_operator from users where email_normalized = @e", ("e", viewerEmail)));

        using var owner = api.CreateClient(a.Owner.AccessToken);
        using (var create = await TestApi.Send(owner, HttpMethod.Post, "/api/v1/flowsheets",
            new { id = Guid.NewGuid(), name = "mass", content = TestApi.SampleFlowsheet(), version = 42, createdBy = b.OwnerId, tenantId = b.Id }))
        {
            await JsonBodyTests.SingleFieldErrorAsync(create, "id");
        }
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from flowsheets where name = 'mass' and tenant_id in (@a, @b)", ("a", a.Id), ("b", b.Id)));

        using (var rename = await TestApi.Send(owner, HttpMethod.Patch, "/api/v1/tenant", new { name = "Renamed", plan = "enterprise", status = "suspended", slug = "hijacked", id = b.Id }))
        {
            await JsonBodyTests.SingleFieldErrorAsync(rename, "plan");
        }
        Assert.Equal("pro|active", await TestApi.ScalarAsync<string>(api, "select plan || '|' || status from tenants where id = @t", ("t", a.Id)));
        Assert.NotEqual("Renamed", await TestApi.ScalarAsync<string>(api, "select name from tenants where id = @t", ("t", a.Id)));
        Assert.NotEqual("Renamed", await TestApi.ScalarAsync<string>(api, "select name from tenants where id = @t", ("t", b.Id)));

        var greedySlug = TestApi.UniqueSlug("greedy");
        using (var signup = await TestApi.Send(anonymous, HttpMethod.Post, "/api/v1/auth/signup",
            new { tenantName = "Greedy", slug = greedySlug, email = TestApi.UniqueEmail("greedy"), password = TestApi.Password, displayName = "G", plan = "enterprise", status = "suspended", isPlatformOperator = true, role = "admin" }))
        {
            await JsonBodyTests.SingleFieldErrorAsync(signup, "plan");
        }
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from tenants where slug = @s", ("s", greedySlug)));
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from users where is_platform_operator"));
    }

    [Fact]
    public async Task Errors_are_problem_details_with_stable_types_and_openapi_is_served()
    {
        var a = await TestApi.SignUpAsync(api);
        using var anonymous = api.CreateClient();
        using (var unauthorized = await TestApi.Send(anonymous, HttpMethod.Get, "/api/v1/flowsheets"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
            Assert.Equal("application/problem+json", unauthorized.Content.Headers.ContentType?.MediaType);
            Assert.Equal("https://deepsim.dev/problems/unauthorized", (await unauthorized.ReadJsonAsync()).GetProperty("type").GetString());
        }
        using var client = api.CreateClient(a.Owner.AccessToken);
        using (var malformed = await TestApi.Send(client, HttpMethod.Post, "/api/v1/flowsheets", "{\"name\": "))
        {
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
            Assert.Equal("https://deepsim.dev/problems/bad-request", (await malformed.ReadJsonAsync()).GetProperty("type").GetString());
        }
        using (var notFound = await TestApi.Send(client, HttpMethod.Get, $"/api/v1/flowsheets/{Guid.NewGuid()}"))
        {
            Assert.Equal("https://deepsim.dev/problems/not-found", (await notFound.ReadJsonAsync()).GetProperty("type").GetString());
        }
        using (var invalid = await TestApi.Send(anonymous, HttpMethod.Post, "/api/v1/auth/signup", new { slug = "-Bad-", email = "nope", password = "short" }))
        {
            var errors = (await invalid.ReadJsonAsync()).GetProperty("errors");
            foreach (var field in new[] { "tenantName", "slug", "email", "password", "displayName" })
            {
                Assert.True(errors.TryGetProperty(field, out _), $"no error for {field}: {errors}");
            }
        }
        using var openApi = await TestApi.Send(anonymous, HttpMethod.Get, "/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
        var paths = (await openApi.ReadJsonAsync()).GetProperty("paths");
        foreach (var path in new[] { "/api/v1/auth/signin", "/api/v1/flowsheets/{flowsheetId}", "/api/v1/platform/tenants" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"OpenAPI lacks {path}");
        }
    }
}
