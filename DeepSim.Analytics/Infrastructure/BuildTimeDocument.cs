using System.Reflection;
using DeepSim.ServiceDefaults;

namespace DeepSim.Analytics.Infrastructure;

/// <summary>
/// The OpenAPI document is written at build time (Microsoft.Extensions.ApiDescription.Server) by a tool that builds the
/// host without starting it; the required settings then only need to parse. These placeholders are used only there.
/// </summary>
internal static class BuildTimeDocument
{
    public static bool IsGenerating { get; } = Assembly.GetEntryAssembly()?.GetName().Name == "GetDocument.Insider";

    public static IReadOnlyDictionary<string, string?> PlaceholderSettings { get; } = new Dictionary<string, string?>
    {
        [$"ConnectionStrings:{ResourceNames.ClickHouse}"] = "http://127.0.0.1:1",
        [$"services:{ResourceNames.Api}:http:0"] = "http://127.0.0.1:1",
    };
}
