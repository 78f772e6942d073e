using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeepSim.Api.Auth;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DeepSim.Api.Tests;

/// <summary>ES256 access tokens, the JWKS and discovery document, and what the database lets the app role see of the keys.</summary>
[Collection(ApiTests.Name)]
public sealed class SigningKeyTests(ApiFixture api)
{
    private static async Task<HttpStatusCode> StatusWith(HttpClient client, string bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/flowsheets");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await client.SendAsync(request, timeout.Token);
        return response.StatusCode;
    }

    internal static async Task<JsonElement> JwksAsync(HttpClient client)
    {
        using var response = await TestApi.Send(client, HttpMethod.Get, WellKnownEndpoints.JwksPath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadJsonAsync();
    }

    internal static List<string> Kids(JsonElement jwks) =>
        jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!).ToList();

    [Fact]
    public async Task Access_tokens_are_ES256_signed_by_a_key_the_JWKS_publishes()
    {
        var a = await TestApi.SignUpAsync(api);
        var header = ForgedTokens.Header(a.Owner.AccessToken);
        Assert.Equal("ES256", header.GetProperty("alg").GetString());
        var kid = header.GetProperty("kid").GetString();

        using var client = api.CreateClient();
        using var response = await TestApi.Send(client, HttpMethod.Get, WellKnownEndpoints.JwksPath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("max-age=", response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        var jwks = await response.ReadJsonAsync();
        var jwk = Assert.Single(jwks.GetProperty("keys").EnumerateArray(), k => k.GetProperty("kid").GetString() == kid);
        Assert.Equal("EC", jwk.GetProperty("kty").GetString());
        Assert.Equal("P-256", jwk.GetProperty("crv").GetString());
        Assert.Equal("sig", jwk.GetProperty("use").GetString());
        Assert.Equal("ES256", jwk.GetProperty("alg").GetString());
        // Public keys only: no key in the set carries its private part.
        Assert.All(jwks.GetProperty("keys").EnumerateArray(), k => Assert.False(k.TryGetProperty("d", out _), "a private key was published"));

        // The published key verifies the token's signature, checked here without the Api's library.
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = ForgedTokens.FromBase64Url(jwk.GetProperty("x").GetString()!), Y = ForgedTokens.FromBase64Url(jwk.GetProperty("y").GetString()!) },
        });
        var parts = a.Owner.AccessToken.Split('.');
        Assert.True(ecdsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), ForgedTokens.FromBase64Url(parts[2]), HashAlgorithmName.SHA256));
    }

    [Fact]
    public async Task The_discovery_document_names_the_issuer_and_the_JWKS_anonymously()
    {
        using var client = api.CreateClient();
        using var response = await TestApi.Send(client, HttpMethod.Get, WellKnownEndpoints.DiscoveryPath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var discovery = await response.ReadJsonAsync();
        Assert.Equal(AuthSettings.Issuer, discovery.GetProperty("issuer").GetString());
        var jwksUri = new Uri(discovery.GetProperty("jwks_uri").GetString()!);
        Assert.Equal(WellKnownEndpoints.JwksPath, jwksUri.AbsolutePath);
        using var jwks = await TestApi.Send(client, HttpMethod.Get, jwksUri.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, jwks.StatusCode);
    }

    [Fact]
    public async Task Tokens_with_another_algorithm_than_ES256_are_refused()
    {
        var a = await TestApi.SignUpAsync(api);
        var payload = ForgedTokens.Payload(a.Owner.AccessToken);
        var kid = ForgedTokens.Kid(a.Owner.AccessToken);
        using var client = api.CreateClient();
        var jwk = Assert.Single((await JwksAsync(client)).GetProperty("keys").EnumerateArray(), k => k.GetProperty("kid").GetString() == kid);

        var forged = new Dictionary<string, string>
        {
            ["HS256 with a random key"] = ForgedTokens.Hs256(RandomNumberGenerator.GetBytes(32), kid, payload),
            // Algorithm confusion: the public key, which anyone can read, used as an HMAC secret.
            ["HS256 with the public key as secret"] = ForgedTokens.Hs256(Encoding.UTF8.GetBytes(jwk.GetRawText()), kid, payload),
            ["HS256 with the public x coordinate as secret"] = ForgedTokens.Hs256(ForgedTokens.FromBase64Url(jwk.GetProperty("x").GetString()!), kid, payload),
            // What the removed Auth:SigningKey setting used to be: 32 random bytes, base64.
            ["HS256 with an old-style signing key"] = ForgedTokens.Hs256(Encoding.UTF8.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))), null, payload),
            ["alg none"] = ForgedTokens.None(kid, payload),
            ["alg none without a kid"] = ForgedTokens.None(null, payload),
        };
        foreach (var (what, token) in forged)
        {
            Assert.True(await StatusWith(client, token) == HttpStatusCode.Unauthorized, $"{what} was accepted");
        }
        // The genuine token with the same claims is accepted.
        Assert.Equal(HttpStatusCode.OK, await StatusWith(client, a.Owner.AccessToken));
    }

    [Fact]
    public async Task A_token_without_a_kid_is_refused_even_when_signed_by_the_current_key()
    {
        // Only the key the token names is tried: a kid-less ES256 token cannot be verified, and is not.
        var a = await TestApi.SignUpAsync(api);
        var credentials = api.Factory.Services.GetRequiredService<SigningKeyRing>().CurrentSigningCredentials();
        var current = ((Microsoft.IdentityModel.Tokens.ECDsaSecurityKey)credentials.Key).ECDsa;
        Assert.Equal(credentials.Key.KeyId, ForgedTokens.Kid(a.Owner.AccessToken));
        var payload = ForgedTokens.Payload(a.Owner.AccessToken);
        using var client = api.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith(client, ForgedTokens.Es256(current, null, payload)));
        // The same key under its kid: accepted, so the refusal above was about the missing kid alone.
        Assert.Equal(HttpStatusCode.OK, await StatusWith(client, ForgedTokens.Es256(current, credentials.Key.KeyId, payload)));
    }

    [Fact]
    public async Task The_app_role_cannot_read_or_change_the_signing_keys_directly()
    {
        await using (var owner = await api.OpenOwnerAsync())
        await using (var count = new NpgsqlCommand("select count(*) from signing_keys", owner))
        {
            Assert.True((long)(await count.ExecuteScalarAsync())! >= 1, "the owner sees no signing key: the test would prove nothing");
        }
        await using var app = await api.OpenAppAsync();
        foreach (var sql in new[]
        {
            "select private_key from signing_keys",
            "select kid from signing_keys",
            "update signing_keys set retired_at = now()",
            "delete from signing_keys",
            "insert into signing_keys (kid, public_x, public_y, private_key, created_at, activated_at) values ('x', 'x', 'x', '\\x00', now(), now())",
        })
        {
            await using var command = new NpgsqlCommand(sql, app);
            var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        }
        // What it may call publishes public parts only.
        await using var published = new NpgsqlCommand("select * from signing_keys_published(now())", app);
        await using var reader = await published.ExecuteReaderAsync();
        var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
        Assert.DoesNotContain(columns, c => c.Contains("private", StringComparison.OrdinalIgnoreCase));
        Assert.True(await reader.ReadAsync());
    }

    [Fact]
    public void The_ring_signs_with_ES256_and_names_its_key()
    {
        var ring = api.Factory.Services.GetRequiredService<SigningKeyRing>();
        var credentials = ring.CurrentSigningCredentials();
        Assert.Equal(SigningKeyRing.Algorithm, credentials.Algorithm);
        Assert.Contains(ring.Published, k => k.Kid == credentials.Key.KeyId);
    }
}
