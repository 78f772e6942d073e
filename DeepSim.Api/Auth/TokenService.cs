using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DeepSim.Api.Auth;

/// <summary>What an access token says: the caller, its one tenant (none for an operator), role and permissions.</summary>
public sealed record AccessTokenSubject(Guid UserId, Guid? TenantId, string Role, string? Plan, Guid? SessionId, string Kind);

public sealed record IssuedTokens(string AccessToken, DateTime AccessTokenExpiresAt, string? RefreshToken, Guid? TenantId, string Role);

/// <summary>Issues and validates JWT access tokens and the opaque tokens (refresh, invitation, API key).</summary>
public sealed class TokenService
{
    private static readonly TimeSpan AllowedClockSkew = AuthSettings.AllowedClockSkew;
    private const int OpaqueSecretBytes = 32;

    private readonly AuthSettings settings;
    private readonly SigningKeyRing keys;
    private readonly JsonWebTokenHandler handler = new() { MapInboundClaims = false };
    private readonly TimeProvider time;

    public TokenService(IOptions<AuthSettings> options, SigningKeyRing keys, TimeProvider time)
    {
        settings = options.Value;
        this.keys = keys;
        this.time = time;
    }

    public TimeSpan AccessTokenLifetime => TimeSpan.FromMinutes(settings.AccessTokenMinutes);
    public TimeSpan RefreshTokenLifetime => TimeSpan.FromDays(settings.RefreshTokenDays);

    public (string Token, DateTime ExpiresAt) CreateAccessToken(AccessTokenSubject subject)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var expires = now + AccessTokenLifetime;
        var claims = new Dictionary<string, object>
        {
            [ClaimNames.Subject] = subject.UserId.ToString(),
            [ClaimNames.Kind] = subject.Kind,
            [ClaimNames.Role] = subject.Role,
            [ClaimNames.TokenId] = Guid.NewGuid().ToString("N"),
            [ClaimNames.Permission] = PermissionTable.For(subject.Role).Select(PermissionTable.Name).Order(StringComparer.Ordinal).ToArray(),
        };
        if (subject.TenantId is { } tenant)
        {
            claims[ClaimNames.Tenant] = tenant.ToString();
        }
        if (subject.Plan is { } plan)
        {
            claims[ClaimNames.Plan] = plan;
        }
        if (subject.SessionId is { } session)
        {
            claims[ClaimNames.Session] = session.ToString();
        }
        var token = handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AuthSettings.Issuer,
            Audience = AuthSettings.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = expires,
            Claims = claims,
            SigningCredentials = keys.CurrentSigningCredentials(),
        });
        return (token, expires);
    }

    /// <summary>
    /// Signature (ES256 only, by a key the JWKS publishes, found by kid), issuer, audience and lifetime; returns the
    /// token's claims or null.
    /// </summary>
    public async Task<ClaimsIdentity?> ValidateAccessTokenAsync(string token, CancellationToken cancellationToken = default)
    {
        string? kid;
        try
        {
            kid = handler.CanReadToken(token) ? handler.ReadJsonWebToken(token).Kid : null;
        }
        catch (SecurityTokenMalformedException)
        {
            return null;
        }
        if (kid is not null && keys.FindKey(kid) is null)
        {
            await keys.ReloadForUnknownKidAsync(cancellationToken);
        }
        var result = await handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = AuthSettings.Issuer,
            ValidAudience = AuthSettings.Audience,
            // Only the key the token names: no trying every key, and a token without a kid has none.
            IssuerSigningKeyResolver = (_, _, keyId, _) => keys.FindKey(keyId) is { } key ? [key] : [],
            ValidAlgorithms = [SigningKeyRing.Algorithm],
            TryAllIssuerSigningKeys = false,
            ClockSkew = AllowedClockSkew,
            RequireExpirationTime = true,
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                return expires is { } e && e.ToUniversalTime() + AllowedClockSkew > now
                    && (notBefore is not { } nb || nb.ToUniversalTime() - AllowedClockSkew <= now);
            },
        });
        return result.IsValid ? result.ClaimsIdentity : null;
    }

    /// <summary>
    /// An opaque token that names its tenant in clear (so it can be looked up under that tenant's row-level security)
    /// followed by a random secret: <c>{prefix}_{tenant}_{id}_{secret}</c>. Only its SHA-256 is stored.
    /// </summary>
    public static string CreateOpaqueToken(string prefix, Guid tenantId, Guid id) =>
        string.Join('_', prefix, tenantId.ToString("N"), id.ToString("N"), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(OpaqueSecretBytes)));

    public static bool TryParseOpaqueToken(string? token, string prefix, out Guid tenantId, out Guid id)
    {
        tenantId = id = Guid.Empty;
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }
        var parts = token.Split('_');
        return parts.Length == 4 && parts[0] == prefix && parts[3].Length > 0
            && Guid.TryParseExact(parts[1], "N", out tenantId)
            && Guid.TryParseExact(parts[2], "N", out id);
    }

    /// <summary>
    /// A single-use token for a mailed link (password reset, sign-up, verification): the prefix and 32 random bytes in hex.
    /// Only its <see cref="HashOpaqueToken"/> is stored; the outbox drops it from a mail once sent (mail_redact_tokens).
    /// </summary>
    public static string CreateMailToken(string prefix) => $"{prefix}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))}";

    public static byte[] HashOpaqueToken(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public static bool OpaqueTokenMatches(string token, byte[] storedHash) =>
        CryptographicOperations.FixedTimeEquals(HashOpaqueToken(token), storedHash);

    public static string NormalizeEmail(string email) => email.Trim().ToLower(CultureInfo.InvariantCulture);
}
