using System.Globalization;
using DeepSim.Analytics.ClickHouse;

namespace DeepSim.Analytics.Usage;

public sealed record UsagePoint(
    DateOnly Period, long RunsSubmitted, long RunsConverged, long RunsNotConverged, long RunsFailed, long RunsCancelled,
    double SolverHours, long ApiCalls, long ActiveUsers, long FlowsheetsCreated);

/// <summary><see cref="Totals"/> is the whole range (its period is <see cref="From"/>); active users are distinct over it.</summary>
public sealed record UsageResponse(Guid TenantId, DateOnly From, DateOnly To, string Granularity, UsagePoint Totals, IReadOnlyList<UsagePoint> Series);

public sealed record RunGroup(string Key, long Runs, long Converged, long NotConverged, long Failed, long Cancelled, long InProgress, double SolverHours);

public sealed record RunsResponse(Guid TenantId, DateOnly From, DateOnly To, string By, IReadOnlyList<RunGroup> Groups);

/// <summary>
/// The tenant analytics queries. Every statement goes through <see cref="QueryAsync"/>, which is given the tenant and
/// puts its condition into the statement itself, so no query here can read without the caller's tenant filter.
/// Values reach SQL only through <see cref="ClickHouseSql"/> and only as typed values (a Guid, a date).
/// </summary>
public sealed class TenantAnalytics(ClickHouseDatabase database)
{
    private const string SecondsPerHour = "3600";
    private const string ActiveUsers = "users.active";

    // The 'event_id|amount' strings of tenant_daily.amounts, added up (ADR 0011).
    private const string Amount = "arraySum(arrayMap(s -> toFloat64(splitByChar('|', s)[2]), groupUniqArrayIfMerge(amounts)))";

    /// <summary>
    /// Usage per period from the tenant_daily roll-up, every period of the range present (zeros where nothing happened).
    /// Read per day and added up here: every counted key (a run's submission or end, a new flowsheet) and every summed
    /// event belongs to exactly one day, so a week, a month and the whole range are sums of their days, exactly. Only
    /// active users act on many days: they are counted distinct over each period and over the range, by queries of their
    /// own (small: a few users a day). The three run at once. Merging the big states once per day, never again over the
    /// range, is what keeps a 90-day dashboard fast (the analytics bench measures it).
    /// </summary>
    public async Task<UsageResponse> UsageAsync(AnalyticsTenant tenant, DayRange range, Granularity granularity, CancellationToken ct)
    {
        var period = granularity switch
        {
            Granularity.Day => "day",
            Granularity.Week => "toMonday(day)",
            Granularity.Month => "toStartOfMonth(day)",
            _ => throw new ArgumentOutOfRangeException(nameof(granularity)),
        };
        var days = $"day >= {ClickHouseSql.Literal(range.From)} AND day <= {ClickHouseSql.Literal(range.To)}";
        var daily = QueryAsync(tenant, where =>
            $"SELECT toString(day), metric, uniqExactIfMerge(distinct_keys), {Amount} FROM tenant_daily WHERE {where} AND {days} AND metric != '{ActiveUsers}' GROUP BY day, metric", ct);
        var usersByPeriod = QueryAsync(tenant, where =>
            $"SELECT toString({period}) AS period, uniqExactIfMerge(distinct_keys) FROM tenant_daily WHERE {where} AND {days} AND metric = '{ActiveUsers}' GROUP BY period", ct);
        var usersOverall = QueryAsync(tenant, where =>
            $"SELECT uniqExactIfMerge(distinct_keys) FROM tenant_daily WHERE {where} AND {days} AND metric = '{ActiveUsers}'", ct);
        await Task.WhenAll(daily, usersByPeriod, usersOverall);

        // Day rows as [day, metric, count, amount]; a period takes its days' rows and its own distinct users.
        var byPeriod = (await daily).GroupBy(r => PeriodStart(DateOnly.ParseExact(r[0], "yyyy-MM-dd", CultureInfo.InvariantCulture), granularity))
            .ToDictionary(g => g.Key, g => g.Select(r => r[1..]).ToList());
        var users = (await usersByPeriod).ToDictionary(r => r[0], r => r[1], StringComparer.Ordinal);
        var series = new List<UsagePoint>();
        for (var start = PeriodStart(range.From, granularity); start <= range.To; start = Next(start, granularity))
        {
            var metrics = byPeriod.TryGetValue(start, out var rows) ? rows : [];
            var key = start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            series.Add(Point(start, users.TryGetValue(key, out var count) ? [.. metrics, [ActiveUsers, count, "0"]] : metrics));
        }
        var overall = byPeriod.Values.SelectMany(m => m).ToList();
        if (await usersOverall is [[var all]])
        {
            overall.Add([ActiveUsers, all, "0"]);
        }
        return new UsageResponse(tenant.Id, range.From, range.To, AnalyticsQuery.Name(granularity), Point(range.From, overall), series);
    }

    /// <summary>
    /// Runs submitted in the range, grouped by their latest status, flowsheet or submitting user. Computed from the raw
    /// events at query time (the per-run facts come from several events); GROUP BY run id makes redeliveries count once.
    /// </summary>
    public async Task<RunsResponse> RunsAsync(AnalyticsTenant tenant, DayRange range, RunsBy by, CancellationToken ct)
    {
        var key = by switch
        {
            RunsBy.Status => "status",
            RunsBy.Flowsheet => "flowsheet_id",
            RunsBy.User => "user_id",
            _ => throw new ArgumentOutOfRangeException(nameof(by)),
        };
        var from = ClickHouseSql.Literal(range.From);
        var to = ClickHouseSql.Literal(range.To);
        var rows = await QueryAsync(tenant, where => $"""
            SELECT {key} AS group_key, count(), countIf(status = 'converged'), countIf(status = 'not_converged'),
                   countIf(status = 'failed'), countIf(status = 'cancelled'), countIf(status = 'in_progress'),
                   sum(solver_seconds) / {SecondsPerHour}
            FROM
            (
                SELECT visitParamExtractString(payload, 'runId') AS run_id,
                       countIf(type = 'run.submitted') AS submissions,
                       minIf(toDate(occurred_at), type = 'run.submitted') AS submitted_on,
                       anyIf(visitParamExtractString(payload, 'flowsheetId'), type = 'run.submitted') AS flowsheet_id,
                       anyIf(visitParamExtractString(payload, 'createdBy'), type = 'run.submitted') AS user_id,
                       argMax(multiIf(type = 'run.completed', if(visitParamExtractBool(payload, 'converged') = 1, 'converged', 'not_converged'),
                                      type = 'run.failed', 'failed', type = 'run.cancelled', 'cancelled', 'in_progress'),
                              if(type IN ('run.completed', 'run.failed', 'run.cancelled'), 1, 0)) AS status,
                       maxIf(visitParamExtractFloat(payload, 'solverSeconds'), type = 'run.completed') AS solver_seconds
                FROM events
                WHERE {where} AND toDate(occurred_at) >= {from}
                  AND type IN ('run.submitted', 'run.claimed', 'run.queued', 'run.completed', 'run.failed', 'run.cancelled')
                GROUP BY run_id
                HAVING submissions > 0 AND submitted_on >= {from} AND submitted_on <= {to}
            )
            GROUP BY group_key
            ORDER BY group_key
            """, ct);
        var groups = rows.Select(r => new RunGroup(r[0], Long(r[1]), Long(r[2]), Long(r[3]), Long(r[4]), Long(r[5]), Long(r[6]), Double(r[7]))).ToList();
        return new RunsResponse(tenant.Id, range.From, range.To, AnalyticsQuery.Name(by), groups);
    }

    /// <summary>The one way a tenant query runs: <paramref name="sql"/> is given the tenant's condition to put in its WHERE.</summary>
    private Task<List<string[]>> QueryAsync(AnalyticsTenant tenant, Func<string, string> sql, CancellationToken ct)
    {
        var condition = $"tenant_id = toUUID({ClickHouseSql.Literal(tenant.Id.ToString())})";
        var statement = sql(condition);
        if (!statement.Contains(condition, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("a tenant analytics query left out the tenant condition");
        }
        return database.QueryTsvAsync(statement, ct);
    }

    private static UsagePoint Point(DateOnly period, List<string[]> metrics)
    {
        long Count(string metric) => metrics.Where(m => m[0] == metric).Sum(m => Long(m[1]));
        double Sum(string metric) => metrics.Where(m => m[0] == metric).Sum(m => Double(m[2]));
        return new UsagePoint(period, Count("runs.submitted"), Count("runs.converged"), Count("runs.not_converged"), Count("runs.failed"),
            Count("runs.cancelled"), Sum("solver.seconds") / 3600.0, (long)Math.Round(Sum("api.calls")), Count(ActiveUsers), Count("flowsheets.created"));
    }

    internal static DateOnly PeriodStart(DateOnly day, Granularity granularity) => granularity switch
    {
        Granularity.Week => day.AddDays(-(((int)day.DayOfWeek + 6) % 7)),
        Granularity.Month => new DateOnly(day.Year, day.Month, 1),
        _ => day,
    };

    private static DateOnly Next(DateOnly start, Granularity granularity) => granularity switch
    {
        Granularity.Week => start.AddDays(7),
        Granularity.Month => start.AddMonths(1),
        _ => start.AddDays(1),
    };

    private static long Long(string text) => long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static double Double(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
}
