using DeepSim.Api.Audit;
using DeepSim.Api.Infrastructure;
using DeepSim.Api.Mail;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Auth;

public sealed record EmailVerificationConfirmRequest(string? Token);
public sealed record EmailVerificationSent(string Detail);

/// <summary>
/// Proving an address. Workspaces created by a confirmed sign-up, accepted invitations and password resets prove it on
/// the way; an account from before sign-up by confirmation asks for a link here. At most
/// <see cref="MaxOpenPerUser"/> links an hour, each single-use and valid for <see cref="Lifetime"/>.
/// </summary>
public static class EmailVerificationEndpoints
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);
    public const int MaxOpenPerUser = 3;
    public const string TokenPrefix = "dsv";
    private const string PersonOnly = "Only a person signed in with their password can verify their address; an API key cannot.";

    private sealed record Person(string Email, DateTime? EmailVerifiedAt);

    public static IEndpointRouteBuilder MapEmailVerificationEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/me/email-verification", Send).WithTags("Profile").WithName("me.email-verification")
            .WithSummary("Mail the signed-in person a link that proves their address (409 when it is already verified)")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequirePermission(Permission.ProfileEdit);
        routes.MapPost("/api/v1/auth/verify-email", Confirm).WithTags("Auth").WithName("auth.verify-email")
            .WithSummary("Mark an address verified with the mailed token")
            .RequirePermission(Permission.Anonymous);
        return routes;
    }

    public static async Task<Results<Accepted<EmailVerificationSent>, ProblemHttpResult>> Send(
        HttpContext http, TenantDb db, IOptions<MailSettings> mail, TimeProvider clock, AuditNotes audit, CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        if (actor is not { IsPerson: true, UserId: { } userId })
        {
            return Problems.Forbidden(PersonOnly);
        }
        audit.Target = userId.ToString();
        var now = clock.GetUtcNow();
        var outcome = await db.WithoutTenantAsync(async s =>
        {
            var person = await s.QuerySingleOrDefaultAsync<Person>(
                "select email as \"Email\", email_verified_at as \"EmailVerifiedAt\" from users where id = @userId", new { userId }, ct);
            if (person is null)
            {
                throw new InvalidOperationException("an authenticated user has no users row");
            }
            if (person.EmailVerifiedAt is not null)
            {
                return "verified";
            }
            var open = await s.ExecuteScalarAsync<long>(
                "select count(*) from email_verifications where user_id = @userId and created_at > @since",
                new { userId, since = (now - TimeSpan.FromHours(1)).UtcDateTime }, ct);
            if (open >= MaxOpenPerUser)
            {
                return "limited";
            }
            var token = TokenService.CreateMailToken(TokenPrefix);
            await s.ExecuteAsync(
                "insert into email_verifications (id, user_id, token_hash, created_at, expires_at) values (@id, @userId, @hash, @now, @expires)",
                new { id = Guid.NewGuid(), userId, hash = TokenService.HashOpaqueToken(token), now = now.UtcDateTime, expires = (now + Lifetime).UtcDateTime }, ct);
            var link = mail.Value.WebLink($"account/verify-email?token={Uri.EscapeDataString(token)}");
            await s.ExecuteAsync("select mail_enqueue_platform(@to, @subject, @body)", new
            {
                to = person.Email,
                subject = "Verify your DeepSim address",
                body = $"To prove that {person.Email} is yours, within 24 hours use this token: {token}" + (link is null ? "" : $"\n\nOr open: {link}") +
                       "\n\nIf you did not ask for it, ignore this mail.",
            }, ct);
            return "sent";
        }, ct);
        audit.Details = new { outcome };
        return outcome switch
        {
            "verified" => Problems.Conflict("The address is already verified."),
            "limited" => Problems.TooManyRequests($"At most {MaxOpenPerUser} verification links are mailed an hour; use the newest one, or try again later."),
            _ => TypedResults.Accepted((string?)null, new EmailVerificationSent("A link to verify the address is on its way. It is valid for 24 hours.")),
        };
    }

    public static async Task<Results<NoContent, ValidationProblem>> Confirm(
        EmailVerificationConfirmRequest request, TenantDb db, TimeProvider clock, AuditNotes audit, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Token))
        {
            return Problems.Validation("token", "is required");
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var user = await db.WithoutTenantAsync(async s =>
        {
            var id = await s.QuerySingleOrDefaultAsync<Guid?>(
                """
                update email_verifications set used_at = @now
                where token_hash = @hash and used_at is null and expires_at > @now
                returning user_id
                """, new { hash = TokenService.HashOpaqueToken(request.Token.Trim()), now }, ct);
            if (id is { } userId)
            {
                await s.ExecuteAsync("update users set email_verified_at = coalesce(email_verified_at, @now) where id = @userId", new { userId, now }, ct);
            }
            return id;
        }, ct);
        if (user is null)
        {
            return Problems.Validation("token", "is not valid: it is unknown, already used or expired (links last 24 hours). Ask for a new one.");
        }
        audit.UserId = user;
        return TypedResults.NoContent();
    }
}
