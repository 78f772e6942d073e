// WebApplicationFactory needs any public, non-static type of the Api assembly to find its entry point.
global using ApiEntry = DeepSim.Api.Infrastructure.TenantDb;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using DeepSim.Api;
using DeepSim.Api.Data;
using DeepSim.TestServers;
using DeepSim.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace DeepSim.Api.Tests;

/// <summary>
/// One real PostgreSQL cluster and one real Redis for the whole run (DeepSim.TestServers), migrated once,
/// and the Api hosted in-process on them, connecting as the application role. Tests make their own tenants.
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartBudget = TimeSpan.FromSeconds(120);

    // Fast hashing in tests only; production keeps the OWASP work factor (AuthSettings default).
    public const int TestPbkdf2Iterations = 1_000;
    public const int LockoutThreshold = 3;
    public const string OperatorEmail = "operator@deepsim.test";
    public const string OperatorPassword = "operator-password-123";

    private ScratchServers? servers;
    private readonly IDictionary<string, string?> hostSettings = new Dictionary<string, string?>();
    private readonly Action<IServiceCollection>? hostServices;

    public ApiFixture()
    {
    }

    /// <summary>A fixture of its own (own servers) whose host gets extra settings and services, e.g. a test clock.</summary>
    internal ApiFixture(IDictionary<string, string?> settings, Action<IServiceCollection> services)
    {
        hostSettings = settings;
        hostServices = services;
    }

    public WebApplicationFactory<ApiEntry> Factory { get; private set; } = null!;
    public string OwnerConnectionString => servers!.Postgres.OwnerConnectionString;
    public string AppConnectionString => servers!.Postgres.AppConnectionString;
    public string AppRole => servers!.Postgres.AppRole;
    public string PlatformConnectionString => servers!.Postgres.PlatformConnectionString;
    public string PlatformRole => servers!.Postgres.PlatformRole;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartBudget);
        try
        {
            servers = await ScratchServers.StartAsync("deepsim-api-test-", timeout.Token);
            await DatabaseMigrator.MigrateAsync(OwnerConnectionString, AppRole, timeout.Token);
            Factory = CreateFactory(hostSettings, hostServices);
            // Start the host now so the one-time operator setup has run before any test.
            using var client = Factory.CreateClient();
            using var health = await client.GetAsync(new Uri("/health", UriKind.Relative), timeout.Token);
        }
        catch
        {
            // A half-started fixture still stops what it started.
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>An Api host on the shared servers with extra settings (each call is a separate host).</summary>
    public WebApplicationFactory<ApiEntry> CreateFactory(IDictionary<string, string?> overrides, Action<IServiceCollection>? services = null) =>
        new WebApplicationFactory<ApiEntry>().WithWebHostBuilder(builder =>
        {
            var settings = new Dictionary<string, string?>
            {
                [$"ConnectionStrings:{ResourceNames.Database}"] = AppConnectionString,
                [$"ConnectionStrings:{ResourceNames.PlatformDatabase}"] = PlatformConnectionString,
                [$"ConnectionStrings:{ResourceNames.Redis}"] = Redis.ConnectionString,
                ["Auth:ServiceToken"] = "test-service-token-0123456789abcdef",
                ["Auth:Pbkdf2Iterations"] = TestPbkdf2Iterations.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Auth:LockoutThreshold"] = LockoutThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Setup:OperatorEmail"] = OperatorEmail,
                ["Setup:OperatorPassword"] = OperatorPassword,
                // Webhook tests' receivers listen on 127.0.0.1 over http; retries are fast so they finish in seconds.
                ["Webhooks:AllowPrivateTargets"] = "true",
                ["Webhooks:AllowHttp"] = "true",
                ["Webhooks:PollMilliseconds"] = "250",
                ["Webhooks:RetryBaseMilliseconds"] = "200",
                ["Webhooks:MaxAttempts"] = "4",
                ["Webhooks:TimeoutMilliseconds"] = "5000",
            };
            foreach (var (key, value) in overrides)
            {
                settings[key] = value;
            }
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
            builder.ConfigureServices(s =>
            {
                s.AddSingleton<IStartupFilter, TestClientAddressFilter>();
                services?.Invoke(s);
            });
        });

    public HttpClient CreateClient(string? bearer = null)
    {
        var client = Factory.CreateClient();
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        return client;
    }

    public async Task<NpgsqlConnection> OpenOwnerAsync()
    {
        var connection = new NpgsqlConnection(OwnerConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task<NpgsqlConnection> OpenAppAsync(int? maxPoolSize = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(AppConnectionString);
        if (maxPoolSize is { } size)
        {
            builder.MaxPoolSize = size;
            builder.ApplicationName = "pool-test-" + Guid.NewGuid().ToString("N");
        }
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    // Something the host's own shutdown already disposed has nothing left to release: say so, do not fail the run.
    private static async Task DisposeOnceAsync(string what, Func<ValueTask> dispose)
    {
        try
        {
            await dispose();
        }
        catch (ObjectDisposedException ex)
        {
            await Console.Error.WriteLineAsync($"ApiFixture: {what} was already disposed ({ex.ObjectName}): {ex.Message}");
        }
    }

    public async Task DisposeAsync()
    {
        // Each step runs even when an earlier one throws: a failed host shutdown must not leave servers running.
        try
        {
            if (Factory is not null)
            {
                await DisposeOnceAsync("the Api host", Factory.DisposeAsync);
            }
        }
        finally
        {
            if (servers is not null)
            {
                await DisposeOnceAsync("the servers", servers.DisposeAsync);
            }
        }
    }

    public RedisServer Redis => servers!.Redis;

    /// <summary>The in-memory test server has no socket, so no client address; give requests one, as Kestrel would.</summary>
    public const string TestClientAddress = "192.0.2.10";

    private sealed class TestClientAddressFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress ??= System.Net.IPAddress.Parse(TestClientAddress);
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}

[CollectionDefinition(Name)]
public sealed class ApiTests : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}
