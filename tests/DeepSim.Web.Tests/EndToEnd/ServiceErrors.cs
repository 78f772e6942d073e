using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using DeepSim.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>
/// The errors the web app and the Api logged while a browser test ran, for its output when it fails: the browser only
/// learns that "there was an unhandled exception on the current circuit", the service's own log says which. The
/// services log JSON lines (ServiceDefaults); the platform keeps every resource's log lines.
/// </summary>
internal static class ServiceErrors
{
    private const int MostErrors = 8;
    private const int MostExceptionLines = 14;

    public static async Task WriteAsync(DistributedApplication app, ITestOutputHelper output, DateTimeOffset since)
    {
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        foreach (var name in new[] { ResourceNames.Web, ResourceNames.Api })
        {
            // By the model's resource: its log lives under the name the orchestrator gave its replica.
            var resource = model.Resources.Single(r => r.Name == name);
            var errors = new List<string>();
            var read = 0;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await foreach (var batch in logs.GetAllAsync(resource).WithCancellation(timeout.Token))
                {
                    read += batch.Count;
                    errors.AddRange(batch.Select(line => Describe(line.Content, since)).OfType<string>());
                }
            }
            catch (OperationCanceledException)
            {
                errors.Add("(the log was not read to its end within 10 s)");
            }
            if (errors.Count == 0)
            {
                output.WriteLine($"{name}: {read} log lines, no error among those since the test began");
            }
            foreach (var error in errors.TakeLast(MostErrors))
            {
                output.WriteLine($"{name} logged: {error}");
            }
        }
    }

    /// <summary>An error or critical entry written at or after <paramref name="since"/>, as text; null for anything else.</summary>
    private static string? Describe(string line, DateTimeOffset since)
    {
        var start = line.IndexOf('{');
        if (start < 0)
        {
            return null;
        }
        try
        {
            using var json = JsonDocument.Parse(line.AsMemory(start));
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("LogLevel", out var level) || level.GetString() is not ("Error" or "Critical")
                || (root.TryGetProperty("Timestamp", out var at) && DateTimeOffset.TryParse(at.GetString()?.Trim(), out var time) && time < since))
            {
                return null;
            }
            var exception = root.TryGetProperty("Exception", out var e) ? e.GetString() : null;
            var lines = exception?.Split('\n').Take(MostExceptionLines) ?? [];
            return $"{Text(root, "Category")}: {Text(root, "Message")}" + string.Concat(lines.Select(l => "\n    " + l.TrimEnd()));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement root, string name) => root.TryGetProperty(name, out var value) ? value.ToString() : null;
}
