using System.Reflection;

namespace DeepSim.Api.Infrastructure;

/// <summary>
/// The OpenAPI document is written at build time (Microsoft.Extensions.ApiDescription.Server) by a tool that builds the
/// host without starting it. The host's clients then need settings to be constructed, though nothing connects: these
/// placeholders are used only inside that tool.
/// </summary>
internal static class BuildTimeDocument
{
    public static bool IsGenerating { get; } = Assembly.GetEntryAssembly()?.GetName().Name == "GetDocument.Insider";

    public static IReadOnlyDictionary<string, string?> PlaceholderSettings { get; } = new Dictionary<string, string?>
    {
        ["ConnectionStrings:deepsimdb"] = "Host=127.0.0.1;Port=1;Database=none;Username=none;Password=none",
        ["ConnectionStrings:platformdb"] = "Host=127.0.0.1;Port=1;Database=none;Username=none;Password=none",
        ["ConnectionStrings:redis"] = "127.0.0.1:1,abortConnect=false",
        ["Auth:ServiceToken"] = new string('x', 64),
    };
}
