using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Dapper;
using DeepSim.Analytics.ClickHouse;
using DeepSim.Analytics.Ingest;
using DeepSim.Api.Events;
using DeepSim.Api.Infrastructure;
using DeepSim.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace DeepSim.Analytics.Tests;

/// <summary>
/// The outbox through a live Kafka broker into ClickHouse: relay (Api) → topic → consumer (Analytics). Runs only where
/// <c>DEEPSIM_TEST_KAFKA</c> names a broker; elsewhere the test is reported skipped with that reason (no broker can run on
/// this project's machines, so here it is always skipped: <see cref="KafkaWithoutBrokerTests"/> covers what needs none).
/// </summary>
[Collection(AnalyticsTests.Name)]
public sealed class KafkaBrokerTests(AnalyticsFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(120);

    [KafkaBrokerFact]
    public async Task Events_go_through_a_live_broker_into_clickhouse_exactly_once_keyed_by_tenant_and_a_republish_changes_no_count()
    {
        var broker = KafkaBrokerFactAttribute.Broker!;
        var name = "test-" + Guid.NewGuid().ToString("N")[..12];
        var topic = "deepsim.test." + name;
        output.WriteLine($"live broker {broker} ({KafkaNative.Describe()}), topic {topic}");
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker }).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 3, ReplicationFactor = 1 }]);
        }

        var batch = Guid.NewGuid();
        var tenants = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid()).ToList();
        const int perTenant = 25;
        await using (var owner = await fixture.OpenOwnerAsync())
        {
            foreach (var tenant in tenants)
            {
                await using var tx = await owner.BeginTransactionAsync();
                await owner.ExecuteAsync("select set_config('app.tenant_id', @t, true)", new { t = tenant.ToString() }, tx);
                await owner.ExecuteAsync(
                    "insert into event_outbox (id, tenant_id, type, payload) select gen_random_uuid(), @tenant, 'test.kafka', jsonb_build_object('batch', @batch::text, 'n', n) from generate_series(1, @perTenant) n",
                    new { tenant, batch = batch.ToString(), perTenant }, tx);
                await tx.CommitAsync();
            }
        }
        var expected = tenants.Count * perTenant;

        var kafka = new KafkaSettings { Topic = topic, StatisticsIntervalMs = 1000 };
        var logs = new CapturingLogs(LogLevel.Information);
        var relay = new OutboxRelay(fixture.ApiServices.GetRequiredService<TenantDb>(),
            Options.Create(new OutboxRelaySettings { Name = name, BatchSize = 200, IdlePollMilliseconds = 100, MessageTimeoutMs = 10_000 }),
            kafka, broker, logs.For<OutboxRelay>(), TimeProvider.System);
        using var database = fixture.NewDatabase();
        var settings = AnalyticsFixture.FastIngest();
        settings.KafkaGroupId = "test-" + name;
        var lag = new IngestLag(null, IngestLag.Topic);
        var ingester = new KafkaIngester(database, new EventStore(database, TimeProvider.System), Options.Create(settings), kafka, broker, lag,
            logs.For<KafkaIngester>(), TimeProvider.System);
        using var start = new CancellationTokenSource(Budget);
        await relay.StartAsync(start.Token);
        await ingester.StartAsync(start.Token);
        try
        {
            await WaitUntilAsync(async () => await CountAsync(database, batch, distinct: true) == expected, $"{expected} events in ClickHouse");
            Assert.Equal(expected, await CountAsync(database, batch, distinct: false));
            await WaitUntilAsync(() => Task.FromResult(relay.Lag == TimeSpan.Zero && lag.Current.Lag == TimeSpan.Zero), "both lags at 0");
            Assert.Equal(KafkaReachability.Reachable, relay.Connectivity.Current.Reachability);
            Assert.Equal(KafkaReachability.Reachable, ingester.Connectivity.Current.Reachability);

            // Keyed by tenant: each message's key is its event's tenant, and one tenant's events share a partition.
            var partitions = ReadOwnMessages(broker, topic, batch, expected);
            Assert.Equal(tenants.Order(), partitions.Keys.Order());
            Assert.All(partitions, p => Assert.Single(p.Value));

            // The relay put back to the start publishes everything again: ClickHouse's deduplicated counts do not move.
            var publishedBefore = relay.Published;
            var storedBefore = ingester.Ingested;
            await relay.StopAsync(start.Token);
            await using (var owner = await fixture.OpenOwnerAsync())
            {
                await owner.ExecuteAsync("update outbox_relays set after_txid = 0, after_seq = 0 where name = @name", new { name });
            }
            relay.Dispose();
            relay = new OutboxRelay(fixture.ApiServices.GetRequiredService<TenantDb>(),
                Options.Create(new OutboxRelaySettings { Name = name, BatchSize = 200, IdlePollMilliseconds = 100, MessageTimeoutMs = 10_000 }),
                kafka, broker, logs.For<OutboxRelay>(), TimeProvider.System);
            await relay.StartAsync(start.Token);
            await WaitUntilAsync(() => Task.FromResult(relay.Lag == TimeSpan.Zero), "the republished feed");
            await WaitUntilAsync(() => Task.FromResult(ingester.Ingested >= storedBefore + expected), "the republished events stored again");
            Assert.Equal(expected, await CountAsync(database, batch, distinct: true));
            Assert.Equal(expected, await ScalarAsync(database, $"SELECT count() FROM (SELECT event_id FROM events FINAL WHERE position(payload, {ClickHouseSql.Literal(batch.ToString())}) > 0)"));
            output.WriteLine($"published {publishedBefore} then {relay.Published} more; stored {ingester.Ingested} rows in all, {expected} distinct of this test");
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await relay.StopAsync(stop.Token);
            await ingester.StopAsync(stop.Token);
            relay.Dispose();
            ingester.Dispose();
        }
    }

    /// <summary>This test's messages from the topic's start: tenant → the partitions its messages were in; every key checked.</summary>
    private static Dictionary<Guid, HashSet<int>> ReadOwnMessages(string broker, string topic, Guid batch, int expected)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = broker, GroupId = "test-reader-" + Guid.NewGuid().ToString("N"), AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(topic);
        var partitions = new Dictionary<Guid, HashSet<int>>();
        var seen = 0;
        var deadline = DateTime.UtcNow + Budget;
        while (seen < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is not { } result)
            {
                continue;
            }
            var value = JsonDocument.Parse(result.Message.Value).RootElement;
            if (!value.GetProperty("payload").TryGetProperty("batch", out var b) || b.GetString() != batch.ToString())
            {
                continue;
            }
            var tenant = value.GetProperty("tenantId").GetGuid();
            Assert.Equal(tenant.ToString("D"), result.Message.Key);
            if (!partitions.TryGetValue(tenant, out var set))
            {
                partitions[tenant] = set = [];
            }
            set.Add(result.Partition.Value);
            seen++;
        }
        consumer.Close();
        Assert.Equal(expected, seen);
        return partitions;
    }

    private static async Task<long> CountAsync(ClickHouseDatabase database, Guid batch, bool distinct)
    {
        try
        {
            return await ScalarAsync(database,
                $"SELECT {(distinct ? "uniqExact(event_id)" : "count()")} FROM events WHERE position(payload, {ClickHouseSql.Literal(batch.ToString())}) > 0");
        }
        catch (global::ClickHouse.Driver.ClickHouseServerException)
        {
            return -1; // not migrated yet
        }
    }

    private static async Task<long> ScalarAsync(ClickHouseDatabase database, string sql)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return long.Parse((await database.QueryTsvAsync(sql, timeout.Token))[0][0], CultureInfo.InvariantCulture);
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition, string what) => Eventually.WaitUntilAsync(condition, what, Budget);
}
