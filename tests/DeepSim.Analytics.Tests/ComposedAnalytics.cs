using System.Text.Json;
using DeepSim.Analytics.ClickHouse;
using DeepSim.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeepSim.Analytics.Tests;

/// <summary>The Analytics service as Program.cs composes it, on a ClickHouse database of its own, on a loopback port.</summary>
public sealed class ComposedAnalytics : IAsyncDisposable
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);
    private readonly HttpClient http;

    private ComposedAnalytics(WebApplication app, Uri url, ClickHouseDatabase database)
    {
        App = app;
        Url = url;
        Database = database;
        http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }
    public Uri Url { get; }
    public ClickHouseDatabase Database { get; }
    public IServiceProvider Services => App.Services;

    public static async Task<ComposedAnalytics> StartAsync(AnalyticsFixture fixture, IDictionary<string, string?> overrides, ILoggerProvider? logs = null)
    {
        var databaseName = "t_" + Guid.NewGuid().ToString("N")[..16];
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        var settings = new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ResourceNames.ClickHouse}"] = fixture.ClickHouse.ConnectionString.Replace("Database=deepsim", "Database=" + databaseName, StringComparison.Ordinal),
            [$"services:{ResourceNames.Api}:http:0"] = fixture.ApiUrl.ToString(),
            ["Auth:ServiceToken"] = AnalyticsFixture.ServiceToken,
            ["Ingest:IdlePollMilliseconds"] = "100",
            ["Ingest:InitialBackoffMilliseconds"] = "100",
            ["Ingest:MaxBackoffMilliseconds"] = "1000",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults();
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
        }
        builder.AddAnalyticsServices();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        using var start = new CancellationTokenSource(Budget);
        await app.StartAsync(start.Token);
        var url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var database = new ClickHouseDatabase(new ClickHouseConnection(new Uri(fixture.ClickHouse.HttpUrl + "/"), databaseName, "default", ""));
        return new ComposedAnalytics(app, url, database);
    }

    /// <summary>The <c>/health</c> report's entry for <paramref name="check"/>: its status and description.</summary>
    public async Task<(string Status, string Description)> CheckAsync(string check)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await http.GetAsync(Extensions.HealthEndpointPath, timeout.Token);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(timeout.Token)).RootElement;
        var entry = body.GetProperty("checks").GetProperty(check);
        return (entry.GetProperty("status").GetString()!, entry.GetProperty("description").GetString() ?? "");
    }

    public async ValueTask DisposeAsync()
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            await App.StopAsync(stop.Token);
        }
        await App.DisposeAsync();
        Database.Dispose();
        http.Dispose();
    }
}
