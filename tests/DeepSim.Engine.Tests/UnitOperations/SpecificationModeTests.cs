using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.UnitOperations;
using static DeepSim.Engine.Tests.UnitOperations.UnitTestKit;

namespace DeepSim.Engine.Tests.UnitOperations;

/// <summary>The specification modes and infeasible specifications not covered elsewhere.</summary>
public class SpecificationModeTests
{
    [Fact]
    public void Compressor_by_pressure_increase_and_expander_by_pressure_ratio()
    {
        var s = Stream(Gas, 310, 2e5, 10, 1, 0.5, 0.1, 0.05);
        var k = Balanced(Run(new Turbomachine("K", P(("pressureIncrease", 3e5)), isCompressor: true), Gas, ("in", s)), s);
        Assert.Equal(5e5, k.Outlets["out"].PressurePa, 1e-6);
        Assert.Equal(Turbomachine.DefaultEfficiency, k.Details["isentropicEfficiency"]);
        var hot = Stream(Gas, 450, 40e5, 10, 1, 0.5, 0.1, 0.05);
        var x = Balanced(Run(new Turbomachine("X", P(("pressureRatio", 0.25)), isCompressor: false), Gas, ("in", hot)), hot);
        Assert.Equal(10e5, x.Outlets["out"].PressurePa, 1e-6);
        Assert.True(x.PowerW < 0);
    }

    [Fact]
    public void Isothermal_reactor_at_a_given_outlet_temperature_reports_the_duty_to_hold_it()
    {
        var s = Stream(Ammonia, 700, 150e5, 1, 3, 0.1);
        var reaction = new Reaction([-1, -3, 2], 0);
        var r = Balanced(Run(new ConversionReactor("R", P((ConversionReactor.ConversionParameter(0), 0.2), ("outletTemperature", 750)), [reaction], adiabatic: false), Ammonia, ("in", s)), s);
        Assert.Equal(750, r.Outlets["out"].TemperatureK);
        Assert.Equal(r.Outlets["out"].EnthalpyFlow - s.EnthalpyFlow, r.DutyW, 1e-9 * Math.Abs(s.EnthalpyFlow));
    }

    [Fact]
    public void Splitter_with_every_fraction_given_sums_to_the_inlet()
    {
        var s = Stream(Btx, 300, 101325, 4, 6);
        var splitter = new Splitter("S", P((Splitter.FractionParameter("a"), 0.2), (Splitter.FractionParameter("b"), 0.3), (Splitter.FractionParameter("c"), 0.5)), null) { OutletPorts = ["a", "b", "c"] };
        var r = Balanced(Run(splitter, Btx, ("in", s)), s);
        Assert.Equal(5, r.Outlets["c"].TotalMolarFlow, 12);
        var bad = new Splitter("S", P((Splitter.FractionParameter("a"), 0.2), (Splitter.FractionParameter("b"), 0.3)), null) { OutletPorts = ["a", "b"] };
        Refused(Run(bad, Btx, ("in", s)), "not 1");
    }

    [Fact]
    public void An_outlet_vapour_fraction_above_the_critical_pressure_is_an_infeasible_specification()
    {
        // Pure methane at 100 bar is above its critical pressure (46 bar): no vapour fraction can be specified.
        var s = Stream(Gas, 300, 100e5, 1, 0, 0, 0, 0);
        var r = Run(new Heater("H", "heater", P(("outletVaporFraction", 0.5))), Gas, ("in", s));
        Assert.False(r.Succeeded);
        Assert.False(string.IsNullOrWhiteSpace(r.FailureReason));
    }

    [Fact]
    public void Feed_by_component_molar_flows_reads_its_composition_from_them()
    {
        var json = """
        { "components": ["benzene", "toluene"], "propertyPackage": "ideal",
          "units": [ { "id": "F", "type": "feed", "spec": { "temperature": 300, "pressure": 101325,
                         "componentMolarFlows": { "benzene": { "value": 36, "unit": "kmol/h" }, "toluene": 30 } } },
                     { "id": "P", "type": "product" } ],
          "streams": [ { "id": "S", "from": "F.out", "to": "P.in" } ] }
        """;
        var read = FlowsheetReader.Read(json, DefaultThermoCatalog.Instance);
        Assert.True(read.IsValid, string.Join("\n", read.Errors));
        var feed = read.Flowsheet!.Units[0];
        Assert.Equal(40, feed.Parameters["molarFlow"], 12);
        var r = Run(feed, read.Flowsheet.Package);
        Assert.Equal(10, r.Outlets["out"].ComponentMolarFlows[0], 12);
        Assert.Equal(30, r.Outlets["out"].ComponentMolarFlows[1], 12);
    }
}
