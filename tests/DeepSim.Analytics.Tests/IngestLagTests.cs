using System.Diagnostics.Metrics;
using System.Globalization;
using Dapper;
using DeepSim.Analytics.ClickHouse;
using DeepSim.Analytics.Ingest;
using DeepSim.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace DeepSim.Analytics.Tests;

/// <summary>The ingest lag (issue 13 item 5): the oldest outbox event not in ClickHouse, as a metric and on /health.</summary>
[Collection(AnalyticsTests.Name)]
public sealed class IngestLagTests(AnalyticsFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Ingest_lag_grows_while_clickhouse_is_stopped_and_returns_to_zero_after()
    {
        using var database = fixture.NewDatabase();
        var settings = AnalyticsFixture.FastIngest();
        settings.MaxBackoffMilliseconds = 300;
        settings.LagDegradedSeconds = 1;
        await using var running = await fixture.StartIngesterAsync(database, settings: settings);
        var lag = running.Lag;
        var health = new IngestHealthCheck(lag, Options.Create(settings));

        await WaitUntilAsync(() => lag.Current.Lag == TimeSpan.Zero, "the ingester caught up with the feed (lag 0)");
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(health)).Status);

        const int count = 40;
        Guid batch;
        TimeSpan first, later;
        var storedBefore = running.Ingester.Ingested;
        await fixture.ClickHouse.StopAsync();
        try
        {
            batch = await InsertEventsAsync(count, "test.lag");
            await WaitUntilAsync(() => lag.Current.Lag > TimeSpan.Zero, "a lag while ClickHouse is stopped");
            first = lag.Current.Lag!.Value;
            // The events cannot be stored, so the oldest one only gets older.
            await WaitUntilAsync(() => lag.Current.Lag > first + TimeSpan.FromSeconds(1.5), "the lag to grow by 1.5 s");
            later = lag.Current.Lag!.Value;
            var degraded = await CheckAsync(health);
            output.WriteLine($"ClickHouse stopped: lag {first.TotalSeconds:F2} s, then {later.TotalSeconds:F2} s; health {degraded.Status}: {degraded.Description}");
            Assert.Equal(HealthStatus.Degraded, degraded.Status);
            Assert.Contains("ingest lag", degraded.Description, StringComparison.Ordinal);
            Assert.Contains("Degraded above 1 s", degraded.Description, StringComparison.Ordinal);
            Assert.Equal(storedBefore, running.Ingester.Ingested);
        }
        finally
        {
            using var restart = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await fixture.ClickHouse.StartAgainAsync(restart.Token);
        }

        await WaitUntilAsync(() => lag.Current.Lag == TimeSpan.Zero, "the lag back to 0 after ClickHouse returned");
        Assert.Equal(count, await CountAsync(database, batch));
        var healthy = await CheckAsync(health);
        output.WriteLine($"ClickHouse back: lag {lag.Current.Lag?.TotalSeconds:F2} s; health {healthy.Status}: {healthy.Description}");
        Assert.Equal(HealthStatus.Healthy, healthy.Status);
    }

    [Fact]
    public async Task The_composed_service_exports_the_lag_as_a_gauge_and_shows_it_on_health()
    {
        await using var analytics = await ComposedAnalytics.StartAsync(fixture, new Dictionary<string, string?>());
        var factory = analytics.Services.GetRequiredService<IMeterFactory>();
        var measurements = new List<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // This service's gauge, under the meter name the service defaults export (the Aspire dashboard shows it).
            if (instrument.Meter.Name == TelemetrySources.Name && instrument.Name == IngestLag.GaugeName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (measurements)
            {
                measurements.Add(value);
            }
        });
        listener.Start();

        var batch = await InsertEventsAsync(5, "test.gauge");
        await WaitUntilAsync(async () => await CountAsync(analytics.Database, batch) == 5, "the events in ClickHouse");
        await WaitUntilAsync(() =>
        {
            listener.RecordObservableInstruments();
            lock (measurements)
            {
                return measurements.Count > 0 && measurements[^1] == 0;
            }
        }, "a gauge reading of 0 once caught up");
        var (status, description) = await analytics.CheckAsync("ingest");
        output.WriteLine($"gauge {IngestLag.GaugeName}: {string.Join(", ", measurements.TakeLast(3))}; /health ingest {status}: {description}");
        Assert.Equal("Healthy", status);
        Assert.StartsWith("ingest lag 0.0 s (Degraded above 60 s)", description, StringComparison.Ordinal);
        Assert.Contains("feed: nothing waiting, checkpoint", description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_held_back_behind_an_open_transaction_count_into_the_lag()
    {
        using var database = fixture.NewDatabase();
        await using var running = await fixture.StartIngesterAsync(database);
        await WaitUntilAsync(() => running.Lag.Current.Lag == TimeSpan.Zero, "the ingester caught up");

        // An open transaction holds the feed back: a later, committed event is not readable yet, but it waits.
        await using var slow = await fixture.OpenOwnerAsync();
        await using var open = await slow.BeginTransactionAsync();
        await slow.ExecuteAsync("insert into event_outbox (id, type, payload) values (gen_random_uuid(), 'test.open', '{}')", transaction: open);
        var held = await InsertEventsAsync(1, "test.held");
        await WaitUntilAsync(() => running.Lag.Current.Lag > TimeSpan.FromSeconds(1), "a lag from the held-back event");
        Assert.Equal(0, await CountAsync(database, held));
        output.WriteLine($"held back: {running.Lag.Current.Details}");

        await open.RollbackAsync();
        await WaitUntilAsync(async () => await CountAsync(database, held) == 1, "the held-back event once the transaction ended");
        await WaitUntilAsync(() => running.Lag.Current.Lag == TimeSpan.Zero, "the lag back to 0");
    }

    private static async Task<(HealthStatus Status, string Description)> CheckAsync(IngestHealthCheck health)
    {
        var result = await health.CheckHealthAsync(new HealthCheckContext());
        return (result.Status, result.Description ?? "");
    }

    private async Task<Guid> InsertEventsAsync(int count, string type)
    {
        var batch = Guid.NewGuid();
        await using var owner = await fixture.OpenOwnerAsync();
        await owner.ExecuteAsync(
            "insert into event_outbox (id, type, payload) select gen_random_uuid(), @type, jsonb_build_object('batch', @batch::text, 'n', n) from generate_series(1, @count) n",
            new { type, batch, count });
        return batch;
    }

    private static async Task<long> CountAsync(ClickHouseDatabase database, Guid batch)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            var rows = await database.QueryTsvAsync(
                $"SELECT uniqExact(event_id) FROM events WHERE position(payload, {ClickHouseSql.Literal(batch.ToString())}) > 0", timeout.Token);
            return long.Parse(rows[0][0], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is global::ClickHouse.Driver.ClickHouseServerException or HttpRequestException)
        {
            return -1; // not migrated yet, or ClickHouse not back yet
        }
    }

    private static Task WaitUntilAsync(Func<bool> condition, string what) => Eventually.WaitUntilAsync(() => Task.FromResult(condition()), what, Budget);

    private static Task WaitUntilAsync(Func<Task<bool>> condition, string what) => Eventually.WaitUntilAsync(condition, what, Budget);
}
