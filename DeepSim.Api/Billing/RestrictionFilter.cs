using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;

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

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)
            || http.GetEndpoint()?.Metadata.GetMetadata<RequiredPermission>() is not { } required || !Writes.Contains(required.Permission))
        {
            return await next(context);
        }
        var actor = Actor.FromPrincipal(http.User);
        if (actor.TenantId is not { } tenant)
        {
            return await next(context);
        }
        var restricted = await db.InTenantAsync(tenant, s => s.QuerySingleOrDefaultAsync<(DateTime Since, long Due, string Currency)?>(
            """
            select s.restricted_since, (select coalesce(sum(amount_due - amount_paid), 0) from invoices where status = 'open'), s.currency
            from subscriptions s where s.tenant_id = current_tenant_id() and s.restricted_since is not null
            """, null, http.RequestAborted), http.RequestAborted);
        if (restricted is not { } r)
        {
            return await next(context);
        }
        return TypedResults.Problem(
            $"The workspace is read-only since {PlanChange.Day(new DateTimeOffset(DateTime.SpecifyKind(r.Since, DateTimeKind.Utc)))} because an invoice is unpaid ({Money.Format(r.Due, r.Currency)} due). An owner can pay it under Settings > Billing; that restores it at once.",
            statusCode: StatusCodes.Status402PaymentRequired, title: "Payment required", type: RestrictedType,
            extensions: new Dictionary<string, object?> { ["amountDue"] = r.Due });
    }
}
