using DeepSim.Api.Audit;
using DeepSim.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Auth;

public sealed record UpdateProfileRequest(string? DisplayName);
public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

/// <summary>
/// The signed-in person's own profile: their name, and their password. Only a person acts here (<see cref="Permission.ProfileEdit"/>,
/// which no API key can hold). A password change ends every other session of the person in every tenant; the session
/// that asked stays signed in with the tokens it has. An operator's token has no session: a change by an operator
/// ends all their tenant sessions, and other operator tokens lapse with their short lifetime (Auth:AccessTokenMinutes).
/// A wrong current password counts toward the sign-in lockout.
/// </summary>
public static class ProfileEndpoints
{
    public const int DisplayNameMaxLength = 200;
    private const string PersonOnly = "Only a person signed in with their password can do this; an API key cannot.";

    public static IEndpointRouteBuilder MapProfileEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/me").WithTags("Profile");
        group.MapGet("/", AuthEndpoints.Me).WithName("me.get")
            .WithSummary("Who the caller is (the same as /api/v1/auth/me)")
            .RequirePermission(Permission.Authenticated);
        group.MapPatch("/", Update).WithName("me.update")
            .WithSummary("Change the signed-in person's display name")
            .RequirePermission(Permission.ProfileEdit);
        group.MapPost("/password", ChangePassword).WithName("me.password")
            .WithSummary("Change the password (needs the current one); ends every other session of the person")
            .RequirePermission(Permission.ProfileEdit);
        return routes;
    }

    public static async Task<Results<Ok<MeResponse>, ValidationProblem, ProblemHttpResult>> Update(
        UpdateProfileRequest request, HttpContext http, TenantDb db, AuditNotes audit, CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        if (actor.UserId is not { } userId)
        {
            return Problems.Forbidden(PersonOnly);
        }
        var errors = new FieldErrors().Required("displayName", request.DisplayName, DisplayNameMaxLength);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var name = request.DisplayName!.Trim();
        await db.WithoutTenantAsync(s => s.ExecuteAsync("update users set display_name = @name where id = @userId", new { name, userId }, ct), ct);
        audit.Target = userId.ToString();
        return TypedResults.Ok(await AuthEndpoints.DescribeAsync(actor, db, ct));
    }

    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ChangePassword(
        ChangePasswordRequest request, HttpContext http, TenantDb db, PasswordHasher hasher, IOptions<AuthSettings> options,
        TimeProvider time, AuditNotes audit, CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        if (actor is not { IsPerson: true, UserId: { } userId })
        {
            return Problems.Forbidden(PersonOnly);
        }
        // The session to keep; an operator's token has none, so all their tenant sessions end.
        Guid? session = Guid.TryParse(http.User.FindFirst(ClaimNames.Session)?.Value, out var sid) ? sid : null;
        var errors = new FieldErrors();
        if (string.IsNullOrEmpty(request.CurrentPassword))
        {
            errors.Add("currentPassword", "is required");
        }
        AuthEndpoints.ValidatePassword(errors, "newPassword", request.NewPassword);
        if (!errors.Any && request.NewPassword == request.CurrentPassword)
        {
            errors.Add("newPassword", "must differ from the current password");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        audit.Target = userId.ToString();
        var user = await db.WithoutTenantAsync(s => s.QuerySingleOrDefaultAsync<AuthEndpoints.UserRow>(AuthEndpoints.UserByIdSql, new { id = userId }, ct), ct)
            ?? throw new InvalidOperationException("an authenticated user has no users row");
        if (!await AuthEndpoints.PasswordAcceptedAsync(db, hasher, user, request.CurrentPassword!, options.Value, time, ct))
        {
            audit.Details = new { reason = "wrong current password or locked" };
            return Problems.Validation("currentPassword", "is incorrect, or the account is temporarily locked after too many wrong passwords");
        }
        var hash = hasher.Hash(request.NewPassword!);
        var ended = await db.WithoutTenantAsync(async s =>
        {
            await s.ExecuteAsync("update users set password_hash = @hash, failed_sign_ins = 0, locked_until = null where id = @userId",
                new { hash, userId }, ct);
            // A reset link mailed before the change must not undo it.
            await s.ExecuteAsync("update password_resets set used_at = now() where user_id = @userId and used_at is null", new { userId }, ct);
            var n = await s.ExecuteScalarAsync<int>("select auth_revoke_other_sessions(@userId, @session)", new { userId, session }, ct);
            await s.ExecuteAsync("select mail_enqueue_platform(@to, @subject, @body)", new
            {
                to = user.Email,
                subject = "Your DeepSim password was changed",
                body = $"The password of the DeepSim account {user.Email} was changed at {time.GetUtcNow():yyyy-MM-dd HH:mm} UTC, " +
                       "and every other signed-in session was signed out.\n\n" +
                       "If it was not you, choose a new password at once with \"Forgot password\" on the sign-in page.",
            }, ct);
            return n;
        }, ct);
        audit.Details = new { otherSessionsEnded = ended };
        return TypedResults.NoContent();
    }
}
