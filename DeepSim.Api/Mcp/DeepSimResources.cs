using System.ComponentModel;
using System.Text.Json;
using DeepSim.Api.Catalog;
using ModelContextProtocol.Server;

namespace DeepSim.Api.Mcp;

/// <summary>Reference documents for MCP clients: the flowsheet format and the unit-operation catalogue, the same for every tenant.</summary>
[McpServerResourceType]
public static class DeepSimResources
{
    public const string FlowsheetFormatUri = "deepsim://docs/flowsheet-format";
    public const string UnitTypesUri = "deepsim://catalog/unit-types";

    private static readonly Lazy<string> FormatText = new(() =>
    {
        using var stream = typeof(DeepSimResources).Assembly.GetManifestResourceStream("DeepSim.Api.flowsheet-format.md")
            ?? throw new InvalidOperationException("docs/flowsheet-format.md is not embedded in the Api assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    [McpServerResource(UriTemplate = FlowsheetFormatUri, Name = "flowsheet-format", MimeType = "text/markdown")]
    [Description("The flowsheet document format (docs/flowsheet-format.md): components, property package, units with their specs, streams.")]
    public static string FlowsheetFormat() => FormatText.Value;

    [McpServerResource(UriTemplate = UnitTypesUri, Name = "unit-types", MimeType = "application/json")]
    [Description("Every unit type a flowsheet may use, with its inlet and outlet ports (\"*\" means any number of ports with names of your choice).")]
    public static string UnitTypes() => JsonSerializer.Serialize(CatalogEndpoints.UnitTypes().Value, McpGate.Json);
}
