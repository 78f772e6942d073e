using Bunit;
using DeepSim.Web.Components.Results;
using DeepSim.Web.Units;

namespace DeepSim.Web.Tests.Results;

public class UnitResultsTableTests : ResultsComponentTest
{
    private static string Text(IRenderedComponent<UnitResultsTable> cut, string testId) =>
        cut.Find($"[data-testid='{testId}']").TextContent.Trim();

    [Fact]
    public void Compressor_power_shows_in_kilowatts_in_metric()
    {
        var cut = Render<UnitResultsTable>(p => p.Add(t => t.Result, ResultFixtures.Load("two-stage-compression")).Add(t => t.UnitSystem, UnitSystem.Metric));

        Assert.Equal("1419.56", Text(cut, "unit-value-K1-powerW"));
        Assert.Equal("-1577.8", Text(cut, "unit-value-IC1-dutyW"));
    }

    [Fact]
    public void Column_reports_its_stages_reflux_and_condenser_duty()
    {
        var cut = Render<UnitResultsTable>(p => p.Add(t => t.Result, ResultFixtures.Load("benzene-toluene-shortcut-column")).Add(t => t.UnitSystem, UnitSystem.Field));

        Assert.Equal("21.491", Text(cut, "unit-value-COLUMN-stages"));
        Assert.Equal("2.16566", Text(cut, "unit-value-COLUMN-refluxRatio"));
        // -1090500.147 W = -3720941 Btu/h (1 Btu/h = 0.29307107 W), to six significant digits.
        Assert.Equal("-3720940", Text(cut, "unit-value-COLUMN-condenserDutyW"));
        Assert.Equal("241.482", Text(cut, "unit-value-COLUMN-reboilerTemperatureK"));
    }

    [Fact]
    public void Zero_duties_are_hidden_until_asked_for()
    {
        var cut = Render<UnitResultsTable>(p => p.Add(t => t.Result, ResultFixtures.Load("two-stage-compression")));
        Assert.Empty(cut.FindAll("[data-testid='unit-value-K1-dutyW']"));

        cut.Find("input[data-testid='toggle-zero-duties']").Change(true);

        Assert.Equal("0", Text(cut, "unit-value-K1-dutyW"));
    }
}
