using Bunit;
using DeepSim.Web.Components.Results;
using DeepSim.Web.Units;

namespace DeepSim.Web.Tests.Results;

public class StreamTableTests : ResultsComponentTest
{
    private IRenderedComponent<StreamTable> RenderFlash(UnitSystem system = UnitSystem.SI) =>
        Render<StreamTable>(p => p.Add(t => t.Result, ResultFixtures.Load("benzene-toluene-flash")).Add(t => t.UnitSystem, system));

    private static string Cell(IRenderedComponent<StreamTable> cut, string stream, string row) =>
        cut.Find($"[data-testid='cell-{stream}-{row}']").TextContent.Trim();

    [Fact]
    public void SI_shows_the_engine_values_in_kelvin_and_pascal()
    {
        var cut = RenderFlash();

        Assert.Equal("298.15", Cell(cut, "S1", "temperature"));
        Assert.Equal("101325", Cell(cut, "S1", "pressure"));
        Assert.Equal("K", cut.Find("[data-testid='unit-temperature']").TextContent.Trim());
        Assert.Equal("Pa", cut.Find("[data-testid='unit-pressure']").TextContent.Trim());
        Assert.Equal("27.7778", Cell(cut, "S1", "molarFlow"));
        Assert.Equal("liquid", Cell(cut, "S1", "phase"));
    }

    [Fact]
    public void Metric_shows_temperature_in_celsius_bar_and_kmol_per_hour()
    {
        var cut = RenderFlash(UnitSystem.Metric);

        Assert.Equal("25", Cell(cut, "S1", "temperature"));
        Assert.Equal("95", Cell(cut, "V", "temperature"));
        Assert.Equal("°C", cut.Find("[data-testid='unit-temperature']").TextContent.Trim());
        Assert.Equal("1.01325", Cell(cut, "S1", "pressure"));
        Assert.Equal("100", Cell(cut, "S1", "molarFlow"));
        Assert.Equal("kmol/h", cut.Find("[data-testid='unit-molarFlow']").TextContent.Trim());
    }

    [Fact]
    public void Clicking_Field_shows_psia_and_fahrenheit()
    {
        var cut = RenderFlash();

        cut.Find("[data-testid='units-system-Field']").Click();

        Assert.Equal("psia", cut.Find("[data-testid='unit-pressure']").TextContent.Trim());
        Assert.Equal("14.6959", Cell(cut, "S1", "pressure"));
        Assert.Equal("77", Cell(cut, "S1", "temperature"));
        Assert.Equal("°F", cut.Find("[data-testid='unit-temperature']").TextContent.Trim());
        Assert.Equal("lb/h", cut.Find("[data-testid='unit-massFlow']").TextContent.Trim());
    }

    [Fact]
    public void Mole_fractions_are_fixed_and_unchanged_by_the_unit_system()
    {
        var cut = RenderFlash(UnitSystem.Field);

        Assert.Equal("0.50000", Cell(cut, "S1", "x-Benzene"));
        Assert.Equal("0.62924", Cell(cut, "V", "x-Benzene"));
        Assert.Equal("1.00000", Cell(cut, "V", "vaporFraction"));
    }

    [Fact]
    public void Component_flows_appear_when_toggled_and_convert_with_the_unit_system()
    {
        var cut = RenderFlash(UnitSystem.Metric);
        Assert.Empty(cut.FindAll("[data-testid='cell-S1-f-Benzene']"));

        cut.Find("input[data-testid='toggle-component-flows']").Change(true);

        Assert.Equal("50", Cell(cut, "S1", "f-Benzene"));
    }

    [Fact]
    public void A_parent_binding_hears_the_chosen_unit_system()
    {
        UnitSystem? chosen = null;
        var cut = Render<StreamTable>(p => p.Add(t => t.Result, ResultFixtures.Load("benzene-toluene-flash"))
            .Add(t => t.UnitSystemChanged, s => chosen = s));

        cut.Find("[data-testid='units-system-Metric']").Click();

        Assert.Equal(UnitSystem.Metric, chosen);
    }
}
