using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations;
using static DeepSim.Engine.Tests.UnitOperations.UnitTestKit;

namespace DeepSim.Engine.Tests.UnitOperations;

public class EquipmentTests
{
    [Fact]
    public void Incompressible_pump_power_is_liquid_volume_times_pressure_rise_over_efficiency()
    {
        var s = Stream(Btx, 300, 101325, 10, 10);
        var r = Balanced(Run(new Pump("P", P(("outletPressure", 1_101_325), ("efficiency", 0.6)), isentropic: false), Btx, ("in", s)), s);
        double v = 0;
        for (var i = 0; i < 2; i++)
        {
            v += s.MoleFractions[i] / Btx.Components[i].LiquidDensity!.Evaluate(300);
        }
        var expected = s.TotalMolarFlow * v * 1e6 / 0.6;
        Assert.Equal(expected, r.PowerW, expected * 1e-6);
        Assert.Equal(1_101_325, r.Outlets["out"].PressurePa);
    }

    [Fact]
    public void Isentropic_pump_and_pressure_increase_mode_need_more_power_than_ideal()
    {
        var s = Stream(Gas, 300, 5e5, 0, 0, 0, 10, 10);
        Assert.Equal(PhaseState.Liquid, s.State);
        var r = Balanced(Run(new Pump("P", P(("pressureIncrease", 1e6)), isentropic: true), Gas, ("in", s)), s);
        Assert.Equal(1.5e6, r.Outlets["out"].PressurePa);
        Assert.Equal(r.Details["idealPowerW"] / Pump.DefaultEfficiency, r.PowerW, r.PowerW * 1e-6);
        Assert.True(r.PowerW > 0);
    }

    [Fact]
    public void Pump_refuses_vapour_and_a_lower_outlet_pressure()
    {
        var vapour = Stream(Btx, 420, 101325, 1, 1);
        Refused(Run(new Pump("P", P(("outletPressure", 5e5)), isentropic: false), Btx, ("in", vapour)), "vapour");
        var liquid = Stream(Btx, 300, 5e5, 1, 1);
        Refused(Run(new Pump("P", P(("outletPressure", 1e5)), isentropic: false), Btx, ("in", liquid)), "below its inlet");
    }

    [Fact]
    public void Compressor_power_is_the_isentropic_power_over_efficiency()
    {
        var s = Stream(Gas, 310, 2e5, 10, 1, 0.5, 0.1, 0.05);
        var r = Balanced(Run(new Turbomachine("K", P(("outletPressure", 8e5), ("isentropicEfficiency", 0.8)), isCompressor: true), Gas, ("in", s)), s);
        Assert.Equal(r.Details["isentropicPowerW"] / 0.8, r.PowerW, r.PowerW * 1e-6);
        // The isentropic end point has the inlet entropy.
        var ideal = Gas.FlashPT(r.Details["isentropicOutletTemperatureK"], 8e5, s.MoleFractions);
        Assert.Equal(s.MolarEntropy, ideal.EntropyJPerMolK, 1e-4);
        Assert.True(r.Outlets["out"].TemperatureK > r.Details["isentropicOutletTemperatureK"]);
    }

    [Fact]
    public void Compressor_by_pressure_ratio_and_its_refusals()
    {
        var s = Stream(Gas, 310, 2e5, 10, 1, 0.5, 0.1, 0.05);
        var r = Balanced(Run(new Turbomachine("K", P(("pressureRatio", 3.0)), isCompressor: true), Gas, ("in", s)), s);
        Assert.Equal(6e5, r.Outlets["out"].PressurePa, 1e-6);
        Refused(Run(new Turbomachine("K", P(("outletPressure", 1e5)), isCompressor: true), Gas, ("in", s)), "does not exceed");
        var wet = Stream(Gas, 300, 20e5, 1, 0.5, 0.5, 1, 1);
        Assert.Equal(PhaseState.TwoPhase, wet.State);
        Refused(Run(new Turbomachine("K", P(("outletPressure", 60e5)), isCompressor: true), Gas, ("in", wet)), "liquid");
    }

    [Fact]
    public void Expander_produces_efficiency_times_the_isentropic_power()
    {
        var s = Stream(Gas, 400, 50e5, 10, 1, 0.5, 0.1, 0.05);
        var r = Balanced(Run(new Turbomachine("X", P(("pressureDrop", 30e5), ("isentropicEfficiency", 0.85)), isCompressor: false), Gas, ("in", s)), s);
        Assert.True(r.PowerW < 0, "an expander produces power");
        Assert.Equal(r.Details["isentropicPowerW"] * 0.85, r.PowerW, Math.Abs(r.PowerW) * 1e-6);
        Refused(Run(new Turbomachine("X", P(("outletPressure", 60e5)), isCompressor: false), Gas, ("in", s)), "below its inlet");
    }

    [Fact]
    public void Flash_drum_at_temperature_and_pressure_splits_into_equilibrium_phases()
    {
        var s = Stream(Btx, 300, 101325, 5, 5);
        var r = Balanced(Run(new FlashDrum("D", P(("temperature", 368.15), ("pressure", 101325))), Btx, ("in", s)), s);
        var v = r.Outlets["vapor"];
        var l = r.Outlets["liquid"];
        Assert.True(v.TotalMolarFlow > 0 && l.TotalMolarFlow > 0);
        Assert.True(v.MoleFractions[0] > l.MoleFractions[0], "benzene is the lighter component");
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(s.ComponentMolarFlows[i], v.ComponentMolarFlows[i] + l.ComponentMolarFlows[i], 1e-12);
        }
    }

    [Fact]
    public void Adiabatic_flash_drum_keeps_the_enthalpy_and_a_single_phase_leaves_by_one_outlet()
    {
        var hot = Stream(Btx, 390, 300_000, 5, 5);
        var r = Balanced(Run(new FlashDrum("D", P(("pressure", 101325), ("duty", 0))), Btx, ("in", hot)), hot);
        Assert.Equal(0, r.DutyW, Math.Abs(hot.EnthalpyFlow) * 1e-6);
        Assert.True(r.Outlets["vapor"].TotalMolarFlow > 0 && r.Outlets["liquid"].TotalMolarFlow > 0);

        var cold = Stream(Btx, 300, 101325, 5, 5);
        var single = Balanced(Run(new FlashDrum("D", P(("duty", 0))), Btx, ("in", cold)), cold);
        Assert.True(single.Outlets["vapor"].IsEmpty);
        Assert.Equal(10, single.Outlets["liquid"].TotalMolarFlow, 12);
    }

    private static (Engine.Streams.MaterialStream Hot, Engine.Streams.MaterialStream Cold) ExchangerInlets() =>
        (Stream(Btx, 450, 1_500_000, 5, 5), Stream(Btx, 300, 1_500_000, 4, 6)); // liquid on both sides

    [Theory]
    [InlineData("hotOutletTemperature", 360)]
    [InlineData("coldOutletTemperature", 360)]
    [InlineData("duty", 200_000)]
    [InlineData("ua", 3000)]
    public void Heat_exchanger_balances_in_every_specification_mode(string mode, double value)
    {
        var (hot, cold) = ExchangerInlets();
        var r = Balanced(Run(new HeatExchanger("E", P((mode, value))), Btx, ("hotIn", hot), ("coldIn", cold)), hot, cold);
        var q = r.Details["exchangedDutyW"];
        Assert.True(q > 0);
        Assert.Equal(q, hot.EnthalpyFlow - r.Outlets["hotOut"].EnthalpyFlow, q * 1e-6);
        Assert.Equal(q, r.Outlets["coldOut"].EnthalpyFlow - cold.EnthalpyFlow, q * 1e-6);
        var hotEnd = hot.TemperatureK - r.Outlets["coldOut"].TemperatureK;
        var coldEnd = r.Outlets["hotOut"].TemperatureK - cold.TemperatureK;
        Assert.Equal((hotEnd - coldEnd) / Math.Log(hotEnd / coldEnd), r.Details["lmtdK"], 1e-9);
        Assert.True(r.Details["minimumApproachK"] <= Math.Min(hotEnd, coldEnd) + 1e-12);
        if (mode == "ua")
        {
            Assert.Equal(value * r.Details["lmtdK"], q, q * 1e-6);
        }
        else if (mode == "hotOutletTemperature")
        {
            Assert.Equal(value, r.Outlets["hotOut"].TemperatureK, 1e-9);
        }
    }

    [Fact]
    public void Heat_exchanger_refuses_a_temperature_cross()
    {
        var (hot, cold) = ExchangerInlets();
        // The cold side cannot leave hotter than the hot side enters.
        Refused(Run(new HeatExchanger("E", P(("coldOutletTemperature", 460))), Btx, ("hotIn", hot), ("coldIn", cold)), "temperature cross");
        // Nor can the hot side be cooled below the cold inlet.
        Refused(Run(new HeatExchanger("E", P(("hotOutletTemperature", 290))), Btx, ("hotIn", hot), ("coldIn", cold)), "temperature cross");
        // A hot inlet colder than the cold inlet is a cross from the start.
        Refused(Run(new HeatExchanger("E", P(("duty", 1000))), Btx, ("hotIn", cold), ("coldIn", hot)), "temperature cross");
    }

    [Fact]
    public void Heat_exchanger_refuses_a_cross_inside_a_condensing_profile()
    {
        // Hot side condenses at ~366 K; the cold side is heated past that: terminal differences look fine, the pinch does not.
        var hot = Stream(Btx, 372, 101325, 5, 5);
        var cold = Stream(Btx, 355, 101325 * 3, 10, 0.001);
        var r = Run(new HeatExchanger("E", P(("duty", 300_000))), Btx, ("hotIn", hot), ("coldIn", cold));
        Refused(r, "temperature cross");
    }

    [Fact]
    public void Heat_exchanger_refuses_an_outlet_temperature_on_the_wrong_side_of_its_inlet()
    {
        var (hot, cold) = ExchangerInlets();
        Refused(Run(new HeatExchanger("E", P(("hotOutletTemperature", 460))), Btx, ("hotIn", hot), ("coldIn", cold)), "below the hot inlet");
    }

    [Fact]
    public void Conversion_reactor_heat_of_reaction_matches_the_published_ammonia_value()
    {
        var s = Stream(Ammonia, 298.15, 1e5, 1, 3, 0);
        var reaction = new Reaction([-1, -3, 2], 0);
        var r = Balanced(Run(new ConversionReactor("R", P((ConversionReactor.ConversionParameter(0), 0.5)), [reaction], adiabatic: false), Ammonia, ("in", s)), s);
        // NIST-JANAF (Chase 1998): ΔfH°(NH3, g, 298.15 K) = −45.90 ± 0.4 kJ/mol, so N2 + 3H2 → 2NH3 releases 91.8 ± 0.8 kJ.
        Assert.Equal(-91_800, r.Details["reactions[0].heatOfReactionJPerMol"], 800.0);
        var o = r.Outlets["out"];
        Assert.Equal(0.5, o.ComponentMolarFlows[0], 12);
        Assert.Equal(1.5, o.ComponentMolarFlows[1], 12);
        Assert.Equal(1.0, o.ComponentMolarFlows[2], 12);
        // Isothermal at the reference temperature and 1 bar: the duty is the heat of reaction times the extent (gas-phase non-ideality < 1 %).
        Assert.Equal(0.5 * r.Details["reactions[0].heatOfReactionJPerMol"], r.DutyW, 0.01 * 0.5 * 91_800);
    }

    [Fact]
    public void Adiabatic_conversion_reactor_heats_up_and_refuses_a_limiting_reactant()
    {
        var s = Stream(Ammonia, 700, 150e5, 1, 3, 0.1);
        var reaction = new Reaction([-1, -3, 2], 0);
        var r = Balanced(Run(new ConversionReactor("R", P((ConversionReactor.ConversionParameter(0), 0.2), ("pressureDrop", 1e5)), [reaction], adiabatic: true), Ammonia, ("in", s)), s);
        Assert.True(r.Outlets["out"].TemperatureK > 700, "exothermic");
        Assert.Equal(0, r.DutyW);
        Assert.Equal(149e5, r.Outlets["out"].PressurePa);

        var lean = Stream(Ammonia, 700, 150e5, 1, 1, 0);
        Refused(Run(new ConversionReactor("R", P((ConversionReactor.ConversionParameter(0), 0.9)), [reaction], adiabatic: false), Ammonia, ("in", lean)), "limiting");
    }

    [Fact]
    public void Log_mean_temperature_difference_handles_equal_ends_and_crosses()
    {
        Assert.Equal(10, HeatExchanger.Lmtd(10, 10), 12);
        Assert.Equal((20 - 10) / Math.Log(2), HeatExchanger.Lmtd(20, 10), 12);
        Assert.True(double.IsNaN(HeatExchanger.Lmtd(-1, 10)));
    }
}
