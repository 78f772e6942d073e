using System.Net.Http.Headers;
using DeepSim.Api;
using DeepSim.Api.Data;
using DeepSim.TestServers;
using DeepSim.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DeepSim.Runs.Tests;

/// <summary>
/// Real PostgreSQL and Redis (DeepSim.TestServers), migrated once, and the Api hosted in this process on
/// Kestrel at a free loopback port so real worker processes (<c>dotnet DeepSim.Simulation.dll</c>) can reach it.
/// </summary>
public sealed class RunsFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartBudget = TimeSpan.FromSeconds(120);
    public const string ServiceToken = "runs-test-service-token-0123456789abcdef";

    /// <summary>Short leases so crash and pause tests see expiry in seconds, not the production 30 s.</summary>
    public const int LeaseSeconds = 3;

    private ScratchServers? servers;
    private readonly List<ApiHost> hosts = [];

    public RedisServer Redis => servers!.Redis;
    public ApiHost Api { get; private set; } = null!;
    public string OwnerConnectionString => servers!.Postgres.OwnerConnectionString;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartBudget);
        servers = await ScratchServers.StartAsync("deepsim-runs-test-", timeout.Token);
        await DatabaseMigrator.MigrateAsync(servers.Postgres.OwnerConnectionString, servers.Postgres.AppRole, timeout.Token);
        Api = await StartApiAsync(Redis.ConnectionString, timeout.Token);
    }

    /// <summary>Another Api host on the same database (and the given Redis), like a second Api process.</summary>
    public async Task<ApiHost> StartApiAsync(string redisConnectionString, CancellationToken ct, IDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ResourceNames.Database}"] = servers!.Postgres.AppConnectionString,
            [$"ConnectionStrings:{ResourceNames.PlatformDatabase}"] = servers.Postgres.PlatformConnectionString,
            [$"ConnectionStrings:{ResourceNames.Redis}"] = redisConnectionString,
            ["Auth:ServiceToken"] = ServiceToken,
            // Fast hashing in tests only; production keeps the OWASP work factor.
            ["Auth:Pbkdf2Iterations"] = "1000",
            ["Runs:LeaseSeconds"] = LeaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Usage:FlushMilliseconds"] = "200",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        var host = await ApiHost.StartAsync(settings, ct);
        hosts.Add(host);
        return host;
    }

    public async Task<NpgsqlConnection> OpenOwnerAsync()
    {
        var connection = new NpgsqlConnection(OwnerConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task DisposeAsync()
    {
        foreach (var host in hosts)
        {
            await host.DisposeAsync();
        }
        if (servers is not null)
        {
            await servers.DisposeAsync();
        }
    }
}

/// <summary>The Api composed exactly as its Program.cs does, listening on a free loopback port.</summary>
public sealed class ApiHost : IAsyncDisposable
{
    private readonly WebApplication app;

    private ApiHost(WebApplication app, Uri url)
    {
        this.app = app;
        Url = url;
    }

    public Uri Url { get; }
    public IServiceProvider Services => app.Services;

    public static async Task<ApiHost> StartAsync(IDictionary<string, string?> settings, CancellationToken ct)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(ApiServiceExtensions).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Development",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.BuildApi();
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ApiHost(app, new Uri(address));
    }

    public HttpClient Client(string? bearer = null)
    {
        var client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(60) };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // a long poll still open; disposal below ends it
        }
        await app.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class RunsTests : ICollectionFixture<RunsFixture>
{
    public const string Name = "runs";
}
