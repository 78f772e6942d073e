using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace DeepSim.Web.Tests;

/// <summary>
/// The committed Kiota client (DeepSim.Web/ApiClient) is what scripts/generate-api-client.sh makes from the committed
/// contract (contracts/DeepSim.Api.json). OpenApiContractTests in DeepSim.Api.Tests check that contract against the
/// running Api; these check the client against the contract.
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
    private static string ClientPath => Path.Combine(Root, "DeepSim.Web", "ApiClient");

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

    [Fact]
    public async Task The_committed_client_was_generated_from_the_committed_contract()
    {
        var recorded = Lock(ClientPath);
        Assert.Equal("../../contracts/DeepSim.Api.json", recorded["descriptionLocation"]!.GetValue<string>());
        var hash = await DescriptionHashAsync(ContractPath);
        Assert.True(hash == recorded["descriptionHash"]!.GetValue<string>(),
            "DeepSim.Web/ApiClient was not regenerated after contracts/DeepSim.Api.json changed: run scripts/generate-api-client.sh and commit both. "
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

    [Fact]
    public void The_lock_records_the_kiota_version_of_the_tool_manifest()
    {
        // The hash above is recomputed with the OpenAPI.NET version this Kiota carries: bump both together.
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, ".config", "dotnet-tools.json")))!;
        var tool = manifest["tools"]!["microsoft.openapi.kiota"]!["version"]!.GetValue<string>();
        Assert.Equal(tool, Lock(ClientPath)["kiotaVersion"]!.GetValue<string>());
        Assert.Equal("1.38.0", tool);
    }

    [Fact]
    public async Task Regenerating_the_client_from_the_committed_contract_changes_no_file()
    {
        var output = Directory.CreateTempSubdirectory("deepsim-kiota-").FullName;
        try
        {
            await RunAsync("dotnet", ["tool", "restore"]);
            // The same arguments as scripts/generate-api-client.sh, into a folder of its own.
            await RunAsync("dotnet", ["kiota", "generate", "-l", "CSharp", "-d", ContractPath, "-o", output, "-n", "DeepSim.Web.ApiClient",
                "-c", "DeepSimApiClient", "--clean-output", "--exclude-backward-compatible", "--log-level", "Error"]);
            var expected = Files(output);
            var committed = Files(ClientPath);
            var differences = expected.Keys.Union(committed.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal)
                .Where(name => !expected.TryGetValue(name, out var a) || !committed.TryGetValue(name, out var b) || a != b)
                .Take(20).ToList();
            Assert.True(differences.Count == 0,
                "DeepSim.Web/ApiClient differs from a fresh generation (hand-edited, or not regenerated): run scripts/generate-api-client.sh. Files: "
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
