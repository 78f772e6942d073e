using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using DeepSim.Analytics.ClickHouse;
using DeepSim.TestServers;

namespace DeepSim.Analytics.Tests;

[Collection(AnalyticsTests.Name)]
public sealed class OutboxIngestTests(AnalyticsFixture fixture)
{
    private static readonly TimeSpan CallBudget = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan IngestBudget = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Feed_refuses_a_missing_or_wrong_service_token()
    {
        using var timeout = new CancellationTokenSource(CallBudget);
        using var anonymous = fixture.Client();
        using var missing = await anonymous.GetAsync("/internal/v1/outbox", timeout.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        using var wrong = fixture.Client("not-the-service-token");
        using var refused = await wrong.GetAsync("/internal/v1/outbox", timeout.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Theory]
    [InlineData("after=abc", "after")]
    [InlineData("after=-1-2", "after")]
    [InlineData("after=12", "after")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=ten", "limit")]
    public async Task Feed_rejects_bad_parameters_by_field(string query, string field)
    {
        using var timeout = new CancellationTokenSource(CallBudget);
        using var client = fixture.Client(AnalyticsFixture.ServiceToken);
        using var response = await client.GetAsync("/internal/v1/outbox?" + query, timeout.Token);
        var body = await response.Content.ReadAsStringAsync(timeout.Token);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{query}: {response.StatusCode} {body}");
        Assert.Contains("application/problem+json", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty(field, out _), body);
    }

    [Fact]
    public async Task Feed_holds_back_events_behind_an_open_transaction_and_then_gives_them_in_order()
    {
        using var timeout = new CancellationTokenSource(CallBudget);
        using var client = fixture.Client(AnalyticsFixture.ServiceToken);
        var start = await LastPositionAsync(client, timeout.Token);
        await using var slow = await fixture.OpenOwnerAsync();
        await using var fast = await fixture.OpenOwnerAsync();
        var slowId = Guid.NewGuid();
        var fastId = Guid.NewGuid();
        await using var slowTx = await slow.BeginTransactionAsync(timeout.Token);
        // The slow transaction takes the lower seq, then commits after the fast one.
        await slow.ExecuteAsync("insert into event_outbox (id, type, payload) values (@slowId, 'test.slow', '{}')", new { slowId }, slowTx);
        await fast.ExecuteAsync("insert into event_outbox (id, type, payload) values (@fastId, 'test.fast', '{}')", new { fastId });

        var whileOpen = await ReadAllAfterAsync(client, start, timeout.Token);
        Assert.DoesNotContain(whileOpen, e => e.Id == fastId || e.Id == slowId);

        await slowTx.CommitAsync(timeout.Token);
        var afterCommit = await ReadAllAfterAsync(client, start, timeout.Token);
        var ids = afterCommit.Select(e => e.Id).ToList();
        Assert.Contains(slowId, ids);
        Assert.Contains(fastId, ids);
        Assert.True(ids.IndexOf(slowId) < ids.IndexOf(fastId), "the slow transaction wrote first, so its txid orders it first, though it committed last");
    }

    [Fact]
    public async Task The_app_role_reads_other_tenants_events_only_through_the_feed_function()
    {
        await TenantAsync();
        await using var app = new Npgsql.NpgsqlConnection(fixture.AppConnectionString);
        await app.OpenAsync();
        // Row-level security: with no tenant chosen the table shows the application role nothing.
        Assert.Equal(0L, await app.ExecuteScalarAsync<long>("select count(*) from event_outbox"));
        var columns = (await app.QueryAsync<string>(
            "select unnest(proargnames[4:]) from pg_proc where proname = 'outbox_feed'")).ToList();
        Assert.Equal(new[] { "o_txid", "o_seq", "o_id", "o_tenant_id", "o_type", "o_occurred_at", "o_payload" }, columns);
        Assert.True(await app.ExecuteScalarAsync<long>("select count(*) from outbox_feed(0, 0, 1000)") > 0, "the feed function crosses tenants");
    }

    [Fact]
    public async Task Events_of_real_api_actions_reach_clickhouse_exactly_once_by_event_id()
    {
        var tenant = await TenantAsync();
        var expected = await OutboxIdsAsync(tenant);
        Assert.True(expected.Count >= 3, $"sign-up, flowsheet and run should each write an event; the outbox holds {expected.Count}");

        using var database = fixture.NewDatabase();
        await using (await fixture.StartIngesterAsync(database))
        {
            await WaitForAsync(database, tenant, expected.Count);
            // The Api may still write events of the tenant after its calls answered: compare with the outbox as it is now.
            expected = await OutboxIdsAsync(tenant);
            await WaitForAsync(database, tenant, expected.Count);
        }
        var counts = await database.QueryTsvAsync(
            $"SELECT toString(event_id), count() FROM events FINAL WHERE tenant_id = {ClickHouseSql.Literal(tenant.ToString())} GROUP BY event_id", CancellationToken.None);
        Assert.Equal(expected.Order(), counts.Select(r => Guid.Parse(r[0])).Order());
        Assert.All(counts, r => Assert.Equal("1", r[1]));
        var types = (await database.QueryTsvAsync($"SELECT DISTINCT type FROM events WHERE tenant_id = {ClickHouseSql.Literal(tenant.ToString())}", CancellationToken.None))
            .Select(r => r[0]).ToList();
        Assert.Contains("tenant.created", types);
        Assert.Contains("flowsheet.created", types);
    }

    [Fact]
    public async Task A_redelivered_feed_changes_no_deduplicated_count()
    {
        var tenant = await TenantAsync();
        var expected = (await OutboxIdsAsync(tenant)).Count;
        using var database = fixture.NewDatabase();
        await using (await fixture.StartIngesterAsync(database))
        {
            await WaitForAsync(database, tenant, expected);
        }
        var end = (await database.QueryTsvAsync("SELECT argMax(position, version) FROM ingest_checkpoint WHERE name = 'outbox'", CancellationToken.None))[0][0];
        Assert.NotEqual("0-0", end);
        // Events the Api writes meanwhile (after end) may arrive too: the counts compare what the first pass stored.
        var upToEnd = UpTo(end);
        var distinctBefore = await ScalarAsync(database, $"SELECT uniqExact(event_id) FROM events WHERE {upToEnd}");
        var rawBefore = await ScalarAsync(database, "SELECT count() FROM events");

        // Back to the start: the whole feed is delivered a second time.
        await new DeepSim.Analytics.Ingest.EventStore(database, TimeProvider.System).WriteCheckpointAsync("outbox", "0-0", CancellationToken.None);
        await using (var again = await fixture.StartIngesterAsync(database))
        {
            // Counted by the ingester: merges may already have folded the duplicates in ClickHouse.
            await WaitUntilAsync(() => Task.FromResult(again.Ingester.Ingested >= rawBefore), "the redelivery");
        }
        Assert.Equal(distinctBefore, await ScalarAsync(database, $"SELECT uniqExact(event_id) FROM events WHERE {upToEnd}"));
        Assert.Equal(distinctBefore, await ScalarAsync(database, $"SELECT count() FROM (SELECT event_id FROM events FINAL WHERE {upToEnd})"));
    }

    [Fact]
    public async Task A_restarted_ingester_resumes_from_its_checkpoint()
    {
        var first = await TenantAsync();
        using var database = fixture.NewDatabase();
        var ingester = await fixture.StartIngesterAsync(database);
        await using (ingester)
        {
            await WaitForAsync(database, first, (await OutboxIdsAsync(first)).Count);
        }
        var stopped = ingester.Ingester.Position!;
        var second = await TenantAsync();
        var restarted = await fixture.StartIngesterAsync(database);
        string resumed;
        await using (restarted)
        {
            await WaitUntilAsync(() => Task.FromResult(restarted.Ingester.Position is not null), "the restarted ingester reading its checkpoint");
            resumed = restarted.Ingester.Position!;
            Assert.True(ComparePositions(resumed, stopped) >= 0, $"resumed at {resumed}, stopped at {stopped}");
            await WaitForAsync(database, second, (await OutboxIdsAsync(second)).Count);
        }
        // Stopped, so its count and position are final. Nothing before the checkpoint was delivered again: exactly
        // the events between the two positions.
        using var timeout = new CancellationTokenSource(CallBudget);
        using var client = fixture.Client(AnalyticsFixture.ServiceToken);
        var end = restarted.Ingester.Position!;
        var between = (await ReadAllAfterAsync(client, stopped, timeout.Token)).Count(e => ComparePositions(e.Position, end) <= 0);
        Assert.True(between == restarted.Ingester.Ingested,
            $"stopped at {stopped} (after {ingester.Ingester.Ingested}), resumed at {resumed}, ended at {end}: {between} events between, {restarted.Ingester.Ingested} ingested");
    }

    [Fact]
    public async Task Literals_round_trip_through_clickhouse_unchanged()
    {
        using var database = fixture.NewDatabase();
        await database.EnsureDatabaseAsync(CancellationToken.None);
        const string nasty = "it's a \\ back'slash\ttab\nnew line ' OR 1=1 -- é 漢字 \u0001";
        var rows = await database.QueryTsvAsync($"SELECT {ClickHouseSql.Literal(nasty)}", CancellationToken.None);
        Assert.Equal(nasty, rows[0][0]);
    }

    private sealed record Event(string Position, Guid Id);
    private sealed record Page(List<Event> Events, string Next);

    private static async Task<string> LastPositionAsync(HttpClient client, CancellationToken ct)
    {
        var position = "0-0";
        for (var i = 0; i < 10_000; i++)
        {
            var page = await client.GetFromJsonAsync<Page>($"/internal/v1/outbox?after={position}&limit=1000", ct);
            if (page!.Events.Count == 0)
            {
                return position;
            }
            position = page.Next;
        }
        throw new InvalidOperationException("the feed did not end within 10 000 pages");
    }

    private static async Task<List<Event>> ReadAllAfterAsync(HttpClient client, string after, CancellationToken ct)
    {
        var events = new List<Event>();
        for (var i = 0; i < 10_000; i++)
        {
            var page = await client.GetFromJsonAsync<Page>($"/internal/v1/outbox?after={after}&limit=1000", ct);
            if (page!.Events.Count == 0)
            {
                return events;
            }
            events.AddRange(page.Events);
            after = page.Next;
        }
        throw new InvalidOperationException("the feed did not end within 10 000 pages");
    }

    /// <summary>A condition on the events table: stored at or before feed position <paramref name="position"/>.</summary>
    private static string UpTo(string position)
    {
        var parts = position.Split('-');
        var txid = ClickHouseSql.Literal(ulong.Parse(parts[0], CultureInfo.InvariantCulture));
        var seq = ClickHouseSql.Literal(ulong.Parse(parts[1], CultureInfo.InvariantCulture));
        const string eventTxid = "toUInt64(splitByChar('-', position)[1])";
        const string eventSeq = "toUInt64(splitByChar('-', position)[2])";
        return $"({eventTxid} < {txid} OR ({eventTxid} = {txid} AND {eventSeq} <= {seq}))";
    }

    private static int ComparePositions(string a, string b)
    {
        static (long, long) Parse(string p)
        {
            var parts = p.Split('-');
            return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        return Parse(a).CompareTo(Parse(b));
    }

    /// <summary>A tenant made through the Api: sign-up, one flowsheet, one run submitted.</summary>
    private async Task<Guid> TenantAsync()
    {
        using var timeout = new CancellationTokenSource(CallBudget);
        using var anonymous = fixture.Client();
        var slug = $"t-{Guid.NewGuid():N}"[..30];
        var email = $"owner-{Guid.NewGuid():N}@example.test";
        var signed = await SignUps.SignUpAsync(anonymous, new { tenantName = "Tenant " + slug, slug, email, password = "correct-horse-battery", displayName = "Owner" }, email,
            SignUps.FromOutbox(fixture.OpenOwnerAsync), timeout.Token);
        var tenantId = signed.GetProperty("tenantId").GetGuid();
        await using (var owner = await fixture.OpenOwnerAsync())
        {
            await owner.ExecuteAsync("update tenants set plan = 'enterprise' where id = @tenantId", new { tenantId });
        }

        using var client = fixture.Client(signed.GetProperty("accessToken").GetString());
        using var flowsheetBody = new StringContent($$"""{"name": "flash", "content": {{Example()}}}""", System.Text.Encoding.UTF8, "application/json");
        using var created = await client.PostAsync("/api/v1/flowsheets", flowsheetBody, timeout.Token);
        var flowsheet = JsonDocument.Parse(await created.Content.ReadAsStringAsync(timeout.Token)).RootElement;
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"flowsheet: {created.StatusCode} {flowsheet}");

        using var runBody = new StringContent($$"""{"flowsheetId": "{{flowsheet.GetProperty("id").GetGuid()}}"}""", System.Text.Encoding.UTF8, "application/json");
        using var submitted = await client.PostAsync("/api/v1/runs", runBody, timeout.Token);
        Assert.True(submitted.StatusCode == HttpStatusCode.Accepted, $"run: {submitted.StatusCode} {await submitted.Content.ReadAsStringAsync(timeout.Token)}");
        return tenantId;
    }

    private static string Example()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepSim.sln")))
        {
            dir = dir.Parent;
        }
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir!.FullName, "examples", "benzene-toluene-flash.json")))!;
        node.AsObject().Remove("$schema");
        return node.ToJsonString();
    }

    private async Task<List<Guid>> OutboxIdsAsync(Guid tenantId)
    {
        await using var owner = await fixture.OpenOwnerAsync();
        return (await owner.QueryAsync<Guid>("select id from event_outbox where tenant_id = @tenantId", new { tenantId })).ToList();
    }

    private static async Task<long> ScalarAsync(ClickHouseDatabase database, string sql)
    {
        using var timeout = new CancellationTokenSource(CallBudget);
        return long.Parse((await database.QueryTsvAsync(sql, timeout.Token))[0][0], CultureInfo.InvariantCulture);
    }

    private static Task WaitForAsync(ClickHouseDatabase database, Guid tenantId, int count) =>
        WaitUntilAsync(async () =>
        {
            try
            {
                return await ScalarAsync(database, $"SELECT uniqExact(event_id) FROM events WHERE tenant_id = {ClickHouseSql.Literal(tenantId.ToString())}") >= count;
            }
            catch (global::ClickHouse.Driver.ClickHouseServerException)
            {
                return false; // the table is not there until the ingester's migrations ran
            }
        }, $"{count} events of tenant {tenantId} in ClickHouse");

    private static Task WaitUntilAsync(Func<Task<bool>> condition, string what) => Eventually.WaitUntilAsync(condition, what, IngestBudget);
}
