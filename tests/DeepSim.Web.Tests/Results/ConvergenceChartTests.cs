using Bunit;
using DeepSim.Web.Components.Results;
using Plotly.Blazor;
using Plotly.Blazor.Traces;

namespace DeepSim.Web.Tests.Results;

public class ConvergenceChartTests : ResultsComponentTest
{
    [Fact]
    public void Recycle_history_is_one_line_of_residuals_on_a_log_axis()
    {
        var cut = Render<ConvergenceChart>(p => p.Add(c => c.Result, ResultFixtures.Load("ammonia-synthesis-loop")));

        var chart = cut.FindComponent<PlotlyChart>().Instance;
        var trace = Assert.IsType<Scatter>(Assert.Single(chart.Data));
        Assert.Equal(14, trace.Y.Count);
        Assert.Equal(0.7235625808906737, (double)trace.Y[0]);
        Assert.Equal(14, trace.X[^1]);
        Assert.Contains("RECYCLE2", trace.Name, StringComparison.Ordinal);
        Assert.Equal(Plotly.Blazor.LayoutLib.YAxisLib.TypeEnum.Log, chart.Layout.YAxis[0].Type);
        Assert.Empty(cut.FindAll("[data-testid='convergence-none']"));
    }

    [Fact]
    public void A_flowsheet_without_recycle_shows_a_note_and_no_chart()
    {
        var cut = Render<ConvergenceChart>(p => p.Add(c => c.Result, ResultFixtures.Load("benzene-toluene-flash")));

        Assert.Empty(cut.FindComponents<PlotlyChart>());
        Assert.Contains("no recycle", cut.Find("[data-testid='convergence-none']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_recycle_block_gets_its_own_trace_and_a_zero_residual_is_a_gap()
    {
        var result = RunResultView.Parse("""
            {"convergence":{"blocks":[
              {"tearStreams":["A"],"history":[{"iteration":1,"largestRelativeResidual":{"A":0.5}},{"iteration":2,"largestRelativeResidual":{"A":0}}]},
              {"tearStreams":["B","C"],"history":[{"iteration":1,"largestRelativeResidual":{"B":0.1,"C":0.3}}]}]}}
            """);

        var traces = ConvergenceChart.Traces(result);

        Assert.Equal(2, traces.Count);
        Assert.Null(((Scatter)traces[0]).Y[1]);
        Assert.Equal(0.3, (double)((Scatter)traces[1]).Y[0]);
    }
}
