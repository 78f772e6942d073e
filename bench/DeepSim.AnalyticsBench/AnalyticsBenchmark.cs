using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Claims;
using Dapper;
using DeepSim.Analytics;
using DeepSim.Analytics.ClickHouse;
using DeepSim.Analytics.Ingest;
using DeepSim.Analytics.Usage;
using DeepSim.Api;
using DeepSim.Api.Auth;
using DeepSim.Api.Data;
using DeepSim.ServiceDefaults;
using DeepSim.TestServers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DeepSim.AnalyticsBench;

/// <summary>
/// The analytics pipeline's targets (issue 13), each against a baseline or a budget in the same run, on real servers on
/// 127.0.0.1 (PostgreSQL, Redis, ClickHouse 18.16, the Api and Analytics in this process):
/// <list type="number">
/// <item>ingest throughput: <see cref="EventStore"/>'s binary bulk insert (ClickHouse.Driver) against
/// <c>clickhouse-client</c> inserting the same rows as TSV from stdin, alternating, into fresh databases with the real
/// schema (the roll-up view included);</item>
/// <item>end-to-end lag at a steady event rate: events written into the Api's outbox one transaction each, measured until
/// a poll of ClickHouse sees them, the ingester as Analytics composes it (HTTP feed, default poll interval), with the
/// <c>deepsim.ingest.lag</c> reading sampled beside;</item>
/// <item>the tenant usage query (<see cref="TenantAnalytics.UsageAsync"/>, and the same over HTTP with a token) over
/// 90 days of seeded events.</item>
/// </list>
/// </summary>
public static class AnalyticsBenchmark
{
    private const string ServiceToken = "analytics-bench-service-token-0123456789";
    private static readonly TimeSpan TotalBudget = TimeSpan.FromMinutes(20);
    private static readonly string[] IngestKinds = ["bulk", "gzip", "paged", "client"];

    private sealed record Settings(int Rows, int Rounds, int Rate, int Seconds, int Days, int Tenants, int PerDay, int Queries, int Backlog, HashSet<string> Phases);

    private sealed record Outcome(string Target, bool Met, string Figures);

    public static async Task<int> RunAsync(string[] args)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the analytics bench runs DeepSim.TestServers' Linux servers");
        }
        var settings = Parse(args);
        using var total = new CancellationTokenSource(TotalBudget);
        var ct = total.Token;
        Console.WriteLine(FormattableString.Invariant(
            $"analytics bench: {settings.Rows} rows x {settings.Rounds} rounds; {settings.Rate} events/s for {settings.Seconds} s; {settings.Days} days of {settings.Tenants} tenants; {Environment.ProcessorCount} cores, loopback only"));
        await using var servers = await ScratchServers.StartAsync("deepsim-analyticsbench-", ct);
        await using var clickHouse = await ClickHouseServer.StartAsync(Path.Combine(servers.Folder, "clickhouse"), ct);
        var outcomes = new List<Outcome>();

        if (settings.Phases.Contains("ingest"))
        {
            outcomes.Add(await IngestPhaseAsync(clickHouse, servers.Folder, settings, ct));
        }
        if (settings.Phases.Overlaps(["backlog", "lag", "query"]))
        {
            await DatabaseMigrator.MigrateAsync(servers.Postgres.OwnerConnectionString, servers.Postgres.AppRole, ct);
            var api = await StartApiAsync(servers, ct);
            WebApplication? analytics = null;
            try
            {
                // Alone first: no other ingester reads the feed meanwhile.
                if (settings.Phases.Contains("backlog"))
                {
                    await BacklogPhaseAsync(servers.Postgres.OwnerConnectionString, clickHouse, Url(api), settings, ct);
                }
                var database = "bench_" + Guid.NewGuid().ToString("N")[..8];
                analytics = await StartAnalyticsAsync(clickHouse, database, Url(api), ct);
                var lag = analytics.Services.GetRequiredService<IngestLag>();
                await Until(() => lag.Current.Lag == TimeSpan.Zero, TimeSpan.FromMinutes(3), "the ingester caught up with the feed", ct);
                if (settings.Phases.Contains("lag"))
                {
                    outcomes.Add(await LagPhaseAsync(servers.Postgres.OwnerConnectionString, clickHouse, database, lag, settings, ct));
                }
                if (settings.Phases.Contains("query"))
                {
                    outcomes.Add(await QueryPhaseAsync(api, analytics, clickHouse, database, settings, ct));
                }
            }
            finally
            {
                if (analytics is not null)
                {
                    await analytics.StopAsync(CancellationToken.None);
                    await analytics.DisposeAsync();
                }
                await api.StopAsync(CancellationToken.None);
                await api.DisposeAsync();
            }
        }

        Console.WriteLine();
        Console.WriteLine("targets (issue 13):");
        foreach (var outcome in outcomes)
        {
            Console.WriteLine($"  [{(outcome.Met ? "met" : "NOT met")}] {outcome.Target}: {outcome.Figures}");
        }
        return 0;
    }

    // --- (a) ingest throughput ------------------------------------------------------------------------------------

    private static async Task<Outcome> IngestPhaseAsync(ClickHouseServer server, string folder, Settings settings, CancellationToken ct)
    {
        var tenants = Enumerable.Range(0, 50).Select(i => new Guid(i + 1, 0, 0, new byte[8])).ToList();
        var perTenantDay = Math.Max(30, settings.Rows / (tenants.Count * 7) + 1);
        var events = tenants.SelectMany((t, i) => SyntheticEvents.ForTenant(t, DateOnly.FromDateTime(DateTime.UtcNow), 7, perTenantDay, seed: i))
            .Take(settings.Rows).ToList();
        var tsv = Path.Combine(folder, "events.tsv");
        SyntheticEvents.WriteTsv(events, DateTime.UtcNow, tsv);
        Console.WriteLine(FormattableString.Invariant(
            $"ingest: {events.Count} events ({new FileInfo(tsv).Length / (double)events.Count:F0} bytes a row as TSV), into fresh databases with the events table and its roll-up view"));

        var startup = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var clock = Stopwatch.StartNew();
            await ClientAsync(server, "SELECT 1", null, ct);
            startup.Add(clock.Elapsed.TotalSeconds);
        }

        var loadBefore = LoadAverage();
        var bulk = new List<double>();
        var gzip = new List<double>();
        var paged = new List<double>();
        var client = new List<double>();
        for (var round = 0; round < settings.Rounds; round++)
        {
            // The order turns each round, so neither side always runs on a warmer (or busier) server.
            var order = IngestKinds.Skip(round % IngestKinds.Length).Concat(IngestKinds.Take(round % IngestKinds.Length));
            foreach (var kind in order)
            {
                using var database = Database(server, $"ingest_{kind}_{round}");
                await ClickHouseMigrator.MigrateAsync(database, ct);
                var clock = Stopwatch.StartNew();
                switch (kind)
                {
                    case "bulk":
                        await new EventStore(database, TimeProvider.System).InsertAsync(events, ct);
                        bulk.Add(clock.Elapsed.TotalSeconds);
                        break;
                    case "gzip":
                        // The same call with gzip request bodies (Compression=gzip in the connection string).
                        using (var zipped = new ClickHouseDatabase(database.Connection with { Compression = InsertCompression.Gzip }))
                        {
                            await new EventStore(zipped, TimeProvider.System).InsertAsync(events, ct);
                        }
                        gzip.Add(clock.Elapsed.TotalSeconds);
                        break;
                    case "paged":
                        // As the ingester stores the feed: pages of 1000, one after the other.
                        var store = new EventStore(database, TimeProvider.System);
                        foreach (var page in events.Chunk(1000))
                        {
                            await store.InsertAsync(page, ct);
                        }
                        paged.Add(clock.Elapsed.TotalSeconds);
                        break;
                    default:
                        await ClientAsync(server, $"INSERT INTO {database.DatabaseName}.events FORMAT TabSeparated", tsv, ct);
                        client.Add(clock.Elapsed.TotalSeconds);
                        break;
                }
                var stored = long.Parse((await database.QueryTsvAsync("SELECT count() FROM events", ct))[0][0], CultureInfo.InvariantCulture);
                if (stored != events.Count)
                {
                    throw new InvalidOperationException($"{kind}: {stored} rows stored of {events.Count}");
                }
                await database.ExecuteAsync($"DROP DATABASE {database.DatabaseName}", ct);
            }
        }
        string Rate(List<double> seconds) => FormattableString.Invariant(
            $"median {events.Count / Median(seconds):F0} rows/s, best {events.Count / seconds.Min():F0} rows/s");
        Console.WriteLine($"  EventStore bulk insert, one call:      {Rate(bulk)}");
        Console.WriteLine($"  the same, gzip request bodies:         {Rate(gzip)}");
        Console.WriteLine($"  EventStore in 1000-row calls:          {Rate(paged)} (one feed page per insert)");
        Console.WriteLine($"  clickhouse-client, TSV from stdin:     {Rate(client)} (process start included: {startup.Min() * 1e3:F0} ms for SELECT 1)");
        var ratio = Median(client) / Median(bulk);
        var pagedRatio = Median(client) / Median(paged);
        return new Outcome("ingest throughput >= clickhouse-client's, same rows, same run", ratio >= 1,
            FormattableString.Invariant($"EventStore {events.Count / Median(bulk):F0} rows/s = {ratio:F2}x clickhouse-client's {events.Count / Median(client):F0} rows/s (medians of {settings.Rounds}; best {client.Min() / bulk.Min():F2}x); in 1000-row calls {pagedRatio:F2}x; load average {loadBefore:F1}-{LoadAverage():F1}"));
    }

    private static async Task ClientAsync(ClickHouseServer server, string query, string? stdin, CancellationToken ct)
    {
        // Through sh so the rows come from a file on stdin, as a person would pipe them.
        var command = FormattableString.Invariant($"exec clickhouse-client --host 127.0.0.1 --port {server.TcpPort} --query \"{query}\"") + (stdin is null ? "" : $" < '{stdin}'");
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"clickhouse-client exited {process.ExitCode}: {await error}");
        }
    }

    // --- the ingester draining a backlog through the Api's feed (for reference) ------------------------------------------

    private static async Task BacklogPhaseAsync(string owner, ClickHouseServer server, Uri api, Settings settings, CancellationToken ct)
    {
        await using (var connection = new NpgsqlConnection(owner))
        {
            await connection.OpenAsync(ct);
            for (var done = 0; done < settings.Backlog; done += 20_000)
            {
                await connection.ExecuteAsync(
                    "insert into event_outbox (id, type, payload) select gen_random_uuid(), 'bench.backlog', jsonb_build_object('runId', gen_random_uuid()::text, 'n', n) from generate_series(1, @count) n",
                    new { count = Math.Min(20_000, settings.Backlog - done) });
            }
        }
        long total;
        await using (var connection = new NpgsqlConnection(owner))
        {
            total = await connection.ExecuteScalarAsync<long>("select count(*) from event_outbox");
        }
        var results = new List<string>();
        foreach (var maxInsertRows in new[] { new IngestOptions().MaxInsertRows, 1000 })
        {
            using var http = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServiceToken);
            using var database = Database(server, "backlog_" + Guid.NewGuid().ToString("N")[..8]);
            var options = Options.Create(new IngestOptions { MaxInsertRows = maxInsertRows });
            using var ingester = new OutboxIngester(new OutboxFeedClient(http), database, new EventStore(database, TimeProvider.System), options,
                new IngestLag(null, IngestLag.Feed), Microsoft.Extensions.Logging.Abstractions.NullLogger<OutboxIngester>.Instance);
            var clock = Stopwatch.StartNew();
            await ingester.StartAsync(ct);
            await Until(() => ingester.Ingested >= total, TimeSpan.FromMinutes(5), $"the backlog of {total} events stored", ct);
            var elapsed = clock.Elapsed;
            await ingester.StopAsync(ct);
            results.Add(FormattableString.Invariant($"{total / elapsed.TotalSeconds:F0} events/s with inserts of up to {maxInsertRows} rows"));
        }
        Console.WriteLine(FormattableString.Invariant(
            $"backlog: the ingester (HTTP feed, pages of 1000) storing {total} outbox events from position 0-0: {string.Join("; ", results)} (migrations included)"));
    }

    // --- (b) end-to-end lag --------------------------------------------------------------------------------------------

    private static async Task<Outcome> LagPhaseAsync(string owner, ClickHouseServer server, string databaseName, IngestLag gauge, Settings settings,
        CancellationToken ct)
    {
        var count = settings.Rate * settings.Seconds;
        var run = Guid.NewGuid().ToString("N")[..8];
        var written = new long[count];
        var seen = new long[count];
        await using var source = NpgsqlDataSource.Create(owner);
        using var database = Database(server, databaseName);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);

        // Seen: the first poll of ClickHouse that returns the event (every 20 ms).
        var reader = Task.Run(async () =>
        {
            var remaining = count;
            while (remaining > 0 && !stop.IsCancellationRequested)
            {
                var rows = await database.QueryTsvAsync(
                    $"SELECT visitParamExtractUInt(payload, 'n') FROM events WHERE type = 'bench.lag' AND visitParamExtractString(payload, 'run') = {ClickHouseSql.Literal(run)}", stop.Token);
                var now = Stopwatch.GetTimestamp();
                foreach (var row in rows)
                {
                    var n = int.Parse(row[0], CultureInfo.InvariantCulture);
                    if (seen[n] == 0)
                    {
                        seen[n] = now;
                        remaining--;
                    }
                }
                await Task.Delay(20, stop.Token);
            }
        }, stop.Token);
        var readings = new List<double>();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (gauge.Current.Lag is { } lag)
                {
                    readings.Add(lag.TotalSeconds);
                }
                await Task.Delay(100, stop.Token);
            }
        }, stop.Token);

        // Written: each event its own transaction at its due time (a few connections, so one slow commit holds none up).
        var loadBefore = LoadAverage();
        var clock = Stopwatch.StartNew();
        var writers = new SemaphoreSlim(8);
        var inserts = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds(i / (double)settings.Rate);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, ct);
            }
            await writers.WaitAsync(ct);
            var n = i;
            inserts.Add(Task.Run(async () =>
            {
                try
                {
                    written[n] = Stopwatch.GetTimestamp();
                    await using var connection = await source.OpenConnectionAsync(ct);
                    await connection.ExecuteAsync(
                        "insert into event_outbox (id, type, payload) values (gen_random_uuid(), 'bench.lag', jsonb_build_object('run', @run::text, 'n', @n))",
                        new { run, n });
                }
                finally
                {
                    writers.Release();
                }
            }, ct));
        }
        await Task.WhenAll(inserts);
        var writing = clock.Elapsed;
        await Until(() => reader.IsCompleted, TimeSpan.FromSeconds(60), "every event seen in ClickHouse", ct);
        await stop.CancelAsync();
        await reader;
        try
        {
            await sampler;
        }
        catch (OperationCanceledException)
        {
            // stopped on purpose
        }

        var lags = written.Zip(seen, (w, s) => Stopwatch.GetElapsedTime(w, s).TotalSeconds).ToList();
        Console.WriteLine(FormattableString.Invariant(
            $"lag: {count} events written in {writing.TotalSeconds:F1} s ({count / writing.TotalSeconds:F0}/s), each in its own transaction; the ingester as composed (feed page 1000, idle poll {new IngestOptions().IdlePollMilliseconds} ms)"));
        Console.WriteLine(FormattableString.Invariant(
            $"  write to visible in ClickHouse: p50 {Percentile(lags, 0.5) * 1e3:F0} ms, p99 {Percentile(lags, 0.99) * 1e3:F0} ms, max {lags.Max() * 1e3:F0} ms (ClickHouse polled every 20 ms)"));
        Console.WriteLine(FormattableString.Invariant(
            $"  {IngestLag.GaugeName} sampled every 100 ms: p50 {Percentile(readings, 0.5):F2} s, p99 {Percentile(readings, 0.99):F2} s, max {readings.DefaultIfEmpty(0).Max():F2} s ({readings.Count} readings)"));
        var p99 = Percentile(lags, 0.99);
        return new Outcome(FormattableString.Invariant($"end-to-end lag p99 <= 2 s at {settings.Rate} events/s"), p99 <= 2.0,
            FormattableString.Invariant($"p50 {Percentile(lags, 0.5) * 1e3:F0} ms, p99 {p99 * 1e3:F0} ms, max {lags.Max() * 1e3:F0} ms over {count} events; load average {loadBefore:F1}-{LoadAverage():F1}"));
    }

    // --- (c) tenant dashboard query ------------------------------------------------------------------------------------

    private static async Task<Outcome> QueryPhaseAsync(WebApplication api, WebApplication analytics, ClickHouseServer server, string databaseName,
        Settings settings, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var measured = Guid.NewGuid();
        using var database = Database(server, databaseName);
        var store = new EventStore(database, TimeProvider.System);
        var seeded = 0L;
        var seeding = Stopwatch.StartNew();
        // Day by day for every tenant, as time would have written them.
        var sources = new List<IEnumerable<FeedEvent>> { SyntheticEvents.ForTenant(measured, today, settings.Days, settings.PerDay, seed: 1) };
        for (var t = 0; t < settings.Tenants - 1; t++)
        {
            sources.Add(SyntheticEvents.ForTenant(Guid.NewGuid(), today, settings.Days, Math.Max(30, settings.PerDay / 10), seed: 100 + t));
        }
        var batch = new List<FeedEvent>(20_000);
        foreach (var source in sources)
        {
            foreach (var e in source)
            {
                batch.Add(e);
                if (batch.Count == batch.Capacity)
                {
                    await store.InsertAsync(batch, ct);
                    seeded += batch.Count;
                    batch.Clear();
                }
            }
        }
        if (batch.Count > 0)
        {
            await store.InsertAsync(batch, ct);
            seeded += batch.Count;
        }
        var own = long.Parse((await database.QueryTsvAsync($"SELECT count() FROM events WHERE tenant_id = toUUID({ClickHouseSql.Literal(measured.ToString())})", ct))[0][0], CultureInfo.InvariantCulture);
        Console.WriteLine(FormattableString.Invariant(
            $"query: {seeded} events seeded over {settings.Days} days ({own} of the measured tenant, {settings.Tenants - 1} other tenants) in {seeding.Elapsed.TotalSeconds:F1} s = {seeded / seeding.Elapsed.TotalSeconds:F0} rows/s through the roll-up view"));

        // Ninety days of history were written over ninety days, not in seconds: let the background merges of the seeding
        // finish first (bounded), as they would have long ago, so they do not run against the measured queries.
        var settle = Stopwatch.StartNew();
        while (settle.Elapsed < TimeSpan.FromMinutes(3)
               && (await database.QueryTsvAsync("SELECT count() FROM system.merges WHERE database = currentDatabase()", ct))[0][0] != "0")
        {
            await Task.Delay(500, ct);
        }
        Console.WriteLine(FormattableString.Invariant($"  seeding's background merges finished after {settle.Elapsed.TotalSeconds:F1} s more"));

        var queries = analytics.Services.GetRequiredService<TenantAnalytics>();
        var http = new DefaultHttpContext { User = new ClaimsPrincipal(new ClaimsIdentity([new Claim("tid", measured.ToString())], "bench")) };
        var tenant = (await AnalyticsTenant.BindAsync(http))!;
        var range = new DayRange(today.AddDays(-(settings.Days - 1)), today);

        var usage = await queries.UsageAsync(tenant, range, Granularity.Day, ct);
        if (usage.Series.Count != settings.Days || usage.Totals.RunsSubmitted == 0)
        {
            throw new InvalidOperationException($"the usage answer has {usage.Series.Count} days and {usage.Totals.RunsSubmitted} runs");
        }
        using var client = new HttpClient { BaseAddress = Url(analytics), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(api, measured));
        var path = FormattableString.Invariant($"/api/v1/analytics/usage?from={range.From:yyyy-MM-dd}&to={range.To:yyyy-MM-dd}&granularity=day");
        // Baseline: the usage query as it was before it read per day (one statement per period, one over the range).
        var condition = $"tenant_id = toUUID({ClickHouseSql.Literal(measured.ToString())}) AND day >= {ClickHouseSql.Literal(range.From)} AND day <= {ClickHouseSql.Literal(range.To)}";
        const string amount = "arraySum(arrayMap(s -> toFloat64(splitByChar('|', s)[2]), groupUniqArrayIfMerge(amounts)))";
        var variants = new (string Name, Func<Task> Query)[]
        {
            ("usage by day (TenantAnalytics.UsageAsync)", () => queries.UsageAsync(tenant, range, Granularity.Day, ct)),
            ("the same over HTTP (GET /api/v1/analytics/usage, token, JSON)", async () =>
            {
                using var response = await client.GetAsync(path, ct);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync(ct);
            }),
            ("baseline: the query before it read per day (period + range statements)", async () =>
            {
                await database.QueryTsvAsync($"SELECT toString(day) AS period, metric, uniqExactIfMerge(distinct_keys), {amount} FROM tenant_daily WHERE {condition} GROUP BY period, metric", ct);
                await database.QueryTsvAsync($"SELECT metric, uniqExactIfMerge(distinct_keys), {amount} FROM tenant_daily WHERE {condition} GROUP BY metric", ct);
            }),
            ("usage by month", () => queries.UsageAsync(tenant, range, Granularity.Month, ct)),
            ("runs by status (raw events, for comparison)", () => queries.RunsAsync(tenant, range, RunsBy.Status, ct)),
        };

        // Interleaved, so every variant sees the same load; the CPU each used (ClickHouse's and this process's) is
        // counted apart, as a figure a shared machine's contention does not inflate.
        var times = variants.Select(_ => new List<double>(settings.Queries)).ToArray();
        var cpu = new double[variants.Length];
        var serverCpu = new double[variants.Length];
        foreach (var (_, query) in variants)
        {
            for (var i = 0; i < 5; i++)
            {
                await query();
            }
        }
        var loadBefore = LoadAverage();
        for (var i = 0; i < settings.Queries; i++)
        {
            for (var v = 0; v < variants.Length; v++)
            {
                var serverBefore = CpuSeconds(server.ProcessId);
                var cpuBefore = serverBefore + Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
                var clock = Stopwatch.StartNew();
                await variants[v].Query();
                times[v].Add(clock.Elapsed.TotalSeconds);
                var serverAfter = CpuSeconds(server.ProcessId);
                cpu[v] += serverAfter + Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - cpuBefore;
                serverCpu[v] += serverAfter - serverBefore;
            }
        }
        var loadAfter = LoadAverage();
        var parts = (await database.QueryTsvAsync("SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = 'tenant_daily' AND active", ct))[0][0];
        string Show(int v) => FormattableString.Invariant(
            $"p50 {Percentile(times[v], 0.5) * 1e3:F1} ms, p99 {Percentile(times[v], 0.99) * 1e3:F1} ms, min {times[v].Min() * 1e3:F1} ms; CPU {cpu[v] / settings.Queries * 1e3:F1} ms a query ({serverCpu[v] / settings.Queries * 1e3:F1} of it ClickHouse's)");
        Console.WriteLine(FormattableString.Invariant(
            $"  {settings.Days} days, {settings.Queries} of each after 5 warm-up, interleaved ({parts} active parts of tenant_daily; load average {loadBefore:F1} before, {loadAfter:F1} after, on {Environment.ProcessorCount} cores):"));
        for (var v = 0; v < variants.Length; v++)
        {
            Console.WriteLine($"    {variants[v].Name}: {Show(v)}");
        }
        await database.ExecuteAsync("OPTIMIZE TABLE tenant_daily FINAL", ct);
        var merged = new List<double>();
        for (var i = 0; i < settings.Queries; i++)
        {
            var clock = Stopwatch.StartNew();
            await variants[0].Query();
            merged.Add(clock.Elapsed.TotalSeconds);
        }
        Console.WriteLine(FormattableString.Invariant(
            $"    usage by day after OPTIMIZE TABLE tenant_daily FINAL: p50 {Percentile(merged, 0.5) * 1e3:F1} ms, p99 {Percentile(merged, 0.99) * 1e3:F1} ms, min {merged.Min() * 1e3:F1} ms"));
        var p99 = Math.Max(Percentile(times[0], 0.99), Percentile(times[1], 0.99));
        return new Outcome($"tenant dashboard query over {settings.Days} days <= 200 ms", p99 <= 0.2,
            FormattableString.Invariant($"usage by day p99 {Percentile(times[0], 0.99) * 1e3:F1} ms direct (p50 {Percentile(times[0], 0.5) * 1e3:F1}, min {times[0].Min() * 1e3:F1}, CPU {cpu[0] / settings.Queries * 1e3:F1} ms; {Median(times[2]) / Median(times[0]):F2}x faster than before by median, {cpu[2] / cpu[0]:F2}x less CPU), {Percentile(times[1], 0.99) * 1e3:F1} ms over HTTP (p50 {Percentile(times[1], 0.5) * 1e3:F1}); load average {loadBefore:F1}-{loadAfter:F1} on {Environment.ProcessorCount} cores; {own} events of the tenant, {seeded} in all"));
    }

    /// <summary>User + system CPU seconds of a process so far, from /proc (0 when it cannot be read).</summary>
    private static double CpuSeconds(int? pid)
    {
        var stat = pid is { } p ? $"/proc/{p}/stat" : null;
        if (stat is null || !File.Exists(stat))
        {
            return 0;
        }
        // Fields after the command (which may hold spaces): state is the 3rd field, utime the 14th, stime the 15th.
        var text = File.ReadAllText(stat);
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    // --- the platform in this process ----------------------------------------------------------------------------------

    private static async Task<WebApplication> StartApiAsync(ScratchServers servers, CancellationToken ct)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(ApiServiceExtensions).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ResourceNames.Database}"] = servers.Postgres.AppConnectionString,
            [$"ConnectionStrings:{ResourceNames.PlatformDatabase}"] = servers.Postgres.PlatformConnectionString,
            [$"ConnectionStrings:{ResourceNames.Redis}"] = servers.Redis.ConnectionString,
            ["Auth:ServiceToken"] = ServiceToken,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.BuildApi();
        await app.StartAsync(ct);
        return app;
    }

    private static async Task<WebApplication> StartAnalyticsAsync(ClickHouseServer server, string database, Uri api, CancellationToken ct)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = typeof(AnalyticsServiceExtensions).Assembly.GetName().Name });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ResourceNames.ClickHouse}"] = server.ConnectionString.Replace("Database=deepsim", "Database=" + database, StringComparison.Ordinal),
            [$"services:{ResourceNames.Api}:http:0"] = api.ToString(),
            ["Auth:ServiceToken"] = ServiceToken,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.BuildAnalytics();
        await app.StartAsync(ct);
        return app;
    }

    private static string Token(WebApplication api, Guid tenantId) =>
        new TokenService(Options.Create(new AuthSettings()), api.Services.GetRequiredService<SigningKeyRing>(), TimeProvider.System)
            .CreateAccessToken(new AccessTokenSubject(Guid.NewGuid(), tenantId, "admin", "enterprise", null, Actor.KindUser)).Token;

    private static Uri Url(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    private static ClickHouseDatabase Database(ClickHouseServer server, string name) =>
        new(new ClickHouseConnection(new Uri(server.HttpUrl + "/"), name, "default", ""));

    private static async Task Until(Func<bool> condition, TimeSpan budget, string what, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(budget);
        while (!condition())
        {
            try
            {
                await Task.Delay(50, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"{what}: not within {budget.TotalSeconds} s");
            }
        }
    }

    private static double Median(List<double> values) => Percentile(values, 0.5);

    /// <summary>The one-minute load average (Linux): the machine is shared, so every figure says how busy it was.</summary>
    private static double LoadAverage() =>
        File.Exists("/proc/loadavg") ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture) : double.NaN;

    private static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private static Settings Parse(string[] args)
    {
        int Int(string name, int fallback, int min, int max)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) && v >= min && v <= max ? v : fallback;
        }
        var phases = Array.IndexOf(args, "--phases") is var p and >= 0 && p + 1 < args.Length
            ? args[p + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>(["ingest", "backlog", "lag", "query"], StringComparer.Ordinal);
        return new Settings(
            Rows: Int("--rows", 200_000, 1000, 5_000_000),
            Rounds: Int("--rounds", 3, 1, 20),
            Rate: Int("--rate", 200, 1, 5000),
            Seconds: Int("--seconds", 30, 1, 600),
            Days: Int("--days", 90, 1, 366),
            Tenants: Int("--tenants", 100, 1, 10_000),
            PerDay: Int("--events-per-day", 2000, 30, 100_000),
            Queries: Int("--queries", 50, 1, 10_000),
            Backlog: Int("--backlog", 100_000, 1000, 2_000_000),
            Phases: phases);
    }
}
