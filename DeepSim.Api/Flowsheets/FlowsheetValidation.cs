using System.Text.Json;

namespace DeepSim.Api.Flowsheets;

/// <summary>One problem in a flowsheet document, at its JSON path (<c>$.units[2].outlet</c>).</summary>
public sealed record FlowsheetIssue(string Path, string Message);

/// <summary>
/// The seam where the engine's flowsheet validator plugs in. Until it lands, <see cref="JsonFlowsheetValidator"/>
/// checks only the document's shape.
/// </summary>
public interface IFlowsheetValidator
{
    IReadOnlyList<FlowsheetIssue> Validate(JsonElement document);
}

/// <summary>Shape-only validation: a JSON object with the engine format's top-level fields.</summary>
public sealed class JsonFlowsheetValidator : IFlowsheetValidator
{
    /// <summary>Top-level fields every flowsheet document must have, with the JSON kind each must be.</summary>
    public static readonly IReadOnlyList<(string Name, JsonValueKind Kind)> RequiredFields =
    [
        ("components", JsonValueKind.Array),
        ("streams", JsonValueKind.Array),
        ("units", JsonValueKind.Array),
    ];

    public IReadOnlyList<FlowsheetIssue> Validate(JsonElement document)
    {
        if (document.ValueKind != JsonValueKind.Object)
        {
            return [new FlowsheetIssue("$", "must be a JSON object")];
        }
        var issues = new List<FlowsheetIssue>();
        foreach (var (name, kind) in RequiredFields)
        {
            if (!document.TryGetProperty(name, out var value))
            {
                issues.Add(new FlowsheetIssue("$." + name, "is required"));
            }
            else if (value.ValueKind != kind)
            {
                issues.Add(new FlowsheetIssue("$." + name, $"must be a JSON {kind.ToString().ToLowerInvariant()}"));
            }
        }
        return issues;
    }
}
