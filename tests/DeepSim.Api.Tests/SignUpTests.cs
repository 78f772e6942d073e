using System.Net;
using DeepSim.Api.Auth;
using Npgsql;

namespace DeepSim.Api.Tests;

/// <summary>
/// Sign-up by confirmation (issue 15, item 6): asking tells nobody whether an address is registered, the mailed link
/// creates the workspace once, and addresses end up verified.
/// </summary>
[Collection(ApiTests.Name)]
public sealed class SignUpTests(ApiFixture api)
{
    private static object Request(string email, string password = TestApi.Password, string? slug = null) =>
        new { tenantName = "Confirmed Co", slug = slug ?? TestApi.UniqueSlug("conf"), email, password, displayName = "Grace" };

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(string url, object body)
    {
        using var client = api.CreateClient();
        using var response = await TestApi.Send(client, HttpMethod.Post, url, body);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private Task<long> CountAsync(string sql, params (string, object)[] args) => TestApi.ScalarAsync<long>(api, sql, args);

    [Fact]
    public async Task New_registered_and_wrong_password_addresses_get_the_same_answer_and_nothing_is_created_before_confirming()
    {
        var a = await TestApi.SignUpAsync(api);
        var fresh = TestApi.UniqueEmail("fresh");
        var tenantsBefore = await CountAsync("select count(*) from tenants");

        var forNew = await PostAsync("/api/v1/auth/signup", Request(fresh));
        var forExisting = await PostAsync("/api/v1/auth/signup", Request(a.OwnerEmail));
        var forWrongPassword = await PostAsync("/api/v1/auth/signup", Request(a.OwnerEmail, "not-the-owners-password"));

        Assert.Equal(HttpStatusCode.Accepted, forNew.Status);
        Assert.Equal(forNew, forExisting);
        Assert.Equal(forNew, forWrongPassword);
        Assert.Equal(tenantsBefore, await CountAsync("select count(*) from tenants"));
        Assert.Equal(0L, await CountAsync("select count(*) from users where email_normalized = @e", ("e", fresh)));

        // The new address and the right password get a link; the wrong password gets a notice without one.
        Assert.Equal(1L, await CountAsync("select count(*) from mail_outbox where to_address = @e", ("e", fresh)));
        // The owner's address: its own first sign-up link, the second link and the notice.
        Assert.Equal(3L, await CountAsync("select count(*) from mail_outbox where to_address = @e and tenant_id is null", ("e", a.OwnerEmail)));
        Assert.Equal(1L, await CountAsync("select count(*) from mail_outbox where to_address = @e and subject like 'Someone tried%' and body not like '%dss\\_%'", ("e", a.OwnerEmail)));
        // Only the token's hash is stored.
        var token = await TestApi.MailedTokenAsync(api, fresh, SignUpEndpoints.TokenPrefix);
        Assert.Equal(0L, await CountAsync("select count(*) from signup_requests where position(convert_to(@t, 'UTF8') in token_hash) > 0", ("t", token)));
    }

    [Fact]
    public async Task The_mailed_link_creates_the_workspace_once_signs_the_owner_in_and_verifies_the_address()
    {
        var email = TestApi.UniqueEmail("linked");
        var slug = TestApi.UniqueSlug("linked");
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync("/api/v1/auth/signup", Request(email, slug: slug))).Status);
        var token = await TestApi.MailedTokenAsync(api, email, SignUpEndpoints.TokenPrefix);

        using var client = api.CreateClient();
        using var confirmed = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/signup/confirm", new { token });
        Assert.Equal(HttpStatusCode.Created, confirmed.StatusCode);
        var tokens = TestApi.ToTokens(await confirmed.ReadJsonAsync());
        Assert.Equal("owner", tokens.Role);
        Assert.Equal(slug, await TestApi.ScalarAsync<string>(api, "select slug from tenants where id = @t", ("t", tokens.TenantId!.Value)));

        using var me = api.CreateClient(tokens.AccessToken);
        using var described = await TestApi.Send(me, HttpMethod.Get, "/api/v1/auth/me");
        var json = await described.ReadJsonAsync();
        Assert.Equal(email, json.GetProperty("email").GetString());
        Assert.True(json.GetProperty("emailVerified").GetBoolean());
        // The password given when asking is the account's password.
        await TestApi.SignInAsync(api, email, TestApi.Password);

        var again = await PostAsync("/api/v1/auth/signup/confirm", new { token });
        Assert.Equal(HttpStatusCode.BadRequest, again.Status);
        Assert.Contains("\"token\"", again.Body, StringComparison.Ordinal);
        Assert.Equal(1L, await CountAsync("select count(*) from tenants where slug = @s", ("s", slug)));
    }

    [Fact]
    public async Task A_pending_sign_ups_password_hash_is_unreadable_by_the_application_role_and_gone_once_confirmed()
    {
        var email = TestApi.UniqueEmail("hashed");
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync("/api/v1/auth/signup", Request(email))).Status);
        Assert.Equal(1L, await CountAsync("select count(*) from signup_requests where email_normalized = @e and password_hash is not null", ("e", email)));

        await using (var app = await api.OpenAppAsync())
        {
            foreach (var sql in new[] { "select password_hash from signup_requests limit 1", "select * from signup_requests limit 1" })
            {
                await using var command = new NpgsqlCommand(sql, app);
                var denied = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());
                Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
            }
            // Nor can it make an account out of a request nobody confirmed.
            await using var create = new NpgsqlCommand(
                "select signup_create_account((select id from signup_requests where email_normalized = @e), gen_random_uuid(), now())", app);
            create.Parameters.AddWithValue("e", email);
            Assert.Equal(false, await create.ExecuteScalarAsync());
        }
        Assert.Equal(0L, await CountAsync("select count(*) from users where email_normalized = @e", ("e", email)));

        Assert.Equal(HttpStatusCode.Created, (await PostAsync("/api/v1/auth/signup/confirm",
            new { token = await TestApi.MailedTokenAsync(api, email, SignUpEndpoints.TokenPrefix) })).Status);
        Assert.Equal(0L, await CountAsync("select count(*) from signup_requests where email_normalized = @e and password_hash is not null", ("e", email)));
        await TestApi.SignInAsync(api, email, TestApi.Password);
    }

    [Fact]
    public async Task Expired_and_unknown_tokens_are_refused_with_the_field_and_a_taken_slug_is_said_at_once()
    {
        var email = TestApi.UniqueEmail("late");
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync("/api/v1/auth/signup", Request(email))).Status);
        var token = await TestApi.MailedTokenAsync(api, email, SignUpEndpoints.TokenPrefix);
        await TestApi.ScalarAsync<int>(api, "update signup_requests set expires_at = now() - interval '1 minute' where email_normalized = @e returning 1", ("e", email));
        var expired = await PostAsync("/api/v1/auth/signup/confirm", new { token });
        Assert.Equal(HttpStatusCode.BadRequest, expired.Status);
        Assert.Contains("\"token\"", expired.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync("/api/v1/auth/signup/confirm", new { token = "dss_" + new string('0', 64) })).Status);
        Assert.Contains("\"token\"", (await PostAsync("/api/v1/auth/signup/confirm", new { token = "" })).Body, StringComparison.Ordinal);
        Assert.Equal(0L, await CountAsync("select count(*) from users where email_normalized = @e", ("e", email)));

        var a = await TestApi.SignUpAsync(api);
        var taken = await PostAsync("/api/v1/auth/signup", Request(TestApi.UniqueEmail("squatter"), slug: a.Slug));
        Assert.Equal(HttpStatusCode.BadRequest, taken.Status);
        Assert.Contains("\"slug\"", taken.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slug_taken_between_asking_and_confirming_leaves_the_token_unspent()
    {
        var slug = TestApi.UniqueSlug("race");
        var first = TestApi.UniqueEmail("first");
        var second = TestApi.UniqueEmail("second");
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync("/api/v1/auth/signup", Request(first, slug: slug))).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync("/api/v1/auth/signup", Request(second, slug: slug))).Status);
        Assert.Equal(HttpStatusCode.Created, (await PostAsync("/api/v1/auth/signup/confirm",
            new { token = await TestApi.MailedTokenAsync(api, first, SignUpEndpoints.TokenPrefix) })).Status);

        var late = await PostAsync("/api/v1/auth/signup/confirm", new { token = await TestApi.MailedTokenAsync(api, second, SignUpEndpoints.TokenPrefix) });
        Assert.Equal(HttpStatusCode.BadRequest, late.Status);
        Assert.Contains("\"slug\"", late.Body, StringComparison.Ordinal);
        Assert.Equal(0L, await CountAsync("select count(*) from users where email_normalized = @e", ("e", second)));
        Assert.Equal(1L, await CountAsync("select count(*) from signup_requests where email_normalized = @e and used_at is null", ("e", second)));
    }

    [Fact]
    public async Task At_most_three_sign_up_mails_an_hour_go_to_one_address()
    {
        var email = TestApi.UniqueEmail("flooded");
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await PostAsync("/api/v1/auth/signup", Request(email))).Status);
        }
        Assert.Equal((long)SignUpEndpoints.MaxMailsPerHour, await CountAsync("select count(*) from mail_outbox where to_address = @e", ("e", email)));
    }

    [Fact]
    public async Task An_unverified_account_verifies_its_address_with_a_mailed_link_once()
    {
        var a = await TestApi.SignUpAsync(api);
        // An account from before sign-up by confirmation.
        await TestApi.ScalarAsync<int>(api, "update users set email_verified_at = null where id = @u returning 1", ("u", a.OwnerId));
        using var owner = api.CreateClient(a.Owner.AccessToken);
        using (var described = await TestApi.Send(owner, HttpMethod.Get, "/api/v1/me"))
        {
            Assert.False((await described.ReadJsonAsync()).GetProperty("emailVerified").GetBoolean());
        }
        using (var sent = await TestApi.Send(owner, HttpMethod.Post, "/api/v1/me/email-verification"))
        {
            Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        }
        var token = await TestApi.MailedTokenAsync(api, a.OwnerEmail, EmailVerificationEndpoints.TokenPrefix);
        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync("/api/v1/auth/verify-email", new { token })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync("/api/v1/auth/verify-email", new { token })).Status);
        using (var described = await TestApi.Send(owner, HttpMethod.Get, "/api/v1/me"))
        {
            Assert.True((await described.ReadJsonAsync()).GetProperty("emailVerified").GetBoolean());
        }
        using (var again = await TestApi.Send(owner, HttpMethod.Post, "/api/v1/me/email-verification"))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }
    }

    [Fact]
    public async Task Verification_links_are_limited_to_three_an_hour_and_an_invited_member_is_verified_by_accepting()
    {
        var a = await TestApi.SignUpAsync(api);
        await TestApi.ScalarAsync<int>(api, "update users set email_verified_at = null where id = @u returning 1", ("u", a.OwnerId));
        using var owner = api.CreateClient(a.Owner.AccessToken);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var sent = await TestApi.Send(owner, HttpMethod.Post, "/api/v1/me/email-verification");
            statuses.Add(sent.StatusCode);
        }
        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], statuses);

        var member = await TestApi.AddMemberAsync(api, a, "viewer");
        Assert.Equal(1L, await CountAsync("select count(*) from users where id = @u and email_verified_at is not null", ("u", member.UserId)));
    }
}
