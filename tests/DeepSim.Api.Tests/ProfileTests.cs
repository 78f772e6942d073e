using System.Net;

namespace DeepSim.Api.Tests;

/// <summary>The person's own profile: display name and password change (/api/v1/me).</summary>
[Collection(ApiTests.Name)]
public sealed class ProfileTests(ApiFixture api)
{
    private const string NewPassword = "a-changed-password-77";

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(string bearer, HttpMethod method, string url, object body)
    {
        using var client = api.CreateClient(bearer);
        using var response = await TestApi.Send(client, method, url, body);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private Task<(HttpStatusCode Status, string Body)> ChangeAsync(string bearer, string current, string next) =>
        SendAsync(bearer, HttpMethod.Post, "/api/v1/me/password", new { currentPassword = current, newPassword = next });

    private async Task<HttpStatusCode> MeStatusAsync(string bearer)
    {
        using var client = api.CreateClient(bearer);
        using var response = await TestApi.Send(client, HttpMethod.Get, "/api/v1/me");
        return response.StatusCode;
    }

    [Fact]
    public async Task The_display_name_changes_and_me_shows_it()
    {
        var a = await TestApi.SignUpAsync(api);

        var updated = await SendAsync(a.Owner.AccessToken, HttpMethod.Patch, "/api/v1/me", new { displayName = "  Ada Lovelace " });

        Assert.Equal(HttpStatusCode.OK, updated.Status);
        Assert.Contains("\"displayName\":\"Ada Lovelace\"", updated.Body, StringComparison.Ordinal);
        using var client = api.CreateClient(a.Owner.AccessToken);
        using var me = await TestApi.Send(client, HttpMethod.Get, "/api/v1/auth/me");
        Assert.Equal("Ada Lovelace", (await me.ReadJsonAsync()).GetProperty("displayName").GetString());
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api,
            "select count(*) from audit_log where tenant_id = @t and actor_user_id = @u and action = 'me.update' and outcome = 'success'",
            ("t", a.Id), ("u", a.OwnerId)));
    }

    [Fact]
    public async Task A_bad_display_name_is_refused_at_its_field_and_nothing_changes()
    {
        var a = await TestApi.SignUpAsync(api);
        var before = await TestApi.ScalarAsync<string>(api, "select display_name from users where id = @u", ("u", a.OwnerId));

        var nul = await SendAsync(a.Owner.AccessToken, HttpMethod.Patch, "/api/v1/me", new { displayName = "Ada\0" });
        var blank = await SendAsync(a.Owner.AccessToken, HttpMethod.Patch, "/api/v1/me", new { displayName = "  " });
        var tooLong = await SendAsync(a.Owner.AccessToken, HttpMethod.Patch, "/api/v1/me", new { displayName = new string('x', 201) });

        foreach (var refused in new[] { nul, blank, tooLong })
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
            Assert.Contains("\"displayName\"", refused.Body, StringComparison.Ordinal);
        }
        Assert.Contains("NUL", nul.Body, StringComparison.Ordinal);
        Assert.Equal(before, await TestApi.ScalarAsync<string>(api, "select display_name from users where id = @u", ("u", a.OwnerId)));
    }

    [Fact]
    public async Task A_password_change_ends_the_other_sessions_keeps_this_one_mails_and_audits()
    {
        var a = await TestApi.SignUpAsync(api);
        var other = await TestApi.SignInAsync(api, a.OwnerEmail, a.OwnerPassword);

        var changed = await ChangeAsync(a.Owner.AccessToken, a.OwnerPassword, NewPassword);

        Assert.Equal(HttpStatusCode.NoContent, changed.Status);
        // This session goes on (its access token and its refresh token); the other one is over at once.
        Assert.Equal(HttpStatusCode.OK, await MeStatusAsync(a.Owner.AccessToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await MeStatusAsync(other.AccessToken));
        using var anonymous = api.CreateClient();
        using (var refreshOther = await TestApi.Send(anonymous, HttpMethod.Post, "/api/v1/auth/refresh", new { refreshToken = other.RefreshToken }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refreshOther.StatusCode);
        }
        using (var refreshThis = await TestApi.Send(anonymous, HttpMethod.Post, "/api/v1/auth/refresh", new { refreshToken = a.Owner.RefreshToken }))
        {
            Assert.Equal(HttpStatusCode.OK, refreshThis.StatusCode);
        }
        // The old password no longer signs in; the new one does.
        using (var old = await TestApi.Send(anonymous, HttpMethod.Post, "/api/v1/auth/signin", new { email = a.OwnerEmail, password = a.OwnerPassword }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        }
        await TestApi.SignInAsync(api, a.OwnerEmail, NewPassword);

        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api,
            "select count(*) from mail_outbox where to_address = @e and subject like '%password was changed%'", ("e", a.OwnerEmail)));
        var details = await TestApi.ScalarAsync<string>(api,
            "select details::text from audit_log where tenant_id = @t and actor_user_id = @u and action = 'me.password' and outcome = 'success'",
            ("t", a.Id), ("u", a.OwnerId));
        Assert.Contains("\"otherSessionsEnded\": 1", details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_current_password_is_refused_at_its_field_counts_toward_the_lockout_and_is_audited()
    {
        var a = await TestApi.SignUpAsync(api);
        var other = await TestApi.SignInAsync(api, a.OwnerEmail, a.OwnerPassword);

        var wrong = await ChangeAsync(a.Owner.AccessToken, "not-my-password-at-all", NewPassword);

        Assert.Equal(HttpStatusCode.BadRequest, wrong.Status);
        Assert.Contains("\"currentPassword\"", wrong.Body, StringComparison.Ordinal);
        Assert.Equal(1, await TestApi.ScalarAsync<int>(api, "select failed_sign_ins from users where id = @u", ("u", a.OwnerId)));
        Assert.Equal(HttpStatusCode.OK, await MeStatusAsync(other.AccessToken));
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api,
            "select count(*) from mail_outbox where to_address = @e and subject like '%password was changed%'", ("e", a.OwnerEmail)));
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api,
            "select count(*) from audit_log where tenant_id = @t and action = 'me.password' and outcome = 'failure' and status_code = 400",
            ("t", a.Id)));
        await TestApi.SignInAsync(api, a.OwnerEmail, a.OwnerPassword);
    }

    [Fact]
    public async Task A_weak_or_missing_new_password_is_refused_at_its_field_and_the_password_stays()
    {
        var a = await TestApi.SignUpAsync(api);

        var weak = await ChangeAsync(a.Owner.AccessToken, a.OwnerPassword, "short");
        var same = await ChangeAsync(a.Owner.AccessToken, a.OwnerPassword, a.OwnerPassword);
        var missing = await SendAsync(a.Owner.AccessToken, HttpMethod.Post, "/api/v1/me/password", new { newPassword = NewPassword });
        var nul = await ChangeAsync(a.Owner.AccessToken, a.OwnerPassword, "long-enough\0password");

        Assert.Equal(HttpStatusCode.BadRequest, weak.Status);
        Assert.Contains("\"newPassword\"", weak.Body, StringComparison.Ordinal);
        Assert.Contains("10 to 256 characters", weak.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, same.Status);
        Assert.Contains("\"newPassword\"", same.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Contains("\"currentPassword\"", missing.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, nul.Status);
        Assert.Contains("\"newPassword\"", nul.Body, StringComparison.Ordinal);
        await TestApi.SignInAsync(api, a.OwnerEmail, a.OwnerPassword);
    }

    [Fact]
    public async Task An_api_key_can_neither_change_the_password_nor_the_profile()
    {
        var a = await TestApi.SignUpAsync(api);
        var secret = await ApiKeysTests.CreateKeyAsync(api, a.Owner.AccessToken, ["flowsheets.read"]);

        var password = await ChangeAsync(secret, a.OwnerPassword, NewPassword);
        var profile = await SendAsync(secret, HttpMethod.Patch, "/api/v1/me", new { displayName = "Robot" });

        Assert.Equal(HttpStatusCode.Forbidden, password.Status);
        Assert.Equal(HttpStatusCode.Forbidden, profile.Status);
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api,
            "select count(*) from audit_log where tenant_id = @t and action = 'me.password' and actor_kind = 'api_key' and outcome = 'denied'",
            ("t", a.Id)));
        await TestApi.SignInAsync(api, a.OwnerEmail, a.OwnerPassword);
    }
}
