using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using DeepSim.TestServers;

namespace DeepSim.Runs.Tests;

/// <summary>A tenant made for one test, with its owner's access token.</summary>
public sealed record TestTenant(Guid Id, string Token)
{
    public const string Password = "correct-horse-battery";
    private static readonly TimeSpan CallBudget = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public static async Task<TestTenant> CreateAsync(RunsFixture fixture, string plan = "enterprise")
    {
        using var client = fixture.Api.Client();
        var slug = $"t-{Guid.NewGuid():N}"[..30];
        using var timeout = new CancellationTokenSource(CallBudget);
        var email = $"owner-{Guid.NewGuid():N}@example.test";
        var json = await SignUps.SignUpAsync(client, new { tenantName = "Tenant " + slug, slug, email, password = Password, displayName = "Owner" }, email,
            SignUps.FromOutbox(fixture.OpenOwnerAsync), timeout.Token);
        var tenant = new TestTenant(json.GetProperty("tenantId").GetGuid(), json.GetProperty("accessToken").GetString()!);
        await tenant.SetPlanAsync(fixture, plan);
        return tenant;
    }

    public async Task SetPlanAsync(RunsFixture fixture, string plan)
    {
        await using var db = await fixture.OpenOwnerAsync();
        await db.ExecuteAsync("update tenants set plan = @plan where id = @Id", new { plan, Id });
    }

    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        using var timeout = new CancellationTokenSource(CallBudget);
        var text = await response.Content.ReadAsStringAsync(timeout.Token);
        return string.IsNullOrEmpty(text) ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static string Example(string name = "benzene-toluene-flash")
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepSim.sln")))
        {
            dir = dir.Parent;
        }
        return File.ReadAllText(Path.Combine(dir!.FullName, "examples", name + ".json"));
    }

    /// <summary>The benzene-toluene flash with its drum at <paramref name="drumTemperatureC"/> (distinct content per value).</summary>
    public static string FlashAt(double drumTemperatureC)
    {
        var node = JsonNode.Parse(Example())!;
        node["units"]![1]!["spec"]!["temperature"]!["value"] = drumTemperatureC;
        node.AsObject().Remove("$schema");
        return node.ToJsonString();
    }

    public async Task<Guid> CreateFlowsheetAsync(ApiHost api, string content, string? name = null)
    {
        using var client = api.Client(Token);
        using var timeout = new CancellationTokenSource(CallBudget);
        using var body = new StringContent(
            $$"""{"name": {{JsonSerializer.Serialize(name ?? "fs-" + Guid.NewGuid().ToString("N")[..8])}}, "content": {{content}}}""",
            System.Text.Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/api/v1/flowsheets", body, timeout.Token);
        var json = await ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"flowsheet create failed: {response.StatusCode} {json}");
        return json.GetProperty("id").GetGuid();
    }

    public async Task<(HttpStatusCode Status, JsonElement Body, string Text)> SubmitAsync(ApiHost api, Guid flowsheetId, string? idempotencyKey = null, string? rawBody = null)
    {
        using var client = api.Client(Token);
        using var timeout = new CancellationTokenSource(CallBudget);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/runs")
        {
            Content = new StringContent(rawBody ?? $$"""{"flowsheetId": "{{flowsheetId}}"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        using var response = await client.SendAsync(request, timeout.Token);
        var text = await response.Content.ReadAsStringAsync(timeout.Token);
        return (response.StatusCode, string.IsNullOrEmpty(text) ? default : JsonDocument.Parse(text).RootElement.Clone(), text);
    }

    public async Task<Guid> SubmitOkAsync(ApiHost api, Guid flowsheetId)
    {
        var (status, body, text) = await SubmitAsync(api, flowsheetId);
        Assert.True(status == HttpStatusCode.Accepted, $"submit failed: {status} {text}");
        return body.GetProperty("id").GetGuid();
    }

    public async Task<JsonElement> GetAsync(ApiHost api, string path)
    {
        using var client = api.Client(Token);
        using var timeout = new CancellationTokenSource(CallBudget);
        using var response = await client.GetAsync(path, timeout.Token);
        var json = await ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {response.StatusCode} {json}");
        return json;
    }

    /// <summary>Polls the database (owner role) until the run reaches one of <paramref name="statuses"/>; bounded.</summary>
    public static async Task<string> WaitForStatusAsync(RunsFixture fixture, Guid runId, TimeSpan budget, params string[] statuses)
    {
        using var timeout = new CancellationTokenSource(budget);
        await using var db = await fixture.OpenOwnerAsync();
        string? status = null;
        while (!timeout.IsCancellationRequested)
        {
            status = await db.ExecuteScalarAsync<string>("select status from runs where id = @runId", new { runId });
            if (status is not null && statuses.Contains(status))
            {
                return status;
            }
            try
            {
                await Task.Delay(PollInterval, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        throw new TimeoutException($"run {runId} is {status ?? "missing"}, not {string.Join('/', statuses)}, after {budget.TotalSeconds} s");
    }

    /// <summary>Polls until <paramref name="condition"/> holds; bounded.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan budget, string what)
    {
        using var timeout = new CancellationTokenSource(budget);
        while (!await condition())
        {
            try
            {
                await Task.Delay(PollInterval, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{what}: not reached within {budget.TotalSeconds} s");
            }
        }
    }
}
