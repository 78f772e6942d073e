using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>
/// A scripted OpenAI-compatible model: a local HTTP server answering <c>POST /v1/chat/completions</c> the way the
/// OpenAI API does, so the web app's real IChatClient, its tool loop and the MCP client are what run. Per user message
/// it asks for get_flowsheet on the open flowsheet (its id from the system prompt), then edit_flowsheet adding a cooler
/// between the feed and the drum at the version read, then answers in words. Every request body is kept.
/// </summary>
public sealed partial class FakeModel : IDisposable
{
    public const string Notice = "Assistant: a scripted OpenAI-compatible fake model stands in for a real one (none is reachable here)";
    public const string Model = "fake-engineer-1";
    public const string ApiKey = "sk-fake-model-key";

    private readonly HttpListener listener = new();
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private int sequence;

    public FakeModel()
    {
        var port = FreePort();
        Url = $"http://127.0.0.1:{port}/v1";
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    /// <summary>The base URL to configure as Assistant:Endpoint.</summary>
    public string Url { get; }

    public ConcurrentQueue<JsonObject> Requests { get; } = new();

    /// <summary>What the fake could not answer (a broken script or an unexpected request), for the test to report.</summary>
    public ConcurrentQueue<string> Faults { get; } = new();

    /// <summary>The edits the script asks for: FEED → COOLER (20 °C) → DRUM in place of S1.</summary>
    public static JsonArray CoolerEdits() =>
    [
        new JsonObject { ["op"] = "add_unit", ["unit"] = new JsonObject
        {
            ["id"] = "COOLER", ["type"] = "cooler",
            ["spec"] = new JsonObject { ["outletTemperature"] = new JsonObject { ["value"] = 20, ["unit"] = "C" } },
        } },
        new JsonObject { ["op"] = "remove_stream", ["id"] = "S1" },
        new JsonObject { ["op"] = "connect", ["stream"] = new JsonObject { ["id"] = "S1", ["from"] = "FEED.out", ["to"] = "COOLER.in" } },
        new JsonObject { ["op"] = "connect", ["stream"] = new JsonObject { ["id"] = "S2", ["from"] = "COOLER.out", ["to"] = "DRUM.in" } },
    ];

    private async Task ServeAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = JsonNode.Parse(await reader.ReadToEndAsync())!.AsObject();
            Requests.Enqueue(body);
            if (context.Request.Url?.AbsolutePath != "/v1/chat/completions" || context.Request.HttpMethod != "POST")
            {
                throw new InvalidOperationException($"unexpected {context.Request.HttpMethod} {context.Request.Url?.AbsolutePath}");
            }
            if (context.Request.Headers["Authorization"] != $"Bearer {ApiKey}")
            {
                throw new InvalidOperationException("the request did not carry the configured key");
            }
            if (body["stream"]?.GetValue<bool>() == true)
            {
                throw new InvalidOperationException("streaming was asked for; the script answers whole responses");
            }
            await WriteAsync(response, 200, Next(body));
        }
        catch (Exception ex)
        {
            Faults.Enqueue(ex.Message);
            await WriteAsync(response, 500, new JsonObject { ["error"] = new JsonObject { ["message"] = "fake model: " + ex.Message, ["type"] = "server_error" } });
        }
    }

    /// <summary>The scripted step, from the tool answers since the last user message.</summary>
    private JsonObject Next(JsonObject body)
    {
        var messages = body["messages"]!.AsArray().Select(m => m!.AsObject()).ToList();
        var system = messages.First(m => (string?)m["role"] == "system")["content"]!.ToString();
        var flowsheetId = OpenFlowsheet().Match(system) is { Success: true } match ? match.Groups[1].Value
            : throw new InvalidOperationException("the system prompt names no open flowsheet");
        var lastUser = messages.FindLastIndex(m => (string?)m["role"] == "user");
        var toolAnswers = messages.Skip(lastUser + 1).Where(m => (string?)m["role"] == "tool").Select(m => Content(m)).ToList();
        var offered = body["tools"]?.AsArray().Select(t => (string?)t!["function"]!["name"]).ToHashSet() ?? [];
        switch (toolAnswers.Count)
        {
            case 0:
                return ToolCall("get_flowsheet", new JsonObject { ["flowsheetId"] = flowsheetId });
            case 1:
                if (!offered.Contains("edit_flowsheet"))
                {
                    return Answer("I may not change flowsheets with your role.");
                }
                var read = JsonNode.Parse(toolAnswers[0])!;
                var version = read["version"]?.GetValue<int>() ?? throw new InvalidOperationException("get_flowsheet gave no version: " + toolAnswers[0]);
                return ToolCall("edit_flowsheet", new JsonObject { ["flowsheetId"] = flowsheetId, ["expectedVersion"] = version, ["edits"] = CoolerEdits() });
            default:
                var edited = JsonNode.Parse(toolAnswers[1])!;
                var stored = edited["flowsheet"]?["version"]?.GetValue<int>();
                return Answer(stored is null ? "The edit was refused: " + toolAnswers[1]
                    : $"I added COOLER between FEED and DRUM, cooling the feed to 20 °C; it is stored as version {stored}.");
        }
    }

    /// <summary>A tool message's content: the JSON text, or (as some clients send it) a list of text parts.</summary>
    private static string Content(JsonObject message) => message["content"] switch
    {
        JsonValue text => text.GetValue<string>(),
        JsonArray parts => string.Concat(parts.Select(p => (string?)p!["text"])),
        var other => throw new InvalidOperationException("a tool message without content: " + other?.ToJsonString()),
    };

    private JsonObject ToolCall(string tool, JsonObject arguments) => Completion(new JsonObject
    {
        ["role"] = "assistant",
        ["content"] = null,
        ["tool_calls"] = new JsonArray(new JsonObject
        {
            ["id"] = $"call_{Interlocked.Increment(ref sequence)}",
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = tool, ["arguments"] = arguments.ToJsonString() },
        }),
    }, "tool_calls");

    private JsonObject Answer(string text) => Completion(new JsonObject { ["role"] = "assistant", ["content"] = text }, "stop");

    private JsonObject Completion(JsonObject message, string finish) => new()
    {
        ["id"] = $"chatcmpl-fake-{Interlocked.Increment(ref sequence)}",
        ["object"] = "chat.completion",
        ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["model"] = Model,
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finish }),
        ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 10, ["total_tokens"] = 20 },
    };

    private static async Task WriteAsync(HttpListenerResponse response, int status, JsonObject body)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"open flowsheet has id ([0-9a-f-]{36})", RegexOptions.None, 1000)]
    private static partial Regex OpenFlowsheet();

    public void Dispose()
    {
        stop.Cancel();
        listener.Close();
        try
        {
            loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        stop.Dispose();
    }
}
