using DeepSim.Api.Audit;
using DeepSim.Api.Infrastructure;
using DeepSim.Api.Mail;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DeepSim.Api.Auth;

public sealed record SignUpRequest(string? TenantName, string? Slug, string? Email, string? Password, string? DisplayName);
public sealed record SignUpConfirmRequest(string? Token);
public sealed record SignUpAccepted(string Detail);

/// <summary>
/// Sign-up by confirmation. Asking stores a request and mails a single-use link, and answers the same (202) whether the
/// address is new, already has an account, or is locked: sign-up tells nobody who is a customer. Confirming the link
/// creates the workspace with its owner (and the account, when the address had none), proves the address and signs the
/// owner in. An existing account founds another workspace only with its own password, checked under the sign-in lockout
/// when asking; a wrong one gets the address a notice instead of a link.
/// </summary>
public static class SignUpEndpoints
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);
    /// <summary>At most this many sign-up mails (links or notices) go to one address per hour.</summary>
    public const int MaxMailsPerHour = 3;
    public const string TokenPrefix = "dss";
    internal const string AcceptedDetail =
        "Check your mail: a link to confirm the new workspace is on its way to that address. It is valid for 24 hours.";

    private sealed record PendingRow(Guid Id, string TenantName, string Slug, Guid? ExistingUserId);

    public static IEndpointRouteBuilder MapSignUpEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/auth/signup").WithTags("Auth");
        group.MapPost("/", Request).WithName("auth.signup")
            .WithSummary("Ask for a new workspace and its owner: mails a confirmation link (answers the same whether or not the address has an account)")
            .RequirePermission(Permission.Anonymous);
        group.MapPost("/confirm", Confirm).WithName("auth.signup.confirm")
            .WithSummary("Create the workspace with the mailed token, and sign its owner in")
            // 409: the address got an account between asking and confirming.
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequirePermission(Permission.Anonymous);
        return routes;
    }

    public static async Task<Results<Accepted<SignUpAccepted>, ValidationProblem>> Request(
        SignUpRequest request, TenantDb db, PasswordHasher hasher, IOptions<AuthSettings> auth, IOptions<MailSettings> mail,
        TimeProvider clock, AuditNotes audit, CancellationToken ct)
    {
        var errors = new FieldErrors()
            .Required("tenantName", request.TenantName, 200)
            .Required("slug", request.Slug, 63)
            .Required("displayName", request.DisplayName, 200);
        if (!string.IsNullOrWhiteSpace(request.Slug) && !AuthEndpoints.SlugPattern().IsMatch(request.Slug))
        {
            errors.Add("slug", "must be 3-63 lowercase letters, digits or hyphens, not starting or ending with a hyphen");
        }
        AuthEndpoints.ValidateEmail(errors, "email", request.Email);
        AuthEndpoints.ValidatePassword(errors, "password", request.Password);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        // Workspace addresses are public (they are in every link), so a taken one is said at once; the address is not.
        if (await db.WithoutTenantAsync(s => s.ExecuteScalarAsync<bool>("select tenant_slug_taken(@slug)", new { slug = request.Slug }, ct), ct))
        {
            return Problems.Validation("slug", "is already taken");
        }
        var email = TokenService.NormalizeEmail(request.Email!);
        audit.Target = email;
        var existing = await db.WithoutTenantAsync(s => s.QuerySingleOrDefaultAsync<AuthEndpoints.UserRow>(AuthEndpoints.UserByEmailSql, new { email }, ct), ct);
        // The same work on every path (one password hash or one verification), so timing does not tell them apart either.
        var accepted = existing is not null && await AuthEndpoints.PasswordAcceptedAsync(db, hasher, existing, request.Password!, auth.Value, clock, ct);
        var passwordHash = existing is null ? hasher.Hash(request.Password!) : null;
        var now = clock.GetUtcNow();
        await db.WithoutTenantAsync(async s =>
        {
            var recent = await s.ExecuteScalarAsync<long>(
                "select count(*) from signup_requests where email_normalized = @email and created_at > @since",
                new { email, since = (now - TimeSpan.FromHours(1)).UtcDateTime }, ct);
            if (recent >= MaxMailsPerHour)
            {
                audit.Details = new { mailed = false, reason = "hourly limit for the address" };
                return 0;
            }
            var linked = existing is null || accepted;
            var token = linked ? TokenService.CreateMailToken(TokenPrefix) : null;
            await s.ExecuteAsync(
                """
                insert into signup_requests (id, email_normalized, token_hash, tenant_name, slug, display_name, password_hash, existing_user_id, created_at, expires_at)
                values (@id, @email, @hash, @tenantName, @slug, @displayName, @passwordHash, @existingUserId, @now, @expires)
                """,
                new
                {
                    id = Guid.NewGuid(), email, hash = token is null ? null : TokenService.HashOpaqueToken(token),
                    tenantName = request.TenantName!.Trim(), slug = request.Slug, displayName = request.DisplayName!.Trim(), passwordHash,
                    existingUserId = existing?.Id, now = now.UtcDateTime, expires = (now + Lifetime).UtcDateTime,
                }, ct);
            var (subject, body) = token is null ? Notice(mail.Value) : Confirmation(mail.Value, token, request.TenantName!.Trim(), request.Slug!);
            await s.ExecuteAsync("select mail_enqueue_platform(@to, @subject, @body)", new { to = email, subject, body }, ct);
            audit.Details = new { mailed = true };
            return 1;
        }, ct);
        return TypedResults.Accepted((string?)null, new SignUpAccepted(AcceptedDetail));
    }

    private static (string Subject, string Body) Confirmation(MailSettings mail, string token, string tenantName, string slug)
    {
        var link = mail.WebLink($"account/confirm?token={Uri.EscapeDataString(token)}");
        return ("Confirm your new DeepSim workspace",
            $"Someone (we hope you) asked to create the DeepSim workspace \"{tenantName}\" ({slug}) with this address. " +
            $"Within 24 hours, confirm it with this token: {token}" + (link is null ? "" : $"\n\nOr open: {link}") +
            "\n\nIf it was not you, ignore this mail: nothing is created.");
    }

    private static (string Subject, string Body) Notice(MailSettings mail)
    {
        var reset = mail.WebLink("account/forgot-password");
        return ("Someone tried to sign up to DeepSim with your address",
            "Someone asked to create a DeepSim workspace with this address. It already has a DeepSim account, and the password " +
            "given was not its password (or the account is locked for a while after wrong passwords), so nothing was created.\n\n" +
            "If it was you: sign up again with your account's password, or choose a new one" + (reset is null ? "." : $" at {reset}") +
            "\nIf it was not you, ignore this mail: your account is unchanged.");
    }

    public static async Task<Results<Created<TokenResponse>, ValidationProblem, ProblemHttpResult>> Confirm(
        SignUpConfirmRequest request, TenantDb db, Sessions sessions, TimeProvider clock, AuditNotes audit, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Token))
        {
            return Problems.Validation("token", "is required");
        }
        var tenantId = Guid.NewGuid();
        var now = clock.GetUtcNow().UtcDateTime;
        try
        {
            // One transaction: the token is spent only if the workspace is created, so a failure leaves it usable.
            var created = await db.InTenantAsync(tenantId, async s =>
            {
                var pending = await s.QuerySingleOrDefaultAsync<PendingRow>(
                    """
                    update signup_requests set used_at = @now
                    where token_hash = @hash and used_at is null and expires_at > @now
                    returning id as "Id", tenant_name as "TenantName", slug as "Slug",
                              existing_user_id as "ExistingUserId"
                    """, new { hash = TokenService.HashOpaqueToken(request.Token.Trim()), now }, ct);
                if (pending is null)
                {
                    return ((Guid UserId, IssuedTokens Tokens)?)null;
                }
                await s.ExecuteAsync("insert into tenants (id, name, slug) values (@tenantId, @name, @slug)",
                    new { tenantId, name = pending.TenantName, slug = pending.Slug }, ct);
                var userId = pending.ExistingUserId ?? Guid.NewGuid();
                if (pending.ExistingUserId is null)
                {
                    // The request's password hash is not readable here: the database moves it into the account.
                    if (!await s.ExecuteScalarAsync<bool>("select signup_create_account(@id, @userId, @now)", new { id = pending.Id, userId, now }, ct))
                    {
                        throw new InvalidOperationException($"sign-up request {pending.Id} was spent but created no account");
                    }
                }
                else
                {
                    await s.ExecuteAsync("update users set email_verified_at = coalesce(email_verified_at, @now) where id = @userId", new { userId, now }, ct);
                }
                await s.ExecuteAsync("insert into memberships (tenant_id, user_id, role) values (@tenantId, @userId, 'owner')",
                    new { tenantId, userId }, ct);
                await Outbox.AddWithTenantStateAsync(s, "tenant.created", new { tenantId, plan = "free", ownerUserId = userId }, ct);
                return (userId, await sessions.StartAsync(s, userId, Roles.Owner, "free", ct));
            }, ct);
            if (created is not { } done)
            {
                return Problems.Validation("token", "is not valid: it is unknown, already used or expired (links last 24 hours). Sign up again.");
            }
            audit.TenantId = tenantId;
            audit.UserId = done.UserId;
            audit.Target = tenantId.ToString();
            return TypedResults.Created("/api/v1/tenant", AuthEndpoints.ToResponse(done.Tokens));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return ex.ConstraintName == "tenants_slug_key"
                ? Problems.Validation("slug", "was taken by another workspace since you signed up: sign up again with another address")
                : Problems.Conflict("The address has an account now: sign up again with that account's password.");
        }
    }
}
