using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace DeepSim.Web.Tests;

/// <summary>
/// The committed Kiota clients (DeepSim.Web/ApiClient, DeepSim.Web/AnalyticsClient) are what scripts/generate-api-client.sh
/// makes from the committed contracts (contracts/DeepSim.Api.json, contracts/DeepSim.Analytics.json). The services' own
/// tests check each contract against the running service; these check each client against its contract.
/// </summary>
public sealed class ApiClientContractTests
{
    private static readonly TimeSpan KiotaBudget = TimeSpan.FromMinutes(3);

    private static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepSim.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("DeepSim.sln not found above " + AppContext.BaseDirectory);
    }

    private static string ContractPath => Path.Combine(Root, "contracts", "DeepSim.Api.json");

    /// <summary>Each generated client: its contract, its folder under DeepSim.Web, its namespace and class (as the script gives them).</summary>
    public static TheoryData<string, string, string, string> Clients { get; } = new()
    {
        { "DeepSim.Api.json", "ApiClient", "DeepSim.Web.ApiClient", "DeepSimApiClient" },
        { "DeepSim.Analytics.json", "AnalyticsClient", "DeepSim.Web.AnalyticsClient", "DeepSimAnalyticsClient" },
    };

    private static string Contract(string file) => Path.Combine(Root, "contracts", file);

    private static string ClientFolder(string folder) => Path.Combine(Root, "DeepSim.Web", folder);

    private static JsonObject Lock(string clientFolder) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(clientFolder, "kiota-lock.json")))!.AsObject();

    /// <summary>
    /// Kiota records the SHA-512 of the description it generated from: OpenAPI.NET's
    /// <see cref="OpenApiDocument.GetHashCodeAsync"/>, the document parsed and written back as terse OpenAPI 3.1 JSON
    /// (so formatting does not count, content does). Recomputed with the OpenAPI.NET version Kiota carries.
    /// </summary>
    private static async Task<string> DescriptionHashAsync(string path)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var stream = File.OpenRead(path);
        var settings = new OpenApiReaderSettings();
        var read = await OpenApiDocument.LoadAsync(stream, "json", settings, timeout.Token);
        Assert.NotNull(read.Document);
        return await read.Document.GetHashCodeAsync(timeout.Token);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task The_committed_client_was_generated_from_the_committed_contract(string contract, string folder, string @namespace, string className)
    {
        var recorded = Lock(ClientFolder(folder));
        Assert.Equal("../../contracts/" + contract, recorded["descriptionLocation"]!.GetValue<string>());
        Assert.Equal((@namespace, className), (recorded["clientNamespaceName"]!.GetValue<string>(), recorded["clientClassName"]!.GetValue<string>()));
        var hash = await DescriptionHashAsync(Contract(contract));
        Assert.True(hash == recorded["descriptionHash"]!.GetValue<string>(),
            $"DeepSim.Web/{folder} was not regenerated after contracts/{contract} changed: run scripts/generate-api-client.sh and commit both. "
            + $"(contract hash {hash[..16]}…, kiota-lock.json {recorded["descriptionHash"]!.GetValue<string>()[..16]}…)");
    }

    [Fact]
    public async Task The_description_hash_follows_the_documents_content_not_its_formatting()
    {
        var folder = Directory.CreateTempSubdirectory("deepsim-contract-").FullName;
        try
        {
            var document = JsonNode.Parse(await File.ReadAllTextAsync(ContractPath))!;
            var reformatted = Path.Combine(folder, "reformatted.json");
            await File.WriteAllTextAsync(reformatted, document.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
            document["info"]!["title"] = document["info"]!["title"]!.GetValue<string>() + " (changed)";
            var changed = Path.Combine(folder, "changed.json");
            await File.WriteAllTextAsync(changed, document.ToJsonString());
            var original = await DescriptionHashAsync(ContractPath);
            Assert.Equal(original, await DescriptionHashAsync(reformatted));
            Assert.NotEqual(original, await DescriptionHashAsync(changed));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("ApiClient")]
    [InlineData("AnalyticsClient")]
    public void The_lock_records_the_kiota_version_of_the_tool_manifest(string folder)
    {
        // The hash above is recomputed with the OpenAPI.NET version this Kiota carries: bump both together.
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, ".config", "dotnet-tools.json")))!;
        var tool = manifest["tools"]!["microsoft.openapi.kiota"]!["version"]!.GetValue<string>();
        Assert.Equal(tool, Lock(ClientFolder(folder))["kiotaVersion"]!.GetValue<string>());
        Assert.Equal("1.38.0", tool);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Regenerating_the_client_from_the_committed_contract_changes_no_file(string contract, string folder, string @namespace, string className)
    {
        var output = Directory.CreateTempSubdirectory("deepsim-kiota-").FullName;
        try
        {
            await RunAsync("dotnet", ["tool", "restore"]);
            // The same arguments as scripts/generate-api-client.sh, into a folder of its own.
            await RunAsync("dotnet", ["kiota", "generate", "-l", "CSharp", "-d", Contract(contract), "-o", output, "-n", @namespace,
                "-c", className, "--clean-output", "--exclude-backward-compatible", "--log-level", "Error"]);
            var expected = Files(output);
            var committed = Files(ClientFolder(folder));
            var differences = expected.Keys.Union(committed.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal)
                .Where(name => !expected.TryGetValue(name, out var a) || !committed.TryGetValue(name, out var b) || a != b)
                .Take(20).ToList();
            Assert.True(differences.Count == 0,
                $"DeepSim.Web/{folder} differs from a fresh generation (hand-edited, or not regenerated): run scripts/generate-api-client.sh. Files: "
                + string.Join(", ", differences));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    /// <summary>Every file by its path under <paramref name="folder"/>; the lock without its location, which names the output folder.</summary>
    private static Dictionary<string, string> Files(string folder)
    {
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != ".kiota.log")
            .ToDictionary(f => Path.GetRelativePath(folder, f).Replace('\\', '/'), File.ReadAllText, StringComparer.Ordinal);
        var lockFile = JsonNode.Parse(files["kiota-lock.json"])!.AsObject();
        lockFile.Remove("descriptionLocation");
        files["kiota-lock.json"] = lockFile.ToJsonString();
        return files;
    }

    private static async Task RunAsync(string fileName, string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["KIOTA_OFFLINE_ENABLED"] = "true";
        start.Environment["KIOTA_TUTORIAL_ENABLED"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(KiotaBudget);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {KiotaBudget}");
        }
        Assert.True(process.ExitCode == 0, $"{fileName} {string.Join(' ', arguments)} exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }
}
