using System.Text.Json.Serialization;
using DeepSim.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Api.Auth;

/// <summary>
/// The public half of the signing key ring (ADR 0009): the JWKS and a minimal discovery document, anonymous, for
/// validators such as DeepSim.Analytics. Outside the OpenAPI description like the other non-/api routes.
/// </summary>
public static class WellKnownEndpoints
{
    public const string JwksPath = AccessTokens.JwksPath;
    public const string DiscoveryPath = AccessTokens.DiscoveryPath;

    // Short: a validator sees a new key within minutes, far inside the publish delay.
    private const string CacheControl = "public, max-age=300";

    public sealed record Jwk(
        [property: JsonPropertyName("kty")] string Kty,
        [property: JsonPropertyName("crv")] string Crv,
        [property: JsonPropertyName("x")] string X,
        [property: JsonPropertyName("y")] string Y,
        [property: JsonPropertyName("kid")] string Kid,
        [property: JsonPropertyName("use")] string Use,
        [property: JsonPropertyName("alg")] string Alg);

    public sealed record JwkSet([property: JsonPropertyName("keys")] IReadOnlyList<Jwk> Keys);

    public sealed record Discovery(
        [property: JsonPropertyName("issuer")] string Issuer,
        [property: JsonPropertyName("jwks_uri")] string JwksUri,
        [property: JsonPropertyName("id_token_signing_alg_values_supported")] IReadOnlyList<string> SigningAlgorithms);

    public static IEndpointRouteBuilder MapWellKnownEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(JwksPath, GetJwks).WithName("GetJwks").AllowAnonymous().ExcludeFromDescription();
        routes.MapGet(DiscoveryPath, GetDiscovery).WithName("GetOpenIdConfiguration").AllowAnonymous().ExcludeFromDescription();
        return routes;
    }

    internal static JsonHttpResult<JwkSet> GetJwks(SigningKeyRing ring, HttpContext context)
    {
        context.Response.Headers.CacheControl = CacheControl;
        var keys = ring.Published.Select(k => new Jwk("EC", "P-256", k.X, k.Y, k.Kid, "sig", SigningKeyRing.Algorithm)).ToList();
        return TypedResults.Json(new JwkSet(keys), contentType: "application/jwk-set+json");
    }

    internal static Ok<Discovery> GetDiscovery(HttpContext context)
    {
        context.Response.Headers.CacheControl = CacheControl;
        // The JWKS is named at the address the caller reached us by (through service discovery, a proxy's Host header).
        var request = context.Request;
        var jwksUri = $"{request.Scheme}://{request.Host}{request.PathBase}{JwksPath}";
        return TypedResults.Ok(new Discovery(AuthSettings.Issuer, jwksUri, [SigningKeyRing.Algorithm]));
    }
}
