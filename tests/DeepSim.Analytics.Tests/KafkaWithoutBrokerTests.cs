using System.Net;
using System.Net.Http.Json;
using Dapper;
using DeepSim.Analytics.Ingest;
using DeepSim.Api.Events;
using DeepSim.Api.Infrastructure;
using DeepSim.Kafka;
using DeepSim.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace DeepSim.Analytics.Tests;

/// <summary>
/// The Kafka relay (Api) and consumer (Analytics) with the real Confluent.Kafka client and no broker: none can run on
/// this machine, so these tests point the client at a loopback port where nothing listens. They show the paths that
/// do not need a broker: buffering and clean time-outs, the position kept, the logs quiet, /health saying so. The
/// path through a live broker is <see cref="KafkaBrokerTests"/>, which runs only where a broker is named.
/// </summary>
[Collection(AnalyticsTests.Name)]
public sealed class KafkaWithoutBrokerTests(AnalyticsFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(90);

    [Fact]
    public void The_process_loads_the_librdkafka_that_confluent_kafka_brings()
    {
        // Debian's librdkafka1 2.0.2 is installed too (clickhouse-common depends on it): the redist's must win. Of the
        // redist's builds, the plain librdkafka.so needs libsasl2.so.3, which Debian 12 lacks, so Confluent.Kafka
        // falls back to its centos8 build: either is the redist's 2.16.0, from the application's own folder.
        var path = KafkaNative.LoadedFrom();
        output.WriteLine($"loaded {KafkaNative.Describe()}");
        Assert.Equal("2.16.0", KafkaNative.Version);
        Assert.NotNull(path);
        Assert.StartsWith(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native") + "/", path, StringComparison.Ordinal);
        Assert.EndsWith("librdkafka.so", path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_broker_the_relay_keeps_its_position_times_out_cleanly_and_health_says_kafka_is_unreachable()
    {
        var noBroker = Kafka.NoBroker();
        output.WriteLine($"No Kafka broker on this machine: the real client ({KafkaNative.Describe()}) is pointed at {noBroker}, where nothing listens.");
        await InsertEventsAsync(30, "test.relay");
        var settings = new OutboxRelaySettings
        {
            Name = "test-" + Guid.NewGuid().ToString("N")[..12], BatchSize = 50, MessageTimeoutMs = 1500, IdlePollMilliseconds = 100,
            InitialBackoffMilliseconds = 200, MaxBackoffMilliseconds = 400, LeaseSeconds = 10,
        };
        var logs = new CapturingLogs(LogLevel.Debug);
        var relay = new OutboxRelay(fixture.ApiServices.GetRequiredService<TenantDb>(), Options.Create(settings),
            new KafkaSettings { Topic = "deepsim.test." + settings.Name, StatisticsIntervalMs = 500 }, noBroker, logs.For<OutboxRelay>(), TimeProvider.System);
        using (var start = new CancellationTokenSource(Budget))
        {
            await relay.StartAsync(start.Token);
        }
        try
        {
            await WaitUntilAsync(() => Task.FromResult(relay.FailedRounds >= 3), "three rounds timed out");
            await WaitUntilAsync(() => Task.FromResult(relay.Connectivity.Current.QueuedMessages is not null), "the producer's statistics");

            // Nothing acknowledged, so nothing moved: in memory, in PostgreSQL and as the Api reports it.
            Assert.Equal("0-0", relay.Position);
            Assert.Equal(0, relay.Published);
            await using (var owner = await fixture.OpenOwnerAsync())
            {
                var stored = await owner.QuerySingleAsync<(long Txid, long Seq, string Holder)>(
                    "select o_after_txid, o_after_seq, o_holder from outbox_relay_position(@name)", new { name = settings.Name });
                Assert.Equal((0L, 0L), (stored.Txid, stored.Seq));
                Assert.False(string.IsNullOrEmpty(stored.Holder));
            }
            using (var client = fixture.Client(AnalyticsFixture.ServiceToken))
            {
                var status = await client.GetFromJsonAsync<RelayStatus>($"/internal/v1/outbox/relays/{settings.Name}");
                Assert.Equal("0-0", status!.Position);
                Assert.NotNull(status.OldestPendingAt);
                using var missing = await client.GetAsync("/internal/v1/outbox/relays/no-such-relay");
                Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            }

            Assert.Contains("Local_MsgTimedOut", relay.LastFailure, StringComparison.Ordinal);
            Assert.Equal(KafkaReachability.Unreachable, relay.Connectivity.Current.Reachability);
            Assert.True(relay.Lag > TimeSpan.Zero, $"lag {relay.Lag}: the unpublished events are waiting");
            // Bounded: one round in flight, so the producer never holds more than a round.
            var queued = relay.Connectivity.Current.QueuedMessages!.Value;
            Assert.InRange(queued, 0, settings.BatchSize);

            var health = await new OutboxRelayHealthCheck(relay).CheckHealthAsync(new HealthCheckContext());
            output.WriteLine($"after {relay.FailedRounds} timed-out rounds (producer queue {queued} messages): kafka {health.Status}: {health.Description}");
            Assert.Equal(HealthStatus.Degraded, health.Status);
            Assert.Contains($"Kafka unreachable at {noBroker}", health.Description, StringComparison.Ordinal);
            Assert.Contains("at position 0-0", health.Description, StringComparison.Ordinal);

            // Quiet: one warning per timed-out round and one for the brokers going away; each repeated connection
            // error only at Debug; no error at all.
            var rounds = relay.FailedRounds;
            var warnings = logs.AtLeast(LogLevel.Warning);
            var roundWarnings = warnings.Count(e => e.Message.Contains("not all acknowledged", StringComparison.Ordinal));
            var repeats = logs.Entries.Count(e => e.Level == LogLevel.Debug && e.Message.StartsWith("Kafka still unreachable", StringComparison.Ordinal));
            output.WriteLine($"log: {warnings.Count} warnings ({roundWarnings} for rounds), {repeats} repeated connection errors at Debug");
            Assert.InRange(roundWarnings, 3, rounds + 1);
            Assert.InRange(warnings.Count - roundWarnings, 1, 2);
            Assert.Empty(logs.AtLeast(LogLevel.Error));
            Assert.True(repeats > 0, "repeated connection errors were seen, at Debug");
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await relay.StopAsync(stop.Token);
            relay.Dispose();
        }
        // A clean stop gives the lease up, for another replica to take at once.
        await using var check = await fixture.OpenOwnerAsync();
        Assert.Null(await check.ExecuteScalarAsync<string?>("select o_holder from outbox_relay_position(@name)", new { name = settings.Name }));
    }

    [Fact]
    public async Task Without_a_broker_analytics_in_kafka_mode_reports_kafka_unreachable_and_the_relay_backlog_as_lag()
    {
        var noBroker = Kafka.NoBroker();
        output.WriteLine($"No Kafka broker on this machine: Analytics' consumer ({KafkaNative.Describe()}) is pointed at {noBroker}, where nothing listens.");
        // A relay that has published nothing: everything in the outbox (these events at least) waits behind it.
        await InsertEventsAsync(10, "test.backlog");
        var relayName = "test-" + Guid.NewGuid().ToString("N")[..12];
        await using (var owner = await fixture.OpenOwnerAsync())
        {
            await owner.ExecuteAsync("select * from outbox_relay_claim(@relayName, 'a test', 30)", new { relayName });
        }
        var logs = new CapturingLogs(LogLevel.Debug);
        await using var analytics = await ComposedAnalytics.StartAsync(fixture, new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ResourceNames.Kafka}"] = noBroker,
            ["Kafka:StatisticsIntervalMs"] = "500",
            ["Kafka:Topic"] = "deepsim.test." + relayName,
            ["Ingest:RelayName"] = relayName,
            ["Ingest:KafkaGroupId"] = "test-" + relayName,
        }, logs);
        var ingester = analytics.Services.GetRequiredService<KafkaIngester>();
        Assert.Empty(analytics.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<OutboxIngester>());

        await WaitUntilAsync(async () => (await analytics.CheckAsync(ResourceNames.Kafka)).Description.StartsWith("Kafka unreachable", StringComparison.Ordinal),
            "the kafka check to say Kafka is unreachable");
        await WaitUntilAsync(() => Task.FromResult(logs.Entries.Count(e => e.Message.StartsWith("Kafka still unreachable", StringComparison.Ordinal)) >= 3),
            "three repeated connection errors");
        var kafka = await analytics.CheckAsync(ResourceNames.Kafka);
        var ingest = await analytics.CheckAsync("ingest");
        output.WriteLine($"/health kafka {kafka.Status}: {kafka.Description}");
        output.WriteLine($"/health ingest {ingest.Status}: {ingest.Description}");
        Assert.Equal("Degraded", kafka.Status);
        Assert.Contains($"Kafka unreachable at {noBroker}", kafka.Description, StringComparison.Ordinal);
        Assert.True(ingester.Migrated, "ClickHouse was migrated although Kafka is away");
        Assert.Equal("Degraded", ingest.Status);
        Assert.Contains($"relay: oldest waiting", ingest.Description, StringComparison.Ordinal);
        Assert.Contains($"relay '{relayName}' at 0-0", ingest.Description, StringComparison.Ordinal);
        Assert.Contains("topic: unknown (nothing consumed, and Kafka unreachable", ingest.Description, StringComparison.Ordinal);
        var lag = analytics.Services.GetRequiredService<IngestLag>().Current;
        Assert.True(lag.Lag > TimeSpan.Zero, $"the relay's backlog is the lag: {lag.Lag}");
        Assert.False(lag.Complete);

        var consumerLogs = logs.Entries.Where(e => e.Category.EndsWith(nameof(KafkaIngester), StringComparison.Ordinal)).ToList();
        var warnings = consumerLogs.Where(e => e.Level >= LogLevel.Warning).ToList();
        output.WriteLine($"consumer log: {warnings.Count} warnings or worse, {consumerLogs.Count(e => e.Level == LogLevel.Debug)} at Debug");
        Assert.InRange(warnings.Count, 1, 2);
        Assert.DoesNotContain(warnings, e => e.Level >= LogLevel.Error);
    }

    private async Task InsertEventsAsync(int count, string type)
    {
        await using var owner = await fixture.OpenOwnerAsync();
        await owner.ExecuteAsync(
            "insert into event_outbox (id, type, payload) select gen_random_uuid(), @type, jsonb_build_object('n', n) from generate_series(1, @count) n",
            new { type, count });
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition, string what) => Eventually.WaitUntilAsync(condition, what, Budget);
}
