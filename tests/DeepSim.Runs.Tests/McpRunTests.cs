using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit.Abstractions;

namespace DeepSim.Runs.Tests;

/// <summary>An engineer's task over MCP with a worker solving: create a flowsheet, run it and wait, read the result.</summary>
[Collection(RunsTests.Name)]
public sealed class McpRunTests(RunsFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan CallBudget = TimeSpan.FromSeconds(90);

    private static async Task<JsonElement> CallOkAsync(McpClient client, string tool, Dictionary<string, object?> arguments)
    {
        using var timeout = new CancellationTokenSource(CallBudget);
        var result = await client.CallToolAsync(tool, arguments, cancellationToken: timeout.Token);
        var text = Assert.Single(result.Content.OfType<TextContentBlock>()).Text;
        Assert.True(result.IsError != true, $"{tool} failed: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task Run_flowsheet_waits_for_a_worker_to_solve_the_run_and_get_run_result_reads_it()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        await using var worker = WorkerProcess.Start(fixture.Api.Url);
        var http = fixture.Api.Client(tenant.Token);
        using var connect = new CancellationTokenSource(CallBudget);
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(fixture.Api.Url, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
        }, http, NullLoggerFactory.Instance, ownsHttpClient: true), cancellationToken: connect.Token);

        var created = await CallOkAsync(client, "create_flowsheet",
            new() { ["name"] = "mcp run", ["document"] = JsonDocument.Parse(TestTenant.Example()).RootElement });
        var run = await CallOkAsync(client, "run_flowsheet",
            new() { ["flowsheetId"] = created.GetProperty("id").GetString(), ["waitSeconds"] = 60 });
        output.WriteLine(string.Join('\n', worker.Logs.Tail(20)));
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.True(run.GetProperty("finished").GetBoolean());
        Assert.True(run.GetProperty("converged").GetBoolean());
        Assert.False(run.GetProperty("cached").GetBoolean());

        var result = await CallOkAsync(client, "get_run_result", new() { ["runId"] = run.GetProperty("runId").GetString() });
        var streams = result.GetProperty("result").GetProperty("streams");
        Assert.Equal(3, streams.GetArrayLength());
        // The drum runs at 95 C, so its vapour leaves at 368.15 K.
        Assert.Equal(368.15, streams[1].GetProperty("temperatureK").GetDouble(), 6);
    }
}
