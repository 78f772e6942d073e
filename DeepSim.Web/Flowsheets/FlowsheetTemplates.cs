using System.Reflection;
using System.Text.Json.Nodes;

namespace DeepSim.Web.Flowsheets;

/// <summary>One starting point in the "new flowsheet" gallery.</summary>
public sealed record FlowsheetTemplate(string Key, string Name, string Description, int UnitCount, string Components, string Json);

/// <summary>
/// The template gallery: a minimal valid flowsheet (the Api stores only documents the engine accepts) and every example
/// in examples/, embedded at build time.
/// </summary>
public static class FlowsheetTemplates
{
    public const string BlankKey = "blank";

    private const string Blank = """
        {
          "name": "New flowsheet",
          "components": ["water"],
          "propertyPackage": "ideal",
          "units": [
            { "id": "FEED1", "type": "feed", "spec": {
                "temperature": { "value": 25, "unit": "C" }, "pressure": { "value": 1, "unit": "atm" },
                "molarFlow": { "value": 100, "unit": "kmol/h" }, "moleFractions": { "water": 1 } } },
            { "id": "PRODUCT1", "type": "product" }
          ],
          "streams": [ { "id": "S1", "from": "FEED1.out", "to": "PRODUCT1.in" } ]
        }
        """;

    public static IReadOnlyList<FlowsheetTemplate> All { get; } = Load();

    public static FlowsheetTemplate? Find(string key) => All.FirstOrDefault(t => t.Key == key);

    private static List<FlowsheetTemplate> Load()
    {
        var templates = new List<FlowsheetTemplate> { Describe(BlankKey, Blank, "Start from one feed and one product.") };
        var assembly = typeof(FlowsheetTemplates).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("templates/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            templates.Add(Describe(Path.GetFileNameWithoutExtension(resource["templates/".Length..]), reader.ReadToEnd(), null));
        }
        return templates;
    }

    private static FlowsheetTemplate Describe(string key, string json, string? description)
    {
        var document = JsonNode.Parse(json, documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        document.Remove("$schema");
        var components = document["components"]?.AsArray().Select(c => c is JsonObject o ? o["name"]?.ToString() : c?.ToString()) ?? [];
        return new FlowsheetTemplate(key, document["name"]?.ToString() ?? key, description ?? document["description"]?.ToString() ?? "",
            document["units"]?.AsArray().Count ?? 0, string.Join(", ", components), document.ToJsonString());
    }
}
