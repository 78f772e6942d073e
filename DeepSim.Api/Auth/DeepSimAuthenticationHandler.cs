using System.Security.Claims;
using System.Text.Encodings.Web;
using DeepSim.Api.Audit;
using DeepSim.Api.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DeepSim.Api.Auth;

/// <summary>
/// Bearer authentication for JWT access tokens and API keys. Beyond the signature it checks, on every request,
/// that the token was not signed out (Redis), that its session family is not revoked, that the tenant is active
/// and that the user is still a member, taking the role from the database: suspension, removal, demotion and
/// revocation apply at once, not when the token expires. An API key holds at most what its creator's current role
/// allows, and nothing once its creator has left the tenant.
/// </summary>
public sealed class DeepSimAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenService tokens,
    TenantDb db,
    RevokedTokens revoked,
    IProblemDetailsService problems,
    AuditWriter audit)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "DeepSim";
    public const string ApiKeyPrefix = "dsk";
    private const string BearerPrefix = "Bearer ";
    private const string InternalPathPrefix = "/internal";

    private sealed record TenantState(string Status, string Plan, string? Role, bool SessionRevoked);
    private sealed record ApiKeyRow(byte[] KeyHash, string Permissions, bool Revoked, string Status, string Plan, string? CreatorRole);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        // Internal worker endpoints carry the service token, which their own filter checks; it is no user's credential.
        if (header is null || !header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            || Request.Path.StartsWithSegments(InternalPathPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        var token = header[BearerPrefix.Length..].Trim();
        return token.StartsWith(ApiKeyPrefix + "_", StringComparison.Ordinal)
            ? await AuthenticateApiKeyAsync(token)
            : await AuthenticateJwtAsync(token);
    }

    private async Task<AuthenticateResult> AuthenticateJwtAsync(string token)
    {
        var identity = await tokens.ValidateAccessTokenAsync(token, Context.RequestAborted);
        if (identity is null
            || !Guid.TryParse(identity.FindFirst(ClaimNames.Subject)?.Value, out var userId)
            || identity.FindFirst(ClaimNames.TokenId)?.Value is not { } tokenId)
        {
            return AuthenticateResult.Fail("invalid token");
        }
        var signedOut = await revoked.IsRevokedAsync(tokenId, Context.RequestAborted);
        if (signedOut == true)
        {
            return AuthenticateResult.Fail("token revoked");
        }
        var kind = identity.FindFirst(ClaimNames.Kind)?.Value;
        var ct = Context.RequestAborted;
        if (kind is Actor.KindOperator or Actor.KindAnalyst)
        {
            // A platform token's sign-out is recorded in PostgreSQL as well as in Redis, so this holds while Redis cannot
            // answer; and the grant itself is asked for, so a revoked analyst (or operator) is refused at once.
            var stillValid = await db.WithoutTenantAsync(
                s => s.ExecuteScalarAsync<bool>("select auth_platform_token_valid(@u, @k, @t)", new { u = userId, k = kind, t = tokenId }, ct), ct);
            var role = Actor.PlatformRole(kind);
            return stillValid
                ? Success(userId, null, null, role, null, PermissionTable.For(role).Select(PermissionTable.Name), kind, null, tokenId)
                : AuthenticateResult.Fail($"no longer a platform {kind}, or signed out");
        }
        if (kind != Actor.KindUser || !Guid.TryParse(identity.FindFirst(ClaimNames.Tenant)?.Value, out var tenantId))
        {
            return AuthenticateResult.Fail("invalid token");
        }
        var sessionId = Guid.TryParse(identity.FindFirst(ClaimNames.Session)?.Value, out var sid) ? sid : Guid.Empty;
        // With Redis down, a tenant user's sign-out is still seen: it revokes the session family checked below.
        if (signedOut is null && sessionId == Guid.Empty)
        {
            return AuthenticateResult.Fail("the revocation list is unavailable");
        }
        var state = await db.InTenantAsync(tenantId, s => s.QuerySingleOrDefaultAsync<TenantState>(
            """
            select t.status as "Status", t.plan as "Plan", m.role as "Role",
                   exists (select 1 from refresh_tokens r where r.family_id = @session and r.revoked_at is not null) as "SessionRevoked"
            from tenants t left join memberships m on m.tenant_id = t.id and m.user_id = @user
            where t.id = @tenant
            """, new { tenant = tenantId, user = userId, session = sessionId }, ct), ct);
        if (state is null || state.Status != "active" || state.Role is null || state.SessionRevoked)
        {
            return AuthenticateResult.Fail("tenant, membership or session no longer valid");
        }
        return Success(userId, null, tenantId, state.Role, state.Plan, PermissionTable.For(state.Role).Select(PermissionTable.Name),
            Actor.KindUser, sessionId == Guid.Empty ? null : sessionId, tokenId);
    }

    private async Task<AuthenticateResult> AuthenticateApiKeyAsync(string token)
    {
        if (!TokenService.TryParseOpaqueToken(token, ApiKeyPrefix, out var tenantId, out var keyId))
        {
            return AuthenticateResult.Fail("invalid API key");
        }
        var ct = Context.RequestAborted;
        var row = await db.InTenantAsync(tenantId, async s =>
        {
            var key = await s.QuerySingleOrDefaultAsync<ApiKeyRow>(
                """
                select k.key_hash as "KeyHash", array_to_string(k.permissions, ',') as "Permissions", k.revoked_at is not null as "Revoked",
                       t.status as "Status", t.plan as "Plan", m.role as "CreatorRole"
                from api_keys k join tenants t on t.id = k.tenant_id
                     left join memberships m on m.tenant_id = k.tenant_id and m.user_id = k.created_by
                where k.id = @id
                """, new { id = keyId }, ct);
            // A key acts for its creator: once they have left the tenant, it acts for no one.
            if (key is { Revoked: false, Status: "active", CreatorRole: not null } && TokenService.OpaqueTokenMatches(token, key.KeyHash))
            {
                await s.ExecuteAsync("update api_keys set last_used_at = now() where id = @id", new { id = keyId }, ct);
                return key;
            }
            return null;
        }, ct);
        return row is null
            ? AuthenticateResult.Fail("invalid API key")
            : Success(null, keyId, tenantId, null, row.Plan, EffectiveApiKeyPermissions(row.Permissions, row.CreatorRole!), Actor.KindApiKey, null, null);
    }

    /// <summary>A key never does more than its creator may do now: its stored permissions cut by the creator's current role.</summary>
    internal static IEnumerable<string> EffectiveApiKeyPermissions(string stored, string creatorRole)
    {
        var allowed = PermissionTable.For(creatorRole);
        return stored.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Where(name => PermissionTable.TryParse(name, out var permission) && allowed.Contains(permission));
    }

    private static AuthenticateResult Success(Guid? userId, Guid? apiKeyId, Guid? tenantId, string? role, string? plan,
        IEnumerable<string> permissions, string kind, Guid? sessionId, string? tokenId)
    {
        var claims = new List<Claim> { new(ClaimNames.Kind, kind) };
        if (userId is { } u) claims.Add(new Claim(ClaimNames.Subject, u.ToString()));
        if (apiKeyId is { } k) claims.Add(new Claim(ClaimNames.ApiKey, k.ToString()));
        if (tenantId is { } t) claims.Add(new Claim(ClaimNames.Tenant, t.ToString()));
        if (role is not null) claims.Add(new Claim(ClaimNames.Role, role));
        if (plan is not null) claims.Add(new Claim(ClaimNames.Plan, plan));
        if (sessionId is { } sid) claims.Add(new Claim(ClaimNames.Session, sid.ToString()));
        if (tokenId is not null) claims.Add(new Claim(ClaimNames.TokenId, tokenId));
        claims.AddRange(permissions.Select(p => new Claim(ClaimNames.Permission, p)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName, ClaimNames.Subject, ClaimNames.Role));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        if (AuditWriter.IsStateChanging(Context))
        {
            await audit.RecordAsync(Context, StatusCodes.Status401Unauthorized);
        }
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = 401, Title = "Unauthorized", Type = ProblemTypes.Unauthorized, Detail = "Valid credentials are required." },
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        if (AuditWriter.IsStateChanging(Context))
        {
            await audit.RecordAsync(Context, StatusCodes.Status403Forbidden);
        }
        // Say which permission was missing, so a client can tell the person what to ask their admin for.
        var required = Context.GetEndpoint()?.Metadata.GetMetadata<RequiredPermission>()?.Permission;
        var details = new ProblemDetails
        {
            Status = 403, Title = "Forbidden", Type = ProblemTypes.Forbidden,
            Detail = required is { } p ? $"Your role does not allow this: it needs the permission '{PermissionTable.Name(p)}'." : "Your role does not allow this.",
        };
        if (required is { } permission)
        {
            details.Extensions["requiredPermission"] = PermissionTable.Name(permission);
        }
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = Context, ProblemDetails = details });
    }
}

/// <summary>
/// Signed-out access tokens, kept in Redis until they would have expired anyway. Calls go through
/// <see cref="RedisCircuit"/>: bounded, never an exception for Redis trouble.
/// While Redis is unavailable the check answers "unknown" and the handler fails safe per kind of token: a tenant user's
/// token with a session, and a platform (operator or analyst) token, is accepted when it is otherwise valid, because
/// sign-out also revokes the session family (or records the platform token) in PostgreSQL, which every request checks; a token
/// without either is refused. Each unknown answer is logged and counted (the circuit's counters, /health).
/// </summary>
public sealed partial class RevokedTokens(RedisCircuit redis, ILogger<RevokedTokens> logger)
{
    private static string Key(string tokenId) => "deepsim:revoked-token:" + tokenId;

    /// <summary>Whether the token was signed out; null when Redis cannot answer (the caller decides what that means).</summary>
    public async Task<bool?> IsRevokedAsync(string tokenId, CancellationToken requestAborted = default)
    {
        var (ok, exists) = await redis.TryAsync(db => db.KeyExistsAsync(Key(tokenId)), requestAborted);
        if (ok)
        {
            return exists;
        }
        LogRedisUnavailable(logger, redis.State);
        return null;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Revoked-token list unavailable (circuit {State}); relying on the database's session revocation")]
    private static partial void LogRedisUnavailable(ILogger logger, RedisCircuitState state);

    /// <summary>
    /// Records a sign-out. Throws <see cref="RedisConnectionException"/> (answered 503) when Redis cannot take it, so
    /// a caller with nothing else to revoke reports the failure instead of a sign-out that did not happen.
    /// </summary>
    public async Task RevokeAsync(string tokenId, TimeSpan remaining)
    {
        var (ok, _) = await redis.TryAsync(db => db.StringSetAsync(Key(tokenId), "1", remaining > TimeSpan.Zero ? remaining : TimeSpan.FromSeconds(1)));
        if (!ok)
        {
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "the revoked-token list is unavailable");
        }
    }
}
