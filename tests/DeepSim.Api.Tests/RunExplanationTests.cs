using System.Text.Json;
using DeepSim.Api.Mcp;

namespace DeepSim.Api.Tests;

/// <summary>The residual trend and the balance findings explain_run reads from an engine result.</summary>
public sealed class RunExplanationTests
{
    [Theory]
    [InlineData(new[] { 1.0, 0.5, 0.1, 0.01 }, "were still falling")]
    [InlineData(new[] { 0.01, 0.1, 1.0 }, "grew")]
    [InlineData(new[] { 0.2, 0.21, 0.19, 0.2 }, "stalled")]
    [InlineData(new[] { 0.2 }, "were not recorded")]
    public void The_trend_of_the_largest_residual_is_named(double[] largest, string expected) =>
        Assert.StartsWith(expected, RunExplanation.Trend(largest), StringComparison.Ordinal);

    [Fact]
    public void A_balance_outside_its_tolerance_and_an_unmet_spec_are_findings_and_a_clean_result_says_it_converged()
    {
        using var broken = JsonDocument.Parse("""
            {"units": [{"id": "R1", "failureReason": "no feed"}],
             "balance": {"componentTolerance": 1e-6, "energyTolerance": 1e-6,
                         "components": [{"component": "ammonia", "relative": 0.2}, {"component": "hydrogen", "relative": 1e-9}],
                         "energy": {"relative": 0.5}},
             "convergence": {"blocks": [], "designSpecs": [{"id": "DS1", "converged": false, "targetValue": 3, "achievedValue": 2}]}}
            """);
        var explained = RunExplanation.Explain(Guid.NewGuid(), false, "stopped", broken.RootElement);
        Assert.Equal(["R1: no feed"], explained.UnitsThatFailed);
        Assert.Equal(2, explained.UnbalancedComponents.Count);
        Assert.StartsWith("ammonia", explained.UnbalancedComponents[0], StringComparison.Ordinal);
        Assert.StartsWith("energy", explained.UnbalancedComponents[1], StringComparison.Ordinal);
        Assert.Single(explained.DesignSpecsNotMet);
        Assert.Equal(4, explained.Findings.Count);

        using var clean = JsonDocument.Parse("""{"units": [], "balance": {"components": []}, "convergence": {"blocks": [], "designSpecs": []}}""");
        Assert.StartsWith("The run converged", Assert.Single(RunExplanation.Explain(Guid.NewGuid(), true, null, clean.RootElement).Findings), StringComparison.Ordinal);
    }

    [Fact]
    public void Model_sanity_warnings_follow_the_outcome_as_findings()
    {
        using var warned = JsonDocument.Parse("""
            {"units": [{"id": "R1", "notes": ["reaction 1: the outlet lies beyond chemical equilibrium"]}], "balance": {"components": []},
             "convergence": {"blocks": [], "designSpecs": []},
             "warnings": [{"code": "missing-kij", "unit": null, "stream": "S5", "message": "peng-robinson has no kij for Hydrogen/Ammonia."},
                          {"code": "conversion-beyond-equilibrium", "unit": "R1", "stream": "S2", "message": "Unit R1 carries reaction 1 beyond chemical equilibrium."}]}
            """);
        var findings = RunExplanation.Explain(Guid.NewGuid(), true, null, warned.RootElement).Findings;
        Assert.Equal(2, findings.Count);
        Assert.StartsWith("Unit 'R1' warns: reaction 1", findings[0], StringComparison.Ordinal);
        Assert.Equal("Model warning 'missing-kij': peng-robinson has no kij for Hydrogen/Ammonia.", findings[1]);
    }
}
