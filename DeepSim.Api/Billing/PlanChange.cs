using DeepSim.Api.Plans;

namespace DeepSim.Api.Billing;

/// <summary>An invoice line before it is stored; amounts in minor units (negative for credit).</summary>
public sealed record DraftLine(string Kind, string Description, decimal Quantity, long UnitAmount, long Amount,
    DateTimeOffset? PeriodStart, DateTimeOffset? PeriodEnd);

/// <summary>What a requested plan change does.</summary>
public abstract record PlanChangeDecision
{
    /// <summary>The plan and cycle are already the current ones: only a scheduled change or cancellation is undone.</summary>
    public sealed record Keep : PlanChangeDecision;

    /// <summary>Takes effect now: the subscription moves to the new plan and period, invoiced with these lines.</summary>
    public sealed record Immediate(DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, IReadOnlyList<DraftLine> Lines) : PlanChangeDecision;

    /// <summary>Takes effect when the current period ends (a downgrade); nothing is charged now.</summary>
    public sealed record AtPeriodEnd(DateTimeOffset EffectiveAt) : PlanChangeDecision;
}

/// <summary>The subscription as the rules see it.</summary>
public sealed record SubscriptionTerms(string Plan, string Cycle, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, long Charge);

/// <summary>
/// The plan-change rules, in one pure function (the hand-computed proration tests drive it directly):
/// <list type="bullet">
/// <item>From a plan that costs nothing (Free, or a complimentary plan): at once, a new period starts now, charged in full.</item>
/// <item>To a plan of lower rank: at the end of the period, nothing charged now.</item>
/// <item>To a plan of higher rank on the same cycle: at once, the period unchanged; credit for the unused share of the
/// old price, a charge for the remaining share of the new one.</item>
/// <item>A change of cycle (same plan, or a higher one): at once, a new period starts now; credit for the unused share
/// of the old price, the new price in full. When the credit is larger the difference stays as account credit.</item>
/// </list>
/// Shares are exact to the tick (<see cref="Money.ShareOfPeriod"/>).
/// </summary>
public static class PlanChange
{
    public static PlanChangeDecision Decide(SubscriptionTerms current, Plan currentPlan, Plan targetPlan, PlanPrice target, DateTimeOffset now)
    {
        if (current.Plan == target.Plan && current.Cycle == target.Cycle)
        {
            return new PlanChangeDecision.Keep();
        }
        if (current.Charge == 0)
        {
            var end = Cycles.PeriodEnd(target.Cycle, now);
            return new PlanChangeDecision.Immediate(now, end, target.Amount == 0 ? [] : [PlanLine(targetPlan, target, now, end)]);
        }
        if (targetPlan.Priority < currentPlan.Priority || (target.Amount == 0 && current.Charge > 0))
        {
            return new PlanChangeDecision.AtPeriodEnd(current.PeriodEnd);
        }
        var credit = UnusedCredit(current, currentPlan, now);
        if (current.Cycle == target.Cycle)
        {
            var charge = Money.ShareOfPeriod(target.Amount, current.PeriodStart, current.PeriodEnd, now);
            return new PlanChangeDecision.Immediate(current.PeriodStart, current.PeriodEnd,
            [
                credit,
                new DraftLine("proration", $"Remaining time on {targetPlan.DisplayName} ({target.Cycle}) from {Day(now)}", 1, charge, charge, now, current.PeriodEnd),
            ]);
        }
        var newEnd = Cycles.PeriodEnd(target.Cycle, now);
        return new PlanChangeDecision.Immediate(now, newEnd, [credit, PlanLine(targetPlan, target, now, newEnd)]);
    }

    public static DraftLine PlanLine(Plan plan, PlanPrice price, DateTimeOffset start, DateTimeOffset end) =>
        new("plan", $"{plan.DisplayName} ({price.Cycle}), {Day(start)} to {Day(end)}", 1, price.Amount, price.Amount, start, end);

    private static DraftLine UnusedCredit(SubscriptionTerms current, Plan plan, DateTimeOffset now)
    {
        var unused = Money.ShareOfPeriod(current.Charge, current.PeriodStart, current.PeriodEnd, now);
        return new DraftLine("proration", $"Unused time on {plan.DisplayName} ({current.Cycle}) from {Day(now)}", 1, -unused, -unused, now, current.PeriodEnd);
    }

    internal static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
