using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Analytics.Usage;

/// <summary>
/// The tenant an analytics request reads, taken from the access token's <c>tid</c> claim and nothing else: no query
/// parameter, route value or header can name another. Every query of <see cref="TenantAnalytics"/> filters by it.
/// </summary>
public sealed class AnalyticsTenant
{
    private AnalyticsTenant(Guid id) => Id = id;

    public Guid Id { get; }

    internal static AnalyticsTenant? FromClaims(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue("tid"), out var id) && id != Guid.Empty ? new AnalyticsTenant(id) : null;

    /// <summary>
    /// Handler binding, from the token only. Null for a token of no tenant, which <see cref="TenantAnalyticsFilter"/>
    /// (running after binding, before the handler) refuses with a 403.
    /// </summary>
    public static ValueTask<AnalyticsTenant?> BindAsync(HttpContext http) => ValueTask.FromResult(FromClaims(http.User));
}

/// <summary>
/// Admits a request to the tenant analytics queries only with a tenant member's token that carries
/// <see cref="Permission"/> (admins and owners, and API keys granted it, in the Api's permission table); otherwise a
/// 403 problem naming the permission, as the Api's own 403s do.
/// </summary>
public sealed class TenantAnalyticsFilter : IEndpointFilter
{
    public const string Permission = "analytics.read";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var user = context.HttpContext.User;
        var tenant = AnalyticsTenant.FromClaims(user);
        if (tenant is null)
        {
            return Forbidden("Tenant analytics need a tenant member's token; this token names no tenant.");
        }
        if (!user.FindAll("perm").Any(c => c.Value == Permission))
        {
            return Forbidden($"Your role does not allow this: it needs the permission '{Permission}'.");
        }
        return await next(context);
    }

    private static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", type: ProblemTypes.Forbidden,
            extensions: new Dictionary<string, object?> { ["requiredPermission"] = Permission });
}

/// <summary>The problem <c>type</c>s Analytics answers with: the Api's URIs, so clients handle both alike.</summary>
public static class ProblemTypes
{
    public const string Base = "https://deepsim.dev/problems/";
    public const string Validation = Base + "validation";
    public const string Forbidden = Base + "forbidden";
    public const string ServiceUnavailable = Base + "service-unavailable";
}
