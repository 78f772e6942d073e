using System.Text.Json;
using DeepSim.Engine.Flowsheets;

namespace DeepSim.Api.Flowsheets;

/// <summary>One problem in a flowsheet document, at its JSON path (<c>$.units[2].spec.temperature</c>).</summary>
public sealed record FlowsheetIssue(string Path, string Message);

/// <summary>How the Api validates a flowsheet document before storing it.</summary>
public interface IFlowsheetValidator
{
    IReadOnlyList<FlowsheetIssue> Validate(JsonElement document);
}

/// <summary>The engine's own reader (docs/flowsheet-format.md): every error at its JSON path, the same checks a run makes.</summary>
public sealed class EngineFlowsheetValidator : IFlowsheetValidator
{
    public IReadOnlyList<FlowsheetIssue> Validate(JsonElement document)
    {
        if (document.ValueKind != JsonValueKind.Object)
        {
            return [new FlowsheetIssue("$", "must be a JSON object")];
        }
        var result = FlowsheetReader.Read(document.GetRawText(), DefaultThermoCatalog.Instance);
        return result.Errors.Select(e => new FlowsheetIssue(e.Path, e.Message)).ToList();
    }
}
