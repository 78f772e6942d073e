namespace DeepSim.Analytics.Platform;

/// <summary>Tenants on a plan at a bucket's end.</summary>
public sealed record PlanCount(string Plan, long Tenants);

/// <summary>
/// One bucket of the platform overview (docs/analytics.md defines each figure). <see cref="Start"/> and <see cref="End"/>
/// are the UTC days it covers, both included (the first and last bucket are cut to the range); states "at the end" are
/// after its last day. Money is in minor units (cents) of <see cref="PlatformOverview.Currency"/>; rates are fractions
/// (0.25 = 25 %), null where the base is zero.
/// </summary>
public sealed record PlatformBucket(
    DateOnly Period, DateOnly Start, DateOnly End,
    long ActiveTenants, long NewTenants, long Runs, double SolverHours,
    long Tenants, long PayingTenants, IReadOnlyList<PlanCount> PlanMix,
    long Conversions, long MrrCents, long ArrCents, long? ArpaCents,
    long StartPayingTenants, long ChurnedTenants, double? LogoChurnRate,
    long StartMrrCents, long ChurnedMrrCents, long ContractionMrrCents, long ExpansionMrrCents, double? NetRevenueChurnRate,
    long CollectedCents);

/// <summary>
/// A plan's run quota this month (<see cref="PlatformOverview.QuotaMonth"/>, up to the range's end): tenants on the plan
/// at the range's end, runs they counted against the quota, and how full it is. <see cref="RunsPerMonth"/> null:
/// unlimited, and the utilisation figures are null.
/// </summary>
public sealed record PlanQuota(
    string Plan, long Tenants, long? RunsPerMonth, long RunsUsed, double? Utilisation, double? AverageUtilisation,
    long TenantsNearLimit, long TenantsAtLimit);

/// <summary>A tenant in a top list: its figures over the range and its state at the range's end.</summary>
public sealed record TopTenant(string TenantId, string Name, string Plan, bool Deleted, long Runs, double SolverHours, long MrrCents);

public sealed record TopTenants(IReadOnlyList<TopTenant> ByRuns, IReadOnlyList<TopTenant> BySolverHours, IReadOnlyList<TopTenant> ByMrr);

/// <summary><see cref="Totals"/> is the whole range as one bucket; <see cref="Series"/> every bucket of the range.</summary>
public sealed record PlatformOverview(
    DateOnly From, DateOnly To, string Granularity, string Currency, PlatformBucket Totals, IReadOnlyList<PlatformBucket> Series,
    DateOnly QuotaMonth, IReadOnlyList<PlanQuota> Quota, TopTenants Top);
