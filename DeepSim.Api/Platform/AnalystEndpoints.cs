using DeepSim.Api.Audit;
using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Api.Platform;

/// <summary>A person holding the platform analyst role.</summary>
public sealed record PlatformAnalyst(Guid UserId, string Email, string DisplayName, DateTime GrantedAt, Guid? GrantedBy);

public sealed record GrantAnalystRequest(string? Email);

/// <summary>
/// Platform operators grant and revoke the platform analyst role (read-only platform analytics, signed in with
/// <c>asAnalyst</c>). Through the platform role's SECURITY DEFINER functions, which re-check the operator and audit the
/// change in the same transaction, like every other operator action. A revocation holds at once: authentication asks
/// the database on every analyst request.
/// </summary>
public static class AnalystEndpoints
{
    private const string Columns = """
        user_id as "UserId", email as "Email", display_name as "DisplayName", granted_at as "GrantedAt", granted_by as "GrantedBy"
        """;

    public static IEndpointRouteBuilder MapAnalystEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/platform/analysts").WithTags("Platform");
        group.MapGet("/", List).WithName("platform.analysts.list").WithSummary("Everyone holding the platform analyst role, oldest grant first")
            .RequirePermission(Permission.PlatformAnalysts);
        group.MapPost("/", Grant).WithName("platform.analysts.grant")
            .WithSummary("Grant the platform analyst role to an existing person by email (granting it again changes nothing)")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequirePermission(Permission.PlatformAnalysts);
        group.MapDelete("/{userId:guid}", Revoke).WithName("platform.analysts.revoke")
            .WithSummary("Revoke a person's platform analyst role: their analyst tokens stop working at once")
            .RequirePermission(Permission.PlatformAnalysts);
        return routes;
    }

    private static string? Client(HttpContext http) => http.Connection.RemoteIpAddress?.ToString();

    public static async Task<Ok<List<PlatformAnalyst>>> List(HttpContext http, PlatformDb db, CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        var rows = await db.RunAsync(s => s.QueryAsync<PlatformAnalyst>($"select {Columns} from platform_list_analysts(@actor)",
            new { actor = actor.UserId }, ct), ct);
        return TypedResults.Ok(rows.ToList());
    }

    public static async Task<Results<Ok<PlatformAnalyst>, ValidationProblem, ProblemHttpResult>> Grant(
        GrantAnalystRequest request, HttpContext http, PlatformDb db, AuditNotes audit, CancellationToken ct)
    {
        var errors = new FieldErrors();
        AuthEndpoints.ValidateEmail(errors, "email", request.Email);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var email = TokenService.NormalizeEmail(request.Email!);
        audit.Target = email;
        var actor = Actor.FromPrincipal(http.User);
        var granted = await db.RunAsync(s => s.QuerySingleOrDefaultAsync<PlatformAnalyst>(
            $"select {Columns} from platform_grant_analyst(@actor, @email, @client)", new { actor = actor.UserId, email, client = Client(http) }, ct), ct);
        return granted is null
            ? Problems.NotFound("No person has that email address: they sign up (or accept an invitation) first.")
            : TypedResults.Ok(granted);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Revoke(Guid userId, HttpContext http, PlatformDb db, CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        var revoked = await db.RunAsync(s => s.ExecuteScalarAsync<bool>("select platform_revoke_analyst(@actor, @userId, @client)",
            new { actor = actor.UserId, userId, client = Client(http) }, ct), ct);
        return revoked ? TypedResults.NoContent() : Problems.NotFound("That person is not a platform analyst.");
    }
}
