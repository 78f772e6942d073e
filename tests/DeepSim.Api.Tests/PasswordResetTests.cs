using System.Net;
using System.Text.RegularExpressions;

namespace DeepSim.Api.Tests;

/// <summary>"Forgot password" through the mail outbox: no account enumeration, single use, every session ended.</summary>
[Collection(ApiTests.Name)]
public sealed class PasswordResetTests(ApiFixture api)
{
    private const string NewPassword = "a-brand-new-password-42";

    private async Task<string> MailedTokenAsync(string email)
    {
        var body = await TestApi.ScalarAsync<string>(api,
            "select body from mail_outbox where to_address = @e and tenant_id is null order by created_at desc limit 1", ("e", email));
        var match = Regex.Match(body, @"use this token: (\S+)", RegexOptions.None, TimeSpan.FromSeconds(1));
        Assert.True(match.Success, body);
        return match.Groups[1].Value;
    }

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(string url, object body)
    {
        using var client = api.CreateClient();
        using var response = await TestApi.Send(client, HttpMethod.Post, url, body);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Known_and_unknown_addresses_get_the_same_answer_and_only_the_known_one_gets_mail()
    {
        var a = await TestApi.SignUpAsync(api);
        var unknown = TestApi.UniqueEmail("nobody");

        var known = await PostAsync("/api/v1/auth/password-reset", new { email = a.OwnerEmail.ToUpperInvariant() });
        var stranger = await PostAsync("/api/v1/auth/password-reset", new { email = unknown });

        Assert.Equal(HttpStatusCode.Accepted, known.Status);
        Assert.Equal(known, stranger);
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from mail_outbox where to_address = @e and subject like 'Choose a new%'", ("e", a.OwnerEmail)));
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from mail_outbox where to_address = @e and subject like 'Choose a new%'", ("e", unknown)));
        // Only the token's hash is stored.
        var token = await MailedTokenAsync(a.OwnerEmail);
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api,
            "select count(*) from password_resets where position(convert_to(@t, 'UTF8') in token_hash) > 0", ("t", token)));
    }

    [Fact]
    public async Task The_mailed_token_sets_a_new_password_once_and_ends_every_session()
    {
        var a = await TestApi.SignUpAsync(api);
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync("/api/v1/auth/password-reset", new { email = a.OwnerEmail })).Status);
        var token = await MailedTokenAsync(a.OwnerEmail);

        var confirmed = await PostAsync("/api/v1/auth/password-reset/confirm", new { token, password = NewPassword });
        Assert.Equal(HttpStatusCode.NoContent, confirmed.Status);

        // The session from before the reset is over, and the old password is.
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync("/api/v1/auth/refresh", new { refreshToken = a.Owner.RefreshToken })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync("/api/v1/auth/signin", new { email = a.OwnerEmail, password = a.OwnerPassword })).Status);
        var tokens = await TestApi.SignInAsync(api, a.OwnerEmail, NewPassword);
        Assert.Equal(a.Id, tokens.TenantId);

        var again = await PostAsync("/api/v1/auth/password-reset/confirm", new { token, password = "yet-another-password-1" });
        Assert.Equal(HttpStatusCode.BadRequest, again.Status);
        Assert.Contains("\"token\"", again.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_token_is_refused_and_at_most_three_links_are_mailed_an_hour()
    {
        var a = await TestApi.SignUpAsync(api);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await PostAsync("/api/v1/auth/password-reset", new { email = a.OwnerEmail })).Status);
        }
        Assert.Equal(3L, await TestApi.ScalarAsync<long>(api, "select count(*) from mail_outbox where to_address = @e and subject like 'Choose a new%'", ("e", a.OwnerEmail)));

        var token = await MailedTokenAsync(a.OwnerEmail);
        await TestApi.ScalarAsync<int>(api, "update password_resets set expires_at = now() - interval '1 minute' where user_id = @u returning 1", ("u", a.OwnerId));
        var expired = await PostAsync("/api/v1/auth/password-reset/confirm", new { token, password = NewPassword });
        Assert.Equal(HttpStatusCode.BadRequest, expired.Status);
        Assert.Contains("expired", expired.Body, StringComparison.Ordinal);
        // The old password still works: nothing changed.
        await TestApi.SignInAsync(api, a.OwnerEmail, a.OwnerPassword);
    }

    [Fact]
    public async Task Bad_input_names_the_field()
    {
        var noEmail = await PostAsync("/api/v1/auth/password-reset", new { email = "not-an-address" });
        Assert.Equal(HttpStatusCode.BadRequest, noEmail.Status);
        Assert.Contains("\"email\"", noEmail.Body, StringComparison.Ordinal);
        var weak = await PostAsync("/api/v1/auth/password-reset/confirm", new { token = "dsr_x", password = "short" });
        Assert.Equal(HttpStatusCode.BadRequest, weak.Status);
        Assert.Contains("\"password\"", weak.Body, StringComparison.Ordinal);
    }
}
