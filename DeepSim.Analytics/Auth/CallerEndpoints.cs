using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Analytics.Auth;

/// <summary>Who the caller is, as the Api's token says.</summary>
public sealed record CallerResponse(Guid UserId, Guid? TenantId, string? Role, string? Kind);

/// <summary>
/// The first authenticated Analytics endpoint: it proves the Api's tokens validate here. The tenant analytics queries
/// (<see cref="Usage.UsageEndpoints"/>) sit behind the same authentication, plus the analytics.read permission.
/// </summary>
public static class CallerEndpoints
{
    public static IEndpointRouteBuilder MapCallerEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/analytics").WithTags("Analytics").RequireAuthorization();
        group.MapGet("/me", GetMe).WithName("GetAnalyticsCaller").WithSummary("The caller's user, tenant and role, from the Api's access token")
            .Produces(StatusCodes.Status401Unauthorized);
        return routes;
    }

    internal static Results<Ok<CallerResponse>, UnauthorizedHttpResult> GetMe(ClaimsPrincipal user)
    {
        if (!Guid.TryParse(user.FindFirstValue("sub"), out var userId))
        {
            return TypedResults.Unauthorized();
        }
        Guid? tenantId = Guid.TryParse(user.FindFirstValue("tid"), out var t) ? t : null;
        return TypedResults.Ok(new CallerResponse(userId, tenantId, user.FindFirstValue("role"), user.FindFirstValue("kind")));
    }
}
