using System.Globalization;
using DeepSim.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Api.Plans;

/// <summary>Count limits of the tenant's plan, checked inside the creating transaction.</summary>
public static class PlanLimits
{
    public const string LimitExceededType = ProblemTypes.Base + "plan-limit-exceeded";

    private sealed record Limits(int? MaxFlowsheets, int? MaxMembers, string Plan);

    /// <summary>
    /// Null when one more flowsheet fits the plan; otherwise the refusal. Call inside the transaction that inserts it:
    /// a per-tenant transaction lock makes two concurrent creates at the edge count one after the other.
    /// </summary>
    public static async Task<ProblemHttpResult?> EnsureCanCreateFlowsheetAsync(DbScope scope, CancellationToken ct)
    {
        var limits = await LockAndReadAsync(scope, "flowsheets", ct);
        if (limits.MaxFlowsheets is not { } max)
        {
            return null;
        }
        var count = await scope.ExecuteScalarAsync<long>("select count(*) from flowsheets", null, ct);
        return count < max ? null : Refuse("flowsheets", max, count, limits.Plan);
    }

    /// <summary>
    /// Null when one more member fits the plan. Inviting counts open invitations too, so a team never holds more
    /// invitations than it could accept; accepting counts members only.
    /// </summary>
    public static async Task<ProblemHttpResult?> EnsureCanAddMemberAsync(DbScope scope, bool countOpenInvitations, CancellationToken ct)
    {
        var limits = await LockAndReadAsync(scope, "members", ct);
        if (limits.MaxMembers is not { } max)
        {
            return null;
        }
        var count = await scope.ExecuteScalarAsync<long>(
            countOpenInvitations
                ? "select (select count(*) from memberships) + (select count(*) from invitations where accepted_at is null and revoked_at is null and expires_at > now())"
                : "select count(*) from memberships",
            null, ct);
        return count < max ? null : Refuse("members", max, count, limits.Plan);
    }

    /// <summary>
    /// The limits of <paramref name="plan"/> the tenant is over today: flowsheets, and members with open invitations
    /// (what persists; monthly run and API-call quotas start afresh with each month). Empty when it fits.
    /// </summary>
    public static async Task<IReadOnlyList<Billing.LimitViolation>> ViolationsAsync(DbScope scope, Plan plan, CancellationToken ct)
    {
        var counts = await scope.QuerySingleOrDefaultAsync<(long Flowsheets, long Members)>(
            """
            select (select count(*) from flowsheets),
                   (select count(*) from memberships) + (select count(*) from invitations where accepted_at is null and revoked_at is null and expires_at > now())
            """, null, ct);
        var violations = new List<Billing.LimitViolation>();
        if (plan.MaxFlowsheets is { } maxFlowsheets && counts.Flowsheets > maxFlowsheets)
        {
            violations.Add(new("flowsheets", maxFlowsheets, counts.Flowsheets, counts.Flowsheets - maxFlowsheets));
        }
        if (plan.MaxMembers is { } maxMembers && counts.Members > maxMembers)
        {
            violations.Add(new("members", maxMembers, counts.Members, counts.Members - maxMembers));
        }
        return violations;
    }

    private static async Task<Limits> LockAndReadAsync(DbScope scope, string what, CancellationToken ct)
    {
        var tenant = scope.RequireTenant();
        await scope.ExecuteAsync("select pg_advisory_xact_lock(hashtext(@k))",
            new { k = "deepsim.limit." + what + "." + tenant.ToString("D", CultureInfo.InvariantCulture) }, ct);
        return await scope.QuerySingleOrDefaultAsync<Limits>(
            """
            select p.max_flowsheets as "MaxFlowsheets", p.max_members as "MaxMembers", t.plan as "Plan"
            from tenants t join plans p on p.name = t.plan
            """, null, ct) ?? new Limits(null, null, "unknown");
    }

    private static ProblemHttpResult Refuse(string limit, int max, long usage, string plan) =>
        TypedResults.Problem(
            $"The {plan} plan allows {max} {limit}; the tenant has {usage}. An owner can move to a larger plan under Plan and billing.",
            statusCode: StatusCodes.Status403Forbidden,
            title: "Plan limit reached",
            type: LimitExceededType,
            extensions: new Dictionary<string, object?> { ["limit"] = limit, ["max"] = max, ["usage"] = usage, ["plan"] = plan });
}
