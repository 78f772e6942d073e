using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using DeepSim.Analytics.ClickHouse;
using DeepSim.Analytics.Ingest;
using DeepSim.Api.Auth;
using DeepSim.ServiceDefaults;
using DeepSim.TestServers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DeepSim.Analytics.Tests;

/// <summary>
/// The platform overview for analysts against real ClickHouse: a scripted history of tenants, plan changes, invoices,
/// deletions and runs goes in as the Api's events, and every figure out equals what a plain model of the definitions
/// (docs/analytics.md), evaluated here over the same script, says. Also: redelivery changes nothing, only a live
/// analyst's token is admitted (checked with the real Api), hostile parameters are 400s, ClickHouse down is a 503.
/// </summary>
[Collection(AnalyticsTests.Name)]
public sealed class PlatformAnalyticsTests(AnalyticsFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);
    private readonly string databaseName = "p_" + Guid.NewGuid().ToString("N")[..16];
    private WebApplication? analytics;
    private Uri analyticsUrl = null!;

    private static readonly DateOnly From = new(2025, 1, 1);
    private static readonly DateOnly To = new(2025, 3, 31);

    public async Task InitializeAsync()
    {
        // The scripted history alone: no ingester (no service token), so no other test's tenants reach this database.
        using (var database = Database())
        using (var timeout = new CancellationTokenSource(Budget))
        {
            await ClickHouseMigrator.MigrateAsync(database, timeout.Token);
        }
        await StartAnalyticsAsync(ingest: false);
    }

    public Task DisposeAsync() => StopAnalyticsAsync();

    // --- the script and its model ------------------------------------------------------------------------------------

    private sealed record Change(Guid Tenant, DateTime At, long Seq, bool Alive, string Plan, long Mrr, int? Limit, string Name);

    private sealed record Activity(Guid Tenant, DateTime At, string Kind, string Key, double Amount);

    private sealed record Limits(string Plan, int? RunsPerMonth);

    /// <summary>Events as the Api writes them, and beside each one what it means to the model.</summary>
    private sealed class Script
    {
        private long seq = 1000;
        public List<FeedEvent> Events { get; } = [];
        public List<Change> Changes { get; } = [];
        public List<Activity> Facts { get; } = [];
        public Dictionary<Guid, string> Names { get; } = [];

        private static readonly Dictionary<string, (long Monthly, long Annual, int? Runs)> Prices = new()
        {
            ["free"] = (0, 0, 10), ["pro"] = (9900, 99000, 1000), ["enterprise"] = (49900, 499000, null),
        };

        private void Add(Guid? tenant, string type, DateTime at, IDictionary<string, object?> payload)
        {
            seq++;
            Events.Add(new FeedEvent($"{seq + 5000}-{seq}", Guid.NewGuid(), tenant, type, DateTime.SpecifyKind(at, DateTimeKind.Utc),
                JsonSerializer.SerializeToElement(payload, JsonSerializerOptions.Web)));
        }

        /// <summary>A state-changing event, with the tenant_state() fields the Api merges into it.</summary>
        public void State(Guid tenant, string type, DateTime at, string plan, string cycle = "monthly", bool complimentary = false, Dictionary<string, object?>? fields = null)
        {
            var (monthly, annual, runs) = Prices[plan];
            var price = cycle == "annual" ? annual : monthly;
            var mrr = complimentary ? 0 : (long)Math.Round(price / (cycle == "annual" ? 12m : 1m), MidpointRounding.AwayFromZero);
            var payload = fields ?? [];
            payload["tenantId"] = tenant;
            payload["tenantName"] = Names[tenant];
            payload["tenantPlan"] = plan;
            payload["billingCycle"] = cycle;
            payload["complimentary"] = complimentary;
            payload["subscriptionStatus"] = "active";
            payload["currency"] = "usd";
            payload["priceCents"] = price;
            payload["mrrCents"] = mrr;
            payload["runsPerMonth"] = runs;
            Add(tenant, type, at, payload);
            Changes.Add(new Change(tenant, at, seq, true, plan, mrr, runs, Names[tenant]));
        }

        public Guid SignUp(string name, DateTime at, bool byOperator = false, string plan = "free")
        {
            var tenant = Guid.NewGuid();
            Names[tenant] = name;
            var fields = new Dictionary<string, object?> { ["plan"] = plan };
            if (!byOperator)
            {
                var owner = Guid.NewGuid();
                fields["ownerUserId"] = owner;
                Facts.Add(new Activity(tenant, at, "person", owner.ToString(), 0));
            }
            State(tenant, "tenant.created", at, plan, complimentary: byOperator && plan != "free", fields: fields);
            Facts.Add(new Activity(tenant, at, "created", tenant.ToString(), 0));
            return tenant;
        }

        public void Upgrade(Guid tenant, DateTime at, string plan, string cycle, long paid)
        {
            State(tenant, "billing.subscription.updated", at, plan, cycle, fields: new() { ["from"] = "free", ["to"] = plan, ["cycle"] = cycle });
            Paid(tenant, at, paid);
        }

        public void Paid(Guid tenant, DateTime at, long amount)
        {
            var invoice = Guid.NewGuid();
            Add(tenant, "billing.invoice.paid", at, new Dictionary<string, object?>
            {
                ["invoiceId"] = invoice, ["number"] = "DS-" + seq, ["amountPaid"] = amount, ["currency"] = "usd", ["reason"] = "subscription_update",
            });
            Facts.Add(new Activity(tenant, at, "paid", invoice.ToString(), amount));
        }

        public void Delete(Guid tenant, DateTime at)
        {
            // The purge's event names no tenant of its own: the tenant is in its payload.
            Add(null, "tenant.deleted", at, new Dictionary<string, object?> { ["tenantId"] = tenant, ["counts"] = new Dictionary<string, long> { ["tenants"] = 1 } });
            Changes.Add(new Change(tenant, at, seq, false, "", 0, null, Names[tenant]));
        }

        public void Run(Guid tenant, DateTime at, double? solverSeconds, int? runsThisMonth = null, string plan = "free", int? limit = 10)
        {
            var run = Guid.NewGuid();
            var person = Guid.NewGuid();
            Add(tenant, "run.submitted", at, new Dictionary<string, object?> { ["runId"] = run, ["flowsheetId"] = Guid.NewGuid(), ["cached"] = false, ["createdBy"] = person });
            Facts.Add(new Activity(tenant, at, "run", run.ToString(), 0));
            Facts.Add(new Activity(tenant, at, "person", person.ToString(), 0));
            if (runsThisMonth is { } used)
            {
                Add(tenant, "usage.runs", at, new Dictionary<string, object?>
                {
                    ["count"] = 1, ["runsThisMonth"] = used, ["month"] = new DateOnly(at.Year, at.Month, 1), ["plan"] = plan, ["runsPerMonth"] = limit,
                });
                Facts.Add(new Activity(tenant, at, "quota", "", used));
            }
            if (solverSeconds is { } seconds)
            {
                var done = at.AddMinutes(1);
                Add(tenant, "run.completed", done, new Dictionary<string, object?> { ["runId"] = run, ["attempt"] = 1, ["converged"] = true, ["solverSeconds"] = seconds });
                Facts.Add(new Activity(tenant, done, "solver", run.ToString(), seconds));
            }
        }

        public void ApiCalls(Guid tenant, DateTime at, int count)
        {
            Add(tenant, "usage.api_calls", at, new Dictionary<string, object?> { ["tenantId"] = tenant, ["count"] = count });
            Facts.Add(new Activity(tenant, at, "api", "", count));
        }

        public void Flowsheet(Guid tenant, DateTime at)
        {
            var person = Guid.NewGuid();
            Add(tenant, "flowsheet.created", at, new Dictionary<string, object?> { ["tenantId"] = tenant, ["flowsheetId"] = Guid.NewGuid(), ["version"] = 1, ["actorId"] = person });
            Facts.Add(new Activity(tenant, at, "person", person.ToString(), 0));
        }
    }

    private static DateTime At(int year, int month, int day, int hour = 12) => new(year, month, day, hour, 0, 0, DateTimeKind.Utc);

    /// <summary>
    /// Eight tenants over three months and the two before: sign-ups (one by an operator, complimentary), upgrades with
    /// their invoices (monthly and annual), an expansion, a contraction, a cancellation to Free, two deletions, runs with
    /// solver time, quota use in March, API calls and a flowsheet.
    /// </summary>
    private static Script History()
    {
        var s = new Script();
        var foxtrot = s.SignUp("Foxtrot", At(2024, 11, 1));
        s.Upgrade(foxtrot, At(2024, 11, 2), "pro", "monthly", 9900);
        var echo = s.SignUp("Echo", At(2024, 12, 15));
        s.Upgrade(echo, At(2024, 12, 16), "enterprise", "monthly", 49900);

        var delta = s.SignUp("Delta", At(2025, 1, 2), byOperator: true, plan: "enterprise");
        s.Flowsheet(delta, At(2025, 1, 3));
        var acme = s.SignUp("Acme", At(2025, 1, 5));
        s.Run(acme, At(2025, 1, 6), 30);
        var beta = s.SignUp("Beta", At(2025, 1, 10));
        s.Run(beta, At(2025, 1, 11), 90);
        s.ApiCalls(echo, At(2025, 1, 15), 5);
        s.Upgrade(acme, At(2025, 1, 20), "pro", "monthly", 9900);
        s.Delete(foxtrot, At(2025, 1, 25));

        s.Upgrade(beta, At(2025, 2, 3), "enterprise", "annual", 499000);
        s.Run(beta, At(2025, 2, 4), 3600);
        s.Run(beta, At(2025, 2, 4, 13), null);
        s.State(echo, "billing.subscription.updated", At(2025, 2, 10), "pro", fields: new() { ["from"] = "enterprise", ["to"] = "pro", ["cycle"] = "monthly" });
        s.ApiCalls(echo, At(2025, 2, 11), 7);
        var gamma = s.SignUp("Gamma", At(2025, 2, 14));
        s.Upgrade(gamma, At(2025, 2, 20), "pro", "monthly", 9900);
        s.Run(gamma, At(2025, 2, 21), 1800);
        s.Delete(delta, At(2025, 2, 25));

        var golf = s.SignUp("Golf", At(2025, 3, 1));
        for (var i = 1; i <= 9; i++)
        {
            s.Run(acme, At(2025, 3, 2, i), null, runsThisMonth: i, plan: "pro", limit: 1000);
        }
        for (var i = 1; i <= 10; i++)
        {
            s.Run(golf, At(2025, 3, 3, i), null, runsThisMonth: i);
        }
        s.State(gamma, "billing.subscription.updated", At(2025, 3, 5), "enterprise", fields: new() { ["from"] = "pro", ["to"] = "enterprise", ["cycle"] = "monthly" });
        s.Paid(gamma, At(2025, 3, 5), 30000);
        s.Run(gamma, At(2025, 3, 6), 7200, runsThisMonth: 1, plan: "enterprise", limit: null);
        s.State(acme, "billing.subscription.canceled", At(2025, 3, 10), "free", fields: new() { ["from"] = "pro", ["to"] = "free", ["cycle"] = "monthly" });
        return s;
    }

    /// <summary>The model: a tenant's state at an instant is its last change before it (none: it does not exist).</summary>
    private static Change? StateAt(Script s, Guid tenant, DateTime instant) =>
        s.Changes.Where(c => c.Tenant == tenant && c.At < instant).MaxBy(c => c.Seq);

    private static bool Paying(Change? c) => c is { Alive: true, Mrr: > 0 };

    private sealed record ExpectedBucket(
        string Period, long Active, long New, long Runs, double SolverHours, long Tenants, long Paying, Dictionary<string, long> Mix,
        long Conversions, long Mrr, long? Arpa, long StartPaying, long Churned, double? LogoChurn, long StartMrr, long ChurnedMrr,
        long Contraction, long Expansion, double? NetRevenueChurn, long Collected);

    private static ExpectedBucket Expect(Script s, string period, DateOnly first, DateOnly last)
    {
        var start = first.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var end = last.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var facts = s.Facts.Where(f => f.At >= start && f.At < end).ToList();
        var tenants = s.Changes.Select(c => c.Tenant).Distinct().ToList();
        var pairs = tenants.Select(t => (Start: StateAt(s, t, start), End: StateAt(s, t, end))).ToList();
        var alive = pairs.Where(p => p.End is { Alive: true }).ToList();
        var paying = alive.Count(p => Paying(p.End));
        var mrr = alive.Sum(p => p.End!.Mrr);
        var cohort = pairs.Where(p => Paying(p.Start)).ToList();
        var startMrr = cohort.Sum(p => p.Start!.Mrr);
        var churned = cohort.Where(p => !Paying(p.End)).ToList();
        var kept = cohort.Where(p => Paying(p.End)).ToList();
        var churnedMrr = churned.Sum(p => p.Start!.Mrr);
        var contraction = kept.Where(p => p.End!.Mrr < p.Start!.Mrr).Sum(p => p.Start!.Mrr - p.End!.Mrr);
        var expansion = kept.Where(p => p.End!.Mrr > p.Start!.Mrr).Sum(p => p.End!.Mrr - p.Start!.Mrr);
        return new ExpectedBucket(period,
            Active: facts.Where(f => f.Kind is "person" or "api").Select(f => f.Tenant).Distinct().Count(),
            New: facts.Count(f => f.Kind == "created"),
            Runs: facts.Count(f => f.Kind == "run"),
            SolverHours: facts.Where(f => f.Kind == "solver").Sum(f => f.Amount) / 3600.0,
            Tenants: alive.Count, Paying: paying,
            Mix: alive.GroupBy(p => p.End!.Plan).ToDictionary(g => g.Key, g => (long)g.Count()),
            Conversions: pairs.Count(p => !Paying(p.Start) && Paying(p.End)),
            Mrr: mrr, Arpa: paying == 0 ? null : (long)Math.Round((double)mrr / paying, MidpointRounding.AwayFromZero),
            StartPaying: cohort.Count, Churned: churned.Count, LogoChurn: cohort.Count == 0 ? null : (double)churned.Count / cohort.Count,
            StartMrr: startMrr, ChurnedMrr: churnedMrr, Contraction: contraction, Expansion: expansion,
            NetRevenueChurn: startMrr == 0 ? null : (double)(churnedMrr + contraction - expansion) / startMrr,
            Collected: (long)facts.Where(f => f.Kind == "paid").Sum(f => f.Amount));
    }

    private static List<(string Period, DateOnly First, DateOnly Last)> ExpectedBuckets(string granularity)
    {
        var list = new List<(string, DateOnly, DateOnly)>();
        var period = granularity switch
        {
            "week" => From.AddDays(-(((int)From.DayOfWeek + 6) % 7)),
            "month" => new DateOnly(From.Year, From.Month, 1),
            _ => From,
        };
        while (period <= To)
        {
            var next = granularity switch { "week" => period.AddDays(7), "month" => period.AddMonths(1), _ => period.AddDays(1) };
            list.Add((Day(period), period < From ? From : period, next.AddDays(-1) > To ? To : next.AddDays(-1)));
            period = next;
        }
        return list;
    }

    private static void AssertBucket(ExpectedBucket expected, JsonElement actual)
    {
        var at = $"bucket {expected.Period}";
        Assert.True(expected.Period == actual.GetProperty("period").GetString() || expected.Period == "total", at);
        Assert.Equal((at, expected.Active), (at, actual.GetProperty("activeTenants").GetInt64()));
        Assert.Equal((at, expected.New), (at, actual.GetProperty("newTenants").GetInt64()));
        Assert.Equal((at, expected.Runs), (at, actual.GetProperty("runs").GetInt64()));
        Assert.Equal(expected.SolverHours, actual.GetProperty("solverHours").GetDouble(), 9);
        Assert.Equal((at, expected.Tenants), (at, actual.GetProperty("tenants").GetInt64()));
        Assert.Equal((at, expected.Paying), (at, actual.GetProperty("payingTenants").GetInt64()));
        Assert.Equal((at, string.Join(',', expected.Mix.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}={m.Value}"))),
            (at, string.Join(',', actual.GetProperty("planMix").EnumerateArray().Select(p => $"{p.GetProperty("plan").GetString()}={p.GetProperty("tenants").GetInt64()}"))));
        Assert.Equal((at, expected.Conversions), (at, actual.GetProperty("conversions").GetInt64()));
        Assert.Equal((at, expected.Mrr), (at, actual.GetProperty("mrrCents").GetInt64()));
        Assert.Equal((at, expected.Mrr * 12), (at, actual.GetProperty("arrCents").GetInt64()));
        Assert.Equal((at, expected.Arpa), (at, Nullable(actual.GetProperty("arpaCents"))));
        Assert.Equal((at, expected.StartPaying), (at, actual.GetProperty("startPayingTenants").GetInt64()));
        Assert.Equal((at, expected.Churned), (at, actual.GetProperty("churnedTenants").GetInt64()));
        AssertRate(at, expected.LogoChurn, actual.GetProperty("logoChurnRate"));
        Assert.Equal((at, expected.StartMrr), (at, actual.GetProperty("startMrrCents").GetInt64()));
        Assert.Equal((at, expected.ChurnedMrr), (at, actual.GetProperty("churnedMrrCents").GetInt64()));
        Assert.Equal((at, expected.Contraction), (at, actual.GetProperty("contractionMrrCents").GetInt64()));
        Assert.Equal((at, expected.Expansion), (at, actual.GetProperty("expansionMrrCents").GetInt64()));
        AssertRate(at, expected.NetRevenueChurn, actual.GetProperty("netRevenueChurnRate"));
        Assert.Equal((at, expected.Collected), (at, actual.GetProperty("collectedCents").GetInt64()));
    }

    private static long? Nullable(JsonElement value) => value.ValueKind == JsonValueKind.Null ? null : value.GetInt64();

    private static void AssertRate(string at, double? expected, JsonElement actual)
    {
        if (expected is not { } rate)
        {
            Assert.True(actual.ValueKind == JsonValueKind.Null, $"{at}: expected no rate, got {actual}");
            return;
        }
        Assert.True(actual.ValueKind == JsonValueKind.Number, $"{at}: expected {rate}, got {actual}");
        Assert.Equal(rate, actual.GetDouble(), 12);
    }

    // --- the tests -------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task The_overview_equals_the_model_of_the_definitions_for_every_granularity()
    {
        var script = History();
        await InsertAsync(script.Events);
        var analyst = await AnalystTokenAsync();

        foreach (var granularity in new[] { "month", "week", "day" })
        {
            var overview = await GetJsonAsync(analyst, $"/api/v1/analytics/platform/overview?from={Day(From)}&to={Day(To)}&granularity={granularity}");
            Assert.Equal(granularity, overview.GetProperty("granularity").GetString());
            Assert.Equal("usd", overview.GetProperty("currency").GetString());
            var expected = ExpectedBuckets(granularity);
            var series = overview.GetProperty("series").EnumerateArray().ToList();
            Assert.Equal(expected.Count, series.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.Equal(Day(expected[i].First), series[i].GetProperty("start").GetString());
                Assert.Equal(Day(expected[i].Last), series[i].GetProperty("end").GetString());
                AssertBucket(Expect(script, expected[i].Period, expected[i].First, expected[i].Last), series[i]);
            }
            AssertBucket(Expect(script, "total", From, To), overview.GetProperty("totals"));
        }

        // The model itself, checked by hand for the months (so a shared mistake cannot pass both): MRR at each month's end,
        // conversions, churn and the plan mix.
        var months = (await GetJsonAsync(analyst, $"/api/v1/analytics/platform/overview?from={Day(From)}&to={Day(To)}&granularity=month"))
            .GetProperty("series").EnumerateArray().ToList();
        Assert.Equal([59800L, 71283L, 101383L], months.Select(m => m.GetProperty("mrrCents").GetInt64()));
        Assert.Equal([1L, 2L, 0L], months.Select(m => m.GetProperty("conversions").GetInt64()));
        Assert.Equal([0.5, 0.0, 0.25], months.Select(m => m.GetProperty("logoChurnRate").GetDouble()));
        Assert.Equal(9900.0 / 59800, months[0].GetProperty("netRevenueChurnRate").GetDouble(), 12);
        Assert.Equal(40000.0 / 59800, months[1].GetProperty("netRevenueChurnRate").GetDouble(), 12);
        Assert.Equal((9900.0 - 40000) / 71283, months[2].GetProperty("netRevenueChurnRate").GetDouble(), 12);
        Assert.Equal("enterprise=2,free=2,pro=1", string.Join(',', months[2].GetProperty("planMix").EnumerateArray()
            .Select(p => $"{p.GetProperty("plan").GetString()}={p.GetProperty("tenants").GetInt64()}")));
        Assert.Equal(33794, months[2].GetProperty("arpaCents").GetInt64());
        Assert.Equal([4L, 3L, 3L], months.Select(m => m.GetProperty("activeTenants").GetInt64()));
        Assert.Equal([9900L, 508900L, 30000L], months.Select(m => m.GetProperty("collectedCents").GetInt64()));
    }

    [Fact]
    public async Task Quota_use_per_plan_and_the_top_tenants_follow_the_script()
    {
        var script = History();
        await InsertAsync(script.Events);
        var overview = await GetJsonAsync(await AnalystTokenAsync(), $"/api/v1/analytics/platform/overview?from={Day(From)}&to={Day(To)}&granularity=month");
        Assert.Equal("2025-03-01", overview.GetProperty("quotaMonth").GetString());
        var quota = overview.GetProperty("quota").EnumerateArray().ToDictionary(q => q.GetProperty("plan").GetString()!);
        Assert.Equal(["enterprise", "free", "pro"], quota.Keys.Order(StringComparer.Ordinal));
        // Free at March's end: Acme (cancelled to Free, 9 of 10 runs counted in March) and Golf (10 of 10).
        var free = quota["free"];
        Assert.Equal(2, free.GetProperty("tenants").GetInt64());
        Assert.Equal(10, free.GetProperty("runsPerMonth").GetInt64());
        Assert.Equal(19, free.GetProperty("runsUsed").GetInt64());
        Assert.Equal(0.95, free.GetProperty("utilisation").GetDouble(), 12);
        Assert.Equal(0.95, free.GetProperty("averageUtilisation").GetDouble(), 12);
        Assert.Equal(2, free.GetProperty("tenantsNearLimit").GetInt64());
        Assert.Equal(1, free.GetProperty("tenantsAtLimit").GetInt64());
        // Enterprise is unlimited: runs counted, no utilisation.
        var enterprise = quota["enterprise"];
        Assert.Equal(2, enterprise.GetProperty("tenants").GetInt64());
        Assert.Equal(JsonValueKind.Null, enterprise.GetProperty("runsPerMonth").ValueKind);
        Assert.Equal(1, enterprise.GetProperty("runsUsed").GetInt64());
        Assert.Equal(JsonValueKind.Null, enterprise.GetProperty("utilisation").ValueKind);
        var pro = quota["pro"];
        Assert.Equal((1L, 1000L, 0L, 0.0), (pro.GetProperty("tenants").GetInt64(), pro.GetProperty("runsPerMonth").GetInt64(),
            pro.GetProperty("runsUsed").GetInt64(), pro.GetProperty("utilisation").GetDouble()));

        var top = overview.GetProperty("top");
        string Names(string list) => string.Join(',', top.GetProperty(list).EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        // Acme and Golf ran 10 each; Acme's solver time breaks the tie.
        Assert.Equal("Acme,Golf,Beta,Gamma", Names("byRuns"));
        Assert.Equal("Gamma,Beta,Acme", Names("bySolverHours"));
        Assert.Equal("Gamma,Beta,Echo", Names("byMrr"));
        var gamma = top.GetProperty("byMrr")[0];
        Assert.Equal(("enterprise", 49900L, 2L, 2.5, false), (gamma.GetProperty("plan").GetString(), gamma.GetProperty("mrrCents").GetInt64(),
            gamma.GetProperty("runs").GetInt64(), gamma.GetProperty("solverHours").GetDouble(), gamma.GetProperty("deleted").GetBoolean()));
        var acme = top.GetProperty("byRuns")[0];
        Assert.Equal(("free", 0L, 10L), (acme.GetProperty("plan").GetString(), acme.GetProperty("mrrCents").GetInt64(), acme.GetProperty("runs").GetInt64()));
    }

    [Fact]
    public async Task A_batch_delivered_twice_and_every_migration_rerun_change_nothing()
    {
        var script = History();
        await InsertAsync(script.Events);
        var analyst = await AnalystTokenAsync();
        var path = $"/api/v1/analytics/platform/overview?from={Day(From)}&to={Day(To)}&granularity=week";
        var once = (await GetJsonAsync(analyst, path)).ToString();

        await InsertAsync(script.Events);
        await InsertAsync(script.Events.Take(script.Events.Count / 2).ToList());
        using (var database = Database())
        using (var timeout = new CancellationTokenSource(Budget))
        {
            foreach (var (_, sql) in ClickHouseMigrator.Load())
            {
                await database.ExecuteAsync(sql, timeout.Token);
            }
            Assert.Equal(script.Events.Count * 2 + script.Events.Count / 2,
                long.Parse((await database.QueryTsvAsync("SELECT count() FROM events", timeout.Token))[0][0], CultureInfo.InvariantCulture));
        }
        Assert.Equal(once, (await GetJsonAsync(analyst, path)).ToString());
    }

    [Fact]
    public async Task The_csv_download_has_the_same_numbers()
    {
        var script = History();
        await InsertAsync(script.Events);
        var analyst = await AnalystTokenAsync();
        var json = await GetJsonAsync(analyst, $"/api/v1/analytics/platform/overview?from={Day(From)}&to={Day(To)}&granularity=month");
        var (status, csv, contentType) = await SendRawAsync(analyst, new HttpRequestMessage(HttpMethod.Get,
            $"/api/v1/analytics/platform/overview?from={Day(From)}&to={Day(To)}&granularity=month&format=csv"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("text/csv", contentType, StringComparison.Ordinal);
        var lines = csv.TrimEnd('\n').Split('\n');
        var header = lines[0].Split(',');
        Assert.Equal(["period", "start", "end", "active_tenants"], header.Take(4));
        Assert.Equal(["plan_enterprise", "plan_free", "plan_pro"], header.Where(h => h.StartsWith("plan_", StringComparison.Ordinal)));
        Assert.Equal(5, lines.Length); // header, three months, total
        var series = json.GetProperty("series").EnumerateArray().ToList();
        for (var i = 0; i < series.Count; i++)
        {
            var row = header.Zip(lines[i + 1].Split(',')).ToDictionary(p => p.First, p => p.Second);
            Assert.Equal(series[i].GetProperty("period").GetString(), row["period"]);
            Assert.Equal(series[i].GetProperty("mrrCents").GetInt64().ToString(CultureInfo.InvariantCulture), row["mrr_cents"]);
            Assert.Equal(series[i].GetProperty("conversions").GetInt64().ToString(CultureInfo.InvariantCulture), row["conversions"]);
            Assert.Equal(series[i].GetProperty("netRevenueChurnRate").GetDouble().ToString("R", CultureInfo.InvariantCulture), row["net_revenue_churn_rate"]);
            Assert.Equal(series[i].GetProperty("solverHours").GetDouble().ToString("R", CultureInfo.InvariantCulture), row["solver_hours"]);
        }
        Assert.StartsWith("total,2025-01-01,2025-03-31,", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_a_live_analysts_token_is_admitted()
    {
        var path = $"/api/v1/analytics/platform/overview?from={Day(From)}&to={Day(To)}";
        var (tenant, owner) = await SignUpAsync();
        // Tenant members of every role, and an API key's shape, are refused naming the permission.
        var refused = new List<string>
        {
            owner,
            Token(new AccessTokenSubject(tenant.UserId, tenant.TenantId, Roles.Viewer, "free", null, Actor.KindUser)),
            Token(new AccessTokenSubject(tenant.UserId, tenant.TenantId, Roles.Engineer, "free", null, Actor.KindUser)),
            Token(new AccessTokenSubject(tenant.UserId, tenant.TenantId, Roles.Admin, "free", null, Actor.KindUser)),
            // An operator without the grant.
            Token(new AccessTokenSubject(tenant.UserId, null, Roles.PlatformOperator, null, null, Actor.KindOperator)),
        };
        foreach (var token in refused)
        {
            var (status, body) = await SendAsync(token, new HttpRequestMessage(HttpMethod.Get, path));
            Assert.True(status == HttpStatusCode.Forbidden, $"{status} {body}");
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal("platform.analytics.read", problem.GetProperty("requiredPermission").GetString());
            Assert.Equal("https://deepsim.dev/problems/forbidden", problem.GetProperty("type").GetString());
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(null, new HttpRequestMessage(HttpMethod.Get, path))).Status);

        // A token signed like an analyst's, for a person the Api does not know as one: the Api's answer decides.
        var minted = Token(new AccessTokenSubject(tenant.UserId, null, Roles.PlatformAnalyst, null, null, Actor.KindAnalyst));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(minted, new HttpRequestMessage(HttpMethod.Get, path))).Status);

        // A real analyst is admitted; once signed out, or once the role is revoked, at once no longer.
        var analyst = await AnalystTokenAsync(tenant);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(analyst, new HttpRequestMessage(HttpMethod.Get, path))).Status);
        var second = await SignInAsAnalystAsync(tenant);
        using (var api = fixture.Client(second))
        using (var signOut = await api.PostAsync("/api/v1/auth/signout", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(second, new HttpRequestMessage(HttpMethod.Get, path))).Status);
        await using (var db = await fixture.OpenOwnerAsync())
        {
            await db.ExecuteAsync("delete from platform_roles where user_id = @u", new { u = tenant.UserId });
        }
        var (revoked, revokedBody) = await SendAsync(analyst, new HttpRequestMessage(HttpMethod.Get, path));
        Assert.True(revoked == HttpStatusCode.Unauthorized, $"{revoked} {revokedBody}");
    }

    [Theory]
    [InlineData("from=2025-01-01' OR 1=1 --", "query.from")]
    [InlineData("to=2025-01-01');DROP TABLE events;--", "query.to")]
    [InlineData("granularity=month) OR (1=1", "query.granularity")]
    [InlineData("granularity=toStartOfMonth(day)", "query.granularity")]
    [InlineData("granularity=year", "query.granularity")]
    [InlineData("format=csv' --", "query.format")]
    [InlineData("format=xlsx", "query.format")]
    [InlineData("from=2025-05-01&to=2025-04-30", "query.from")]
    [InlineData("from=2024-01-01&to=2025-01-02", "query.to")]
    [InlineData("from=2025-02-30", "query.from")]
    [InlineData("from=1969-12-31&to=1970-01-02", "query.from")]
    [InlineData("from=2025-01-01&from=2025-01-02", "query.from")]
    [InlineData("to=\\' OR 1=1", "query.to")]
    public async Task Bad_or_hostile_parameters_are_400_naming_the_field(string parameters, string field)
    {
        var analyst = await AnalystTokenAsync();
        var (status, body) = await SendAsync(analyst, new HttpRequestMessage(HttpMethod.Get, "/api/v1/analytics/platform/overview?" + parameters));
        Assert.True(status == HttpStatusCode.BadRequest, $"{parameters}: {status} {body}");
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal("https://deepsim.dev/problems/validation", problem.GetProperty("type").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), body);
    }

    [Fact]
    public async Task An_analytics_store_that_does_not_answer_is_a_503()
    {
        var analyst = await AnalystTokenAsync();
        await StopAnalyticsAsync();
        // The same service pointed at a port where no ClickHouse listens.
        await StartAnalyticsAsync(ingest: false, clickHouse: $"Host=127.0.0.1;Port={PortAllocator.Pick()};Protocol=http;Database={databaseName};Username=default;Password=");
        var (status, body) = await SendAsync(analyst, new HttpRequestMessage(HttpMethod.Get, $"/api/v1/analytics/platform/overview?from={Day(From)}&to={Day(To)}"));
        Assert.True(status == HttpStatusCode.ServiceUnavailable, $"{status} {body}");
        Assert.Equal("https://deepsim.dev/problems/service-unavailable", JsonDocument.Parse(body).RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_real_tenants_plan_change_reaches_the_overview_through_the_ingester()
    {
        // The real path: the Api's own events (tenant_state() fields, jsonb) through the outbox feed and the ingester.
        await StopAnalyticsAsync();
        await StartAnalyticsAsync(ingest: true);
        var (tenant, owner) = await SignUpAsync();
        using (var client = fixture.Client(owner))
        using (var change = await client.PutAsJsonAsync("/api/v1/billing/subscription", new { plan = "pro", cycle = "monthly" }))
        {
            Assert.True(change.IsSuccessStatusCode, await change.Content.ReadAsStringAsync());
        }
        var analyst = await AnalystTokenAsync();
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var path = $"/api/v1/analytics/platform/overview?from={Day(today.AddDays(-1))}&to={Day(today.AddDays(1))}";
        JsonElement? found = null;
        await Eventually.WaitUntilAsync(async () =>
        {
            var overview = await GetJsonAsync(analyst, path);
            found = overview.GetProperty("top").GetProperty("byMrr").EnumerateArray()
                .Where(t => t.GetProperty("tenantId").GetString() == tenant.TenantId.ToString()).Cast<JsonElement?>().FirstOrDefault();
            return found is not null;
        }, "the tenant's upgrade in the overview", Budget);
        Assert.Equal("pro", found!.Value.GetProperty("plan").GetString());
        Assert.Equal(9900, found.Value.GetProperty("mrrCents").GetInt64());
        Assert.Equal(tenant.Name, found.Value.GetProperty("name").GetString());
        var totals = (await GetJsonAsync(analyst, path)).GetProperty("totals");
        Assert.True(totals.GetProperty("newTenants").GetInt64() >= 1, totals.ToString());
        Assert.True(totals.GetProperty("collectedCents").GetInt64() >= 9900, totals.ToString());
        Assert.True(totals.GetProperty("planMix").EnumerateArray().Any(p => p.GetProperty("plan").GetString() == "pro"), totals.ToString());
    }

    // --- plumbing --------------------------------------------------------------------------------------------------

    private sealed record SignedUp(Guid TenantId, Guid UserId, string Email, string Name);

    private const string Password = "correct-horse-battery";

    private async Task<(SignedUp Tenant, string OwnerToken)> SignUpAsync()
    {
        using var timeout = new CancellationTokenSource(Budget);
        using var anonymous = fixture.Client();
        var slug = $"p-{Guid.NewGuid():N}"[..30];
        var email = $"analyst-{Guid.NewGuid():N}@example.test";
        var name = "Platform " + slug;
        var signed = await SignUps.SignUpAsync(anonymous, new { tenantName = name, slug, email, password = Password, displayName = "Ana" }, email,
            SignUps.FromOutbox(fixture.OpenOwnerAsync), timeout.Token);
        var token = signed.GetProperty("accessToken").GetString()!;
        var userId = Guid.Parse(JsonDocument.Parse(Api.Tests.ForgedTokens.Payload(token)).RootElement.GetProperty("sub").GetString()!);
        return (new SignedUp(signed.GetProperty("tenantId").GetGuid(), userId, email, name), token);
    }

    /// <summary>A new person made a platform analyst (the row an operator's grant writes) and signed in as one.</summary>
    private async Task<string> AnalystTokenAsync(SignedUp? person = null)
    {
        person ??= (await SignUpAsync()).Tenant;
        await using (var db = await fixture.OpenOwnerAsync())
        {
            await db.ExecuteAsync("insert into platform_roles (user_id, role) values (@u, 'analyst') on conflict do nothing", new { u = person.UserId });
        }
        return await SignInAsAnalystAsync(person);
    }

    private async Task<string> SignInAsAnalystAsync(SignedUp person)
    {
        using var client = fixture.Client();
        using var response = await client.PostAsJsonAsync("/api/v1/auth/signin", new { email = person.Email, password = Password, asAnalyst = true });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"analyst sign-in: {response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("accessToken").GetString()!;
    }

    /// <summary>A token the Api's key ring signs for <paramref name="subject"/> (valid signature; the Api may still refuse it).</summary>
    private string Token(AccessTokenSubject subject) =>
        new TokenService(Options.Create(new AuthSettings()), fixture.ApiServices.GetRequiredService<SigningKeyRing>(), TimeProvider.System)
            .CreateAccessToken(subject).Token;

    private async Task InsertAsync(IReadOnlyList<FeedEvent> events)
    {
        using var database = Database();
        using var timeout = new CancellationTokenSource(Budget);
        await new EventStore(database, TimeProvider.System).InsertAsync(events, timeout.Token);
    }

    private async Task StartAnalyticsAsync(bool ingest, string? clickHouse = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ResourceNames.ClickHouse}"] = clickHouse
                ?? fixture.ClickHouse.ConnectionString.Replace("Database=deepsim", "Database=" + databaseName, StringComparison.Ordinal),
            [$"services:{ResourceNames.Api}:http:0"] = fixture.ApiUrl.ToString(),
            ["Auth:ServiceToken"] = ingest ? AnalyticsFixture.ServiceToken : null,
            ["Ingest:IdlePollMilliseconds"] = "100",
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        analytics = builder.BuildAnalytics();
        using var timeout = new CancellationTokenSource(Budget);
        await analytics.StartAsync(timeout.Token);
        analyticsUrl = new Uri(analytics.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        if (ingest)
        {
            await Eventually.WaitUntilAsync(() => Task.FromResult(
                analytics.Services.GetServices<IHostedService>().OfType<OutboxIngester>().Single().Position is not null), "the ingester's checkpoint", Budget);
        }
    }

    private async Task StopAnalyticsAsync()
    {
        if (analytics is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await analytics.StopAsync(timeout.Token);
            await analytics.DisposeAsync();
            analytics = null;
        }
    }

    private ClickHouseDatabase Database() =>
        new(new ClickHouseConnection(new Uri(fixture.ClickHouse.HttpUrl + "/"), databaseName, "default", ""));

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private async Task<JsonElement> GetJsonAsync(string token, string path)
    {
        var (status, body) = await SendAsync(token, new HttpRequestMessage(HttpMethod.Get, path));
        Assert.True(status == HttpStatusCode.OK, $"{path}: {status} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(string? token, HttpRequestMessage request)
    {
        var (status, body, _) = await SendRawAsync(token, request);
        return (status, body);
    }

    private async Task<(HttpStatusCode Status, string Body, string ContentType)> SendRawAsync(string? token, HttpRequestMessage request)
    {
        using (request)
        {
            using var client = new HttpClient { BaseAddress = analyticsUrl, Timeout = Budget };
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            using var timeout = new CancellationTokenSource(Budget);
            using var response = await client.SendAsync(request, timeout.Token);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(timeout.Token), response.Content.Headers.ContentType?.ToString() ?? "");
        }
    }
}
