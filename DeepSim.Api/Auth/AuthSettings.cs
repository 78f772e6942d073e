using DeepSim.ServiceDefaults;

namespace DeepSim.Api.Auth;

/// <summary>The <c>Auth</c> configuration section.</summary>
public sealed class AuthSettings
{
    public const string Section = "Auth";

    /// <summary>Token for internal service calls (<c>Auth:ServiceToken</c>); used by the worker endpoints.</summary>
    public string? ServiceToken { get; set; }

    public int AccessTokenMinutes { get; set; } = 15;
    public int RefreshTokenDays { get; set; } = 30;
    public int InvitationDays { get; set; } = 7;

    /// <summary>PBKDF2-HMAC-SHA256 iterations for new hashes; OWASP (2023) recommends 600,000.</summary>
    public int Pbkdf2Iterations { get; set; } = 600_000;

    /// <summary>Failed sign-ins in a row before the account locks.</summary>
    public int LockoutThreshold { get; set; } = 5;

    /// <summary>First lock length; each further failure doubles it up to <see cref="LockoutMaxSeconds"/>.</summary>
    public int LockoutBaseSeconds { get; set; } = 30;
    public int LockoutMaxSeconds { get; set; } = 3600;

    /// <summary>A new signing key is made when the newest is this old (ADR 0009).</summary>
    public int SigningKeyRotationDays { get; set; } = 30;

    /// <summary>
    /// How long a new key is in the JWKS before it signs, so validators that cached the JWKS have fetched it by then;
    /// longer than any validator's metadata refresh (JwtBearer's automatic refresh defaults to 12 hours).
    /// </summary>
    public int SigningKeyPublishDelayMinutes { get; set; } = 1440;

    /// <summary>How often each Api instance reloads the key ring and rotates when due.</summary>
    public int SigningKeyCheckSeconds { get; set; } = 60;

    public static readonly TimeSpan AllowedClockSkew = AccessTokens.AllowedClockSkew;

    public const string Issuer = AccessTokens.Issuer;
    public const string Audience = AccessTokens.Audience;

    public TimeSpan AccessTokenLifetime => TimeSpan.FromMinutes(AccessTokenMinutes);

    /// <summary>A retired key stays published until every token it signed has expired.</summary>
    public TimeSpan SigningKeyRetention => AccessTokenLifetime + AllowedClockSkew;
}
