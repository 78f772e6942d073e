namespace DeepSim.ServiceDefaults;

/// <summary>
/// What every validator of the Api's access tokens must agree on (ADR 0009): issuer, audience, the one algorithm, and
/// where the Api publishes its keys. The Api issues with these; DeepSim.Analytics validates with them.
/// </summary>
public static class AccessTokens
{
    public const string Issuer = "deepsim";
    public const string Audience = "deepsim-api";

    /// <summary>ECDSA P-256 with SHA-256: the only algorithm a token may carry.</summary>
    public const string Algorithm = "ES256";

    public const string DiscoveryPath = "/.well-known/openid-configuration";
    public const string JwksPath = "/.well-known/jwks.json";

    /// <summary>Clocks of the machines involved may differ a little; tokens are short-lived anyway.</summary>
    public static readonly TimeSpan AllowedClockSkew = TimeSpan.FromSeconds(30);
}
