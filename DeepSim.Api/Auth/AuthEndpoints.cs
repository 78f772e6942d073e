using System.Text.RegularExpressions;
using DeepSim.Api.Audit;
using DeepSim.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace DeepSim.Api.Auth;

/// <summary>
/// <c>asOperator</c> or <c>asAnalyst</c> (at most one) asks for a platform token instead of a tenant's: an operator's, or
/// an analyst's (read-only platform analytics), for a person holding that platform role.
/// </summary>
public sealed record SignInRequest(string? Email, string? Password, Guid? TenantId, bool? AsOperator, bool? AsAnalyst);
public sealed record RefreshRequest(string? RefreshToken);
public sealed record TokenResponse(string AccessToken, string TokenType, DateTime ExpiresAt, string? RefreshToken, Guid? TenantId, string Role);
public sealed record TenantChoice(Guid TenantId, string Name, string Slug, string Role);
public sealed record MeResponse(string Kind, Guid? UserId, Guid? ApiKeyId, Guid? TenantId, string? Role, string? Plan, IReadOnlyList<string> Permissions, string? Email, string? DisplayName, bool? EmailVerified);

/// <summary>Sign-in, refresh, sign-out and the caller's own identity (sign-up is <see cref="SignUpEndpoints"/>).</summary>
public static partial class AuthEndpoints
{
    internal const string InvalidCredentialsDetail = "The email or password is incorrect, or the account is temporarily locked.";

    internal sealed record UserRow(Guid Id, string Email, string DisplayName, string? PasswordParameters, bool IsPlatformOperator, int FailedSignIns,
        DateTime? LockedUntil, bool IsPlatformAnalyst);
    private sealed record MembershipRow(Guid TenantId, string TenantName, string TenantSlug, string TenantStatus, string Plan, string Role);
    private sealed record RefreshRow(Guid Id, Guid UserId, Guid FamilyId, byte[] TokenHash, DateTime ExpiresAt, bool Spent);
    private sealed record MemberState(string Status, string Plan, string? Role);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    internal static partial Regex SlugPattern();

    public static RouteGroupBuilder MapAuthEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/auth").WithTags("Auth");
        group.MapPost("/signin", SignIn).WithName("auth.signin").WithSummary("Sign in by email and password to one tenant (or as a platform operator or analyst)")
            // 401 invalid credentials, 403 a tenant not available to the person, 409 several tenants and none chosen.
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict)
            .RequirePermission(Permission.Anonymous);
        group.MapPost("/refresh", Refresh).WithName("auth.refresh").WithSummary("Exchange a refresh token for new tokens (the old one is spent)")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .RequirePermission(Permission.Anonymous);
        group.MapPost("/signout", SignOut).WithName("auth.signout").WithSummary("Revoke the current session and access token")
            .RequirePermission(Permission.Authenticated);
        group.MapGet("/me", Me).WithName("auth.me").WithSummary("Who the caller is: user or API key, tenant, role, permissions")
            .RequirePermission(Permission.Authenticated);
        return group;
    }

    internal static void ValidateEmail(FieldErrors errors, string field, string? email)
    {
        errors.Required(field, email, 254);
        if (!string.IsNullOrWhiteSpace(email) && (email.IndexOf('@', StringComparison.Ordinal) is < 1 || email.Trim().Contains(' ', StringComparison.Ordinal)))
        {
            errors.Add(field, "is not an email address");
        }
    }

    internal static void ValidatePassword(FieldErrors errors, string field, string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            errors.Add(field, "is required");
        }
        else if (password.Length is < PasswordHasher.MinimumPasswordLength or > PasswordHasher.MaximumPasswordLength)
        {
            errors.Add(field, $"must be {PasswordHasher.MinimumPasswordLength} to {PasswordHasher.MaximumPasswordLength} characters");
        }
    }

    private const string UserColumns = """
        id as "Id", email as "Email", display_name as "DisplayName", auth_password_parameters(id) as "PasswordParameters",
        is_platform_operator as "IsPlatformOperator", failed_sign_ins as "FailedSignIns", locked_until as "LockedUntil",
        exists (select 1 from platform_roles r where r.user_id = users.id and r.role = 'analyst') as "IsPlatformAnalyst"
        """;

    internal const string UserByEmailSql = "select " + UserColumns + " from users where email_normalized = @email";
    internal const string UserByIdSql = "select " + UserColumns + " from users where id = @id";

    /// <summary>
    /// An existing user's password check under the lockout: a locked account fails even with the right password, and a
    /// wrong one counts toward the lock. Sign-in and sign-up share it, so neither is a way around the other's limit.
    /// </summary>
    internal static async Task<bool> PasswordAcceptedAsync(
        TenantDb db, PasswordHasher hasher, UserRow user, string password, AuthSettings settings, TimeProvider time, CancellationToken ct)
    {
        var passwordOk = await db.WithoutTenantAsync(s => PasswordMatchesAsync(s, hasher, user.Id, user.PasswordParameters, password, ct), ct);
        if (user.LockedUntil is { } until && until > time.GetUtcNow().UtcDateTime)
        {
            return false;
        }
        if (passwordOk)
        {
            return true;
        }
        // One atomic statement: concurrent failures each count, and each failure past the threshold doubles the lock.
        await db.WithoutTenantAsync(s => s.ExecuteAsync(
            """
            update users set failed_sign_ins = failed_sign_ins + 1,
                   locked_until = case when failed_sign_ins + 1 >= @threshold
                       then now() + make_interval(secs => least(@baseSeconds * power(2, least(failed_sign_ins + 1 - @threshold, 20)), @maxSeconds))
                       else locked_until end
            where id = @id
            """,
            new { threshold = settings.LockoutThreshold, baseSeconds = (double)settings.LockoutBaseSeconds, maxSeconds = (double)settings.LockoutMaxSeconds, id = user.Id }, ct), ct);
        return false;
    }

    /// <summary>
    /// Whether <paramref name="password"/> is the user's: the key is derived here with the stored hash's parameters
    /// (<see cref="UserRow.PasswordParameters"/>) and compared by the database, the only place that reads the stored key.
    /// With no parameters (no such user) the same work and the same round trip are spent, and the answer is false.
    /// </summary>
    internal static async Task<bool> PasswordMatchesAsync(DbScope s, PasswordHasher hasher, Guid userId, string? parameters, string password, CancellationToken ct)
    {
        var derived = hasher.DeriveOrDummy(password, parameters);
        var matches = await s.ExecuteScalarAsync<bool>("select auth_password_matches(@userId, @derived)",
            new { userId = derived is null ? Guid.Empty : userId, derived }, ct);
        return derived is not null && matches;
    }

    public static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> SignIn(
        SignInRequest request, TenantDb db, PasswordHasher hasher, Sessions sessions, IOptions<AuthSettings> options,
        TimeProvider time, AuditNotes audit, CancellationToken ct)
    {
        var errors = new FieldErrors();
        errors.Required("email", request.Email, 254);
        if (string.IsNullOrEmpty(request.Password))
        {
            errors.Add("password", "is required");
        }
        if (request.AsAnalyst == true && request.AsOperator == true)
        {
            errors.Add("asAnalyst", "cannot be combined with asOperator: sign in as one or the other");
        }
        if (request.AsAnalyst == true && request.TenantId is not null)
        {
            errors.Add("asAnalyst", "cannot be combined with tenantId: an analyst's token is for no tenant");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var email = TokenService.NormalizeEmail(request.Email!);
        var user = await db.WithoutTenantAsync(s => s.QuerySingleOrDefaultAsync<UserRow>(UserByEmailSql, new { email }, ct), ct);
        var invalid = Problems.Unauthorized(InvalidCredentialsDetail, ProblemTypes.InvalidCredentials);
        audit.Target = email;
        if (user is null)
        {
            // Same work and round trip as a real check: no timing difference to probe.
            await db.WithoutTenantAsync(s => PasswordMatchesAsync(s, hasher, Guid.Empty, null, request.Password!, ct), ct);
            return invalid;
        }
        if (!await PasswordAcceptedAsync(db, hasher, user, request.Password!, options.Value, time, ct))
        {
            return invalid;
        }
        var memberships = await db.WithoutTenantAsync(async s =>
        {
            await s.ExecuteAsync("update users set failed_sign_ins = 0, locked_until = null where id = @id", new { id = user.Id }, ct);
            return (await s.QueryAsync<MembershipRow>(
                """
                select tenant_id as "TenantId", tenant_name as "TenantName", tenant_slug as "TenantSlug",
                       tenant_status as "TenantStatus", plan as "Plan", role as "Role"
                from auth_user_memberships(@id)
                """, new { id = user.Id }, ct)).ToList();
        }, ct);
        audit.UserId = user.Id;

        if (request.AsAnalyst == true)
        {
            // Asked after the password, so the answer tells nothing to someone without it.
            return user.IsPlatformAnalyst
                ? TypedResults.Ok(ToResponse(sessions.IssuePlatform(user.Id, Actor.KindAnalyst)))
                : Problems.Forbidden("You are not a platform analyst: an operator grants the role.", ProblemTypes.NotPlatformAnalyst);
        }
        if (user.IsPlatformOperator && request.TenantId is null && (request.AsOperator == true || memberships.Count == 0))
        {
            return TypedResults.Ok(ToResponse(sessions.IssuePlatform(user.Id, Actor.KindOperator)));
        }
        if (user.IsPlatformAnalyst && request.TenantId is null && memberships.Count == 0)
        {
            // Nothing else to sign in to (their last tenant was deleted, the role kept them).
            return TypedResults.Ok(ToResponse(sessions.IssuePlatform(user.Id, Actor.KindAnalyst)));
        }
        MembershipRow? chosen;
        if (request.TenantId is { } wanted)
        {
            chosen = memberships.FirstOrDefault(m => m.TenantId == wanted);
        }
        else if (memberships.Count == 1)
        {
            chosen = memberships[0];
        }
        else if (memberships.Count > 1)
        {
            var selection = TypedResults.Problem(
                "You belong to several tenants: sign in again with one tenantId.", statusCode: StatusCodes.Status409Conflict,
                title: "Choose a tenant", type: ProblemTypes.TenantSelectionRequired,
                extensions: new Dictionary<string, object?>
                {
                    ["tenants"] = memberships.Select(m => new TenantChoice(m.TenantId, m.TenantName, m.TenantSlug, m.Role)).ToList(),
                });
            return selection;
        }
        else
        {
            chosen = null;
        }
        if (chosen is null || chosen.TenantStatus != "active")
        {
            return Problems.Forbidden("That tenant is not available to you.", ProblemTypes.TenantUnavailable);
        }
        audit.TenantId = chosen.TenantId;
        var tokens = await db.InTenantAsync(chosen.TenantId, s => sessions.StartAsync(s, user.Id, chosen.Role, chosen.Plan, ct), ct);
        return TypedResults.Ok(ToResponse(tokens));
    }

    public static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> Refresh(
        RefreshRequest request, TenantDb db, Sessions sessions, TimeProvider time, AuditNotes audit, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.RefreshToken))
        {
            return Problems.Validation("refreshToken", "is required");
        }
        var token = request.RefreshToken.Trim();
        var invalid = Problems.Unauthorized("The refresh token is not valid.", ProblemTypes.InvalidToken);
        if (!TokenService.TryParseOpaqueToken(token, Sessions.RefreshPrefix, out var tenantId, out var tokenId))
        {
            return invalid;
        }
        var now = time.GetUtcNow().UtcDateTime;
        var outcome = await db.InTenantAsync<object>(tenantId, async s =>
        {
            var row = await s.QuerySingleOrDefaultAsync<RefreshRow>(
                """
                select id as "Id", user_id as "UserId", family_id as "FamilyId", token_hash as "TokenHash", expires_at as "ExpiresAt",
                       (used_at is not null or revoked_at is not null) as "Spent"
                from refresh_tokens where id = @tokenId for update
                """, new { tokenId }, ct);
            if (row is null || !TokenService.OpaqueTokenMatches(token, row.TokenHash))
            {
                return invalid;
            }
            audit.TenantId = tenantId;
            audit.UserId = row.UserId;
            if (row.Spent)
            {
                // A spent token came back: someone holds a copy. End the whole session family (committed).
                await s.ExecuteAsync("update refresh_tokens set revoked_at = now() where family_id = @family and revoked_at is null",
                    new { family = row.FamilyId }, ct);
                audit.Details = new { reuseDetected = true, family = row.FamilyId };
                return Problems.Unauthorized("The refresh token was already used; the session has been revoked.", ProblemTypes.RefreshTokenReused);
            }
            if (row.ExpiresAt <= now)
            {
                return invalid;
            }
            var state = await s.QuerySingleOrDefaultAsync<MemberState>(
                """
                select t.status as "Status", t.plan as "Plan", m.role as "Role"
                from tenants t left join memberships m on m.tenant_id = t.id and m.user_id = @user where t.id = @tenantId
                """, new { user = row.UserId, tenantId }, ct);
            if (state is not { Status: "active", Role: not null })
            {
                return invalid;
            }
            await s.ExecuteAsync("update refresh_tokens set used_at = now() where id = @id", new { id = row.Id }, ct);
            var next = await sessions.AddRefreshTokenAsync(s, row.UserId, row.FamilyId, ct);
            return sessions.Issue(tenantId, row.UserId, state.Role!, state.Plan, row.FamilyId, next);
        }, ct);
        return outcome switch
        {
            IssuedTokens tokens => TypedResults.Ok(ToResponse(tokens)),
            ProblemHttpResult problem => problem,
            _ => throw new InvalidOperationException("unexpected refresh outcome"),
        };
    }

    public static async Task<NoContent> SignOut(HttpContext http, TenantDb db, RevokedTokens revoked, TokenService tokens, TimeProvider time, CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        var hasSession = Guid.TryParse(http.User.FindFirst(ClaimNames.Session)?.Value, out var family);
        if (http.User.FindFirst(ClaimNames.TokenId)?.Value is { } jti)
        {
            try
            {
                await revoked.RevokeAsync(jti, tokens.AccessTokenLifetime);
            }
            catch (Exception ex) when ((actor.IsPlatform || (hasSession && actor.TenantId is not null)) && ex is RedisConnectionException or RedisTimeoutException)
            {
                // Revoking the session family (or recording the platform token) below is enough: every request checks it in the database.
            }
            if (actor.IsPlatform)
            {
                await db.WithoutTenantAsync(s => s.ExecuteAsync("select auth_platform_sign_out(@user, @kind, @jti, @expires)",
                    new { user = actor.UserId, kind = actor.Kind, jti, expires = time.GetUtcNow().UtcDateTime + tokens.AccessTokenLifetime }, ct), ct);
            }
        }
        if (actor.TenantId is { } tenant && hasSession)
        {
            await db.InTenantAsync(tenant, s => s.ExecuteAsync(
                "update refresh_tokens set revoked_at = now() where family_id = @family and revoked_at is null", new { family }, ct), ct);
        }
        return TypedResults.NoContent();
    }

    private sealed record UserInfo(string Email, string DisplayName, DateTime? EmailVerifiedAt);

    public static async Task<Ok<MeResponse>> Me(HttpContext http, TenantDb db, CancellationToken ct) =>
        TypedResults.Ok(await DescribeAsync(Actor.FromPrincipal(http.User), db, ct));

    /// <summary>The caller as <c>GET /api/v1/auth/me</c> shows them (profile edits answer with the same).</summary>
    internal static async Task<MeResponse> DescribeAsync(Actor actor, TenantDb db, CancellationToken ct)
    {
        UserInfo? user = null;
        if (actor.UserId is { } id)
        {
            user = await db.WithoutTenantAsync(s => s.QuerySingleOrDefaultAsync<UserInfo>(
                "select email as \"Email\", display_name as \"DisplayName\", email_verified_at as \"EmailVerifiedAt\" from users where id = @id", new { id }, ct), ct);
        }
        return new MeResponse(actor.Kind, actor.UserId, actor.ApiKeyId, actor.TenantId, actor.Role, actor.Plan,
            actor.Permissions.Select(PermissionTable.Name).Order(StringComparer.Ordinal).ToList(), user?.Email, user?.DisplayName,
            user is null ? null : user.EmailVerifiedAt is not null);
    }

    internal static TokenResponse ToResponse(IssuedTokens tokens) =>
        new(tokens.AccessToken, "Bearer", tokens.AccessTokenExpiresAt, tokens.RefreshToken, tokens.TenantId, tokens.Role);
}
