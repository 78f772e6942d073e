using System.Data.Common;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DeepSim.Deploy.Tests;

/// <summary>The AppHost's deployment manifest (what azd reads), published offline by the AppHost's own publisher.</summary>
internal sealed partial class AppHostManifest(JsonObject resources)
{
    // The manifest publisher writes in about a second; the bound only stops a hung publish from hanging the run.
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(90);
    private const int MaxResolveDepth = 10;

    public JsonObject Resources { get; } = resources;

    public IEnumerable<string> Names => Resources.Select(resource => resource.Key);

    /// <summary>Runs <c>DeepSim.AppHost.dll --publisher manifest</c> into a fresh folder with the given extra arguments.</summary>
    public static async Task<AppHostManifest> PublishAsync(params string[] extraArguments)
    {
        var folder = Directory.CreateTempSubdirectory("deepsim-manifest-").FullName;
        try
        {
            var output = Path.Combine(folder, "manifest.json");
            var start = new ProcessStartInfo(DotnetHost())
            {
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { Repository.AppHostAssembly, "--publisher", "manifest", "--output-path", output }.Concat(extraArguments))
            {
                start.ArgumentList.Add(argument);
            }
            // Connection strings in the test runner's own environment (a developer's Kafka) would change the graph.
            foreach (var key in start.Environment.Keys.Where(key => key.StartsWith("ConnectionStrings", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                start.Environment.Remove(key);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(PublishTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"The manifest publish did not finish in {PublishTimeout.TotalSeconds} s.");
            }
            var log = new StringBuilder()
                .AppendLine(await stdout.WaitAsync(PublishTimeout))
                .AppendLine(await stderr.WaitAsync(PublishTimeout)).ToString();
            if (process.ExitCode != 0 || !File.Exists(output))
            {
                throw new InvalidOperationException($"The manifest publish exited with {process.ExitCode}:\n{log}");
            }
            var json = JsonNode.Parse(await File.ReadAllTextAsync(output).WaitAsync(PublishTimeout))
                ?? throw new InvalidOperationException("The manifest is empty.");
            return new AppHostManifest(json["resources"]?.AsObject() ?? throw new InvalidOperationException("The manifest has no resources."));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public JsonObject Resource(string name) =>
        Resources[name]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"The manifest has no resource '{name}'; it has {string.Join(", ", Names)}.");

    public string? TypeOf(string name) => Resources[name]?["type"]?.GetValue<string>();

    public IReadOnlyDictionary<string, string> Env(string name) =>
        Resource(name)["env"]?.AsObject().ToDictionary(entry => entry.Key, entry => entry.Value!.GetValue<string>(), StringComparer.Ordinal)
        ?? new Dictionary<string, string>(StringComparer.Ordinal);

    public IEnumerable<string> ProjectNames =>
        Resources.Where(resource => resource.Value?["type"]?.GetValue<string>() == "project.v0").Select(resource => resource.Key);

    /// <summary>Replaces <c>{name.connectionString}</c> with that resource's expression until none is left.</summary>
    public string Resolve(string expression)
    {
        for (var depth = 0; depth < MaxResolveDepth; depth++)
        {
            var resolved = ConnectionStringReference().Replace(expression, match =>
                Resource(match.Groups["name"].Value)["connectionString"]?.GetValue<string>()
                ?? throw new Xunit.Sdk.XunitException($"'{match.Groups["name"].Value}' has no connectionString"));
            if (resolved == expression)
            {
                return resolved;
            }
            expression = resolved;
        }
        throw new Xunit.Sdk.XunitException($"Connection strings refer to each other more than {MaxResolveDepth} deep: {expression}");
    }

    /// <summary>The resources an expression (fully resolved) refers to: <c>{postgres.bindings.tcp.host}</c> refers to postgres.</summary>
    public ISet<string> ReferencedResources(string expression) =>
        AnyReference().Matches(Resolve(expression)).Select(match => match.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);

    /// <summary>The <c>Username</c> of a resolved PostgreSQL connection string.</summary>
    public string? PostgresUser(string expression)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = Resolve(expression) };
        return builder.TryGetValue("Username", out var user) ? user as string : null;
    }

    private static string DotnetHost() =>
        // Set by the SDK for everything dotnet test starts; the muxer on PATH otherwise.
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    [GeneratedRegex(@"\{(?<name>[A-Za-z0-9_-]+)\.connectionString\}")]
    private static partial Regex ConnectionStringReference();

    [GeneratedRegex(@"\{(?<name>[A-Za-z0-9_-]+)\.")]
    private static partial Regex AnyReference();
}

/// <summary>The two publishes every test here reads: the default graph and one with a Kafka bootstrap server.</summary>
public sealed class PublishedManifests : IAsyncLifetime
{
    internal const string KafkaBootstrap = "localhost:9092";

    internal AppHostManifest Default { get; private set; } = null!;

    internal AppHostManifest WithKafka { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Default = await AppHostManifest.PublishAsync();
        WithKafka = await AppHostManifest.PublishAsync($"--ConnectionStrings:kafka={KafkaBootstrap}");
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

[CollectionDefinition(Name)]
public sealed class PublishedManifestsDefinition : ICollectionFixture<PublishedManifests>
{
    public const string Name = "published manifests";
}
