using Bunit;
using DeepSim.Web.Components.Results;

namespace DeepSim.Web.Tests.Results;

public class RunSummaryTests : ResultsComponentTest
{
    [Fact]
    public void Not_converged_run_shows_the_engine_reason_in_an_error_alert()
    {
        var cut = Render<RunSummary>(p => p.Add(s => s.Result, ResultFixtures.Load("ammonia-synthesis-loop-not-converged")));

        Assert.Equal("Not converged", cut.Find("[data-testid='run-status']").TextContent.Trim());
        var reason = cut.Find("[data-testid='run-failure-reason']");
        Assert.StartsWith("the recycle torn at RECYCLE2 did not converge in 2 iterations", reason.TextContent.Trim(), StringComparison.Ordinal);
        Assert.NotNull(reason.Closest(".mud-alert-filled-error"));
        Assert.Equal("2", cut.Find("[data-testid='run-iterations']").TextContent.Trim());
        Assert.StartsWith("–", cut.Find("[data-testid='run-balance-energy']").TextContent.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public void Converged_run_shows_no_failure_and_its_balance_closure()
    {
        var cut = Render<RunSummary>(p => p.Add(s => s.Result, ResultFixtures.Load("benzene-toluene-flash")));

        Assert.Equal("Converged", cut.Find("[data-testid='run-status']").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid='run-failure-reason']"));
        Assert.Contains("1.3E-16 (Toluene)", cut.Find("[data-testid='run-balance-component']").TextContent, StringComparison.Ordinal);
        Assert.Equal("0.0183668 s", cut.Find("[data-testid='run-solve-time']").TextContent.Trim());
    }

    [Fact]
    public void Recycle_blocks_are_listed_with_their_iterations()
    {
        var cut = Render<RunSummary>(p => p.Add(s => s.Result, ResultFixtures.Load("ammonia-synthesis-loop")));

        var text = cut.Find("[data-testid='run-recycle-1']").TextContent;
        Assert.Contains("converged", text, StringComparison.Ordinal);
        Assert.Contains("14 iteration", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_sanity_warnings_are_listed_with_code_and_message()
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(ResultFixtures.Json("ammonia-synthesis-loop"))!.AsObject();
        json["warnings"] = System.Text.Json.Nodes.JsonNode.Parse("""
            [{ "code": "conversion-beyond-equilibrium", "unit": "REACTOR", "stream": "S3", "message": "Unit REACTOR carries reaction 1 beyond chemical equilibrium." },
             { "code": "missing-kij", "unit": null, "stream": "S5", "message": "peng-robinson has no kij for Hydrogen/Ammonia." }]
            """);
        var result = RunResultView.Parse(json.ToJsonString());
        Assert.Equal("S5", result.Warnings[1].Stream);
        Assert.Null(result.Warnings[1].Unit);
        var cut = Render<RunSummary>(p => p.Add(s => s.Result, result));

        var alerts = cut.FindAll("[data-testid='run-warning']");
        Assert.Equal(2, alerts.Count);
        Assert.Equal("missing-kij", alerts[1].GetAttribute("data-code"));
        Assert.Contains("peng-robinson has no kij for Hydrogen/Ammonia.", alerts[1].TextContent, StringComparison.Ordinal);
        Assert.Equal("conversion-beyond-equilibrium", alerts[0].QuerySelector(".warning-code")!.TextContent.Trim());
    }

    [Fact]
    public void A_result_without_warnings_shows_no_warning_list()
    {
        var cut = Render<RunSummary>(p => p.Add(s => s.Result, ResultFixtures.Load("benzene-toluene-flash")));
        Assert.Empty(cut.FindAll("[data-testid='run-warnings']"));
    }
}
