using DeepSim.Api.Billing;
using DeepSim.Api.Plans;

namespace DeepSim.Api.Tests;

/// <summary>The plan-change and money rules against amounts worked out by hand (the comments show the arithmetic).</summary>
public sealed class BillingRulesTests
{
    private static readonly Plan Free = new("free", "Free", 0, 10, 100, 5, 1, 1, 1, null);
    private static readonly Plan Pro = new("pro", "Pro", 1, 1000, 10000, 100, 10, 5, 50, 200);
    private static readonly Plan Enterprise = new("enterprise", "Enterprise", 2, null, 100000, null, 100, 20, 500, 150);

    private static readonly PlanPrice ProMonthly = new("pro", Cycles.Monthly, "usd", 9900, null);
    private static readonly PlanPrice ProAnnual = new("pro", Cycles.Annual, "usd", 99000, null);
    private static readonly PlanPrice EnterpriseMonthly = new("enterprise", Cycles.Monthly, "usd", 49900, null);

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void A_mid_cycle_upgrade_credits_the_unused_half_and_charges_the_remaining_half()
    {
        // November has 30 days; on the 16th at 00:00, 15 of them remain: 9900 × 15/30 = 4950, 49900 × 15/30 = 24950.
        var current = new SubscriptionTerms("pro", Cycles.Monthly, At("2026-11-01T00:00:00Z"), At("2026-12-01T00:00:00Z"), 9900);
        var decision = Assert.IsType<PlanChangeDecision.Immediate>(PlanChange.Decide(current, Pro, Enterprise, EnterpriseMonthly, At("2026-11-16T00:00:00Z")));

        Assert.Equal(current.PeriodStart, decision.PeriodStart);
        Assert.Equal(current.PeriodEnd, decision.PeriodEnd);
        Assert.Equal([-4950L, 24950L], decision.Lines.Select(l => l.Amount));
        Assert.Equal((20000L, 0L, 20000L), BillingService.Totals(decision.Lines, creditBalance: 0));
    }

    [Fact]
    public void Proration_rounds_once_half_away_from_zero()
    {
        // 20 of 30 days remain: 9900 × 2/3 = 6600 exactly; 49900 × 2/3 = 33266.67 → 33267. Credit 1000 is used first.
        var current = new SubscriptionTerms("pro", Cycles.Monthly, At("2026-11-01T00:00:00Z"), At("2026-12-01T00:00:00Z"), 9900);
        var decision = Assert.IsType<PlanChangeDecision.Immediate>(PlanChange.Decide(current, Pro, Enterprise, EnterpriseMonthly, At("2026-11-11T00:00:00Z")));

        Assert.Equal([-6600L, 33267L], decision.Lines.Select(l => l.Amount));
        Assert.Equal((26667L, 1000L, 25667L), BillingService.Totals(decision.Lines, creditBalance: 1000));
        Assert.Equal(3, Money.DivideRounded(5, 2));
        Assert.Equal(-3, Money.DivideRounded(-5, 2));
        Assert.Equal(2, Money.DivideRounded(7, 4));
    }

    [Fact]
    public void Annual_to_monthly_starts_a_new_month_and_leaves_the_excess_credit_on_the_account()
    {
        // 2026 has 365 days; from 1 Oct, 92 remain: 99000 × 92/365 = 24953.42 → 24953 credit. The new month costs 9900,
        // so the invoice is 9900 − 24953 = −15053: nothing due, 15053 kept as credit.
        var current = new SubscriptionTerms("pro", Cycles.Annual, At("2026-01-01T00:00:00Z"), At("2027-01-01T00:00:00Z"), 99000);
        var decision = Assert.IsType<PlanChangeDecision.Immediate>(PlanChange.Decide(current, Pro, Pro, ProMonthly, At("2026-10-01T00:00:00Z")));

        Assert.Equal(At("2026-10-01T00:00:00Z"), decision.PeriodStart);
        Assert.Equal(At("2026-11-01T00:00:00Z"), decision.PeriodEnd);
        Assert.Equal([-24953L, 9900L], decision.Lines.Select(l => l.Amount));
        Assert.Equal((-15053L, 0L, 0L), BillingService.Totals(decision.Lines, creditBalance: 0));
    }

    [Fact]
    public void From_free_the_new_plan_starts_now_and_is_charged_in_full()
    {
        var current = new SubscriptionTerms("free", Cycles.Monthly, At("2026-11-20T00:00:00Z"), At("2026-12-20T00:00:00Z"), 0);
        var now = At("2026-12-01T10:30:00Z");
        var decision = Assert.IsType<PlanChangeDecision.Immediate>(PlanChange.Decide(current, Free, Pro, ProAnnual, now));

        Assert.Equal(now, decision.PeriodStart);
        Assert.Equal(At("2027-12-01T10:30:00Z"), decision.PeriodEnd);
        Assert.Equal(99000L, Assert.Single(decision.Lines).Amount);
    }

    [Fact]
    public void A_downgrade_or_a_move_to_free_waits_for_the_end_of_the_period_and_the_same_plan_changes_nothing()
    {
        var current = new SubscriptionTerms("enterprise", Cycles.Monthly, At("2026-11-01T00:00:00Z"), At("2026-12-01T00:00:00Z"), 49900);
        var now = At("2026-11-10T00:00:00Z");

        Assert.Equal(current.PeriodEnd, Assert.IsType<PlanChangeDecision.AtPeriodEnd>(PlanChange.Decide(current, Enterprise, Pro, ProMonthly, now)).EffectiveAt);
        Assert.IsType<PlanChangeDecision.AtPeriodEnd>(PlanChange.Decide(current, Enterprise, Free, new PlanPrice("free", Cycles.Monthly, "usd", 0, null), now));
        Assert.IsType<PlanChangeDecision.Keep>(PlanChange.Decide(current, Enterprise, Enterprise, EnterpriseMonthly, now));
    }

    [Fact]
    public void Months_are_calendar_months()
    {
        Assert.Equal(At("2027-02-28T00:00:00Z"), Cycles.PeriodEnd(Cycles.Monthly, At("2027-01-31T00:00:00Z")));
        Assert.Equal(At("2029-02-28T00:00:00Z"), Cycles.PeriodEnd(Cycles.Annual, At("2028-02-29T00:00:00Z")));
    }

    [Fact]
    public void Overage_bills_started_hundredths_of_an_hour_beyond_the_included_time()
    {
        // 50 h included; 51.005 h used is 3618 s over = 100.5 units of 36 s → 101 units × 200/100 = 202 cents.
        Assert.Equal((101L, 202L), Overage.Of(51.005 * 3600, 50, 200));
        Assert.Equal((0L, 0L), Overage.Of(50 * 3600, 50, 200));
        // Exactly one hour over: 100 units, 200 cents; no price means no overage at all.
        Assert.Equal((100L, 200L), Overage.Of(51 * 3600, 50, 200));
        Assert.Equal((0L, 0L), Overage.Of(1e9, 1, null));
    }

    [Fact]
    public void Money_is_formatted_with_a_sign_and_grouping()
    {
        Assert.Equal("$1,234.56", Money.Format(123456, "usd"));
        Assert.Equal("−$0.05", Money.Format(-5, "usd"));
        Assert.Equal("10.00 EUR", Money.Format(1000, "eur"));
    }
}
