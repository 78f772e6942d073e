using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations;
using static DeepSim.Engine.Tests.UnitOperations.UnitTestKit;

namespace DeepSim.Engine.Tests.UnitOperations;

public class SimpleUnitTests
{
    [Fact]
    public void Feed_by_temperature_gives_the_flows_and_state_asked_for()
    {
        var feed = new Feed("F", P(("temperature", 300), ("pressure", 101325), ("molarFlow", 10)), [0.3, 0.7]);
        var r = Run(feed, Btx);
        Assert.True(r.Succeeded, r.FailureReason);
        var s = r.Outlets["out"];
        Assert.Equal(3, s.ComponentMolarFlows[0], 12);
        Assert.Equal(7, s.ComponentMolarFlows[1], 12);
        Assert.Equal(300, s.TemperatureK);
        Assert.Equal(PhaseState.Liquid, s.State);
    }

    [Fact]
    public void Feed_by_mass_flow_divides_by_the_mixture_molar_mass()
    {
        var feed = new Feed("F", P(("temperature", 300), ("pressure", 101325), ("massFlow", 1.0)), [0.5, 0.5]);
        var s = Run(feed, Btx).Outlets["out"];
        Assert.Equal(1.0, s.MassFlow, 12);
        var m = 0.5 * Btx.Components[0].MolarMass + 0.5 * Btx.Components[1].MolarMass;
        Assert.Equal(1.0 / m, s.TotalMolarFlow, 9);
    }

    [Fact]
    public void Feed_at_a_vapour_fraction_is_at_its_bubble_point()
    {
        var feed = new Feed("F", P(("vaporFraction", 0), ("pressure", 101325), ("molarFlow", 1)), [0.5, 0.5]);
        var s = Run(feed, Btx).Outlets["out"];
        Assert.InRange(s.TemperatureK, 353, 384); // between the pure boiling points
        Assert.Equal(0, s.VaporFraction, 6);
    }

    [Fact]
    public void Mixer_conserves_mass_and_enthalpy_at_the_lowest_inlet_pressure()
    {
        var a = Stream(Btx, 300, 200_000, 1, 2);
        var b = Stream(Btx, 350, 150_000, 3, 0.5);
        var r = Balanced(Run(new Mixer("M", P()), Btx, ("in1", a), ("in2", b)), a, b);
        var o = r.Outlets["out"];
        Assert.Equal(150_000, o.PressurePa);
        Assert.InRange(o.TemperatureK, 300, 350);
        Assert.Equal(0, r.DutyW);
    }

    [Fact]
    public void Mixer_honours_a_given_outlet_pressure_and_ignores_an_empty_inlet()
    {
        var a = Stream(Btx, 320, 180_000, 1, 1);
        var empty = Stream(Btx, 300, 50_000, 0, 0);
        var r = Balanced(Run(new Mixer("M", P(("outletPressure", 180_000))), Btx, ("in1", a), ("in2", empty)), a, empty);
        Assert.Equal(180_000, r.Outlets["out"].PressurePa);
        Assert.Equal(320, r.Outlets["out"].TemperatureK, 4);
    }

    [Fact]
    public void Splitter_divides_flows_by_fraction_with_a_remainder_port()
    {
        var s = Stream(Btx, 300, 101325, 4, 6);
        var splitter = new Splitter("S", P((Splitter.FractionParameter("a"), 0.25)), "b") { OutletPorts = ["a", "b"] };
        var r = Balanced(Run(splitter, Btx, ("in", s)), s);
        Assert.Equal(2.5, r.Outlets["a"].TotalMolarFlow, 12);
        Assert.Equal(7.5, r.Outlets["b"].TotalMolarFlow, 12);
        Assert.Equal(s.TemperatureK, r.Outlets["b"].TemperatureK);
    }

    [Fact]
    public void Splitter_refuses_fractions_that_leave_a_negative_remainder()
    {
        var s = Stream(Btx, 300, 101325, 4, 6);
        var splitter = new Splitter("S", P((Splitter.FractionParameter("a"), 0.7), (Splitter.FractionParameter("b"), 0.6)), "c") { OutletPorts = ["a", "b", "c"] };
        Refused(Run(splitter, Btx, ("in", s)), "sum to");
    }

    [Fact]
    public void Heater_to_an_outlet_temperature_reports_the_duty()
    {
        var s = Stream(Btx, 300, 101325, 1, 1);
        var r = Balanced(Run(new Heater("H", "heater", P(("outletTemperature", 340), ("pressureDrop", 1000))), Btx, ("in", s)), s);
        Assert.Equal(340, r.Outlets["out"].TemperatureK);
        Assert.Equal(100325, r.Outlets["out"].PressurePa);
        Assert.True(r.DutyW > 0);
    }

    [Fact]
    public void Heater_with_a_duty_raises_the_enthalpy_by_exactly_that_duty()
    {
        var s = Stream(Btx, 300, 101325, 1, 1);
        var r = Balanced(Run(new Heater("H", "heater", P(("duty", 50_000))), Btx, ("in", s)), s);
        Assert.Equal(50_000, r.DutyW, 1e-6 * 50_000);
        Assert.True(r.Outlets["out"].VaporFraction > 0, "50 kW on 2 mol/s of BTX at 300 K must boil some");
    }

    [Fact]
    public void Cooler_to_an_outlet_vapour_fraction_lands_on_it()
    {
        var s = Stream(Btx, 420, 101325, 1, 1);
        var r = Balanced(Run(new Heater("C", "cooler", P(("outletVaporFraction", 0.3))), Btx, ("in", s)), s);
        Assert.Equal(0.3, r.Outlets["out"].VaporFraction, 6);
        Assert.True(r.DutyW < 0);
    }

    [Fact]
    public void Heater_refuses_a_pressure_drop_larger_than_the_inlet_pressure()
    {
        var s = Stream(Btx, 300, 101325, 1, 1);
        Refused(Run(new Heater("H", "heater", P(("outletTemperature", 340), ("pressureDrop", 2e5))), Btx, ("in", s)), "pressure drop");
    }

    [Fact]
    public void Heater_refuses_a_duty_on_an_empty_stream()
    {
        var s = Stream(Btx, 300, 101325, 0, 0);
        Refused(Run(new Heater("H", "heater", P(("duty", 1000))), Btx, ("in", s)), "empty");
    }

    [Fact]
    public void Valve_is_isenthalpic_and_flashes_a_hot_liquid()
    {
        var s = Stream(Btx, 380, 500_000, 1, 1);
        var r = Balanced(Run(new Valve("V", P(("outletPressure", 101325))), Btx, ("in", s)), s);
        var o = r.Outlets["out"];
        Assert.Equal(s.MolarEnthalpy, o.MolarEnthalpy, Math.Abs(s.MolarEnthalpy) * 1e-6);
        Assert.True(o.VaporFraction > 0 && o.TemperatureK < 380);
    }

    [Fact]
    public void Valve_by_pressure_drop_and_refusing_to_raise_pressure()
    {
        var s = Stream(Gas, 300, 5e6, 1, 0.1, 0.05, 0.02, 0.01);
        var r = Balanced(Run(new Valve("V", P(("pressureDrop", 1e6))), Gas, ("in", s)), s);
        Assert.Equal(4e6, r.Outlets["out"].PressurePa);
        Assert.True(r.Outlets["out"].TemperatureK < 300, "Joule-Thomson cooling of a natural gas");
        Refused(Run(new Valve("V", P(("outletPressure", 6e6))), Gas, ("in", s)), "above its inlet");
    }

    [Fact]
    public void Component_separator_sends_each_component_by_its_split()
    {
        var s = Stream(Btx, 300, 101325, 2, 3);
        var r = Balanced(Run(new ComponentSeparator("X", P(), [0.9, 0.1]), Btx, ("in", s)), s);
        Assert.Equal(1.8, r.Outlets["out1"].ComponentMolarFlows[0], 12);
        Assert.Equal(0.3, r.Outlets["out1"].ComponentMolarFlows[1], 12);
        Assert.Equal(2.7, r.Outlets["out2"].ComponentMolarFlows[1], 12);
    }

    [Fact]
    public void Empty_and_scaled_streams_keep_their_intensive_state()
    {
        var s = Stream(Btx, 300, 101325, 2, 3);
        var half = StreamFactory.Scaled(s, 0.5);
        Assert.Equal(s.MolarEnthalpy, half.MolarEnthalpy);
        Assert.Equal(2.5, half.TotalMolarFlow, 12);
        Assert.True(StreamFactory.Scaled(s, 0).IsEmpty);
    }
}
