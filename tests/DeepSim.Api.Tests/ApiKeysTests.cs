using System.Net;
using DeepSim.Api.Auth;

namespace DeepSim.Api.Tests;

[Collection(ApiTests.Name)]
public sealed class ApiKeysTests(ApiFixture api)
{
    private static readonly string[] TooMuch = ["flowsheets.read", "tenant.delete", "platform.tenants"];

    public static async Task<string> CreateKeyAsync(ApiFixture api, string bearer, string[] permissions, string? name = null)
    {
        using var client = api.CreateClient(bearer);
        using var response = await TestApi.Send(client, HttpMethod.Post, "/api/v1/api-keys", new { name = name ?? "key-" + Guid.NewGuid().ToString("N")[..8], permissions });
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"API key creation failed: {response.StatusCode} {json}");
        return json.GetProperty("secret").GetString()!;
    }

    [Fact]
    public async Task A_key_is_shown_once_stored_hashed_limited_to_its_permissions_and_records_its_last_use()
    {
        var a = await TestApi.SignUpAsync(api);
        var secret = await CreateKeyAsync(api, a.Owner.AccessToken, ["flowsheets.read"], "reader");
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from api_keys where tenant_id = @t and position(convert_to(@s, 'UTF8') in key_hash) > 0", ("t", a.Id), ("s", secret)));
        using var owner = api.CreateClient(a.Owner.AccessToken);
        using (var list = await TestApi.Send(owner, HttpMethod.Get, "/api/v1/api-keys"))
        {
            var text = await list.Content.ReadAsStringAsync();
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            Assert.Contains("reader", text, StringComparison.Ordinal);
        }
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from api_keys where tenant_id = @t and last_used_at is not null", ("t", a.Id)));

        using var program = api.CreateClient(secret);
        using (var read = await TestApi.Send(program, HttpMethod.Get, "/api/v1/flowsheets"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }
        using (var write = await TestApi.Send(program, HttpMethod.Post, "/api/v1/flowsheets", new { name = "x", content = TestApi.SampleFlowsheet() }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        }
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from api_keys where tenant_id = @t and last_used_at is not null", ("t", a.Id)));
    }

    [Fact]
    public async Task A_revoked_key_stops_working_and_a_guessed_secret_never_works()
    {
        var a = await TestApi.SignUpAsync(api);
        var secret = await CreateKeyAsync(api, a.Owner.AccessToken, ["flowsheets.read"]);
        var keyId = Guid.ParseExact(secret.Split('_')[2], "N");
        using var program = api.CreateClient(secret[..^4] + "0000");
        using (var guessed = await TestApi.Send(program, HttpMethod.Get, "/api/v1/flowsheets"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, guessed.StatusCode);
        }
        using var owner = api.CreateClient(a.Owner.AccessToken);
        using (var revoke = await TestApi.Send(owner, HttpMethod.Delete, $"/api/v1/api-keys/{keyId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }
        using var revokedClient = api.CreateClient(secret);
        using var after = await TestApi.Send(revokedClient, HttpMethod.Get, "/api/v1/flowsheets");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Keys_cannot_carry_permissions_the_creator_lacks_or_owner_only_ones()
    {
        var a = await TestApi.SignUpAsync(api);
        var admin = await TestApi.AddMemberAsync(api, a, Roles.Admin);
        using var client = api.CreateClient(admin.Tokens.AccessToken);
        using var response = await TestApi.Send(client, HttpMethod.Post, "/api/v1/api-keys", new { name = "too-much", permissions = TooMuch });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.ReadJsonAsync()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("permissions[1]", out _));
        Assert.True(errors.TryGetProperty("permissions[2]", out _));
        Assert.False(errors.TryGetProperty("permissions[0]", out _));
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from api_keys where tenant_id = @t", ("t", a.Id)));
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string url)
    {
        using var response = await TestApi.Send(client, HttpMethod.Get, url);
        return response.StatusCode;
    }

    private static async Task ChangeRoleAsync(HttpClient owner, Guid userId, string role)
    {
        using var response = await TestApi.Send(owner, HttpMethod.Put, $"/api/v1/team/members/{userId}/role", new { role });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_key_loses_what_its_demoted_creator_no_longer_holds_and_keeps_the_rest()
    {
        var a = await TestApi.SignUpAsync(api);
        var admin = await TestApi.AddMemberAsync(api, a, Roles.Admin);
        var secret = await CreateKeyAsync(api, admin.Tokens.AccessToken, ["flowsheets.read", "audit.read"]);
        using var owner = api.CreateClient(a.Owner.AccessToken);
        using var program = api.CreateClient(secret);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(program, "/api/v1/audit"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(program, "/api/v1/flowsheets"));

        await ChangeRoleAsync(owner, admin.UserId, Roles.Engineer);
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(program, "/api/v1/audit"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(program, "/api/v1/flowsheets"));
        using (var me = await TestApi.Send(program, HttpMethod.Get, "/api/v1/auth/me"))
        {
            var permissions = (await me.ReadJsonAsync()).GetProperty("permissions").EnumerateArray().Select(p => p.GetString()).ToList();
            Assert.Equal(["flowsheets.read"], permissions);
        }
        // The owner's key list says both: what was granted, and what the key can do now.
        var listed = await ListedKeyAsync(owner);
        Assert.Equal(["flowsheets.read", "audit.read"], listed.Granted);
        Assert.Equal(["flowsheets.read"], listed.Effective);
        // The key's own grant is unchanged: the cut is made per request from the creator's current role.
        await ChangeRoleAsync(owner, admin.UserId, Roles.Admin);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(program, "/api/v1/audit"));
    }

    [Fact]
    public async Task A_key_whose_creator_left_the_tenant_authenticates_to_nothing()
    {
        var a = await TestApi.SignUpAsync(api);
        var admin = await TestApi.AddMemberAsync(api, a, Roles.Admin);
        var secret = await CreateKeyAsync(api, admin.Tokens.AccessToken, ["flowsheets.read"]);
        var ownersKey = await CreateKeyAsync(api, a.Owner.AccessToken, ["flowsheets.read"]);
        using var program = api.CreateClient(secret);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(program, "/api/v1/flowsheets"));

        using var owner = api.CreateClient(a.Owner.AccessToken);
        using (var remove = await TestApi.Send(owner, HttpMethod.Delete, $"/api/v1/team/members/{admin.UserId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(program, "/api/v1/flowsheets"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(program, "/api/v1/auth/me"));
        var listed = await ListedKeysAsync(owner);
        Assert.Empty(listed.Single(k => k.Granted.Count == 1 && k.CreatedBy == admin.UserId).Effective);
        // Only the departed creator's keys stop: another member's key in the same tenant still works.
        using var ownersProgram = api.CreateClient(ownersKey);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(ownersProgram, "/api/v1/flowsheets"));
    }

    private static async Task<(List<string?> Granted, List<string?> Effective)> ListedKeyAsync(HttpClient owner)
    {
        var key = Assert.Single(await ListedKeysAsync(owner));
        return (key.Granted, key.Effective);
    }

    private static async Task<List<(Guid CreatedBy, List<string?> Granted, List<string?> Effective)>> ListedKeysAsync(HttpClient owner)
    {
        using var response = await TestApi.Send(owner, HttpMethod.Get, "/api/v1/api-keys");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await response.ReadJsonAsync()).EnumerateArray().Select(k => (
            k.GetProperty("createdBy").GetGuid(),
            k.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()).ToList(),
            k.GetProperty("effectivePermissions").EnumerateArray().Select(p => p.GetString()).ToList()))];
    }
}
