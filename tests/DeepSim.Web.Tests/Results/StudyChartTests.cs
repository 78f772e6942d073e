using Bunit;
using DeepSim.Web.Components.Results;
using DeepSim.Web.Units;
using Plotly.Blazor;
using Plotly.Blazor.Traces;

namespace DeepSim.Web.Tests.Results;

public class StudyChartTests : ResultsComponentTest
{
    [Fact]
    public void The_table_splits_into_inputs_outputs_and_points()
    {
        var table = StudyTables.Load(StudyTables.OneInput);

        Assert.Equal([StudyTables.TemperaturePath], table.Inputs);
        Assert.Equal(["V.temperatureK", "V.pressurePa", "V.vaporFraction", "V.molarFlowMolPerS"], table.Outputs);
        Assert.Equal(5, table.Points.Count);
        Assert.Equal(2, table.GapCount);
        Assert.False(table.Points[2].Ok);
        Assert.Null(table.Points[2].Outputs[0]);
        Assert.Equal(365, table.Points[1].Inputs[0]);
    }

    [Fact]
    public void One_varied_input_draws_a_line_per_chosen_output_with_gaps_for_failed_points()
    {
        var table = StudyTables.Load(StudyTables.OneInput);

        var cut = Render<StudyChart>(p => p.Add(c => c.Table, table).Add(c => c.Outputs, ["V.vaporFraction", "V.molarFlowMolPerS"]));

        var data = cut.FindComponent<PlotlyChart>().Instance.Data;
        Assert.Equal(2, data.Count);
        Assert.All(data, t => Assert.IsType<Scatter>(t));
        var vapour = (Scatter)data[0];
        Assert.Equal([360.0, 365.0, 370.0, 375.0, 380.0], vapour.X.Cast<double>());
        Assert.Equal([0.1, 0.3, null, null, 1.0], vapour.Y.Select(y => (double?)y));
        Assert.Contains("2 of 5 point(s) failed or did not converge", cut.Find("[data-testid='study-gaps']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void One_input_line_values_follow_the_unit_system()
    {
        var table = StudyTables.Load(StudyTables.OneInput);

        var cut = Render<StudyChart>(p => p.Add(c => c.Table, table).Add(c => c.Outputs, ["V.molarFlowMolPerS"]).Add(c => c.UnitSystem, UnitSystem.Metric));

        var line = (Scatter)Assert.Single(cut.FindComponent<PlotlyChart>().Instance.Data);
        Assert.Equal(7.2, (double)line.Y[0], 9);
        Assert.Equal("V molar flow (kmol/h)", line.Name);
    }

    [Fact]
    public void Two_varied_inputs_draw_a_heatmap_of_one_output_with_the_failed_point_empty()
    {
        var table = StudyTables.Load(StudyTables.TwoInputs);

        var cut = Render<StudyChart>(p => p.Add(c => c.Table, table).Add(c => c.Outputs, ["V.vaporFraction"]));

        var heatmap = Assert.IsType<HeatMap>(Assert.Single(cut.FindComponent<PlotlyChart>().Instance.Data));
        Assert.Equal([360.0, 365.0, 370.0], heatmap.X.Cast<double>());
        Assert.Equal([100000.0, 200000.0], heatmap.Y.Cast<double>());
        var rows = heatmap.Z.Cast<IList<object?>>().ToList();
        Assert.Equal([0.2, 0.4, 0.7], rows[0].Select(z => (double?)z));
        Assert.Equal([0.0, null, 0.1], rows[1].Select(z => (double?)z));
        Assert.Contains("1 of 6", cut.Find("[data-testid='study-gaps']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void The_contour_option_draws_a_contour_instead()
    {
        var table = StudyTables.Load(StudyTables.TwoInputs);
        var cut = Render<StudyChart>(p => p.Add(c => c.Table, table));
        Assert.IsType<HeatMap>(Assert.Single(cut.FindComponent<PlotlyChart>().Instance.Data));

        cut.Find("input[data-testid='study-contour']").Change(true);

        Assert.IsType<Contour>(Assert.Single(cut.FindComponent<PlotlyChart>().Instance.Data));
    }

    [Fact]
    public void Without_a_choice_the_first_output_is_charted()
    {
        var cut = Render<StudyChart>(p => p.Add(c => c.Table, StudyTables.Load(StudyTables.OneInput)));

        var line = (Scatter)Assert.Single(cut.FindComponent<PlotlyChart>().Instance.Data);
        Assert.Equal("V temperature (K)", line.Name);
    }

    [Fact]
    public void A_table_without_points_shows_a_note_and_no_chart()
    {
        var cut = Render<StudyChart>(p => p.Add(c => c.Table, StudyTables.Load("""{"columns":["point","$.a","status","converged"],"rows":[]}""")));

        Assert.Empty(cut.FindComponents<PlotlyChart>());
        Assert.NotNull(cut.Find("[data-testid='study-chart-empty']"));
    }
}
