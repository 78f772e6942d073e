using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeepSim.Api.Auth;
using DeepSim.Api.Tests;
using DeepSim.ServiceDefaults;
using DeepSim.TestServers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DeepSim.Analytics.Tests;

/// <summary>
/// Analytics validates the Api's own tokens with the keys from the Api's JWKS (fetched through service discovery from
/// the Api the fixture hosts): a fresh token passes, anything the Api did not sign as ES256 with a published key does not.
/// </summary>
[Collection(AnalyticsTests.Name)]
public sealed class ApiTokenTests(AnalyticsFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);
    private WebApplication? analytics;
    private Uri analyticsUrl = null!;

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    public async Task InitializeAsync()
    {
        // Composed as Program.cs composes it; no service token, so no ingester: only authentication is under test.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ResourceNames.ClickHouse}"] = fixture.ClickHouse.ConnectionString,
            [$"services:{ResourceNames.Api}:http:0"] = fixture.ApiUrl.ToString(),
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        analytics = builder.BuildAnalytics();
        using var timeout = new CancellationTokenSource(Budget);
        await analytics.StartAsync(timeout.Token);
        analyticsUrl = new Uri(analytics.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync()
    {
        if (analytics is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await analytics.StopAsync(timeout.Token);
            await analytics.DisposeAsync();
        }
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> MeAsync(string? bearer)
    {
        using var client = new HttpClient { BaseAddress = analyticsUrl, Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        using var timeout = new CancellationTokenSource(Budget);
        using var response = await client.GetAsync(new Uri("/api/v1/analytics/me", UriKind.Relative), timeout.Token);
        var text = await response.Content.ReadAsStringAsync(timeout.Token);
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<(Guid TenantId, string AccessToken)> SignUpAsync()
    {
        using var client = fixture.Client();
        using var timeout = new CancellationTokenSource(Budget);
        var slug = ("a-" + Guid.NewGuid().ToString("N"))[..30];
        var email = $"{slug}@example.test";
        var json = await SignUps.SignUpAsync(client, new { tenantName = "Analytics " + slug, slug, email, password = "correct-horse-battery", displayName = "Owner" }, email,
            SignUps.FromOutbox(fixture.OpenOwnerAsync), timeout.Token);
        return (json.GetProperty("tenantId").GetGuid(), json.GetProperty("accessToken").GetString()!);
    }

    [Fact]
    public async Task A_fresh_Api_token_is_accepted_and_names_the_caller()
    {
        var (tenantId, token) = await SignUpAsync();
        var (status, body) = await MeAsync(token);
        Assert.Equal(HttpStatusCode.OK, status);
        var payload = JsonDocument.Parse(ForgedTokens.Payload(token)).RootElement;
        Assert.Equal(payload.GetProperty("sub").GetString(), body.GetProperty("userId").GetString());
        Assert.Equal(tenantId, body.GetProperty("tenantId").GetGuid());
        Assert.Equal("owner", body.GetProperty("role").GetString());
    }

    [Fact]
    public async Task Without_a_token_the_caller_endpoint_is_401()
    {
        var (status, _) = await MeAsync(null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task Expired_tampered_and_foreign_tokens_are_refused()
    {
        var (tenantId, token) = await SignUpAsync();
        var ring = fixture.ApiServices.GetRequiredService<SigningKeyRing>();
        var payload = ForgedTokens.Payload(token);
        var kid = ForgedTokens.Kid(token);
        var userId = Guid.Parse(JsonDocument.Parse(payload).RootElement.GetProperty("sub").GetString()!);
        using var foreign = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parts = token.Split('.');

        var refused = new Dictionary<string, string>
        {
            // Signed by the Api's current key, but two hours ago: long expired.
            ["expired"] = new TokenService(Options.Create(new AuthSettings()), ring, new FixedTime(DateTimeOffset.UtcNow.AddHours(-2)))
                .CreateAccessToken(new AccessTokenSubject(userId, tenantId, Roles.Owner, "free", null, Actor.KindUser)).Token,
            ["tampered"] = string.Join('.', parts[0], ForgedTokens.Base64Url(Encoding.UTF8.GetBytes(ForgedTokens.WithClaim(payload, "role", "admin"))), parts[2]),
            ["HS256 with a random key"] = ForgedTokens.Hs256(RandomNumberGenerator.GetBytes(32), kid, payload),
            ["alg none"] = ForgedTokens.None(kid, payload),
            ["foreign EC key under the Api's kid"] = ForgedTokens.Es256(foreign, kid, payload),
            ["foreign EC key under its own kid"] = ForgedTokens.Es256(foreign, "foreign-" + Guid.NewGuid().ToString("N"), payload),
            ["wrong audience"] = ForgedTokens.Es256(((Microsoft.IdentityModel.Tokens.ECDsaSecurityKey)ring.CurrentSigningCredentials().Key).ECDsa, kid, ForgedTokens.WithClaim(payload, "aud", "someone-else")),
        };
        foreach (var (what, forged) in refused)
        {
            var (status, _) = await MeAsync(forged);
            Assert.True(status == HttpStatusCode.Unauthorized, $"{what}: {status}");
        }
        // The genuine token still passes: the refusals were about the forgeries.
        Assert.Equal(HttpStatusCode.OK, (await MeAsync(token)).Status);
    }

    [Fact]
    public async Task A_key_the_Api_publishes_later_is_fetched_on_its_first_unknown_kid()
    {
        var (_, token) = await SignUpAsync();
        Assert.Equal(HttpStatusCode.OK, (await MeAsync(token)).Status); // Analytics has fetched the JWKS by now.

        // A key published now that signs only tomorrow, as a rotation leaves it; the test holds its private half.
        using var next = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var point = next.ExportParameters(false).Q;
        var kid = "test-" + Guid.NewGuid().ToString("N");
        await using (var owner = await fixture.OpenOwnerAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(owner,
                "insert into signing_keys (kid, public_x, public_y, private_key, created_at, activated_at) values (@kid, @x, @y, @key, now(), now() + interval '1 day')",
                new { kid, x = ForgedTokens.Base64Url(point.X!), y = ForgedTokens.Base64Url(point.Y!), key = next.ExportPkcs8PrivateKey() });
        }
        try
        {
            using (var reload = new CancellationTokenSource(Budget))
            {
                await fixture.ApiServices.GetRequiredService<SigningKeyRing>().ReloadAsync(reload.Token);
            }
            var signedByNext = ForgedTokens.Es256(next, kid, ForgedTokens.Payload(token));
            // The first call meets an unknown kid and makes Analytics fetch the JWKS again; a later call is accepted.
            var status = HttpStatusCode.Unauthorized;
            for (var attempt = 0; attempt < 20 && status != HttpStatusCode.OK; attempt++)
            {
                status = (await MeAsync(signedByNext)).Status;
                if (status != HttpStatusCode.OK)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250));
                }
            }
            Assert.Equal(HttpStatusCode.OK, status);
        }
        finally
        {
            await using var owner = await fixture.OpenOwnerAsync();
            await Dapper.SqlMapper.ExecuteAsync(owner, "delete from signing_keys where kid = @kid", new { kid });
            using var reload = new CancellationTokenSource(Budget);
            await fixture.ApiServices.GetRequiredService<SigningKeyRing>().ReloadAsync(reload.Token);
        }
    }
}
