using DeepSim.Api.Audit;
using DeepSim.Api.Infrastructure;
using DeepSim.Api.Mail;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Auth;

public sealed record PasswordResetRequest(string? Email);
public sealed record PasswordResetConfirmRequest(string? Token, string? Password);
public sealed record PasswordResetAccepted(string Detail);

/// <summary>
/// "Forgot password": a single-use link by mail, valid for <see cref="Lifetime"/>. Asking says the same whether or not
/// the address has an account (no way to learn who is a customer), and at most <see cref="MaxOpenPerUser"/> open links
/// are mailed per hour. Setting the new password ends every session of the user and clears a lockout.
/// </summary>
public static class PasswordResetEndpoints
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    public const int MaxOpenPerUser = 3;
    public const string TokenPrefix = "dsr";
    private const string Accepted = "If an account exists for that address, a link to choose a new password is on its way. It is valid for one hour.";

    public static IEndpointRouteBuilder MapPasswordResetEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/auth/password-reset").WithTags("Auth");
        group.MapPost("/", Request).WithName("auth.password-reset.request")
            .WithSummary("Mail a link to choose a new password (answers the same whether or not the address has an account)")
            .RequirePermission(Permission.Anonymous);
        group.MapPost("/confirm", Confirm).WithName("auth.password-reset.confirm")
            .WithSummary("Set a new password with the mailed token; ends every session of the user")
            .RequirePermission(Permission.Anonymous);
        return routes;
    }

    public static async Task<Results<Accepted<PasswordResetAccepted>, ValidationProblem>> Request(
        PasswordResetRequest request, TenantDb db, IOptions<MailSettings> mail, TimeProvider clock, AuditNotes audit, CancellationToken ct)
    {
        var errors = new FieldErrors();
        AuthEndpoints.ValidateEmail(errors, "email", request.Email);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var email = TokenService.NormalizeEmail(request.Email!);
        var now = clock.GetUtcNow();
        var token = TokenService.CreateMailToken(TokenPrefix);
        await db.WithoutTenantAsync(async s =>
        {
            var user = await s.QuerySingleOrDefaultAsync<Guid?>("select id from users where email_normalized = @email", new { email }, ct);
            if (user is not { } id)
            {
                return 0;
            }
            audit.UserId = id;
            var open = await s.ExecuteScalarAsync<long>(
                "select count(*) from password_resets where user_id = @id and used_at is null and created_at > @since",
                new { id, since = (now - TimeSpan.FromHours(1)).UtcDateTime }, ct);
            if (open >= MaxOpenPerUser)
            {
                return 0;
            }
            await s.ExecuteAsync(
                "insert into password_resets (id, user_id, token_hash, created_at, expires_at) values (@rid, @id, @hash, @now, @expires)",
                new { rid = Guid.NewGuid(), id, hash = TokenService.HashOpaqueToken(token), now = now.UtcDateTime, expires = (now + Lifetime).UtcDateTime }, ct);
            var link = mail.Value.WebLink($"account/reset-password?token={Uri.EscapeDataString(token)}");
            await s.ExecuteAsync("select mail_enqueue_platform(@to, @subject, @body)", new
            {
                to = email,
                subject = "Choose a new DeepSim password",
                body = "Someone (we hope you) asked to choose a new password for this DeepSim account. " +
                       $"Within one hour, use this token: {token}" + (link is null ? "" : $"\n\nOr open: {link}") +
                       "\n\nIf it was not you, ignore this mail: your password stays as it is.",
            }, ct);
            return 1;
        }, ct);
        return TypedResults.Accepted((string?)null, new PasswordResetAccepted(Accepted));
    }

    public static async Task<Results<NoContent, ValidationProblem>> Confirm(
        PasswordResetConfirmRequest request, TenantDb db, PasswordHasher hasher, TimeProvider clock, AuditNotes audit, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(request.Token))
        {
            errors.Add("token", "is required");
        }
        AuthEndpoints.ValidatePassword(errors, "password", request.Password);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var hash = hasher.Hash(request.Password!);
        var user = await db.WithoutTenantAsync(async s =>
        {
            var id = await s.QuerySingleOrDefaultAsync<Guid?>(
                """
                update password_resets set used_at = @now
                where token_hash = @hash and used_at is null and expires_at > @now
                returning user_id
                """, new { hash = TokenService.HashOpaqueToken(request.Token!.Trim()), now = clock.GetUtcNow().UtcDateTime }, ct);
            if (id is not { } userId)
            {
                return (Guid?)null;
            }
            await s.ExecuteAsync(
                "update users set password_hash = @hash, failed_sign_ins = 0, locked_until = null, email_verified_at = coalesce(email_verified_at, now()) where id = @userId",
                new { hash, userId }, ct);
            // Every other open link of the user dies with this one.
            await s.ExecuteAsync("update password_resets set used_at = @now where user_id = @userId and used_at is null",
                new { userId, now = clock.GetUtcNow().UtcDateTime }, ct);
            await s.ExecuteAsync("select auth_revoke_user_sessions(@userId)", new { userId }, ct);
            return userId;
        }, ct);
        if (user is null)
        {
            return Problems.Validation("token", "is not valid: it is unknown, already used or expired (links last one hour). Ask for a new one.");
        }
        audit.UserId = user;
        return TypedResults.NoContent();
    }
}
