using DeepSim.Api.Infrastructure;

namespace DeepSim.Api.Auth;

/// <summary>Starts and rotates sign-in sessions: a refresh-token family per sign-in, one live token at a time.</summary>
public sealed class Sessions(TokenService tokens, TimeProvider time)
{
    public const string RefreshPrefix = "rt";

    /// <summary>Inside the tenant's transaction: a new refresh-token family and an access token for it.</summary>
    public async Task<IssuedTokens> StartAsync(DbScope scope, Guid userId, string role, string plan, CancellationToken ct)
    {
        var familyId = Guid.NewGuid();
        var refresh = await AddRefreshTokenAsync(scope, userId, familyId, ct);
        return Issue(scope.RequireTenant(), userId, role, plan, familyId, refresh);
    }

    public async Task<string> AddRefreshTokenAsync(DbScope scope, Guid userId, Guid familyId, CancellationToken ct)
    {
        var tenant = scope.RequireTenant();
        var id = Guid.NewGuid();
        var token = TokenService.CreateOpaqueToken(RefreshPrefix, tenant, id);
        await scope.ExecuteAsync(
            """
            insert into refresh_tokens (id, tenant_id, user_id, family_id, token_hash, expires_at)
            values (@id, @tenant, @userId, @familyId, @hash, @expires)
            """,
            new { id, tenant, userId, familyId, hash = TokenService.HashOpaqueToken(token), expires = time.GetUtcNow().UtcDateTime + tokens.RefreshTokenLifetime },
            ct);
        return token;
    }

    public IssuedTokens Issue(Guid tenantId, Guid userId, string role, string plan, Guid familyId, string refreshToken)
    {
        var (access, expires) = tokens.CreateAccessToken(new AccessTokenSubject(userId, tenantId, role, plan, familyId, Actor.KindUser));
        return new IssuedTokens(access, expires, refreshToken, tenantId, role);
    }

    /// <summary>A platform token (kind operator or analyst): no tenant, no refresh token, no session family.</summary>
    public IssuedTokens IssuePlatform(Guid userId, string kind)
    {
        var role = Actor.PlatformRole(kind);
        var (access, expires) = tokens.CreateAccessToken(new AccessTokenSubject(userId, null, role, null, null, kind));
        return new IssuedTokens(access, expires, null, null, role);
    }
}
