using System.Diagnostics;
using System.Globalization;
using Dapper;
using DeepSim.Analytics.ClickHouse;
using Xunit.Abstractions;

namespace DeepSim.Analytics.Tests;

[Collection(AnalyticsTests.Name)]
public sealed class ResilienceTests(AnalyticsFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(90);

    /// <summary>Fails the first <paramref name="failures"/> calls as a down Api would, then passes calls through.</summary>
    private sealed class FlakyHandler(int failures) : DelegatingHandler(new HttpClientHandler())
    {
        private int calls;

        public int Calls => Volatile.Read(ref calls);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref calls) <= failures
                ? throw new HttpRequestException("connection refused (simulated)")
                : base.SendAsync(request, cancellationToken);
    }

    [Fact]
    public async Task The_ingester_backs_off_while_the_api_is_down_and_then_catches_up()
    {
        var id = await InsertEventsAsync(1, "test.flaky");
        using var database = fixture.NewDatabase();
        using var handler = new FlakyHandler(failures: 4);
        await using (await fixture.StartIngesterAsync(database, handler))
        {
            await WaitUntilAsync(async () => await CountAsync(database, "test.flaky", id) == 1, "the event after the Api came back");
        }
        Assert.True(handler.Calls > 4, $"{handler.Calls} calls: the failures were retried");
    }

    [Fact]
    public async Task A_backlog_is_ingested_completely_and_its_rate_reported()
    {
        const int backlog = 20_000;
        var batch = await InsertEventsAsync(backlog, "test.backlog");
        using var database = fixture.NewDatabase();
        var clock = Stopwatch.StartNew();
        await using (await fixture.StartIngesterAsync(database))
        {
            await WaitUntilAsync(async () => await CountAsync(database, "test.backlog", batch) == backlog, $"{backlog} backlog events");
        }
        clock.Stop();
        // Reported, not asserted (timings on this shared machine are noise).
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{backlog} events ingested in {clock.Elapsed.TotalSeconds:F2} s: {backlog / clock.Elapsed.TotalSeconds:F0} events/s (feed page 1000, from migrations to last insert)"));
    }

    /// <summary><paramref name="count"/> outbox rows of one batch (the payload carries its id), written in one transaction.</summary>
    private async Task<Guid> InsertEventsAsync(int count, string type)
    {
        var batch = Guid.NewGuid();
        await using var owner = await fixture.OpenOwnerAsync();
        await owner.ExecuteAsync(
            "insert into event_outbox (id, type, payload) select gen_random_uuid(), @type, jsonb_build_object('batch', @batch::text, 'n', n) from generate_series(1, @count) n",
            new { type, batch, count });
        return batch;
    }

    private static async Task<long> CountAsync(ClickHouseDatabase database, string type, Guid batch)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            var rows = await database.QueryTsvAsync(
                $"SELECT uniqExact(event_id) FROM events WHERE type = {ClickHouseSql.Literal(type)} AND position(payload, {ClickHouseSql.Literal(batch.ToString())}) > 0",
                timeout.Token);
            return long.Parse(rows[0][0], CultureInfo.InvariantCulture);
        }
        catch (global::ClickHouse.Driver.ClickHouseServerException)
        {
            return -1; // the table is not there until the ingester's migrations ran
        }
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition, string what) => Eventually.WaitUntilAsync(condition, what, Budget);
}
