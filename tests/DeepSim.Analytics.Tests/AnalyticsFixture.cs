using System.Net.Http.Headers;
using DeepSim.Analytics.ClickHouse;
using DeepSim.Analytics.Ingest;
using DeepSim.Api;
using DeepSim.Api.Data;
using DeepSim.ServiceDefaults;
using DeepSim.TestServers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DeepSim.Analytics.Tests;

/// <summary>
/// Real PostgreSQL, Redis and ClickHouse (DeepSim.TestServers), the Api hosted in this process on a loopback port,
/// and ingesters made per test, each writing to a ClickHouse database of its own.
/// </summary>
public sealed class AnalyticsFixture : IAsyncLifetime
{
    public const string ServiceToken = "analytics-test-service-token-0123456789abcdef";
    private static readonly TimeSpan StartBudget = TimeSpan.FromSeconds(120);

    private static readonly ILoggerFactory Logs = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
    private ScratchServers? servers;
    private WebApplication? api;

    public ClickHouseServer ClickHouse { get; private set; } = null!;
    public Uri ApiUrl { get; private set; } = null!;

    /// <summary>The hosted Api's services (its signing key ring, for tokens the tests sign on its behalf).</summary>
    public IServiceProvider ApiServices => api!.Services;
    public string OwnerConnectionString => servers!.Postgres.OwnerConnectionString;
    public string AppConnectionString => servers!.Postgres.AppConnectionString;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartBudget);
        servers = await ScratchServers.StartAsync("deepsim-analytics-test-", timeout.Token);
        ClickHouse = await ClickHouseServer.StartAsync(Path.Combine(servers.Folder, "clickhouse"), timeout.Token);
        await DatabaseMigrator.MigrateAsync(servers.Postgres.OwnerConnectionString, servers.Postgres.AppRole, timeout.Token);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(ApiServiceExtensions).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Development",
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ResourceNames.Database}"] = servers.Postgres.AppConnectionString,
            [$"ConnectionStrings:{ResourceNames.PlatformDatabase}"] = servers.Postgres.PlatformConnectionString,
            [$"ConnectionStrings:{ResourceNames.Redis}"] = servers.Redis.ConnectionString,
            ["Auth:ServiceToken"] = ServiceToken,
            // Fast hashing in tests only; production keeps the OWASP work factor.
            ["Auth:Pbkdf2Iterations"] = "1000",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        api = builder.BuildApi();
        await api.StartAsync(timeout.Token);
        ApiUrl = new Uri(api.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public HttpClient Client(string? bearer = null)
    {
        var client = new HttpClient { BaseAddress = ApiUrl, Timeout = TimeSpan.FromSeconds(30) };
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

    /// <summary>A ClickHouse database no other test uses.</summary>
    public ClickHouseDatabase NewDatabase() =>
        new(new ClickHouseConnection(new Uri(ClickHouse.HttpUrl + "/"), "t_" + Guid.NewGuid().ToString("N")[..16], "default", ""));

    /// <summary>The ingest settings of the fixture's ingesters: quick polls and backoffs.</summary>
    public static IngestOptions FastIngest() => new()
    {
        BatchSize = 1000, IdlePollMilliseconds = 100, InitialBackoffMilliseconds = 100, MaxBackoffMilliseconds = 1000, CallTimeoutSeconds = 10,
    };

    /// <summary>An ingester on <paramref name="database"/>, started; stop it with <see cref="RunningIngester.DisposeAsync"/>.</summary>
    public async Task<RunningIngester> StartIngesterAsync(ClickHouseDatabase database, HttpMessageHandler? handler = null, IngestOptions? settings = null)
    {
        var http = handler is null ? new HttpClient() : new HttpClient(handler);
        http.BaseAddress = ApiUrl;
        http.Timeout = TimeSpan.FromSeconds(30);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServiceToken);
        var options = Options.Create(settings ?? FastIngest());
        var lag = new IngestLag(null, IngestLag.Feed);
        var ingester = new OutboxIngester(new OutboxFeedClient(http), database, new EventStore(database, TimeProvider.System), options, lag, Logs.CreateLogger<OutboxIngester>());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ingester.StartAsync(timeout.Token);
        return new RunningIngester(ingester, http, lag);
    }

    public async Task DisposeAsync()
    {
        if (api is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await api.StopAsync(timeout.Token);
            await api.DisposeAsync();
        }
        if (ClickHouse is not null)
        {
            await ClickHouse.DisposeAsync();
        }
        if (servers is not null)
        {
            await servers.DisposeAsync();
        }
    }
}

public sealed class RunningIngester(OutboxIngester ingester, HttpClient http, IngestLag lag) : IAsyncDisposable
{
    public OutboxIngester Ingester => ingester;
    public IngestLag Lag => lag;

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await ingester.StopAsync(timeout.Token);
        ingester.Dispose();
        http.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class AnalyticsTests : ICollectionFixture<AnalyticsFixture>
{
    public const string Name = "analytics";
}
