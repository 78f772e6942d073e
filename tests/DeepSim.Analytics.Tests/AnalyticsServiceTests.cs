using System.Globalization;
using Dapper;
using DeepSim.Analytics.ClickHouse;
using DeepSim.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace DeepSim.Analytics.Tests;

[Collection(AnalyticsTests.Name)]
public sealed class AnalyticsServiceTests(AnalyticsFixture fixture)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_analytics_service_composed_as_in_production_ingests_the_feed()
    {
        var batch = Guid.NewGuid();
        await using (var owner = await fixture.OpenOwnerAsync())
        {
            await owner.ExecuteAsync("insert into event_outbox (id, type, payload) values (gen_random_uuid(), 'test.service', jsonb_build_object('batch', @batch::text))",
                new { batch = batch.ToString() });
        }
        var databaseName = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using var app = Compose(databaseName);
        using (var start = new CancellationTokenSource(Budget))
        {
            await app.StartAsync(start.Token);
        }
        try
        {
            using var database = new ClickHouseDatabase(new ClickHouseConnection(new Uri(fixture.ClickHouse.HttpUrl + "/"), databaseName, "default", ""));
            using var timeout = new CancellationTokenSource(Budget);
            while (await CountAsync(database, batch) < 1)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), timeout.Token);
            }
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await app.StopAsync(stop.Token);
        }
    }

    [Fact]
    public async Task The_analytics_service_refuses_to_start_with_an_ingest_batch_beyond_the_feed_limit()
    {
        await using var app = Compose("t_" + Guid.NewGuid().ToString("N")[..16], ("Ingest:BatchSize", "5000"));
        using var start = new CancellationTokenSource(Budget);
        var refused = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync(start.Token));
        Assert.Contains("Ingest:BatchSize", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>The analytics service as its Program.cs composes it, on its own ClickHouse database.</summary>
    private WebApplication Compose(string databaseName, params (string Key, string Value)[] overrides)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        var settings = new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ResourceNames.ClickHouse}"] = fixture.ClickHouse.ConnectionString.Replace("Database=deepsim", "Database=" + databaseName, StringComparison.Ordinal),
            [$"services:{ResourceNames.Api}:http:0"] = fixture.ApiUrl.ToString(),
            ["Auth:ServiceToken"] = AnalyticsFixture.ServiceToken,
            ["Ingest:IdlePollMilliseconds"] = "100",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults();
        builder.AddAnalyticsServices();
        return builder.Build();
    }

    private static async Task<long> CountAsync(ClickHouseDatabase database, Guid batch)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            var rows = await database.QueryTsvAsync(
                $"SELECT uniqExact(event_id) FROM events WHERE type = 'test.service' AND position(payload, {ClickHouseSql.Literal(batch.ToString())}) > 0", timeout.Token);
            return long.Parse(rows[0][0], CultureInfo.InvariantCulture);
        }
        catch (global::ClickHouse.Driver.ClickHouseServerException)
        {
            return 0; // not migrated yet
        }
    }
}
