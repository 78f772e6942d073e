using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace DeepSim.Api.Tests;

/// <summary>
/// Redocly's linter (tools/openapi, installed by ./deepsim) with the checked-in redocly.yaml passes the document the Api
/// serves with zero errors; its warnings are printed.
/// </summary>
[Collection(ApiTests.Name)]
public sealed class OpenApiLintTests(ApiFixture api, ITestOutputHelper output)
{
    private sealed record Problem(string Rule, string Severity, string Message, string Where)
    {
        public override string ToString() => $"{Severity} {Rule} at {Where}: {Message}";
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepSim.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("DeepSim.sln not found above " + AppContext.BaseDirectory);
    }

    private async Task<JsonNode> ServedDocumentAsync()
    {
        using var anonymous = api.CreateClient();
        using var response = await TestApi.Send(anonymous, HttpMethod.Get, "/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>Runs <c>redocly lint</c> on the document and returns what it found (its JSON report, not its exit code alone).</summary>
    private static async Task<IReadOnlyList<Problem>> LintAsync(JsonNode document)
    {
        var root = RepositoryRoot();
        var redocly = Path.Combine(root, "tools", "openapi", "node_modules", ".bin", "redocly");
        Assert.True(File.Exists(redocly), $"{redocly} is missing: ./deepsim test installs tools/openapi (or: cd tools/openapi && npm ci)");
        var file = Path.Combine(Path.GetTempPath(), $"deepsim-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, document.ToJsonString());
        try
        {
            var start = new ProcessStartInfo(redocly)
            {
                ArgumentList = { "lint", file, "--config", Path.Combine(root, "redocly.yaml"), "--format=json" },
                WorkingDirectory = root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                // No telemetry and no update check: the lint needs nothing outside this machine.
                Environment = { ["REDOCLY_TELEMETRY"] = "off", ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true", ["NO_COLOR"] = "1" },
            };
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            var report = await stdout;
            JsonElement json;
            try
            {
                json = JsonDocument.Parse(report).RootElement;
            }
            catch (JsonException)
            {
                throw new InvalidOperationException($"redocly lint wrote no JSON report (exit {process.ExitCode}):\n{report}\n{await stderr}");
            }
            var problems = json.GetProperty("problems").EnumerateArray().Select(p => new Problem(
                p.GetProperty("ruleId").GetString()!,
                p.GetProperty("severity").GetString()!,
                p.GetProperty("message").GetString()!,
                string.Join(", ", p.GetProperty("location").EnumerateArray().Select(l => l.GetProperty("pointer").GetString())))).ToList();
            // Its exit code agrees with its report: non-zero exactly when there are errors.
            Assert.Equal(problems.Any(p => p.Severity == "error"), process.ExitCode != 0);
            return problems;
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task The_served_document_has_no_lint_errors()
    {
        var problems = await LintAsync(await ServedDocumentAsync());
        foreach (var warning in problems.Where(p => p.Severity != "error"))
        {
            output.WriteLine(warning.ToString());
        }
        var errors = problems.Where(p => p.Severity == "error").Select(p => p.ToString()).ToList();
        Assert.True(errors.Count == 0, $"redocly lint found {errors.Count} errors in /openapi/v1.json:\n" + string.Join("\n", errors));
    }

    [Fact]
    public async Task The_lint_fails_an_operation_without_a_client_error_or_a_security_statement()
    {
        // The same document with one operation stripped of its 4xx responses and of its security: the checked-in
        // configuration must make both errors, or the test above could pass on a document that documents nothing.
        var document = await ServedDocumentAsync();
        var operation = document["paths"]!["/api/v1/flowsheets"]!["get"]!.AsObject();
        var responses = operation["responses"]!.AsObject();
        foreach (var status in responses.Select(r => r.Key).Where(k => k.StartsWith('4')).ToList())
        {
            responses.Remove(status);
        }
        operation.Remove("security");
        var errors = (await LintAsync(document)).Where(p => p.Severity == "error").ToList();
        Assert.Contains(errors, p => p.Rule == "operation-4xx-response" && p.Where.EndsWith("/~1api~1v1~1flowsheets/get/responses", StringComparison.Ordinal));
        Assert.Contains(errors, p => p.Rule == "security-defined" && p.Where.EndsWith("/~1api~1v1~1flowsheets/get", StringComparison.Ordinal));
    }
}
