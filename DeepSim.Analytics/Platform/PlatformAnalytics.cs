using System.Globalization;
using DeepSim.Analytics.ClickHouse;
using DeepSim.Analytics.Usage;

namespace DeepSim.Analytics.Platform;

/// <summary>
/// The platform-wide analytics for analysts (docs/analytics.md has every definition), across all tenants by design: the
/// caller is a platform analyst (<see cref="PlatformAnalystFilter"/>), never a tenant. Read from ClickHouse only:
/// <list type="bullet">
/// <item>activity, runs and solver time from the tenant_daily roll-up (merged with GROUP BY, so right before merges);</item>
/// <item>tenant state (plan, monthly revenue, run quota, name) from the events that carry it (the Api's tenant_state(),
/// migration 0290): a tenant's state at an instant is its last such event before it, by feed position. Events are
/// deduplicated by id (SELECT DISTINCT over every column but the ingest time), so a redelivered batch changes nothing;</item>
/// <item>new tenants and payments from the raw events, deduplicated by event id and by invoice id.</item>
/// </list>
/// Values reach SQL only as typed dates and times through <see cref="ClickHouseSql"/>.
/// </summary>
public sealed class PlatformAnalytics(ClickHouseDatabase database)
{
    /// <summary>How many tenants each top list holds.</summary>
    public const int TopCount = 10;

    /// <summary>The tenant_daily metrics whose keys are a person acting in a tenant (docs/analytics.md); API calls count too.</summary>
    private const string ActivityMetrics = "('runs.submitted', 'flowsheets.created', 'users.active')";

    // The 'event_id|amount' strings of tenant_daily.amounts for one metric, added up (ADR 0011).
    private static string AmountOf(string metric) =>
        $"arraySum(arrayMap(s -> toFloat64(splitByChar('|', s)[2]), groupUniqArrayIfMergeIf(amounts, metric = '{metric}')))";

    private const string RunsMerged = "uniqExactIfMergeIf(distinct_keys, metric = 'runs.submitted')";

    /// <summary>The events that carry (or, before migration 0290, imply) a tenant's state.</summary>
    private const string StateEventTypes = """
        ('tenant.created', 'tenant.updated', 'tenant.renamed', 'tenant.deleted', 'tenant.state_snapshot',
         'billing.subscription.updated', 'billing.subscription.renewed', 'billing.subscription.canceled', 'billing.subscription.synced',
         'billing.subscription.kept', 'billing.subscription.reactivated', 'billing.subscription.cancel_scheduled',
         'billing.subscription.downgrade_scheduled')
        """;

    internal sealed record Bucket(DateOnly Period, DateOnly Start, DateOnly End);

    /// <summary>The range cut into buckets: periods labelled by their natural start (Monday, the 1st), clipped to the range.</summary>
    internal static List<Bucket> Buckets(DayRange range, Granularity granularity)
    {
        var buckets = new List<Bucket>();
        for (var period = TenantAnalytics.PeriodStart(range.From, granularity); period <= range.To; period = Next(period, granularity))
        {
            var start = period < range.From ? range.From : period;
            var end = Next(period, granularity).AddDays(-1);
            buckets.Add(new Bucket(period, start, end > range.To ? range.To : end));
        }
        return buckets;
    }

    private static DateOnly Next(DateOnly period, Granularity granularity) => granularity switch
    {
        Granularity.Week => period.AddDays(7),
        Granularity.Month => period.AddMonths(1),
        _ => period.AddDays(1),
    };

    private static DateTime Midnight(DateOnly day) => day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    public async Task<PlatformOverview> OverviewAsync(DayRange range, Granularity granularity, CancellationToken ct)
    {
        var buckets = Buckets(range, granularity);
        var end = Midnight(range.To.AddDays(1));
        var quotaMonth = new DateOnly(range.To.Year, range.To.Month, 1);
        // Bucket k (1-based) runs from boundary k to boundary k+1; bucket 0 is the whole range (the totals).
        var boundaries = buckets.Select(b => Midnight(b.Start)).Append(end).ToList();

        var states = database.QueryTsvAsync(BucketStatesSql(boundaries), ct);
        var activity = database.QueryTsvAsync(ActivitySql(range, granularity), ct);
        var events = database.QueryTsvAsync(EventsSql(range, granularity, end), ct);
        var quota = database.QueryTsvAsync(QuotaSql(range, end, quotaMonth), ct);
        var byRuns = database.QueryTsvAsync(TopSql(range, end, TopOrder.Runs), ct);
        var bySolver = database.QueryTsvAsync(TopSql(range, end, TopOrder.SolverSeconds), ct);
        var byMrr = database.QueryTsvAsync(TopSql(range, end, TopOrder.Mrr), ct);
        var currency = database.QueryTsvAsync(CurrencySql(end), ct);
        await Task.WhenAll(states, activity, events, quota, byRuns, bySolver, byMrr, currency);

        var stateRows = await states;
        var activityRows = (await activity).ToDictionary(r => r[0], r => r, StringComparer.Ordinal);
        var eventRows = (await events).ToDictionary(r => r[0], r => r, StringComparer.Ordinal);
        PlatformBucket Make(int index, Bucket bucket, string key) => ToBucket(bucket,
            stateRows.Where(r => r[0] == index.ToString(CultureInfo.InvariantCulture)).ToList(),
            activityRows.GetValueOrDefault(key), eventRows.GetValueOrDefault(key));

        var totals = Make(0, new Bucket(range.From, range.From, range.To), TotalKey);
        var series = buckets.Select((b, i) => Make(i + 1, b, Day(b.Start))).ToList();
        return new PlatformOverview(range.From, range.To, AnalyticsQuery.Name(granularity),
            (await currency) is [[var code, ..], ..] && code.Length > 0 ? code : DefaultCurrency,
            totals, series, quotaMonth, (await quota).Select(ToQuota).ToList(),
            new TopTenants((await byRuns).Select(ToTop).ToList(), (await bySolver).Select(ToTop).ToList(), (await byMrr).Select(ToTop).ToList()));
    }

    private const string DefaultCurrency = "usd";
    private const string TotalKey = "total";

    // --- tenant state -----------------------------------------------------------------------------------------------

    /// <summary>
    /// Each state event before <paramref name="end"/> once, as (tenant, changed_at, k, alive, plan, mrr, runs_limit, name,
    /// currency); k orders a tenant's events (feed sequence, then time). runs_limit: -1 unlimited, -2 not in the event.
    /// Events before migration 0290 carry no state fields: their plan comes from the fields they had (plan, to).
    /// </summary>
    private static string StateRowsSql(DateTime end) => $"""
        SELECT if(type = 'tenant.deleted', visitParamExtractString(payload, 'tenantId'), toString(tenant_id)) AS tenant,
               occurred_at AS changed_at,
               (toUInt64OrZero(splitByChar('-', position)[2]), toUInt32(occurred_at)) AS k,
               toUInt8(type != 'tenant.deleted') AS alive,
               multiIf(type = 'tenant.deleted', '',
                       visitParamHas(payload, 'tenantPlan'), visitParamExtractString(payload, 'tenantPlan'),
                       type IN ('tenant.created', 'tenant.updated', 'billing.subscription.synced'), visitParamExtractString(payload, 'plan'),
                       type IN ('billing.subscription.updated', 'billing.subscription.renewed', 'billing.subscription.canceled'), visitParamExtractString(payload, 'to'),
                       '') AS plan,
               toInt64(visitParamExtractUInt(payload, 'mrrCents')) AS mrr,
               multiIf(visitParamExtractRaw(payload, 'runsPerMonth') = '', toInt64(-2),
                       visitParamExtractRaw(payload, 'runsPerMonth') = 'null', toInt64(-1),
                       toInt64OrZero(visitParamExtractRaw(payload, 'runsPerMonth'))) AS runs_limit,
               visitParamExtractString(payload, 'tenantName') AS name,
               visitParamExtractString(payload, 'currency') AS currency
        FROM
        (
            SELECT DISTINCT event_id, tenant_id, type, occurred_at, payload, position FROM events
            WHERE type IN {StateEventTypes} AND occurred_at < {ClickHouseSql.Literal(end)}
        )
        WHERE alive = 0 OR plan != ''
        """;

    /// <summary>Every tenant's state at <paramref name="end"/>: (tenant, known, alive, plan, mrr, runs_limit, name).</summary>
    private static string EndStateSql(DateTime end) => $"""
        SELECT tenant, toUInt8(1) AS known, argMax(alive, k) AS alive, argMax(plan, k) AS plan, argMax(mrr, k) AS mrr,
               argMax(runs_limit, k) AS runs_limit, argMaxIf(name, k, name != '') AS name
        FROM ({StateRowsSql(end)})
        GROUP BY tenant
        """;

    /// <summary>
    /// Per bucket (0 = the whole range) and plan at the bucket's end: the counts and sums of docs/analytics.md, from each
    /// tenant's state at the bucket's start and end. The state at boundary b is the tenant's last state event before b;
    /// a tenant with none yet does not exist there.
    /// </summary>
    private static string BucketStatesSql(List<DateTime> boundaries)
    {
        var list = "[" + string.Join(", ", boundaries.Select(ClickHouseSql.Literal)) + "]";
        var last = boundaries.Count.ToString(CultureInfo.InvariantCulture);
        var buckets = (boundaries.Count - 1).ToString(CultureInfo.InvariantCulture);
        const string PayingStart = "(alive_s = 1 AND mrr_s > 0)";
        const string PayingEnd = "(alive_e = 1 AND mrr_e > 0)";
        return $"""
            SELECT bucket, plan_e,
                   countIf(alive_e = 1), countIf({PayingEnd}), sumIf(mrr_e, alive_e = 1),
                   countIf({PayingStart}), sumIf(mrr_s, {PayingStart}),
                   countIf({PayingStart} AND NOT {PayingEnd}), sumIf(mrr_s, {PayingStart} AND NOT {PayingEnd}),
                   sumIf(mrr_s - mrr_e, {PayingStart} AND {PayingEnd} AND mrr_e < mrr_s),
                   sumIf(mrr_e - mrr_s, {PayingStart} AND {PayingEnd} AND mrr_e > mrr_s),
                   countIf(NOT {PayingStart} AND {PayingEnd})
            FROM
            (
                SELECT tupleElement(r, 1) AS bucket, tenant,
                       maxIf(alive, tupleElement(r, 2) = 'e') AS alive_e, anyIf(plan, tupleElement(r, 2) = 'e') AS plan_e,
                       maxIf(mrr, tupleElement(r, 2) = 'e') AS mrr_e,
                       maxIf(alive, tupleElement(r, 2) = 's') AS alive_s, maxIf(mrr, tupleElement(r, 2) = 's') AS mrr_s
                FROM
                (
                    SELECT tenant, b, toInt64(indexOf({list}, b)) AS i, argMax(alive, k) AS alive, argMax(plan, k) AS plan, argMax(mrr, k) AS mrr
                    FROM ({StateRowsSql(boundaries[^1])})
                    ARRAY JOIN {list} AS b
                    WHERE b > changed_at
                    GROUP BY tenant, b
                )
                -- The state at boundary i ends bucket i-1 and starts bucket i; the first and last boundary also bound bucket 0.
                ARRAY JOIN arrayFilter(x -> tupleElement(x, 1) >= 0,
                    [(if(i >= 2, i - 1, toInt64(-1)), 'e'), (if(i <= {buckets}, i, toInt64(-1)), 's'),
                     (if(i = 1, toInt64(0), toInt64(-1)), 's'), (if(i = {last}, toInt64(0), toInt64(-1)), 'e')]) AS r
                GROUP BY bucket, tenant
            )
            GROUP BY bucket, plan_e
            """;
    }

    // --- activity, new tenants, payments -------------------------------------------------------------------------------

    /// <summary>The bucket a day falls in, as the text of its clipped start day (what <see cref="Bucket.Start"/> prints).</summary>
    private static string BucketOf(string dayExpression, DayRange range, Granularity granularity) => granularity switch
    {
        Granularity.Day => $"toString({dayExpression})",
        Granularity.Week => $"toString(greatest(toMonday({dayExpression}), {ClickHouseSql.Literal(range.From)}))",
        Granularity.Month => $"toString(greatest(toStartOfMonth({dayExpression}), {ClickHouseSql.Literal(range.From)}))",
        _ => throw new ArgumentOutOfRangeException(nameof(granularity)),
    };

    /// <summary>
    /// Per bucket (and 'total'): active tenants, runs submitted, solver seconds, from tenant_daily. A tenant is active when
    /// a person acted (ran, created or changed a flowsheet, signed up: the users.active keys) or it made API calls.
    /// </summary>
    private static string ActivitySql(DayRange range, Granularity granularity) => $"""
        SELECT bucket, countIf(active), sum(runs), sum(seconds)
        FROM
        (
            SELECT bucket, tenant_id,
                   uniqExactIfMergeIf(distinct_keys, metric IN {ActivityMetrics}) > 0
                       OR length(groupUniqArrayIfMergeIf(amounts, metric = 'api.calls')) > 0 AS active,
                   {RunsMerged} AS runs, {AmountOf("solver.seconds")} AS seconds
            FROM tenant_daily
            ARRAY JOIN [{BucketOf("day", range, granularity)}, '{TotalKey}'] AS bucket
            WHERE day >= {ClickHouseSql.Literal(range.From)} AND day <= {ClickHouseSql.Literal(range.To)}
              AND metric IN ('runs.submitted', 'flowsheets.created', 'users.active', 'api.calls', 'solver.seconds')
            GROUP BY bucket, tenant_id
        )
        GROUP BY bucket
        """;

    /// <summary>Per bucket (and 'total'): tenants created, and payments collected (each invoice once, by its id).</summary>
    private static string EventsSql(DayRange range, Granularity granularity, DateTime end) => $"""
        SELECT bucket, uniqExactIf(tenant, type = 'tenant.created'), sumIf(amount, type = 'billing.invoice.paid')
        FROM
        (
            SELECT type, toString(tenant_id) AS tenant, toInt64(visitParamExtractUInt(payload, 'amountPaid')) AS amount,
                   if(type = 'billing.invoice.paid', visitParamExtractString(payload, 'invoiceId'), toString(event_id)) AS event_key,
                   min(toDate(occurred_at)) AS day
            FROM events
            WHERE type IN ('tenant.created', 'billing.invoice.paid')
              AND occurred_at >= {ClickHouseSql.Literal(Midnight(range.From))} AND occurred_at < {ClickHouseSql.Literal(end)}
            GROUP BY type, tenant, amount, event_key
        )
        ARRAY JOIN [{BucketOf("day", range, granularity)}, '{TotalKey}'] AS bucket
        GROUP BY bucket
        """;

    // --- quota, top tenants, currency ------------------------------------------------------------------------------

    /// <summary>
    /// Per plan at the range's end: tenants, the plan's run quota, runs counted against it in the quota month (the largest
    /// runsThisMonth of the Api's usage.runs events up to the range's end), and how close tenants are to it.
    /// </summary>
    private static string QuotaSql(DayRange range, DateTime end, DateOnly quotaMonth) => $"""
        SELECT plan, count(), max(runs_limit), sum(used), sumIf(runs_limit, runs_limit > 0), sumIf(used, runs_limit > 0),
               avgIf(used / runs_limit, runs_limit > 0),
               countIf(runs_limit > 0 AND used * 10 >= runs_limit * 8), countIf(runs_limit > 0 AND used >= runs_limit)
        FROM ({EndStateSql(end)})
        ANY LEFT JOIN
        (
            SELECT toString(tenant_id) AS tenant, toInt64(max(visitParamExtractUInt(payload, 'runsThisMonth'))) AS used
            FROM events
            WHERE type = 'usage.runs'
              AND occurred_at >= {ClickHouseSql.Literal(Midnight(quotaMonth))} AND occurred_at < {ClickHouseSql.Literal(end)}
            GROUP BY tenant
        ) USING tenant
        WHERE alive = 1
        GROUP BY plan
        ORDER BY plan
        """;

    private enum TopOrder { Runs, SolverSeconds, Mrr }

    /// <summary>Runs and solver seconds per tenant over the range, from tenant_daily.</summary>
    private static string UsagePerTenantSql(DayRange range) => $"""
        SELECT toString(tenant_id) AS tenant, {RunsMerged} AS runs, {AmountOf("solver.seconds")} AS seconds
        FROM tenant_daily
        WHERE day >= {ClickHouseSql.Literal(range.From)} AND day <= {ClickHouseSql.Literal(range.To)} AND metric IN ('runs.submitted', 'solver.seconds')
        GROUP BY tenant
        """;

    /// <summary>The top tenants by one figure: (tenant, name, plan, known, alive, runs, seconds, mrr).</summary>
    private static string TopSql(DayRange range, DateTime end, TopOrder order)
    {
        const string Columns = "tenant, name, plan, known, alive, runs, seconds, mrr";
        var top = TopCount.ToString(CultureInfo.InvariantCulture);
        return order switch
        {
            TopOrder.Runs => $"SELECT {Columns} FROM ({UsagePerTenantSql(range)}) ANY LEFT JOIN ({EndStateSql(end)}) USING tenant WHERE runs > 0 ORDER BY runs DESC, seconds DESC, tenant LIMIT {top}",
            TopOrder.SolverSeconds => $"SELECT {Columns} FROM ({UsagePerTenantSql(range)}) ANY LEFT JOIN ({EndStateSql(end)}) USING tenant WHERE seconds > 0 ORDER BY seconds DESC, runs DESC, tenant LIMIT {top}",
            TopOrder.Mrr => $"SELECT {Columns} FROM ({EndStateSql(end)}) ANY LEFT JOIN ({UsagePerTenantSql(range)}) USING tenant WHERE alive = 1 AND mrr > 0 ORDER BY mrr DESC, tenant LIMIT {top}",
            _ => throw new ArgumentOutOfRangeException(nameof(order)),
        };
    }

    /// <summary>The currency of the paid plans' prices (one per platform: plan_prices holds one).</summary>
    private static string CurrencySql(DateTime end) => $"""
        SELECT currency, count() AS n FROM ({StateRowsSql(end)}) WHERE mrr > 0 AND currency != '' GROUP BY currency ORDER BY n DESC, currency LIMIT 1
        """;

    // --- rows to records -----------------------------------------------------------------------------------------------

    private static PlatformBucket ToBucket(Bucket bucket, List<string[]> states, string[]? activity, string[]? events)
    {
        long Sum(int column) => states.Sum(r => Long(r[column]));
        var mrr = Sum(4);
        var paying = Sum(3);
        var startPaying = Sum(5);
        var startMrr = Sum(6);
        var churned = Sum(7);
        var churnedMrr = Sum(8);
        var contraction = Sum(9);
        var expansion = Sum(10);
        var mix = states.Where(r => r[1].Length > 0 && Long(r[2]) > 0).Select(r => new PlanCount(r[1], Long(r[2])))
            .OrderBy(p => p.Plan, StringComparer.Ordinal).ToList();
        return new PlatformBucket(
            bucket.Period, bucket.Start, bucket.End,
            ActiveTenants: activity is null ? 0 : Long(activity[1]),
            NewTenants: events is null ? 0 : Long(events[1]),
            Runs: activity is null ? 0 : Long(activity[2]),
            SolverHours: activity is null ? 0 : Double(activity[3]) / 3600.0,
            Tenants: Sum(2), PayingTenants: paying, PlanMix: mix,
            Conversions: Sum(11), MrrCents: mrr, ArrCents: mrr * 12,
            ArpaCents: paying == 0 ? null : (long)Math.Round((double)mrr / paying, MidpointRounding.AwayFromZero),
            StartPayingTenants: startPaying, ChurnedTenants: churned, LogoChurnRate: startPaying == 0 ? null : (double)churned / startPaying,
            StartMrrCents: startMrr, ChurnedMrrCents: churnedMrr, ContractionMrrCents: contraction, ExpansionMrrCents: expansion,
            NetRevenueChurnRate: startMrr == 0 ? null : (double)(churnedMrr + contraction - expansion) / startMrr,
            CollectedCents: events is null ? 0 : Long(events[2]));
    }

    private static PlanQuota ToQuota(string[] r)
    {
        var limit = Long(r[2]);
        var quota = Long(r[4]);
        var limited = limit > 0;
        return new PlanQuota(r[0], Long(r[1]), limited ? limit : null, Long(r[3]),
            limited && quota > 0 ? (double)Long(r[5]) / quota : null,
            limited ? NullableDouble(r[6]) : null,
            Long(r[7]), Long(r[8]));
    }

    private static TopTenant ToTop(string[] r) =>
        new(r[0], r[1], r[2], Deleted: r[3] == "1" && r[4] == "0", Long(r[5]), Double(r[6]) / 3600.0, Long(r[7]));

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static long Long(string text) => long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static double Double(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static double? NullableDouble(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value : null;
}
