using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using DeepSim.AppHost.Hosting;
using DeepSim.ServiceDefaults;
using Npgsql;

namespace DeepSim.AppHost.Tests;

/// <summary>The whole graph, as ./deepsim up starts it, with a temporary state folder.</summary>
[Collection(WholePlatformTests.Name)]
public class LauncherEndToEndTests
{
    private static readonly TimeSpan HealthyBudget = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan StopBudget = TimeSpan.FromSeconds(30);
    private static readonly string[] Services = [ResourceNames.Api, ResourceNames.Simulation, ResourceNames.Analytics, ResourceNames.Web];

    [Fact]
    public async Task Every_resource_becomes_healthy_services_answer_health_and_stop_leaves_no_process()
    {
        using var folder = new TempDirectory();
        // Busy ports for PostgreSQL and the dashboard: the launcher must pick others. Everything else takes any free port.
        using var busyPostgres = Squat();
        using var busyDashboard = Squat();
        await using var launcher = LauncherProcess.Start(
            folder.Path,
            "--dashboard-port", PortOf(busyDashboard).ToString(CultureInfo.InvariantCulture),
            $"--DeepSim:Ports:postgres={PortOf(busyPostgres)}",
            "--DeepSim:Ports:redis=0", "--DeepSim:Ports:clickhouse=0", "--DeepSim:Ports:clickhouse-tcp=0",
            "--DeepSim:Ports:api=0", "--DeepSim:Ports:simulation=0", "--DeepSim:Ports:analytics=0", "--DeepSim:Ports:web=0");

        var state = await launcher.WaitUntilAllHealthyAsync(HealthyBudget);

        await launcher.WaitForOutputAsync("All resources healthy in", TimeSpan.FromSeconds(10));
        Assert.Equal(ResourceState.NotConfigured, Row(state, ResourceNames.Kafka).State);
        Assert.Equal(0, Row(state, AppHostResourceNames.ApiMigrations).ExitCode);
        foreach (var row in state.Resources.Where(r => r.Name is not ResourceNames.Kafka and not AppHostResourceNames.ApiMigrations))
        {
            Assert.Equal(ResourceState.Healthy, row.State);
        }

        // A busy port is replaced, and the launcher says which one it took.
        Assert.DoesNotContain($":{PortOf(busyPostgres)}", Row(state, ResourceNames.Postgres).Endpoints[0], StringComparison.Ordinal);
        Assert.NotEqual($"http://127.0.0.1:{PortOf(busyDashboard)}", state.DashboardUrl);
        Assert.Contains($"dashboard port {PortOf(busyDashboard)} is busy", launcher.Output, StringComparison.Ordinal);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var service in Services)
        {
            using var health = await http.GetAsync(new Uri(state.ServiceUrls[service] + "/health"));
            Assert.True(health.StatusCode == HttpStatusCode.OK, $"{service} /health answered {(int)health.StatusCode}");
        }

        // The dashboard lists the same resources as JSON, and shows each one's log lines.
        var rows = JsonSerializer.Deserialize<List<ResourceSnapshot>>(await http.GetStringAsync(new Uri(state.DashboardUrl + "/api/resources")), StateDocument.JsonOptions)!;
        Assert.Equal(state.Resources.Select(r => r.Name).Order(), rows.Select(r => r.Name).Order());
        Assert.Contains(rows, r => r.Name == ResourceNames.Api && r.Pid is not null && r.Endpoints.SequenceEqual([state.ServiceUrls[ResourceNames.Api]]));
        Assert.Contains("http-equiv=\"refresh\"", await http.GetStringAsync(new Uri(state.DashboardUrl!)), StringComparison.Ordinal);
        var apiLogs = await http.GetStringAsync(new Uri(state.DashboardUrl + "/api/resources/api/logs"));
        Assert.False(string.IsNullOrWhiteSpace(apiLogs));
        Assert.DoesNotContain(new NpgsqlConnectionStringBuilder(state.ConnectionStrings[ResourceNames.Database]).Password!, apiLogs, StringComparison.Ordinal);

        AssertServicesGotAspireSettings(state);

        // The launcher's one-time setup made a platform operator who can sign in with the generated password.
        var operatorPassword = TestProcesses.EnvironmentOf(Row(state, ResourceNames.Api).Pid!.Value)["Setup__OperatorPassword"];
        using (var signIn = await http.PostAsync(
            new Uri(state.ServiceUrls[ResourceNames.Api] + "/api/v1/auth/signin"),
            JsonContent.Create(new { email = "operator@deepsim.local", password = operatorPassword, asOperator = true })))
        {
            Assert.True(signIn.StatusCode == HttpStatusCode.OK, $"operator sign-in answered {(int)signIn.StatusCode}: {await signIn.Content.ReadAsStringAsync()}");
        }

        var pids = launcher.SeenPids.ToList();
        Assert.Equal(0, await launcher.TerminateAsync(StopBudget));
        await launcher.WaitForOutputAsync("deepsim: stopped in", TimeSpan.FromSeconds(10));
        Assert.Empty(TestProcesses.LivingIn(pids));
    }

    private static void AssertServicesGotAspireSettings(StateDocument state)
    {
        var api = TestProcesses.EnvironmentOf(Row(state, ResourceNames.Api).Pid!.Value);
        var apiDatabase = new NpgsqlConnectionStringBuilder(api[$"ConnectionStrings__{ResourceNames.Database}"]);
        Assert.Equal("deepsim_app", apiDatabase.Username);
        Assert.Equal(state.ConnectionStrings[ResourceNames.Database], api[$"ConnectionStrings__{ResourceNames.Database}"]);
        Assert.Equal(state.ConnectionStrings[ResourceNames.Redis], api[$"ConnectionStrings__{ResourceNames.Redis}"]);
        Assert.StartsWith("127.0.0.1:", api[$"ConnectionStrings__{ResourceNames.Redis}"], StringComparison.Ordinal);
        Assert.False(api.ContainsKey($"ConnectionStrings__{ResourceNames.Kafka}"), "Kafka is not configured, so nothing may be injected");
        Assert.Equal(state.ServiceUrls[ResourceNames.Api], api["ASPNETCORE_URLS"]);
        Assert.Equal(ResourceNames.Api, api["OTEL_SERVICE_NAME"]);
        Assert.False(api.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT"));
        Assert.True(api["Auth__SigningKey"].Length >= 32);
        Assert.Equal("operator@deepsim.local", api["Setup__OperatorEmail"]);
        Assert.True(api["Setup__OperatorPassword"].Length >= 32, "the first operator's password is generated, never built in");

        foreach (var service in new[] { ResourceNames.Simulation, ResourceNames.Analytics, ResourceNames.Web })
        {
            var environment = TestProcesses.EnvironmentOf(Row(state, service).Pid!.Value);
            Assert.Equal(state.ServiceUrls[ResourceNames.Api], environment[$"services__{ResourceNames.Api}__http__0"]);
            Assert.Equal(service, environment["OTEL_SERVICE_NAME"]);
            // No service but the Api may hold database credentials.
            Assert.DoesNotContain(environment.Keys, k => k.StartsWith($"ConnectionStrings__{ResourceNames.Database}", StringComparison.Ordinal));
        }
        var analytics = TestProcesses.EnvironmentOf(Row(state, ResourceNames.Analytics).Pid!.Value);
        Assert.Equal(state.ConnectionStrings[ResourceNames.ClickHouse], analytics[$"ConnectionStrings__{ResourceNames.ClickHouse}"]);
        var simulation = TestProcesses.EnvironmentOf(Row(state, ResourceNames.Simulation).Pid!.Value);
        Assert.Equal(api["Auth__ServiceToken"], simulation["Auth__ServiceToken"]);
        Assert.False(simulation.ContainsKey("Auth__SigningKey"), "workers never get the token signing key");
        Assert.False(simulation.ContainsKey("Setup__OperatorPassword"), "only the Api gets the operator's setup password");
    }

    [Fact]
    public async Task States_follow_reality_a_second_launcher_is_refused_and_the_next_up_reuses_the_data()
    {
        using var folder = new TempDirectory();
        string[] anyPorts = ["--dashboard-port", "0", "--DeepSim:Ports:postgres=0", "--DeepSim:Ports:redis=0", "--DeepSim:Ports:clickhouse=0", "--DeepSim:Ports:clickhouse-tcp=0",
            "--DeepSim:Ports:api=0", "--DeepSim:Ports:simulation=0", "--DeepSim:Ports:analytics=0", "--DeepSim:Ports:web=0"];
        await using var first = LauncherProcess.Start(folder.Path, anyPorts);
        var state = await first.WaitUntilAllHealthyAsync(HealthyBudget);

        // Two launchers on one state folder would fight over the same data.
        await using (var second = LauncherProcess.Start(folder.Path, anyPorts))
        {
            Assert.Equal(3, await second.Process.Exited.WaitAsync(TimeSpan.FromSeconds(60)));
            await second.WaitForOutputAsync($"another launcher (PID {first.Process.Pid})", TimeSpan.FromSeconds(10));
        }

        // A frozen Redis: the probes notice, and the Api (whose /health checks Redis) turns unhealthy with it.
        var redisPid = Row(state, ResourceNames.Redis).Pid!.Value;
        Servers.Posix.Signal(redisPid, SigStop);
        try
        {
            var frozen = await first.WaitForStateAsync(
                s => Row(s, ResourceNames.Redis).State == ResourceState.Unhealthy && Row(s, ResourceNames.Api).State == ResourceState.Unhealthy,
                HealthyBudget, "redis and api Unhealthy while Redis is stopped");
            Assert.Contains("PING", Row(frozen, ResourceNames.Redis).StateDetail, StringComparison.Ordinal);
            Assert.Contains("GET /health", Row(frozen, ResourceNames.Api).StateDetail, StringComparison.Ordinal);
        }
        finally
        {
            Servers.Posix.Signal(redisPid, SigCont);
        }
        await first.WaitUntilAllHealthyAsync(HealthyBudget);

        // A launcher killed outright leaves its children; the next one clears them and reuses data and passwords.
        var password = new NpgsqlConnectionStringBuilder(state.ConnectionStrings[ResourceNames.Database + "-owner"]).Password;
        var clusterCreated = File.GetLastWriteTimeUtc(Path.Combine(folder.Path, ResourceNames.Postgres, "data", "PG_VERSION"));
        var orphans = first.SeenPids.ToList();
        Servers.Posix.Signal(first.Process.Pid, Servers.Posix.SigKill);
        await first.Process.Exited.WaitAsync(StopBudget);

        await using var next = LauncherProcess.Start(folder.Path, anyPorts);
        var nextState = await next.WaitUntilAllHealthyAsync(HealthyBudget);

        Assert.Contains("left running by a launcher that did not shut down", next.Output, StringComparison.Ordinal);
        Assert.Empty(TestProcesses.LivingIn(orphans.Where(p => !next.SeenPids.Contains(p)).ToList()));
        Assert.Equal(password, new NpgsqlConnectionStringBuilder(nextState.ConnectionStrings[ResourceNames.Database + "-owner"]).Password);
        Assert.Equal(clusterCreated, File.GetLastWriteTimeUtc(Path.Combine(folder.Path, ResourceNames.Postgres, "data", "PG_VERSION")));

        var pids = next.SeenPids.ToList();
        Assert.Equal(0, await next.TerminateAsync(StopBudget));
        Assert.Empty(TestProcesses.LivingIn(pids));
    }

    private const int SigStop = 19;
    private const int SigCont = 18;

    [Fact]
    public async Task A_missing_server_binary_stops_the_launcher_with_the_package_to_install()
    {
        using var folder = new TempDirectory();
        await using var launcher = LauncherProcess.Start(folder.Path, "--dashboard-port", "0", "--DeepSim:Binaries:RedisServer=/nonexistent/bin/redis-server");

        var exitCode = await launcher.Process.Exited.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        await launcher.WaitForOutputAsync("Redis server binary /nonexistent/bin/redis-server not found: install the Debian package 'redis-server'", TimeSpan.FromSeconds(10));
        Assert.False(File.Exists(Path.Combine(folder.Path, "postgres", "data", "PG_VERSION")), "nothing should start when a binary is missing");
    }

    private static ResourceSnapshot Row(StateDocument state, string name) => state.Resources.Single(r => r.Name == name);

    private static TcpListener Squat()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    private static int PortOf(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;
}
