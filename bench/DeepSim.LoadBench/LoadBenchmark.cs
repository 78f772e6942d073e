using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using DeepSim.Api;
using DeepSim.Api.Data;
using DeepSim.Api.RateLimiting;
using DeepSim.TestServers;
using DeepSim.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using StackExchange.Redis;

namespace DeepSim.LoadBench;

/// <summary>
/// End-to-end throughput and latency of small runs (submit to completed) with 1 and 2 worker processes, and the
/// per-request cost of the Redis rate limiter against a bare Redis round trip in the same run. Real PostgreSQL,
/// Redis, an in-process Api on Kestrel and real worker processes, all on 127.0.0.1.
/// </summary>
public static class LoadBenchmark
{
    private const string ServiceToken = "load-bench-service-token-0123456789";
    private static readonly TimeSpan TotalBudget = TimeSpan.FromMinutes(8);
    private static readonly TimeSpan PhaseBudget = TimeSpan.FromMinutes(2);

    /// <summary>Runs per throughput phase (one study fans them out; distinct content so the cache never answers).</summary>
    private const int DefaultRunsPerPhase = 1000;
    private const int LatencySamples = 40;
    private const int WarmUpRuns = 500;
    private const int LimiterSamples = 5000;
    private const int DefaultWorkerConcurrency = 8;
    private const int MaxWorkerConcurrency = 32;
    private static int WorkerConcurrency = DefaultWorkerConcurrency;

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = DefaultRunsPerPhase;
        // Diagnostic only: how much of a run's cost is the commit's WAL flush (never a production setting).
        var asyncCommit = args.Contains("--async-commit");
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--runs" && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 1000)
            {
                runs = n;
            }
            if (args[i] == "--concurrency" && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var c) && c is > 0 and <= MaxWorkerConcurrency)
            {
                WorkerConcurrency = c;
            }
        }
        using var total = new CancellationTokenSource(TotalBudget);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the load bench runs DeepSim.TestServers' Linux servers");
        }
        Console.WriteLine($"load bench: {runs} runs per phase, {WorkerConcurrency} solves per worker process, {Environment.ProcessorCount} cores, loopback only");
        await using var servers = await ScratchServers.StartAsync("deepsim-loadbench-", total.Token);
        var (postgres, redis) = (servers.Postgres, servers.Redis);
        await DatabaseMigrator.MigrateAsync(postgres.OwnerConnectionString, postgres.AppRole, total.Token);
        if (asyncCommit)
        {
            await using var owner = new NpgsqlConnection(postgres.OwnerConnectionString);
            // The database owner may set it per database; connections opened afterwards (the Api's pool) pick it up.
            await owner.ExecuteAsync("do $$ begin execute format('alter database %I set synchronous_commit = off', current_database()); end $$");
            Console.WriteLine("diagnostic: synchronous_commit = off");
        }
        var app = await StartApiAsync(postgres.AppConnectionString, postgres.PlatformConnectionString, redis.ConnectionString, total.Token);
        try
        {
            var url = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
            var (tenantId, token) = await SignUpAsync(http, postgres.OwnerConnectionString, total.Token);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var example = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "examples", "benzene-toluene-flash.json"), total.Token))!;
            example.AsObject().Remove("$schema");
            var flowsheetId = await CreateFlowsheetAsync(http, example.ToJsonString(), "bench", total.Token);

            for (var processes = 1; processes <= 2; processes++)
            {
                var workers = Enumerable.Range(0, processes).Select(_ => StartWorker(url)).ToList();
                try
                {
                    // Warm-up (not measured): the new worker processes start, connect and compile their hot paths.
                    await ThroughputPhaseAsync(http, postgres.OwnerConnectionString, flowsheetId, processes, WarmUpRuns, 60.0 + processes,
                        null, total.Token);
                    await ThroughputPhaseAsync(http, postgres.OwnerConnectionString, flowsheetId, processes, runs, 80.0 + processes,
                        new CpuMeter(servers.Folder, workers.ConvertAll(w => w.Pid)), total.Token);
                    await LatencyPhaseAsync(http, postgres.OwnerConnectionString, example, processes, total.Token);
                }
                finally
                {
                    foreach (var worker in workers)
                    {
                        await worker.StopAsync(15, TimeSpan.FromSeconds(10));
                        await worker.DisposeAsync();
                    }
                }
            }
            await LimiterPhaseAsync(app.Services, redis.ConnectionString, tenantId);
            return 0;
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    private static async Task ThroughputPhaseAsync(HttpClient http, string owner, Guid flowsheetId, int processes, int runs, double baseTemperature,
        CpuMeter? cpu, CancellationToken ct)
    {
        var cpuBefore = cpu?.Read();
        using var phase = CancellationTokenSource.CreateLinkedTokenSource(ct);
        phase.CancelAfter(PhaseBudget);
        var clock = Stopwatch.StartNew();
        using var response = await http.PostAsJsonAsync("/api/v1/studies", new
        {
            flowsheetId,
            name = $"throughput-{processes}",
            // Distinct drum temperatures: every point is new content, so each one is really solved.
            parameters = new[] { new { path = "$.units[1].spec.temperature.value", from = baseTemperature, to = baseTemperature + 15, steps = runs } },
        }, phase.Token);
        var study = await response.Content.ReadFromJsonAsync<JsonElement>(phase.Token);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"study create failed: {response.StatusCode} {study}");
        }
        var submitted = clock.Elapsed;
        var studyId = study.GetProperty("id").GetGuid();
        await using var db = new NpgsqlConnection(owner);
        await db.OpenAsync(phase.Token);
        // Bounded by the phase budget.
        // Counts through the queued/running partial indexes: the poll reads the unfinished runs only, not the whole study.
        while (await db.ExecuteScalarAsync<long>(
            """
            select (select count(*) from runs where tenant_id = s.tenant_id and status = 'queued' and study_id = s.id)
                 + (select count(*) from runs where tenant_id = s.tenant_id and status = 'running' and study_id = s.id)
            from studies s where s.id = @studyId
            """, new { studyId }) > 0)
        {
            await Task.Delay(20, phase.Token);
        }
        var elapsed = clock.Elapsed;
        var rows = (await db.QueryAsync<(double Latency, double Solver, string Status)>(
            "select extract(epoch from finished_at - created_at)::float8, coalesce(solver_seconds, 0), status from runs where study_id = @studyId",
            new { studyId })).ToList();
        var cpuUsed = cpu is null ? default : cpu.Read() - cpuBefore!.Value;
        var completed = rows.Count(r => r.Status == "completed");
        if (cpu is null)
        {
            Console.WriteLine(FormattableString.Invariant($"warm-up, {processes} worker process(es): {completed}/{runs} completed in {elapsed.TotalSeconds:F2} s"));
            return;
        }
        Console.WriteLine(FormattableString.Invariant(
            $"throughput, {processes} worker process(es) x {WorkerConcurrency}: {completed}/{runs} completed in {elapsed.TotalSeconds:F2} s (submit of the batch {submitted.TotalMilliseconds:F0} ms) = {completed / elapsed.TotalSeconds:F1} runs/s; submit-to-completed p50 {Percentile(rows.Select(r => r.Latency), 0.5) * 1e3:F0} ms, p99 {Percentile(rows.Select(r => r.Latency), 0.99) * 1e3:F0} ms (includes queueing); solve p50 {Percentile(rows.Select(r => r.Solver), 0.5) * 1e3:F2} ms"));
        Console.WriteLine(FormattableString.Invariant(
            $"  CPU per run: Api (with this bench's client) {cpuUsed.Api / runs * 1e3:F2} ms, worker processes {cpuUsed.Workers / runs * 1e3:F2} ms, PostgreSQL {cpuUsed.Postgres / runs * 1e3:F2} ms ({cpuUsed.Total / elapsed.TotalSeconds:F2} cores busy of {Environment.ProcessorCount})"));
    }

    private static async Task LatencyPhaseAsync(HttpClient http, string owner, JsonNode example, int processes, CancellationToken ct)
    {
        using var phase = CancellationTokenSource.CreateLinkedTokenSource(ct);
        phase.CancelAfter(PhaseBudget);
        await using var db = new NpgsqlConnection(owner);
        await db.OpenAsync(phase.Token);
        var latencies = new List<double>();
        var overheads = new List<double>();
        var runIds = new List<Guid>();
        for (var i = 0; i < LatencySamples; i++)
        {
            var content = example.DeepClone();
            content["units"]![1]!["spec"]!["temperature"]!["value"] = 70.0 + processes * 0.5 + i * 0.01;
            var flowsheetId = await CreateFlowsheetAsync(http, content.ToJsonString(), $"latency-{processes}-{i}", phase.Token);
            var clock = Stopwatch.StartNew();
            using var response = await http.PostAsJsonAsync("/api/v1/runs", new { flowsheetId }, phase.Token);
            var runId = (await response.Content.ReadFromJsonAsync<JsonElement>(phase.Token)).GetProperty("id").GetGuid();
            runIds.Add(runId);
            double? solver = null;
            // Bounded by the phase budget; 1 ms polls so the measurement is not dominated by the poll interval.
            while (solver is null)
            {
                solver = await db.ExecuteScalarAsync<double?>("select solver_seconds from runs where id = @runId and status = 'completed'", new { runId });
                if (solver is null)
                {
                    await Task.Delay(1, phase.Token);
                }
            }
            latencies.Add(clock.Elapsed.TotalSeconds);
            overheads.Add(clock.Elapsed.TotalSeconds - solver.Value);
        }
        // Where the time goes, from the run log's clock (each event is stamped when its transaction wrote it).
        var steps = (await db.QueryAsync<(double Queued, double Claimed, double Completed)>(
            """
            select extract(epoch from q.at - r.created_at)::float8, extract(epoch from c.at - q.at)::float8, extract(epoch from d.at - c.at)::float8
            from runs r
            join run_events q on q.run_id = r.id and q.kind = 'queued'
            join run_events c on c.run_id = r.id and c.kind = 'claimed'
            join run_events d on d.run_id = r.id and d.kind = 'completed'
            where r.id = any(@runIds)
            """, new { runIds = runIds.ToArray() })).ToList();
        Console.WriteLine(FormattableString.Invariant(
            $"  steps p50: request to queued row {Percentile(steps.Select(x => x.Queued), 0.5) * 1e3:F1} ms, queued to claimed {Percentile(steps.Select(x => x.Claimed), 0.5) * 1e3:F1} ms, claimed to completed {Percentile(steps.Select(x => x.Completed), 0.5) * 1e3:F1} ms"));
        Console.WriteLine(FormattableString.Invariant(
            $"single runs, idle queue, {processes} worker process(es): submit-to-completed over HTTP p50 {Percentile(latencies, 0.5) * 1e3:F1} ms, p99 {Percentile(latencies, 0.99) * 1e3:F1} ms; platform overhead (minus solve) p50 {Percentile(overheads, 0.5) * 1e3:F1} ms, p99 {Percentile(overheads, 0.99) * 1e3:F1} ms"));
    }

    private static async Task LimiterPhaseAsync(IServiceProvider services, string redisConnection, Guid tenantId)
    {
        var limiter = services.GetRequiredService<TenantRateLimiter>();
        using var redis = await ConnectionMultiplexer.ConnectAsync(redisConnection);
        var database = redis.GetDatabase();
        var decide = new List<double>(LimiterSamples);
        var ping = new List<double>(LimiterSamples);
        for (var i = 0; i < 200; i++)
        {
            await limiter.DecideAsync(tenantId, int.MaxValue / 2);
            await database.PingAsync();
        }
        for (var i = 0; i < LimiterSamples; i++)
        {
            var clock = Stopwatch.StartNew();
            await limiter.DecideAsync(tenantId, int.MaxValue / 2);
            decide.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            await database.PingAsync();
            ping.Add(clock.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine(FormattableString.Invariant(
            $"rate limiter decision (one EVAL, {LimiterSamples} sequential): p50 {Percentile(decide, 0.5) * 1e3:F0} us, p99 {Percentile(decide, 0.99) * 1e3:F0} us; baseline Redis PING in the same run: p50 {Percentile(ping, 0.5) * 1e3:F0} us, p99 {Percentile(ping, 0.99) * 1e3:F0} us"));
    }

    private static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private static async Task<WebApplication> StartApiAsync(string database, string platformDatabase, string redis, CancellationToken ct)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(ApiServiceExtensions).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ResourceNames.Database}"] = database,
            [$"ConnectionStrings:{ResourceNames.PlatformDatabase}"] = platformDatabase,
            [$"ConnectionStrings:{ResourceNames.Redis}"] = redis,
            ["Auth:ServiceToken"] = ServiceToken,
            ["Auth:Pbkdf2Iterations"] = "1000",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.BuildApi();
        await app.StartAsync(ct);
        return app;
    }

    private static async Task<(Guid TenantId, string Token)> SignUpAsync(HttpClient http, string owner, CancellationToken ct)
    {
        var slug = $"bench-{Guid.NewGuid():N}"[..30];
        var email = $"bench-{Guid.NewGuid():N}@example.test";
        var json = await SignUps.SignUpAsync(http, new { tenantName = "Bench", slug, email, password = "correct-horse-battery", displayName = "Bench" }, email,
            SignUps.FromOutbox(async () =>
            {
                var connection = new NpgsqlConnection(owner);
                await connection.OpenAsync(ct);
                return connection;
            }), ct);
        var tenantId = json.GetProperty("tenantId").GetGuid();
        await using var db = new NpgsqlConnection(owner);
        await db.ExecuteAsync("update tenants set plan = 'enterprise' where id = @tenantId", new { tenantId });
        return (tenantId, json.GetProperty("accessToken").GetString()!);
    }

    private static async Task<Guid> CreateFlowsheetAsync(HttpClient http, string content, string name, CancellationToken ct)
    {
        using var body = new StringContent($$"""{"name": {{JsonSerializer.Serialize(name)}}, "content": {{content}}}""", System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/api/v1/flowsheets", body, ct);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        return response.StatusCode == HttpStatusCode.Created ? json.GetProperty("id").GetGuid()
            : throw new InvalidOperationException($"flowsheet create failed: {response.StatusCode} {json}");
    }

    private static ChildProcess StartWorker(string api)
    {
        var config = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var dll = Path.Combine(RepositoryRoot(), "DeepSim.Simulation", "bin", config.Parent!.Name, config.Name, "DeepSim.Simulation.dll");
        return ChildProcess.Start("dotnet", [dll], new LogBuffer(), new Dictionary<string, string?>
        {
            [$"services__{ResourceNames.Api}__http__0"] = api,
            ["Auth__ServiceToken"] = ServiceToken,
            ["Worker__Concurrency"] = WorkerConcurrency.ToString(CultureInfo.InvariantCulture),
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["Logging__LogLevel__Default"] = "Warning",
        });
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        for (var i = 0; i < 10 && dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepSim.sln")); i++)
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("repository root (DeepSim.sln) not found");
    }
}

/// <summary>
/// CPU seconds used so far (user + system, from /proc) by this process (the Api), the worker processes, and the
/// PostgreSQL cluster in the bench folder (its postmaster and every backend), so a phase can say what a run costs.
/// </summary>
internal sealed class CpuMeter(string folder, IReadOnlyList<int> workerPids)
{
    private static readonly double TicksPerSecond = 100.0; // USER_HZ, 100 on Linux

    public readonly record struct Reading(double Api, double Workers, double Postgres)
    {
        public double Total => Api + Workers + Postgres;

        public static Reading operator -(Reading a, Reading b) => new(a.Api - b.Api, a.Workers - b.Workers, a.Postgres - b.Postgres);
    }

    public Reading Read()
    {
        var api = Seconds(Environment.ProcessId);
        var workers = workerPids.Sum(Seconds);
        var postmaster = Directory.EnumerateDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .FirstOrDefault(pid => pid > 0 && CommandLine(pid).Contains(folder, StringComparison.Ordinal) && CommandLine(pid).Contains("postgres", StringComparison.Ordinal));
        var postgres = postmaster == 0 ? 0 : Seconds(postmaster) + Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && ParentOf(pid) == postmaster).Sum(Seconds);
        return new Reading(api, workers, postgres);
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    // /proc/<pid>/stat: the fields after the parenthesised command name; ppid is the 2nd, utime and stime the 12th and 13th.
    private static string[] StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static int ParentOf(int pid) => StatFields(pid) is { Length: > 13 } f ? int.Parse(f[1], CultureInfo.InvariantCulture) : 0;

    private static double Seconds(int pid) => StatFields(pid) is { Length: > 13 } f
        ? (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / TicksPerSecond
        : 0;
}
