using System.Net;
using System.Text;
using System.Text.Json;
using DeepSim.Api.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Tests;

[Collection(ApiTests.Name)]
public sealed class AuthTests(ApiFixture api)
{
    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static async Task<HttpStatusCode> StatusWith(ApiFixture api, string bearer, string url = "/api/v1/flowsheets")
    {
        using var client = api.CreateClient(bearer);
        using var response = await TestApi.Send(client, HttpMethod.Get, url);
        return response.StatusCode;
    }

    // The Api's own key ring (so its current key), with the token's times from another clock.
    private static TokenService Tokens(ApiFixture api, DateTimeOffset now) =>
        new(Options.Create(new AuthSettings()), api.Factory.Services.GetRequiredService<SigningKeyRing>(), new FixedTime(now));

    [Fact]
    public async Task A_fresh_access_token_works_and_carries_user_tenant_role_permissions_and_plan()
    {
        var a = await TestApi.SignUpAsync(api);
        Assert.Equal(HttpStatusCode.OK, await StatusWith(api, a.Owner.AccessToken));
        var payload = JsonDocument.Parse(Base64UrlDecode(a.Owner.AccessToken.Split('.')[1])).RootElement;
        Assert.Equal(a.OwnerId.ToString(), payload.GetProperty("sub").GetString());
        Assert.Equal(a.Id.ToString(), payload.GetProperty("tid").GetString());
        Assert.Equal("owner", payload.GetProperty("role").GetString());
        Assert.Equal("free", payload.GetProperty("plan").GetString());
        Assert.Contains("tenant.delete", payload.GetProperty("perm").EnumerateArray().Select(p => p.GetString()));
        var lifetime = payload.GetProperty("exp").GetInt64() - payload.GetProperty("iat").GetInt64();
        Assert.Equal(15 * 60, lifetime);
    }

    [Fact]
    public async Task Expired_tokens_are_rejected()
    {
        var a = await TestApi.SignUpAsync(api);
        var past = Tokens(api, DateTimeOffset.UtcNow.AddHours(-2));
        var (expired, _) = past.CreateAccessToken(new AccessTokenSubject(a.OwnerId, a.Id, Roles.Owner, "free", null, Actor.KindUser));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith(api, expired));
        // The same subject signed now is accepted: only the expiry differed.
        var (fresh, _) = Tokens(api, DateTimeOffset.UtcNow).CreateAccessToken(new AccessTokenSubject(a.OwnerId, a.Id, Roles.Owner, "free", null, Actor.KindUser));
        Assert.Equal(HttpStatusCode.OK, await StatusWith(api, fresh));
    }

    [Fact]
    public async Task Tampered_tokens_are_rejected()
    {
        var a = await TestApi.SignUpAsync(api);
        var viewer = await TestApi.AddMemberAsync(api, a, Roles.Viewer);
        var parts = viewer.Tokens.AccessToken.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlDecode(parts[1])).Replace("\"role\":\"viewer\"", "\"role\":\"owner\"", StringComparison.Ordinal);
        var forged = string.Join('.', parts[0], Base64UrlEncode(Encoding.UTF8.GetBytes(payload)), parts[2]);
        Assert.NotEqual(viewer.Tokens.AccessToken, forged);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith(api, forged));
        Assert.Equal(HttpStatusCode.OK, await StatusWith(api, viewer.Tokens.AccessToken));
    }

    [Fact]
    public async Task Unsigned_alg_none_tokens_are_rejected()
    {
        var a = await TestApi.SignUpAsync(api);
        var payload = a.Owner.AccessToken.Split('.')[1];
        var header = Base64UrlEncode(Encoding.UTF8.GetBytes("{\"alg\":\"none\",\"typ\":\"JWT\"}"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith(api, header + "." + payload + "."));
    }

    [Fact]
    public async Task Tokens_signed_with_another_key_are_rejected()
    {
        var a = await TestApi.SignUpAsync(api);
        // A foreign P-256 key, under a kid of its own and under the Api's current kid.
        using var foreign = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var claims = ForgedTokens.Payload(a.Owner.AccessToken);
        var currentKid = ForgedTokens.Kid(a.Owner.AccessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith(api, ForgedTokens.Es256(foreign, "foreign-kid", claims)));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith(api, ForgedTokens.Es256(foreign, currentKid, claims)));
        // The same claims signed by the Api are accepted: only the key differed.
        Assert.Equal(HttpStatusCode.OK, await StatusWith(api, a.Owner.AccessToken));
    }

    [Fact]
    public async Task Signed_out_tokens_and_their_refresh_tokens_stop_working()
    {
        var a = await TestApi.SignUpAsync(api);
        using (var client = api.CreateClient(a.Owner.AccessToken))
        using (var signOut = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/signout"))
        {
            Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith(api, a.Owner.AccessToken));
        using var anonymous = api.CreateClient();
        using var refresh = await TestApi.Send(anonymous, HttpMethod.Post, "/api/v1/auth/refresh", new { refreshToken = a.Owner.RefreshToken });
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
    }

    [Fact]
    public async Task Refresh_rotates_and_reusing_a_spent_refresh_token_revokes_the_whole_family()
    {
        var a = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient();
        using var first = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/refresh", new { refreshToken = a.Owner.RefreshToken });
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var rotated = TestApi.ToTokens(await first.ReadJsonAsync());
        Assert.NotEqual(a.Owner.RefreshToken, rotated.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, await StatusWith(api, rotated.AccessToken));

        using var reuse = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/refresh", new { refreshToken = a.Owner.RefreshToken });
        Assert.Equal(HttpStatusCode.Unauthorized, reuse.StatusCode);
        Assert.Equal("https://deepsim.dev/problems/refresh-token-reused", (await reuse.ReadJsonAsync()).GetProperty("type").GetString());

        // The thief's or the victim's newer tokens of the same family are dead too.
        using var rotatedRefresh = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/refresh", new { refreshToken = rotated.RefreshToken });
        Assert.Equal(HttpStatusCode.Unauthorized, rotatedRefresh.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith(api, rotated.AccessToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith(api, a.Owner.AccessToken));
        // Another sign-in is a new family and works.
        var again = await TestApi.SignInAsync(api, a.OwnerEmail, a.OwnerPassword);
        Assert.Equal(HttpStatusCode.OK, await StatusWith(api, again.AccessToken));
    }

    [Fact]
    public async Task Suspended_tenant_tokens_and_keys_are_rejected_at_once_and_work_again_after_restore()
    {
        var a = await TestApi.SignUpAsync(api);
        var key = await ApiKeysTests.CreateKeyAsync(api, a.Owner.AccessToken, ["flowsheets.read"]);
        using (var created = await TestApi.CreateFlowsheetAsync(api, a.Owner.AccessToken, "kept"))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var op = await TestApi.OperatorAsync(api);
        using var operatorClient = api.CreateClient(op.AccessToken);

        using (var suspend = await TestApi.Send(operatorClient, HttpMethod.Post, $"/api/v1/platform/tenants/{a.Id}/suspend"))
        {
            Assert.Equal(HttpStatusCode.OK, suspend.StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith(api, a.Owner.AccessToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith(api, key));
        using (var client = api.CreateClient())
        using (var signIn = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/signin", new { email = a.OwnerEmail, password = a.OwnerPassword }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, signIn.StatusCode);
        }
        using (var client = api.CreateClient())
        using (var refresh = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/refresh", new { refreshToken = a.Owner.RefreshToken }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
        }
        // Suspension keeps the data.
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from flowsheets where tenant_id = @t", ("t", a.Id)));

        using (var restore = await TestApi.Send(operatorClient, HttpMethod.Post, $"/api/v1/platform/tenants/{a.Id}/restore"))
        {
            Assert.Equal(HttpStatusCode.OK, restore.StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, await StatusWith(api, a.Owner.AccessToken));
        Assert.Equal(HttpStatusCode.OK, await StatusWith(api, key));
    }

    [Fact]
    public async Task Repeated_failures_lock_the_account_even_for_the_right_password_then_it_unlocks()
    {
        var a = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient();
        for (var i = 0; i < ApiFixture.LockoutThreshold; i++)
        {
            using var wrong = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/signin", new { email = a.OwnerEmail, password = "wrong-password-" + i });
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using (var locked = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/signin", new { email = a.OwnerEmail, password = a.OwnerPassword }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
            Assert.Equal(AuthEndpoints.InvalidCredentialsDetail, (await locked.ReadJsonAsync()).GetProperty("detail").GetString());
        }
        var lockedFor = await TestApi.ScalarAsync<double>(api, "select extract(epoch from locked_until - now())::float8 from users where id = @u", ("u", a.OwnerId));
        Assert.True(lockedFor > 0, "the account should be locked into the future");

        // Another failure while locked does not extend anything the attacker can observe, and the lock expires.
        await using (var owner = await api.OpenOwnerAsync())
        await using (var expire = new Npgsql.NpgsqlCommand("update users set locked_until = now() - interval '1 second' where id = @u", owner))
        {
            expire.Parameters.AddWithValue("u", a.OwnerId);
            await expire.ExecuteNonQueryAsync();
        }
        using var after = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/signin", new { email = a.OwnerEmail, password = a.OwnerPassword });
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(0, await TestApi.ScalarAsync<int>(api, "select failed_sign_ins from users where id = @u", ("u", a.OwnerId)));
    }

    [Fact]
    public async Task Sign_up_with_a_registered_email_counts_toward_and_respects_the_sign_in_lockout()
    {
        var a = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient();
        object SignUp(string password) => new { tenantName = "Second", slug = TestApi.UniqueSlug("second"), email = a.OwnerEmail, password, displayName = "Owner" };
        for (var i = 0; i < ApiFixture.LockoutThreshold; i++)
        {
            // The same answer as for a new address: sign-up does not say the password was wrong, but it counts.
            using var wrong = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/signup", SignUp("wrong-password-" + i));
            Assert.Equal(HttpStatusCode.Accepted, wrong.StatusCode);
        }
        Assert.Equal(ApiFixture.LockoutThreshold, await TestApi.ScalarAsync<int>(api, "select failed_sign_ins from users where id = @u", ("u", a.OwnerId)));
        // Sign-up is no way around the lock: the right password now brings no link, and sign-in fails alike.
        await ForgetRecentSignUpsAsync(a.OwnerEmail);
        using (var locked = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/signup", SignUp(a.OwnerPassword)))
        {
            Assert.Equal(HttpStatusCode.Accepted, locked.StatusCode);
        }
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api,
            "select count(*) from signup_requests where email_normalized = @e and token_hash is not null and created_at > now() - interval '1 hour'", ("e", a.OwnerEmail)));
        using (var signIn = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/signin", new { email = a.OwnerEmail, password = a.OwnerPassword }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, signIn.StatusCode);
        }
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from memberships where user_id = @u", ("u", a.OwnerId)));

        // Once the lock has passed, the owner founds a second tenant with their own password (and the mailed link).
        await TestApi.ScalarAsync<int>(api, "update users set locked_until = now() - interval '1 second' where id = @u returning 1", ("u", a.OwnerId));
        await ForgetRecentSignUpsAsync(a.OwnerEmail);
        var second = await TestApi.SignUpAndConfirmAsync(api, SignUp(a.OwnerPassword), a.OwnerEmail);
        Assert.NotEqual(a.Id, second.TenantId);
        Assert.Equal(2L, await TestApi.ScalarAsync<long>(api, "select count(*) from memberships where user_id = @u", ("u", a.OwnerId)));
    }

    /// <summary>Moves the address's sign-up requests out of the last hour, so the hourly mail limit does not hold back the next.</summary>
    private Task<int> ForgetRecentSignUpsAsync(string email) =>
        TestApi.ScalarAsync<int>(api, "with moved as (update signup_requests set created_at = now() - interval '2 hours' where email_normalized = @e returning 1) select count(*)::int from moved", ("e", email));

    [Fact]
    public async Task Lock_length_doubles_with_each_further_failure()
    {
        var a = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient();
        var lengths = new List<double>();
        for (var i = 0; i < ApiFixture.LockoutThreshold + 1; i++)
        {
            // Expire any lock first so each failure is counted as a real attempt.
            await using (var owner = await api.OpenOwnerAsync())
            await using (var expire = new Npgsql.NpgsqlCommand("update users set locked_until = null where id = @u", owner))
            {
                expire.Parameters.AddWithValue("u", a.OwnerId);
                await expire.ExecuteNonQueryAsync();
            }
            using var wrong = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/signin", new { email = a.OwnerEmail, password = "wrong-password" });
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            lengths.Add(await TestApi.ScalarAsync<double>(api, "select coalesce(extract(epoch from locked_until - now())::float8, 0) from users where id = @u", ("u", a.OwnerId)));
        }
        Assert.All(lengths.Take(ApiFixture.LockoutThreshold - 1), l => Assert.Equal(0, l));
        Assert.True(lengths[^1] > lengths[^2] * 1.5, $"lock lengths {string.Join(", ", lengths)} should double");
    }

    [Fact]
    public async Task Unknown_email_and_wrong_password_get_the_same_answer()
    {
        var a = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient();
        using var unknown = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/signin", new { email = TestApi.UniqueEmail("nobody"), password = "some-password-1" });
        using var wrong = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/signin", new { email = a.OwnerEmail, password = "some-password-1" });
        Assert.Equal(unknown.StatusCode, wrong.StatusCode);
        var u = await unknown.ReadJsonAsync();
        var w = await wrong.ReadJsonAsync();
        foreach (var field in new[] { "type", "title", "status", "detail" })
        {
            Assert.Equal(u.GetProperty(field).ToString(), w.GetProperty(field).ToString());
        }
        Assert.False(u.TryGetProperty("errors", out _));
    }

    [Fact]
    public async Task A_user_in_two_tenants_must_pick_one_and_gets_a_token_for_that_one_only()
    {
        var a = await TestApi.SignUpAsync(api);
        var b = await TestApi.SignUpAsync(api);
        // A's owner is invited into B as a viewer and joins with their existing password.
        var token = await TestApi.InviteAsync(api, b.Owner.AccessToken, a.OwnerEmail, Roles.Viewer);
        using var client = api.CreateClient();
        using (var accept = await TestApi.Send(client, HttpMethod.Post, "/api/v1/invitations/accept", new { token, password = a.OwnerPassword }))
        {
            Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        }
        using (var ambiguous = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/signin", new { email = a.OwnerEmail, password = a.OwnerPassword }))
        {
            Assert.Equal(HttpStatusCode.Conflict, ambiguous.StatusCode);
            var tenants = (await ambiguous.ReadJsonAsync()).GetProperty("tenants").EnumerateArray().Select(t => t.GetProperty("tenantId").GetGuid()).ToHashSet();
            Assert.Equal(new HashSet<Guid> { a.Id, b.Id }, tenants);
        }
        var inB = await TestApi.SignInAsync(api, a.OwnerEmail, a.OwnerPassword, b.Id);
        Assert.Equal(b.Id, inB.TenantId);
        Assert.Equal(Roles.Viewer, inB.Role);
        using var bClient = api.CreateClient(inB.AccessToken);
        using var me = await TestApi.Send(bClient, HttpMethod.Get, "/api/v1/auth/me");
        var json = await me.ReadJsonAsync();
        Assert.Equal(b.Id, json.GetProperty("tenantId").GetGuid());
        Assert.Equal(Roles.Viewer, json.GetProperty("role").GetString());
    }

    [Fact]
    public async Task The_first_operator_comes_from_configuration_and_a_second_setup_does_nothing()
    {
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from users where is_platform_operator"));
        await using var other = api.CreateFactory(new Dictionary<string, string?>
        {
            ["Setup:OperatorEmail"] = "second-operator@deepsim.test",
            ["Setup:OperatorPassword"] = "another-password-1",
        });
        using (var client = other.CreateClient())
        using (await client.GetAsync(new Uri("/alive", UriKind.Relative)))
        {
        }
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from users where is_platform_operator"));
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from users where email_normalized = 'second-operator@deepsim.test'"));
        var op = await TestApi.OperatorAsync(api);
        Assert.Equal(Roles.PlatformOperator, op.Role);
        Assert.Null(op.TenantId);
    }

    internal static byte[] Base64UrlDecode(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
