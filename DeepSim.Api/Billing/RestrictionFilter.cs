using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Api.Billing;

/// <summary>
/// A tenant made read-only for an unpaid invoice (<see cref="BillingService.RestrictIfOverdueAsync"/>) may still read,
/// pay and change billing, but not change flowsheets, runs, the team or API keys: those get 402 with the reason.
/// Runs inside the audit filter, so each refusal is audited.
/// </summary>
public sealed class RestrictionFilter(TenantDb db) : IEndpointFilter
{
    public const string RestrictedType = ProblemTypes.Base + "billing-restricted";

    private static readonly HashSet<Permission> Writes =
        [Permission.FlowsheetsWrite, Permission.RunsExecute, Permission.TeamManage, Permission.ApiKeysManage];

    /// <summary>Whether a request needing <paramref name="permission"/> is refused while the workspace is restricted (any method but GET and HEAD).</summary>
    public static bool Restricts(Permission permission) => Writes.Contains(permission);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)
            || http.GetEndpoint()?.Metadata.GetMetadata<RequiredPermission>() is not { } required)
        {
            return await next(context);
        }
        return await RefusalAsync(db, Actor.FromPrincipal(http.User), required.Permission, http.RequestAborted) ?? await next(context);
    }

    /// <summary>
    /// The 402 refusal when <paramref name="permission"/> changes things and the actor's tenant is read-only; null
    /// otherwise. MCP tools are held to it too (McpGate).
    /// </summary>
    public static async Task<ProblemHttpResult?> RefusalAsync(TenantDb db, Actor actor, Permission permission, CancellationToken ct)
    {
        if (!Writes.Contains(permission) || actor.TenantId is not { } tenant)
        {
            return null;
        }
        var restricted = await db.InTenantAsync(tenant, s => s.QuerySingleOrDefaultAsync<(DateTime Since, long Due, string Currency)?>(
            """
            select s.restricted_since, (select coalesce(sum(amount_due - amount_paid), 0) from invoices where status = 'open'), s.currency
            from subscriptions s where s.tenant_id = current_tenant_id() and s.restricted_since is not null
            """, null, ct), ct);
        if (restricted is not { } r)
        {
            return null;
        }
        return TypedResults.Problem(
            $"The workspace is read-only since {PlanChange.Day(new DateTimeOffset(DateTime.SpecifyKind(r.Since, DateTimeKind.Utc)))} because an invoice is unpaid ({Money.Format(r.Due, r.Currency)} due). An owner can pay it under Plan and billing; that restores it at once.",
            statusCode: StatusCodes.Status402PaymentRequired, title: "Payment required", type: RestrictedType,
            extensions: new Dictionary<string, object?> { ["amountDue"] = r.Due });
    }
}
