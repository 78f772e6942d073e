using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using DeepSim.ServiceDefaults;
using DeepSim.TestServers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace DeepSim.AppHost.Tests;

[Collection(PlatformGroup.Name)]
public sealed class PlatformTests(PlatformFixture platform)
{
    private static readonly TimeSpan CallBudget = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Every_service_answers_health_and_the_migration_step_finished_cleanly()
    {
        foreach (var name in PlatformFixture.Services)
        {
            using var client = platform.App.CreateHttpClient(name, "http");
            using var timeout = new CancellationTokenSource(CallBudget);
            using var response = await client.GetAsync(new Uri(Extensions.HealthEndpointPath, UriKind.Relative), timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name} /health: {(int)response.StatusCode} {body}");
            Assert.NotEqual("Unhealthy", JsonDocument.Parse(body).RootElement.GetProperty("status").GetString());
        }
        var migrations = await platform.WaitForAsync(ResourceNames.ApiMigrations,
            e => e.Snapshot.State?.Text == KnownResourceStates.Finished, CallBudget);
        Assert.Equal(0, migrations.Snapshot.ExitCode);
    }

    [Fact]
    public async Task Each_service_gets_only_its_own_settings_and_workers_get_no_database_string_or_signing_key()
    {
        var api = await EnvironmentAsync(ResourceNames.Api);
        var worker = await EnvironmentAsync(ResourceNames.Simulation);
        var analytics = await EnvironmentAsync(ResourceNames.Analytics);
        var web = await EnvironmentAsync(ResourceNames.Web);
        var migrations = await EnvironmentAsync(ResourceNames.ApiMigrations);

        Assert.Contains("Username=deepsim_app", api[$"ConnectionStrings__{ResourceNames.Database}"], StringComparison.Ordinal);
        Assert.Contains("Username=deepsim_owner", migrations[$"ConnectionStrings__{ResourceNames.Database}"], StringComparison.Ordinal);
        // The operator endpoints' role: to the Api alone.
        Assert.Contains("Username=deepsim_platform", api[$"ConnectionStrings__{ResourceNames.PlatformDatabase}"], StringComparison.Ordinal);
        Assert.DoesNotContain(worker.Keys.Concat(analytics.Keys).Concat(web.Keys).Concat(migrations.Keys),
            key => key == $"ConnectionStrings__{ResourceNames.PlatformDatabase}");
        Assert.True(api.ContainsKey("Auth__ServiceToken") && api.ContainsKey($"ConnectionStrings__{ResourceNames.Redis}"));
        Assert.DoesNotContain(migrations.Keys, key => key.StartsWith("Auth__", StringComparison.Ordinal));
        // Mail goes out through the Api alone, locally to the maildev catcher.
        Assert.Matches("^smtp://[^:/]+:[0-9]+$", api[$"ConnectionStrings__{ResourceNames.Mail}"]);
        Assert.DoesNotContain(worker.Keys.Concat(analytics.Keys).Concat(web.Keys), key => key == $"ConnectionStrings__{ResourceNames.Mail}");

        foreach (var (name, env) in new[] { ("simulation", worker), ("analytics", analytics), ("web", web) })
        {
            Assert.False(env.ContainsKey($"ConnectionStrings__{ResourceNames.Database}"), $"{name} got the database connection string");
            Assert.True(env.ContainsKey($"services__{ResourceNames.Api}__http__0"), $"{name} does not know where the Api is");
            Assert.True(env.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT"), $"{name} exports no telemetry");
        }
        Assert.True(worker.ContainsKey("Auth__ServiceToken"));
        Assert.False(web.ContainsKey("Auth__ServiceToken"), "the web app got the internal service token");
        Assert.True(web.ContainsKey($"ConnectionStrings__{ResourceNames.Redis}"), "the web app cannot share its sessions (no redis)");
        Assert.Contains("Username=default", analytics[$"ConnectionStrings__{ResourceNames.ClickHouse}"], StringComparison.Ordinal);
        // No broker is configured here: nothing Kafka-shaped may be injected.
        Assert.DoesNotContain(api.Keys.Concat(analytics.Keys), key => key.Contains("kafka", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task The_database_roles_keep_operator_powers_and_row_level_security_bypass_away_from_the_api()
    {
        var appConnection = (await EnvironmentAsync(ResourceNames.Api))[$"ConnectionStrings__{ResourceNames.Database}"];
        await using var connection = new NpgsqlConnection(appConnection);
        using var timeout = new CancellationTokenSource(CallBudget);
        await connection.OpenAsync(timeout.Token);
        await using var command = new NpgsqlCommand(
            """
            select r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb,
                   (select pg_get_userbyid(datdba) from pg_database where datname = current_database())
            from pg_roles r where r.rolname = current_user
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(timeout.Token);
        Assert.True(await reader.ReadAsync(timeout.Token));
        Assert.False(reader.GetBoolean(0), "the application role is a superuser");
        Assert.False(reader.GetBoolean(1), "the application role bypasses row-level security");
        Assert.False(reader.GetBoolean(2) || reader.GetBoolean(3), "the application role can create roles or databases");
        Assert.Equal("deepsim_owner", reader.GetString(4));

        // Over TCP a login needs the password.
        var withoutPassword = new NpgsqlConnectionStringBuilder(appConnection) { Password = null, Pooling = false };
        await using var refused = new NpgsqlConnection(withoutPassword.ConnectionString);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => refused.OpenAsync(timeout.Token));
    }

    [Fact]
    public async Task A_run_submitted_over_http_is_solved_by_the_worker_pool()
    {
        using var client = platform.App.CreateHttpClient(ResourceNames.Api, "http");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var slug = $"t-{Guid.NewGuid():N}"[..30];
        var email = $"owner-{Guid.NewGuid():N}@example.test";
        // The platform mails the sign-up link through its mail catcher, as it does on ./deepsim up.
        var account = await SignUps.SignUpAsync(client, new { tenantName = "AppHost " + slug, slug, email, password = "correct horse battery staple 1", displayName = "Owner" },
            email, SignUps.FromMailDev(platform.App.GetEndpoint(ResourceNames.Mail, "http")), timeout.Token);
        client.DefaultRequestHeaders.Authorization = new("Bearer", account.GetProperty("accessToken").GetString());

        var content = await File.ReadAllTextAsync(Path.Combine(Repo.Root, "examples", "benzene-toluene-flash.json"), timeout.Token);
        using var flowsheetBody = new StringContent($$"""{"name": "bt-flash", "content": {{content}}}""", System.Text.Encoding.UTF8, "application/json");
        using var created = await client.PostAsync(new Uri("/api/v1/flowsheets", UriKind.Relative), flowsheetBody, timeout.Token);
        var flowsheetId = (await JsonAsync(created, HttpStatusCode.Created, timeout.Token)).GetProperty("id").GetGuid();

        using var submitted = await client.PostAsJsonAsync("/api/v1/runs", new { flowsheetId }, timeout.Token);
        var runId = (await JsonAsync(submitted, HttpStatusCode.Accepted, timeout.Token)).GetProperty("id").GetGuid();

        string? status = null;
        JsonElement state = default;
        while (status is not ("completed" or "failed" or "cancelled"))
        {
            await Task.Delay(1000, timeout.Token);
            using var run = await client.GetAsync(new Uri($"/api/v1/runs/{runId}", UriKind.Relative), timeout.Token);
            state = await JsonAsync(run, HttpStatusCode.OK, timeout.Token);
            status = state.GetProperty("status").GetString();
        }
        Assert.True(status == "completed", $"the run ended {status}: {state}");
        Assert.True(state.GetProperty("converged").GetBoolean(), $"the run did not converge: {state}");
        using var result = await client.GetAsync(new Uri($"/api/v1/runs/{runId}/result", UriKind.Relative), timeout.Token);
        var solved = await JsonAsync(result, HttpStatusCode.OK, timeout.Token);
        Assert.True(solved.GetProperty("converged").GetBoolean(), $"result: {solved}");
        Assert.Equal(JsonValueKind.Object, solved.GetProperty("result").ValueKind);
    }

    [Fact]
    public async Task Analytics_accepts_an_api_token_with_the_keys_it_fetched_from_the_api()
    {
        using var api = platform.App.CreateHttpClient(ResourceNames.Api, "http");
        using var analytics = platform.App.CreateHttpClient(ResourceNames.Analytics, "http");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var slug = $"t-{Guid.NewGuid():N}"[..30];
        var email = $"owner-{Guid.NewGuid():N}@example.test";
        // The platform mails the sign-up link through its mail catcher, as it does on ./deepsim up.
        var account = await SignUps.SignUpAsync(api, new { tenantName = "AppHost " + slug, slug, email, password = "correct horse battery staple 1", displayName = "Owner" },
            email, SignUps.FromMailDev(platform.App.GetEndpoint(ResourceNames.Mail, "http")), timeout.Token);

        using (var anonymous = await analytics.GetAsync(new Uri("/api/v1/analytics/me", UriKind.Relative), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/analytics/me");
        request.Headers.Authorization = new("Bearer", account.GetProperty("accessToken").GetString());
        using var me = await analytics.SendAsync(request, timeout.Token);
        var caller = await JsonAsync(me, HttpStatusCode.OK, timeout.Token);
        Assert.Equal(account.GetProperty("tenantId").GetGuid(), caller.GetProperty("tenantId").GetGuid());
        Assert.Equal("owner", caller.GetProperty("role").GetString());
    }

    [Theory]
    [InlineData(ResourceNames.Simulation)]
    [InlineData(ResourceNames.Redis)]
    [InlineData(ResourceNames.Postgres)]
    public async Task A_killed_resource_is_started_again_and_becomes_healthy(string name)
    {
        var before = await platform.WaitForAsync(name, e => Pid(e) is not null && e.Snapshot.HealthStatus == HealthStatus.Healthy, CallBudget);
        var pid = Pid(before)!.Value;
        using (var process = Process.GetProcessById(pid))
        {
            // SIGKILL, as the OOM killer would; the whole tree: a service runs under `dotnet run`, PostgreSQL under its wrapper.
            process.Kill(entireProcessTree: true);
        }
        var crashed = await platform.WaitForAsync(name, e => e.Snapshot.ExitCode is not null and not 0, CallBudget);
        Assert.NotEqual(KnownResourceStates.Running, crashed.Snapshot.State?.Text);
        var after = await platform.WaitForAsync(name,
            e => Pid(e) is { } newPid && newPid != pid && e.Snapshot.HealthStatus == HealthStatus.Healthy, TimeSpan.FromMinutes(1));
        Assert.Equal(KnownResourceStates.Running, after.Snapshot.State?.Text);
        // The Api, which depends on all of them, is healthy again too.
        await platform.WaitForAsync(ResourceNames.Api, e => e.Snapshot.HealthStatus == HealthStatus.Healthy, TimeSpan.FromMinutes(1));
    }

    // Servers only: DCP's Stop of a project resource (run through `dotnet run`) sometimes fails here with "Failed to
    // stop resource" and leaves the service unanswering (seen in 2 of 5 runs); that is DCP's, not the restarter's.
    [Theory]
    [InlineData(ResourceNames.Redis)]
    [InlineData(ResourceNames.Postgres)]
    public async Task A_resource_stopped_from_the_dashboard_stays_stopped_until_started(string name)
    {
        var commands = platform.App.Services.GetRequiredService<ResourceCommandService>();
        await platform.WaitForAsync(name, e => e.Snapshot.HealthStatus == HealthStatus.Healthy, CallBudget);
        using var timeout = new CancellationTokenSource(CallBudget);
        var stop = await commands.ExecuteCommandAsync(name, KnownResourceCommands.StopCommand, timeout.Token);
        Assert.True(stop.Success, $"Stop {name}: {stop.Message}");
        await platform.WaitForAsync(name, e => e.Snapshot.State?.Text is "Exited" or "Finished", CallBudget);

        // Longer than the first restart delay: a stop must not be mistaken for a crash and undone.
        await Task.Delay(TimeSpan.FromSeconds(4));
        var still = await platform.WaitForAsync(name, _ => true, CallBudget);
        Assert.NotEqual(KnownResourceStates.Running, still.Snapshot.State?.Text);

        var start = await commands.ExecuteCommandAsync(name, KnownResourceCommands.StartCommand, timeout.Token);
        Assert.True(start.Success, $"Start {name}: {start.Message}");
        await platform.WaitForAsync(name, e => e.Snapshot.HealthStatus == HealthStatus.Healthy, TimeSpan.FromMinutes(1));
        await platform.WaitForAsync(ResourceNames.Api, e => e.Snapshot.HealthStatus == HealthStatus.Healthy, TimeSpan.FromMinutes(1));
    }

    private static int? Pid(ResourceEvent e) =>
        e.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value switch
        {
            int value => value,
            long value => (int)value,
            string text when int.TryParse(text, out var value) => value,
            _ => null,
        };

    private async Task<Dictionary<string, string>> EnvironmentAsync(string name)
    {
        var running = await platform.WaitForAsync(name, e => !e.Snapshot.EnvironmentVariables.IsDefaultOrEmpty, CallBudget);
        return running.Snapshot.EnvironmentVariables
            .Where(variable => variable.Value is not null)
            .GroupBy(variable => variable.Name)
            .ToDictionary(group => group.Key, group => group.Last().Value!);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
