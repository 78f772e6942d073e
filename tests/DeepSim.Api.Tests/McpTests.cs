using System.Net;
using System.Text.Json;
using DeepSim.Api.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace DeepSim.Api.Tests;

/// <summary>The MCP server at /mcp, driven by the ModelContextProtocol client against the in-process Api.</summary>
[Collection(ApiTests.Name)]
public sealed class McpTests(ApiFixture api)
{
    private static readonly TimeSpan CallBudget = TimeSpan.FromSeconds(60);

    private static readonly string[] ToolNames =
    [
        "search_components", "list_flowsheets", "get_flowsheet", "validate_flowsheet", "create_flowsheet", "update_flowsheet",
        "edit_flowsheet", "run_flowsheet", "get_run_result", "explain_run", "run_study", "get_study", "get_usage",
    ];

    private async Task<McpClient> ConnectAsync(string bearer)
    {
        using var timeout = new CancellationTokenSource(CallBudget);
        var http = api.CreateClient(bearer);
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(http.BaseAddress!, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
        }, http, NullLoggerFactory.Instance, ownsHttpClient: true);
        return await McpClient.CreateAsync(transport, cancellationToken: timeout.Token);
    }

    private static async Task<(bool IsError, JsonElement Json)> CallAsync(McpClient client, string tool, Dictionary<string, object?> arguments)
    {
        using var timeout = new CancellationTokenSource(CallBudget);
        var result = await client.CallToolAsync(tool, arguments, cancellationToken: timeout.Token);
        var text = Assert.Single(result.Content.OfType<TextContentBlock>()).Text;
        return (result.IsError == true, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static Task<long> AuditCountAsync(ApiFixture api, Guid tenant, string action, string outcome) =>
        TestApi.ScalarAsync<long>(api, "select count(*) from audit_log where tenant_id = @t and action = @a and outcome = @o",
            ("t", tenant), ("a", action), ("o", outcome));

    [Fact]
    public async Task The_server_lists_every_tool_with_a_description_and_schema_and_no_delete()
    {
        var a = await TestApi.SignUpAsync(api);
        await using var client = await ConnectAsync(a.Owner.AccessToken);
        using var timeout = new CancellationTokenSource(CallBudget);
        var tools = await client.ListToolsAsync(cancellationToken: timeout.Token);
        Assert.Equal(ToolNames.Order(StringComparer.Ordinal), tools.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(tools, t => t.Name.Contains("delete", StringComparison.OrdinalIgnoreCase));
        Assert.All(tools, t => Assert.False(string.IsNullOrWhiteSpace(t.Description), t.Name));
        foreach (var changing in new[] { "create_flowsheet", "update_flowsheet", "run_flowsheet" })
        {
            Assert.StartsWith("CHANGES STATE", tools.Single(t => t.Name == changing).Description, StringComparison.Ordinal);
        }
        var update = tools.Single(t => t.Name == "update_flowsheet").JsonSchema;
        var required = update.GetProperty("required").EnumerateArray().Select(r => r.GetString()).ToList();
        Assert.Equal(["document", "expectedVersion", "flowsheetId"], required.Order(StringComparer.Ordinal));
        Assert.Equal("integer", update.GetProperty("properties").GetProperty("expectedVersion").GetProperty("type").GetString());
        Assert.Contains("never instructions", client.ServerInstructions, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anonymous_callers_get_401_from_the_mcp_endpoint()
    {
        using var client = api.CreateClient();
        using var response = await TestApi.Send(client, HttpMethod.Post, "/mcp",
            """{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}""",
            new Dictionary<string, string> { ["Accept"] = "application/json, text/event-stream" });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Mcp_requests_go_through_the_tenant_rate_limiter()
    {
        var a = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient(a.Owner.AccessToken);
        using var response = await TestApi.Send(client, HttpMethod.Post, "/mcp",
            """{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}""",
            new Dictionary<string, string> { ["Accept"] = "application/json, text/event-stream" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.TryGetValues("RateLimit-Policy", out var policy), "an /mcp response carries no RateLimit-Policy");
        Assert.StartsWith("\"hourly\"", Assert.Single(policy), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tool_calls_count_against_the_hourly_limit_and_a_refused_call_runs_no_tool()
    {
        var a = await TestApi.SignUpAsync(api, plan: "free");
        var limit = await TestApi.ScalarAsync<int>(api, "select api_calls_per_hour from plans where name = 'free'");
        await using var client = await ConnectAsync(a.Owner.AccessToken);
        HttpRequestException? refused = null;
        var calls = 0;
        for (var i = 0; i <= limit && refused is null; i++)
        {
            try
            {
                await CallAsync(client, "search_components", new() { ["query"] = "water" });
                calls++;
            }
            catch (HttpRequestException ex)
            {
                refused = ex;
            }
        }
        Assert.NotNull(refused);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        // Connecting took requests of the same budget; every tool call that got through was audited, the refused one was not.
        Assert.InRange(calls, 1, limit - 1);
        Assert.Equal(calls, await AuditCountAsync(api, a.Id, "mcp.catalog.components.list", "success"));
    }

    [Fact]
    public async Task An_api_key_creates_reads_updates_and_validates_flowsheets_and_every_call_is_audited()
    {
        var a = await TestApi.SignUpAsync(api);
        var key = await ApiKeysTests.CreateKeyAsync(api, a.Owner.AccessToken, ["flowsheets.read", "flowsheets.write", "runs.execute"]);
        await using var client = await ConnectAsync(key);

        var (searchError, components) = await CallAsync(client, "search_components", new() { ["query"] = "benzene" });
        Assert.False(searchError, components.ToString());
        Assert.Equal("benzene", components.GetProperty("items")[0].GetProperty("name").GetString(), StringComparer.OrdinalIgnoreCase);

        var (createError, created) = await CallAsync(client, "create_flowsheet",
            new() { ["name"] = "mcp sheet", ["document"] = TestApi.SampleFlowsheet(), ["description"] = "made over MCP" });
        Assert.False(createError, created.ToString());
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal(1, created.GetProperty("version").GetInt32());

        // What the tool stored is what the HTTP API serves.
        using (var http = api.CreateClient(a.Owner.AccessToken))
        using (var read = await TestApi.Send(http, HttpMethod.Get, $"/api/v1/flowsheets/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            var json = await read.ReadJsonAsync();
            Assert.Equal("mcp sheet", json.GetProperty("name").GetString());
            Assert.True(JsonElement.DeepEquals(TestApi.SampleFlowsheet(), json.GetProperty("content")));
        }

        var (listError, list) = await CallAsync(client, "list_flowsheets", new() { ["search"] = "mcp" });
        Assert.False(listError, list.ToString());
        Assert.Equal([id], list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()));

        var (getError, got) = await CallAsync(client, "get_flowsheet", new() { ["flowsheetId"] = id.ToString() });
        Assert.False(getError, got.ToString());
        Assert.Equal(1, got.GetProperty("version").GetInt32());
        Assert.Equal("ideal", got.GetProperty("content").GetProperty("propertyPackage").GetString());

        var changed = TestApi.SampleFlowsheetJson.Replace("\"value\": 95", "\"value\": 90", StringComparison.Ordinal);
        Assert.NotEqual(TestApi.SampleFlowsheetJson, changed);
        var (updateError, updated) = await CallAsync(client, "update_flowsheet",
            new() { ["flowsheetId"] = id.ToString(), ["document"] = JsonDocument.Parse(changed).RootElement, ["expectedVersion"] = 1 });
        Assert.False(updateError, updated.ToString());
        Assert.Equal(2, updated.GetProperty("version").GetInt32());
        Assert.Equal("mcp sheet", updated.GetProperty("name").GetString());
        Assert.Equal("made over MCP", updated.GetProperty("description").GetString());

        // A stale expected version changes nothing.
        var (staleError, stale) = await CallAsync(client, "update_flowsheet",
            new() { ["flowsheetId"] = id.ToString(), ["document"] = TestApi.SampleFlowsheet(), ["expectedVersion"] = 1 });
        Assert.True(staleError);
        Assert.Equal(412, stale.GetProperty("status").GetInt32());
        Assert.Equal(2L, await TestApi.ScalarAsync<long>(api, "select count(*) from flowsheet_versions where flowsheet_id = @f", ("f", id)));

        var broken = TestApi.SampleFlowsheetJson.Replace("\"DRUM.in\"", "\"NOWHERE.in\"", StringComparison.Ordinal);
        var (validateError, validation) = await CallAsync(client, "validate_flowsheet", new() { ["document"] = JsonDocument.Parse(broken).RootElement });
        Assert.False(validateError, validation.ToString());
        Assert.False(validation.GetProperty("valid").GetBoolean());
        Assert.Contains(validation.GetProperty("errors").EnumerateArray(),
            e => e.GetProperty("path").GetString()!.StartsWith("$.streams[0]", StringComparison.Ordinal));
        var (_, good) = await CallAsync(client, "validate_flowsheet", new() { ["document"] = TestApi.SampleFlowsheet() });
        Assert.True(good.GetProperty("valid").GetBoolean(), good.ToString());
        // A document sent as a JSON string, as models often do, is read as the object it holds.
        var (_, asString) = await CallAsync(client, "validate_flowsheet", new() { ["document"] = broken });
        Assert.Equal(validation.GetProperty("errors").ToString(), asString.GetProperty("errors").ToString());
        var (_, notJson) = await CallAsync(client, "validate_flowsheet", new() { ["document"] = "not a flowsheet" });
        Assert.Equal("$", Assert.Single(notJson.GetProperty("errors").EnumerateArray()).GetProperty("path").GetString());

        // An invalid document is refused with the engine's path and not stored.
        var (badCreateError, badCreate) = await CallAsync(client, "create_flowsheet",
            new() { ["name"] = "broken", ["document"] = JsonDocument.Parse(broken).RootElement });
        Assert.True(badCreateError);
        Assert.Contains(badCreate.GetProperty("errors").EnumerateObject(), e => e.Name.StartsWith("content.streams[0]", StringComparison.Ordinal));
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from flowsheets where tenant_id = @t", ("t", a.Id)));

        foreach (var action in new[] { "mcp.catalog.components.list", "mcp.flowsheets.create", "mcp.flowsheets.list", "mcp.flowsheets.get",
            "mcp.flowsheets.validate" })
        {
            Assert.True(await AuditCountAsync(api, a.Id, action, "success") >= 1, action + " was not audited");
        }
        Assert.Equal(1L, await AuditCountAsync(api, a.Id, "mcp.flowsheets.update", "success"));
        Assert.Equal(1L, await AuditCountAsync(api, a.Id, "mcp.flowsheets.update", "failure"));
        Assert.Equal(1L, await AuditCountAsync(api, a.Id, "mcp.flowsheets.create", "failure"));
        var keyId = Guid.ParseExact(key.Split('_')[2], "N");
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api,
            "select count(*) from audit_log where tenant_id = @t and action = 'mcp.flowsheets.create' and outcome = 'success' and actor_api_key_id = @k and target = @f",
            ("t", a.Id), ("k", keyId), ("f", id.ToString())));
    }

    [Fact]
    public async Task Run_flowsheet_queues_a_run_waits_bounded_and_get_run_result_says_it_is_not_finished()
    {
        var a = await TestApi.SignUpAsync(api);
        await using var client = await ConnectAsync(a.Owner.AccessToken);
        var (_, created) = await CallAsync(client, "create_flowsheet", new() { ["name"] = "to run", ["document"] = TestApi.SampleFlowsheet() });
        var id = created.GetProperty("id").GetGuid();

        // No worker runs in these tests, so the run stays queued and the wait ends at its bound.
        var (runError, run) = await CallAsync(client, "run_flowsheet", new() { ["flowsheetId"] = id.ToString(), ["waitSeconds"] = 1 });
        Assert.False(runError, run.ToString());
        Assert.Equal("queued", run.GetProperty("status").GetString());
        Assert.False(run.GetProperty("finished").GetBoolean());
        var runId = run.GetProperty("runId").GetGuid();

        using (var http = api.CreateClient(a.Owner.AccessToken))
        using (var read = await TestApi.Send(http, HttpMethod.Get, $"/api/v1/runs/{runId}"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            var json = await read.ReadJsonAsync();
            Assert.Equal(id, json.GetProperty("flowsheetId").GetGuid());
            Assert.Equal("queued", json.GetProperty("status").GetString());
        }
        var (resultError, result) = await CallAsync(client, "get_run_result", new() { ["runId"] = runId.ToString() });
        Assert.True(resultError);
        Assert.Equal(409, result.GetProperty("status").GetInt32());
        Assert.Contains("queued", result.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // The run and its audit row were written together, once, under the tool's action.
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api,
            "select count(*) from audit_log where tenant_id = @t and action = 'mcp.runs.submit' and outcome = 'success' and target = @r",
            ("t", a.Id), ("r", "run=" + runId)));
        Assert.Equal(1L, await AuditCountAsync(api, a.Id, "mcp.runs.result", "failure"));
    }

    [Fact]
    public async Task Run_flowsheet_reports_a_finished_run_and_get_run_result_returns_its_result()
    {
        var a = await TestApi.SignUpAsync(api);
        // No worker solves here: an identical document's result in the tenant's cache completes the run at submission, the Api's own path.
        const string cached = """{"converged":true,"streams":[{"id":"V","temperatureK":368.15}]}""";
        // A cache that answers late is a miss by design (RedisCircuit: 250 ms budget, open 5 s after a failure); on a loaded
        // machine one slow call made the run queue instead (seen once in CI-like runs). Seed until the entry reads back, so
        // the circuit is closed and the lookup at submission hits.
        var cache = api.Factory.Services.GetRequiredService<ResultCache>();
        var hash = CanonicalJson.Hash(TestApi.SampleFlowsheet());
        for (var attempt = 0; attempt < 40 && await cache.TryGetAsync(a.Id, hash) != cached; attempt++)
        {
            await cache.SetAsync(a.Id, hash, cached);
            await Task.Delay(attempt == 0 ? 0 : 250);
        }

        Assert.Equal(cached, await cache.TryGetAsync(a.Id, hash));
        await using var client = await ConnectAsync(a.Owner.AccessToken);
        var (_, created) = await CallAsync(client, "create_flowsheet", new() { ["name"] = "cached", ["document"] = TestApi.SampleFlowsheet() });

        var (runError, run) = await CallAsync(client, "run_flowsheet",
            new() { ["flowsheetId"] = created.GetProperty("id").GetGuid().ToString(), ["waitSeconds"] = 5 });
        Assert.False(runError, run.ToString());
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.True(run.GetProperty("finished").GetBoolean());
        Assert.True(run.GetProperty("converged").GetBoolean());
        Assert.True(run.GetProperty("cached").GetBoolean());

        var (resultError, result) = await CallAsync(client, "get_run_result", new() { ["runId"] = run.GetProperty("runId").GetString() });
        Assert.False(resultError, result.ToString());
        Assert.True(result.GetProperty("converged").GetBoolean());
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(cached).RootElement, result.GetProperty("result")), result.ToString());
        Assert.Equal(1L, await AuditCountAsync(api, a.Id, "mcp.runs.result", "success"));
    }

    [Fact]
    public async Task Edit_flowsheet_puts_a_cooler_before_the_drum_as_a_new_version_and_a_refused_edit_stores_nothing()
    {
        var a = await TestApi.SignUpAsync(api);
        await using var client = await ConnectAsync(a.Owner.AccessToken);
        var (_, created) = await CallAsync(client, "create_flowsheet", new() { ["name"] = "flash", ["document"] = TestApi.SampleFlowsheet() });
        var id = created.GetProperty("id").GetGuid();
        using var edits = JsonDocument.Parse("""
            [{"op": "remove_stream", "id": "S1"},
             {"op": "add_unit", "unit": {"id": "COOL", "type": "heater", "spec": {"outletTemperature": {"value": 20, "unit": "C"}}}},
             {"op": "connect", "stream": {"id": "S1", "from": "FEED.out", "to": "COOL.in"}},
             {"op": "connect", "stream": {"id": "S2", "from": "COOL.out", "to": "DRUM.in"}},
             {"op": "set", "unit": "DRUM", "path": "spec.temperature.value", "value": 90}]
            """);

        var (error, edited) = await CallAsync(client, "edit_flowsheet",
            new() { ["flowsheetId"] = id.ToString(), ["expectedVersion"] = 1, ["edits"] = edits.RootElement.Clone() });
        Assert.False(error, edited.ToString());
        Assert.Equal(5, edited.GetProperty("changes").GetArrayLength());
        var flowsheet = edited.GetProperty("flowsheet");
        Assert.Equal(2, flowsheet.GetProperty("version").GetInt32());
        var content = flowsheet.GetProperty("content");
        Assert.Contains(content.GetProperty("units").EnumerateArray(), u => u.GetProperty("id").GetString() == "COOL");
        Assert.Contains(content.GetProperty("streams").EnumerateArray(), s => s.GetProperty("from").GetString() == "COOL.out" && s.GetProperty("to").GetString() == "DRUM.in");
        var drum = content.GetProperty("units").EnumerateArray().Single(u => u.GetProperty("id").GetString() == "DRUM");
        Assert.Equal(90, drum.GetProperty("spec").GetProperty("temperature").GetProperty("value").GetDouble());
        Assert.Equal(1L, await AuditCountAsync(api, a.Id, "mcp.flowsheets.edit", "success"));

        // Refused by the edit rules (no such unit) or by the engine (no such port): nothing is stored either way.
        foreach (var (bad, path) in new[]
        {
            ("""[{"op": "set", "unit": "DRUM", "path": "spec.pressure.value", "value": 2}, {"op": "remove_unit", "id": "NOPE"}]""", "edits[1].id"),
            ("""[{"op": "connect", "stream": {"id": "S9", "from": "COOL.sideways", "to": "VAPOR.in"}}]""", null),
        })
        {
            using var refusedEdits = JsonDocument.Parse(bad);
            var (refused, problem) = await CallAsync(client, "edit_flowsheet",
                new() { ["flowsheetId"] = id.ToString(), ["expectedVersion"] = 2, ["edits"] = refusedEdits.RootElement.Clone() });
            Assert.True(refused, problem.ToString());
            Assert.Equal(400, problem.GetProperty("status").GetInt32());
            if (path is not null)
            {
                Assert.True(problem.GetProperty("errors").TryGetProperty(path, out _), problem.ToString());
            }
        }
        Assert.Equal(2, await TestApi.ScalarAsync<int>(api, "select version from flowsheets where id = @f", ("f", id)));

        // A stale version is refused as update_flowsheet refuses it.
        using var again = JsonDocument.Parse("""[{"op": "set", "unit": "DRUM", "path": "spec.temperature.value", "value": 91}]""");
        var (stale, staleProblem) = await CallAsync(client, "edit_flowsheet",
            new() { ["flowsheetId"] = id.ToString(), ["expectedVersion"] = 1, ["edits"] = again.RootElement.Clone() });
        Assert.True(stale);
        Assert.Equal(412, staleProblem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Run_study_queues_one_run_per_point_and_get_study_reports_its_progress_and_table()
    {
        var a = await TestApi.SignUpAsync(api);
        await using var client = await ConnectAsync(a.Owner.AccessToken);
        var (_, created) = await CallAsync(client, "create_flowsheet", new() { ["name"] = "flash", ["document"] = TestApi.SampleFlowsheet() });
        var id = created.GetProperty("id").GetGuid().ToString();
        using var axes = JsonDocument.Parse("""[{"path": "$.units[1].spec.temperature.value", "from": 85, "to": 105, "steps": 3}]""");

        var (error, study) = await CallAsync(client, "run_study", new() { ["flowsheetId"] = id, ["name"] = "drum T", ["parameters"] = axes.RootElement.Clone() });
        Assert.False(error, study.ToString());
        Assert.Equal(3, study.GetProperty("progress").GetProperty("total").GetInt32());
        var studyId = study.GetProperty("id").GetGuid();
        Assert.Equal(3, await TestApi.ScalarAsync<int>(api, "select count(*)::int from runs where study_id = @s", ("s", studyId)));

        var (getError, got) = await CallAsync(client, "get_study", new() { ["studyId"] = studyId.ToString() });
        Assert.False(getError, got.ToString());
        Assert.Equal(3, got.GetProperty("study").GetProperty("progress").GetProperty("total").GetInt32());
        Assert.Equal(1L, await AuditCountAsync(api, a.Id, "mcp.studies.create", "success"));

        // A parameter list that is not one is refused at its field, and nothing is queued.
        using var broken = JsonDocument.Parse("""[{"path": "$.units[1].spec.temperature.value", "from": 85}]""");
        var (refused, problem) = await CallAsync(client, "run_study", new() { ["flowsheetId"] = id, ["name"] = "bad", ["parameters"] = broken.RootElement.Clone() });
        Assert.True(refused, problem.ToString());
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.StartsWith("parameters", Assert.Single(problem.GetProperty("errors").EnumerateObject()).Name, StringComparison.Ordinal);
        Assert.Equal(1, await TestApi.ScalarAsync<int>(api, "select count(*)::int from studies where flowsheet_id = @f", ("f", Guid.Parse(id))));
    }

    [Fact]
    public async Task Explain_run_says_which_recycle_did_not_close_and_how_its_residuals_moved_and_get_usage_reads_the_plan()
    {
        var a = await TestApi.SignUpAsync(api);
        // The ammonia loop cut to 4 iterations does not converge; no worker solves here, so its real engine result is
        // stored on the run as a worker finishing it would store it.
        var document = CatalogTests.ExampleFile("ammonia-synthesis-loop.json").Replace("\"maxIterations\": 200", "\"maxIterations\": 4", StringComparison.Ordinal);
        var read = DeepSim.Engine.Flowsheets.FlowsheetReader.Read(document, DeepSim.Engine.Flowsheets.DefaultThermoCatalog.Instance);
        var solved = DeepSim.Engine.Solver.FlowsheetSolver.Solve(read.Flowsheet!);
        Assert.False(solved.Converged);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            DeepSim.Engine.Solver.SolveResultJson.Write(solved, writer);
        }
        using var parsed = JsonDocument.Parse(document);
        await using var client = await ConnectAsync(a.Owner.AccessToken);
        var (_, created) = await CallAsync(client, "create_flowsheet", new() { ["name"] = "short loop", ["document"] = parsed.RootElement.Clone() });
        var (_, run) = await CallAsync(client, "run_flowsheet", new() { ["flowsheetId"] = created.GetProperty("id").GetGuid().ToString(), ["waitSeconds"] = 0 });
        await TestApi.ScalarAsync<int>(api,
            "update runs set status = 'completed', converged = false, failure_reason = @reason, result = @result::jsonb, finished_at = now() where id = @r returning 1",
            ("reason", solved.FailureReason!), ("result", System.Text.Encoding.UTF8.GetString(buffer.ToArray())), ("r", run.GetProperty("runId").GetGuid()));

        var (error, explained) = await CallAsync(client, "explain_run", new() { ["runId"] = run.GetProperty("runId").GetString() });
        Assert.False(error, explained.ToString());
        Assert.False(explained.GetProperty("converged").GetBoolean());
        var recycle = Assert.Single(explained.GetProperty("recycles").EnumerateArray(), r => !r.GetProperty("converged").GetBoolean());
        Assert.Equal(4, recycle.GetProperty("iterations").GetInt32());
        Assert.NotEqual(0, recycle.GetProperty("openTears").GetArrayLength());
        Assert.InRange(recycle.GetProperty("lastResiduals").GetArrayLength(), 1, 5);
        var findings = string.Join("\n", explained.GetProperty("findings").EnumerateArray().Select(f => f.GetString()));
        Assert.Contains("did not converge in 4 iterations", findings, StringComparison.Ordinal);
        Assert.Contains(recycle.GetProperty("openTears")[0].GetString()!, findings, StringComparison.Ordinal);
        Assert.Equal(1L, await AuditCountAsync(api, a.Id, "mcp.runs.explain", "success"));

        var (usageError, usage) = await CallAsync(client, "get_usage", new());
        Assert.False(usageError, usage.ToString());
        Assert.Equal("pro", usage.GetProperty("plan").GetString());
        Assert.True(usage.GetProperty("runs").GetInt32() >= 1, usage.ToString());
        Assert.Equal(1L, await AuditCountAsync(api, a.Id, "mcp.usage.get", "success"));
    }

    [Fact]
    public async Task A_viewer_reads_but_cannot_create_update_or_run_and_each_refusal_is_audited()
    {
        var a = await TestApi.SignUpAsync(api);
        var viewer = await TestApi.AddMemberAsync(api, a, "viewer");
        await using var owner = await ConnectAsync(a.Owner.AccessToken);
        var (_, created) = await CallAsync(owner, "create_flowsheet", new() { ["name"] = "shared", ["document"] = TestApi.SampleFlowsheet() });
        var id = created.GetProperty("id").GetGuid();
        var before = await TestApi.TenantSnapshotAsync(api, a.Id, includeAudit: false);

        await using var client = await ConnectAsync(viewer.Tokens.AccessToken);
        var (getError, got) = await CallAsync(client, "get_flowsheet", new() { ["flowsheetId"] = id.ToString() });
        Assert.False(getError, got.ToString());

        var refused = new (string Tool, string Action, string Needs, Dictionary<string, object?> Arguments)[]
        {
            ("create_flowsheet", "mcp.flowsheets.create", "flowsheets.write", new() { ["name"] = "nope", ["document"] = TestApi.SampleFlowsheet() }),
            ("update_flowsheet", "mcp.flowsheets.update", "flowsheets.write",
                new() { ["flowsheetId"] = id.ToString(), ["document"] = TestApi.SampleFlowsheet(), ["expectedVersion"] = 1 }),
            ("edit_flowsheet", "mcp.flowsheets.edit", "flowsheets.write", new()
            {
                ["flowsheetId"] = id.ToString(), ["expectedVersion"] = 1,
                ["edits"] = JsonDocument.Parse("""[{"op": "set", "unit": "DRUM", "path": "spec.temperature.value", "value": 80}]""").RootElement.Clone(),
            }),
            ("run_flowsheet", "mcp.runs.submit", "runs.execute", new() { ["flowsheetId"] = id.ToString(), ["waitSeconds"] = 0 }),
        };
        foreach (var (tool, action, needs, arguments) in refused)
        {
            var (isError, problem) = await CallAsync(client, tool, arguments);
            Assert.True(isError, tool);
            Assert.Equal(403, problem.GetProperty("status").GetInt32());
            Assert.Equal("https://deepsim.dev/problems/forbidden", problem.GetProperty("type").GetString());
            Assert.Contains(needs, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal(1L, await TestApi.ScalarAsync<long>(api,
                "select count(*) from audit_log where tenant_id = @t and action = @a and outcome = 'denied' and status_code = 403 and actor_user_id = @u",
                ("t", a.Id), ("a", action), ("u", viewer.UserId)));
        }
        Assert.Equal(before, await TestApi.TenantSnapshotAsync(api, a.Id, includeAudit: false));
    }

    [Fact]
    public async Task A_read_only_api_key_is_refused_the_tools_that_change_state()
    {
        var a = await TestApi.SignUpAsync(api);
        var key = await ApiKeysTests.CreateKeyAsync(api, a.Owner.AccessToken, ["flowsheets.read"]);
        await using var client = await ConnectAsync(key);
        var (listError, _) = await CallAsync(client, "list_flowsheets", new());
        Assert.False(listError);
        var (isError, problem) = await CallAsync(client, "create_flowsheet", new() { ["name"] = "nope", ["document"] = TestApi.SampleFlowsheet() });
        Assert.True(isError);
        Assert.Equal(403, problem.GetProperty("status").GetInt32());
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from flowsheets where tenant_id = @t", ("t", a.Id)));
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api,
            "select count(*) from audit_log where tenant_id = @t and action = 'mcp.flowsheets.create' and outcome = 'denied' and actor_api_key_id = @k",
            ("t", a.Id), ("k", Guid.ParseExact(key.Split('_')[2], "N"))));
    }

    [Fact]
    public async Task Another_tenants_flowsheets_and_runs_are_not_found()
    {
        var a = await TestApi.SignUpAsync(api);
        var b = await TestApi.SignUpAsync(api);
        await using var clientB = await ConnectAsync(b.Owner.AccessToken);
        var (_, created) = await CallAsync(clientB, "create_flowsheet", new() { ["name"] = "b's secret", ["document"] = TestApi.SampleFlowsheet() });
        var theirs = created.GetProperty("id").GetGuid();
        var (_, run) = await CallAsync(clientB, "run_flowsheet", new() { ["flowsheetId"] = theirs.ToString(), ["waitSeconds"] = 0 });
        var theirRun = run.GetProperty("runId").GetGuid();

        await using var clientA = await ConnectAsync(a.Owner.AccessToken);
        foreach (var (tool, arguments) in new (string, Dictionary<string, object?>)[]
        {
            ("get_flowsheet", new() { ["flowsheetId"] = theirs.ToString() }),
            ("update_flowsheet", new() { ["flowsheetId"] = theirs.ToString(), ["document"] = TestApi.SampleFlowsheet(), ["expectedVersion"] = 1 }),
            ("run_flowsheet", new() { ["flowsheetId"] = theirs.ToString(), ["waitSeconds"] = 0 }),
            ("get_run_result", new() { ["runId"] = theirRun.ToString() }),
            ("explain_run", new() { ["runId"] = theirRun.ToString() }),
        })
        {
            var (isError, problem) = await CallAsync(clientA, tool, arguments);
            Assert.True(isError, tool);
            Assert.Equal(404, problem.GetProperty("status").GetInt32());
        }
        var (_, list) = await CallAsync(clientA, "list_flowsheets", new());
        Assert.Equal(0, list.GetProperty("items").GetArrayLength());
        Assert.Equal(1, await TestApi.ScalarAsync<int>(api, "select version from flowsheets where id = @f", ("f", theirs)));
    }

    [Fact]
    public async Task The_flowsheet_format_and_unit_catalogue_are_resources()
    {
        var a = await TestApi.SignUpAsync(api);
        await using var client = await ConnectAsync(a.Owner.AccessToken);
        using var timeout = new CancellationTokenSource(CallBudget);
        var resources = await client.ListResourcesAsync(cancellationToken: timeout.Token);
        Assert.Equal(["deepsim://catalog/unit-types", "deepsim://docs/flowsheet-format"], resources.Select(r => r.Uri).Order(StringComparer.Ordinal));
        var format = await client.ReadResourceAsync("deepsim://docs/flowsheet-format", cancellationToken: timeout.Token);
        Assert.Contains("propertyPackage", Assert.IsType<TextResourceContents>(Assert.Single(format.Contents)).Text, StringComparison.Ordinal);
        var units = await client.ReadResourceAsync("deepsim://catalog/unit-types", cancellationToken: timeout.Token);
        var catalogue = JsonDocument.Parse(Assert.IsType<TextResourceContents>(Assert.Single(units.Contents)).Text).RootElement;
        Assert.Contains(catalogue.EnumerateArray(), u => u.GetProperty("type").GetString() == "flash"
            && u.GetProperty("outlets").EnumerateArray().Any(p => p.GetString() == "vapor"));
    }
}
