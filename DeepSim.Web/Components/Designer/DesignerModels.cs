using System.Globalization;
using System.Text.RegularExpressions;

namespace DeepSim.Web.Components.Designer;

/// <summary>One problem the validator found, at the JSON path it names (<c>$.units[2].spec.outletTemperature</c>).</summary>
public sealed record ValidationIssue(string Path, string Message);

/// <summary>A database component offered by the component picker.</summary>
public sealed record ComponentChoice(string Name, string? Formula, string? Cas);

/// <summary>A solved stream's state, shown when the stream is hovered or selected. SI values; null when not reported.</summary>
public sealed record StreamSummary(double? TemperatureK, double? PressurePa, double? VaporFraction, double? MolarFlowMolPerS);

/// <summary>What a validation path points at.</summary>
public enum IssueScope
{
    Flowsheet,
    Unit,
    Stream,
}

/// <summary>
/// Where a validation issue belongs: a unit or stream by its index in the document, and the spec key (or unit key
/// such as <c>id</c>) it names. <c>$.units[2].spec.moleFractions.benzene</c> is unit 2, field <c>moleFractions</c>.
/// </summary>
public sealed partial record IssueLocation(IssueScope Scope, int Index, string? Field)
{
    public static IssueLocation Parse(string path)
    {
        var m = PathPattern().Match(path ?? "");
        if (!m.Success)
        {
            var top = TopPattern().Match(path ?? "");
            return new IssueLocation(IssueScope.Flowsheet, -1, top.Success ? top.Groups[1].Value : null);
        }
        var index = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        var scope = m.Groups[1].Value == "units" ? IssueScope.Unit : IssueScope.Stream;
        var field = m.Groups[4].Success ? m.Groups[4].Value : m.Groups[3].Success ? m.Groups[3].Value : null;
        return new IssueLocation(scope, index, field);
    }

    // $.units[2], $.units[2].id, $.units[2].spec.outletTemperature(.more…)
    [GeneratedRegex(@"^\$\.(units|streams)\[(\d+)\](?:\.(?:spec\.([^.\[]+)|([^.\[]+)))?")]
    private static partial Regex PathPattern();

    [GeneratedRegex(@"^\$\.([^.\[]+)")]
    private static partial Regex TopPattern();
}
