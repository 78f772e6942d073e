using System.Net;
using System.Text.Json;

namespace DeepSim.Api.Tests;

[Collection(ApiTests.Name)]
public sealed class FlowsheetTests(ApiFixture api)
{
    private static readonly int[] NotAnObject = [1, 2];

    private static async Task<(Guid Id, string ETag)> CreateAsync(ApiFixture api, string bearer, string name)
    {
        using var response = await TestApi.CreateFlowsheetAsync(api, bearer, name);
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create failed: {response.StatusCode} {json}");
        return (json.GetProperty("id").GetGuid(), response.Headers.ETag!.ToString());
    }

    [Fact]
    public async Task A_stale_if_match_gets_412_and_changes_nothing_while_the_current_one_updates_and_versions()
    {
        var a = await TestApi.SignUpAsync(api);
        var (id, etag) = await CreateAsync(api, a.Owner.AccessToken, "sheet");
        using var client = api.CreateClient(a.Owner.AccessToken);
        var headers = new Dictionary<string, string> { ["If-Match"] = etag };
        using (var first = await TestApi.Send(client, HttpMethod.Put, $"/api/v1/flowsheets/{id}", new { name = "sheet v2", content = TestApi.SampleFlowsheet() }, headers))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.NotEqual(etag, first.Headers.ETag!.ToString());
        }
        var before = await TestApi.TenantSnapshotAsync(api, a.Id, includeAudit: false);
        using (var stale = await TestApi.Send(client, HttpMethod.Put, $"/api/v1/flowsheets/{id}", new { name = "lost update", content = TestApi.SampleFlowsheet() }, headers))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
            Assert.Equal("https://deepsim.dev/problems/precondition-failed", (await stale.ReadJsonAsync()).GetProperty("type").GetString());
        }
        using (var missing = await TestApi.Send(client, HttpMethod.Put, $"/api/v1/flowsheets/{id}", new { name = "blind", content = TestApi.SampleFlowsheet() }))
        {
            Assert.Equal((HttpStatusCode)428, missing.StatusCode);
        }
        Assert.Equal(before, await TestApi.TenantSnapshotAsync(api, a.Id, includeAudit: false));

        using var versions = await TestApi.Send(client, HttpMethod.Get, $"/api/v1/flowsheets/{id}/versions");
        var list = (await versions.ReadJsonAsync()).EnumerateArray().Select(v => (v.GetProperty("version").GetInt32(), v.GetProperty("name").GetString())).ToList();
        Assert.Equal([(2, "sheet v2"), (1, "sheet")], list);
        using var v1 = await TestApi.Send(client, HttpMethod.Get, $"/api/v1/flowsheets/{id}/versions/1");
        Assert.Equal("sheet", (await v1.ReadJsonAsync()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Engine_validation_errors_come_back_at_their_json_paths_and_nothing_is_stored()
    {
        var a = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient(a.Owner.AccessToken);
        var broken = TestApi.SampleFlowsheetJson.Replace("\"DRUM.in\"", "\"NOWHERE.in\"", StringComparison.Ordinal);
        using var response = await TestApi.Send(client, HttpMethod.Post, "/api/v1/flowsheets",
            $$"""{ "name": "broken", "content": {{broken}} }""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadJsonAsync();
        Assert.Equal("https://deepsim.dev/problems/validation", problem.GetProperty("type").GetString());
        var keys = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToList();
        Assert.Contains(keys, k => k.StartsWith("content.streams[0]", StringComparison.Ordinal));
        using var notObject = await TestApi.Send(client, HttpMethod.Post, "/api/v1/flowsheets", new { name = "array", content = NotAnObject });
        Assert.Equal(HttpStatusCode.BadRequest, notObject.StatusCode);
        Assert.True((await notObject.ReadJsonAsync()).GetProperty("errors").TryGetProperty("content", out _));
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from flowsheets where tenant_id = @t", ("t", a.Id)));
    }

    [Fact]
    public async Task Import_errors_name_paths_in_the_body_sent_which_is_the_document_itself()
    {
        var a = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient(a.Owner.AccessToken);
        var broken = TestApi.SampleFlowsheetJson.Replace("\"DRUM.in\"", "\"NOWHERE.in\"", StringComparison.Ordinal);
        using var response = await TestApi.Send(client, HttpMethod.Post, "/api/v1/flowsheets/import?name=broken", broken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var keys = (await response.ReadJsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name).ToList();
        Assert.Contains(keys, k => k.StartsWith("streams[0]", StringComparison.Ordinal));
        Assert.DoesNotContain(keys, k => k.StartsWith("content", StringComparison.Ordinal));
        using var notObject = await TestApi.Send(client, HttpMethod.Post, "/api/v1/flowsheets/import?name=array", "[1,2]");
        Assert.Equal(HttpStatusCode.BadRequest, notObject.StatusCode);
        Assert.True((await notObject.ReadJsonAsync()).GetProperty("errors").TryGetProperty("$", out _));
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from flowsheets where tenant_id = @t", ("t", a.Id)));
    }

    [Fact]
    public async Task Import_then_export_round_trips_the_engine_document()
    {
        var a = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient(a.Owner.AccessToken);
        using var imported = await TestApi.Send(client, HttpMethod.Post, "/api/v1/flowsheets/import", TestApi.SampleFlowsheetJson);
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        var created = await imported.ReadJsonAsync();
        Assert.Equal("Benzene-toluene flash", created.GetProperty("name").GetString());
        using var exported = await TestApi.Send(client, HttpMethod.Get, $"/api/v1/flowsheets/{created.GetProperty("id").GetGuid()}/export");
        Assert.Equal(HttpStatusCode.OK, exported.StatusCode);
        var original = JsonDocument.Parse(TestApi.SampleFlowsheetJson).RootElement;
        var back = await exported.ReadJsonAsync();
        Assert.True(JsonElement.DeepEquals(original, back), back.ToString());
    }

    [Fact]
    public async Task Lists_are_paged_searchable_and_oversized_pages_are_clamped()
    {
        var a = await TestApi.SignUpAsync(api);
        for (var i = 0; i < 3; i++)
        {
            await CreateAsync(api, a.Owner.AccessToken, $"alpha-{i}");
        }
        await CreateAsync(api, a.Owner.AccessToken, "beta");
        using var client = api.CreateClient(a.Owner.AccessToken);
        using (var page = await TestApi.Send(client, HttpMethod.Get, "/api/v1/flowsheets?search=alpha&pageSize=2&page=2"))
        {
            var json = await page.ReadJsonAsync();
            Assert.Equal(3, json.GetProperty("total").GetInt64());
            Assert.Equal(["alpha-2"], json.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        }
        using var huge = await TestApi.Send(client, HttpMethod.Get, "/api/v1/flowsheets?pageSize=1000000");
        var clamped = await huge.ReadJsonAsync();
        Assert.Equal(100, clamped.GetProperty("pageSize").GetInt32());
        Assert.Equal(4, clamped.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Deleting_a_flowsheet_removes_it_and_its_history_and_writes_an_event()
    {
        var a = await TestApi.SignUpAsync(api);
        var (id, _) = await CreateAsync(api, a.Owner.AccessToken, "doomed");
        using var client = api.CreateClient(a.Owner.AccessToken);
        using (var delete = await TestApi.Send(client, HttpMethod.Delete, $"/api/v1/flowsheets/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }
        using (var get = await TestApi.Send(client, HttpMethod.Get, $"/api/v1/flowsheets/{id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        }
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from flowsheet_versions where flowsheet_id = @f", ("f", id)));
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from event_outbox where tenant_id = @t and type = 'flowsheet.deleted' and payload->>'flowsheetId' = @f",
            ("t", a.Id), ("f", id.ToString())));
    }

    [Fact]
    public async Task Events_exist_exactly_when_their_change_does()
    {
        var a = await TestApi.SignUpAsync(api);
        var (id, etag) = await CreateAsync(api, a.Owner.AccessToken, "evented");
        using (var duplicate = await TestApi.CreateFlowsheetAsync(api, a.Owner.AccessToken, "evented"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        }
        using var client = api.CreateClient(a.Owner.AccessToken);
        using (var stale = await TestApi.Send(client, HttpMethod.Put, $"/api/v1/flowsheets/{id}", new { name = "x", content = TestApi.SampleFlowsheet() },
            new Dictionary<string, string> { ["If-Match"] = "\"v7\"" }))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        }
        using (var update = await TestApi.Send(client, HttpMethod.Put, $"/api/v1/flowsheets/{id}", new { name = "evented 2", content = TestApi.SampleFlowsheet() },
            new Dictionary<string, string> { ["If-Match"] = etag }))
        {
            Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        }
        var events = await TestApi.ScalarAsync<string>(api,
            "select string_agg(type || ':' || (payload->>'version'), ',' order by seq) from event_outbox where tenant_id = @t and type like 'flowsheet.%'", ("t", a.Id));
        Assert.Equal("flowsheet.created:1,flowsheet.updated:2", events);
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from flowsheets where tenant_id = @t", ("t", a.Id)));
    }
}
