using Bunit;
using DeepSim.Web.Components.Results;
using DeepSim.Web.Units;

namespace DeepSim.Web.Tests.Results;

public class StudyTableViewTests : ResultsComponentTest
{
    [Fact]
    public void Rows_show_each_point_with_outputs_in_the_unit_system()
    {
        var cut = Render<StudyTableView>(p => p.Add(t => t.Table, StudyTables.Load(StudyTables.OneInput)).Add(t => t.UnitSystem, UnitSystem.Metric));

        Assert.Equal(5, cut.FindAll("tbody tr").Count);
        Assert.Equal("86.85", cut.Find("[data-testid='study-cell-0-V.temperatureK']").TextContent.Trim());
        Assert.Equal("–", cut.Find("[data-testid='study-cell-2-V.temperatureK']").TextContent.Trim());
        Assert.Contains("V temperature (°C)", cut.Find("thead").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_links_point_at_the_given_base_url()
    {
        var cut = Render<StudyTableView>(p => p.Add(t => t.Table, StudyTables.Load(StudyTables.OneInput))
            .Add(t => t.ExportUrl, "/studies/42/export"));

        Assert.Equal("/studies/42/export?format=csv", cut.Find("[data-testid='study-export-csv']").GetAttribute("href"));
        Assert.Equal("/studies/42/export?format=xlsx", cut.Find("[data-testid='study-export-xlsx']").GetAttribute("href"));
    }

    [Fact]
    public void Without_a_base_url_there_are_no_export_links()
    {
        var cut = Render<StudyTableView>(p => p.Add(t => t.Table, StudyTables.Load(StudyTables.OneInput)));

        Assert.Empty(cut.FindAll("[data-testid='study-export-csv']"));
    }
}
