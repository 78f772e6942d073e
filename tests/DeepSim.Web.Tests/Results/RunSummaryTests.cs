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
}
