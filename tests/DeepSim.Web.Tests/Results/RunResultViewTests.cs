using DeepSim.Web.Components.Results;
using DeepSim.Web.Units;

namespace DeepSim.Web.Tests.Results;

public class RunResultViewTests
{
    [Fact]
    public void Flash_result_reads_the_streams_state_and_composition()
    {
        var result = ResultFixtures.Load("benzene-toluene-flash");

        Assert.True(result.Converged);
        Assert.Null(result.FailureReason);
        Assert.Null(result.ParseError);
        Assert.Equal(["Benzene", "Toluene"], result.Components);
        Assert.Equal(["S1", "V", "L"], result.Streams.Select(s => s.Id));
        var vapour = result.Stream("V")!;
        Assert.Equal("DRUM.vapor", vapour.From);
        Assert.Equal("VAPOR.in", vapour.To);
        Assert.Equal(368.15, vapour.TemperatureK!.Value, 9);
        Assert.Equal(101325, vapour.PressurePa!.Value, 9);
        Assert.Equal(1, vapour.VaporFraction);
        Assert.Equal("vapor", vapour.Phase);
        Assert.Equal(11.623758090608645, vapour.MolarFlowMolPerS!.Value, 9);
        Assert.Equal(0.9684029901507745, vapour.MassFlowKgPerS!.Value, 9);
        Assert.Equal(0.6292368022520061, vapour.MoleFraction("Benzene")!.Value, 12);
        Assert.Equal(4.309661719523177, vapour.ComponentMolarFlow("Toluene")!.Value, 12);
        Assert.Empty(result.RecycleBlocks);
    }

    [Fact]
    public void Flash_unit_reports_its_duty_in_watts_and_its_details_with_their_dimensions()
    {
        var drum = ResultFixtures.Load("benzene-toluene-flash").Units.Single(u => u.Id == "DRUM");

        Assert.Equal("flash", drum.Type);
        var duty = drum.Values.Single(v => v.Key == "dutyW");
        Assert.Equal(679572.6374131176, duty.SiValue!.Value, 6);
        Assert.Equal(Dimension.Power, duty.Dimension);
        Assert.Equal(Dimension.Temperature, drum.Values.Single(v => v.Key == "temperatureK").Dimension);
        Assert.Equal(Dimension.Fraction, drum.Values.Single(v => v.Key == "vaporFraction").Dimension);
    }

    [Fact]
    public void Compressor_power_and_column_numbers_are_read_with_their_dimensions()
    {
        var k1 = ResultFixtures.Load("two-stage-compression").Units.Single(u => u.Id == "K1");
        Assert.Equal(1419560.0541168377, k1.Values.Single(v => v.Key == "powerW").SiValue!.Value, 6);
        Assert.Null(k1.Values.Single(v => v.Key == "pressureRatio").Dimension);

        var column = ResultFixtures.Load("benzene-toluene-shortcut-column").Units.Single(u => u.Id == "COLUMN");
        var condenser = column.Values.Single(v => v.Key == "condenserDutyW");
        Assert.Equal(Dimension.Power, condenser.Dimension);
        Assert.Equal("Condenser duty", condenser.Label);
        Assert.Equal(21.49102895089181, column.Values.Single(v => v.Key == "stages").SiValue!.Value, 9);
        Assert.Null(column.Values.Single(v => v.Key == "refluxRatio").Dimension);
        Assert.Equal(Dimension.MolarFlow, column.Values.Single(v => v.Key == "distillateMolarFlow").Dimension);

        var exchanger = ResultFixtures.Load("feed-effluent-exchanger").Units.Single(u => u.Id == "FEHE");
        Assert.Equal(Dimension.TemperatureDifference, exchanger.Values.Single(v => v.Key == "lmtdK").Dimension);
        Assert.Equal(Dimension.HeatTransferCoefficientArea, exchanger.Values.Single(v => v.Key == "uaWPerK").Dimension);
        var pump = ResultFixtures.Load("feed-effluent-exchanger").Units.Single(u => u.Id == "P1");
        Assert.Equal(Dimension.PressureDifference, pump.Values.Single(v => v.Key == "pressureIncreasePa").Dimension);
    }

    [Fact]
    public void Recycle_history_has_one_residual_per_iteration_with_its_method()
    {
        var result = ResultFixtures.Load("ammonia-synthesis-loop");

        var block = Assert.Single(result.RecycleBlocks);
        Assert.Equal(["RECYCLE2"], block.TearStreams);
        Assert.True(block.Converged);
        Assert.Equal(14, block.History.Count);
        Assert.Equal(Enumerable.Range(1, 14), block.History.Select(h => h.Iteration!.Value));
        Assert.Equal("direct", block.History[0].Method);
        Assert.Equal("wegstein", block.History[2].Method);
        Assert.Equal(0.7235625808906737, block.History[0].Residual!.Value, 12);
        Assert.Equal(6.190101153337161e-10, block.History[^1].Residual);
        Assert.Equal(14, result.Iterations);
    }

    [Fact]
    public void Not_converged_result_keeps_its_reason_and_an_uncomputed_balance_is_null()
    {
        var result = ResultFixtures.Load("ammonia-synthesis-loop-not-converged");

        Assert.False(result.Converged);
        Assert.StartsWith("the recycle torn at RECYCLE2 did not converge in 2 iterations", result.FailureReason, StringComparison.Ordinal);
        Assert.Null(result.Balance.EnergyRelative);
        Assert.Null(result.Balance.WorstComponent);
        Assert.False(Assert.Single(result.RecycleBlocks).Converged);
    }

    [Fact]
    public void Balance_names_the_worst_component()
    {
        var balance = ResultFixtures.Load("benzene-toluene-flash").Balance;

        Assert.Equal("Toluene", balance.WorstComponent!.Component);
        Assert.Equal(1.2789769243681802E-16, balance.WorstComponent.Relative);
        Assert.Equal(0, balance.EnergyRelative);
        Assert.Equal(1e-5, balance.ComponentTolerance);
    }

    [Fact]
    public void The_Api_envelope_is_unwrapped()
    {
        var envelope = $$"""{"runId":"0b9f8a43-9d3c-4c55-9c3e-8f1f3a2f1a11","cached":false,"converged":true,"failureReason":null,"result":{{ResultFixtures.Json("benzene-toluene-flash")}}}""";

        var result = RunResultView.Parse(envelope);

        Assert.Equal(3, result.Streams.Count);
        Assert.True(result.Converged);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"streams":[{"id":"S1"},{"temperatureK":"hot"},5],"units":[{"id":"U"}],"convergence":{"blocks":[{"history":[{}]}]},"balance":7}""")]
    [InlineData("[]")]
    [InlineData("not json")]
    [InlineData("")]
    public void Missing_or_odd_fields_read_as_missing_and_never_throw(string json)
    {
        var result = RunResultView.Parse(json);

        Assert.Null(result.Converged);
        Assert.All(result.Streams, s => Assert.Null(s.TemperatureK));
        Assert.All(result.Units, u => Assert.Empty(u.Values));
        Assert.All(result.RecycleBlocks, b => Assert.All(b.History, h => Assert.Null(h.Residual)));
    }

    [Fact]
    public void A_stream_without_fields_shows_dashes()
    {
        var result = RunResultView.Parse("""{"streams":[{"id":"S1"}]}""");

        var stream = Assert.Single(result.Streams);
        Assert.Equal("–", StreamRows.Temperature.Format(stream, UnitSystem.Metric));
        Assert.Equal("–", StreamRows.Phase.Format(stream, UnitSystem.SI));
        Assert.Equal("–", StreamRows.MoleFraction("Water").Format(stream, UnitSystem.SI));
    }

    [Theory]
    [InlineData(298.15, "298.15")]
    [InlineData(25.000000000000057, "25")]
    [InlineData(101325, "101325")]
    [InlineData(1419560.0541168377, "1419560")]
    [InlineData(0.0318202, "0.0318202")]
    [InlineData(2.3645870833333333, "2.36459")]
    [InlineData(-22399784.529299915, "-22399800")]
    [InlineData(6.19e-10, "6.19E-10")]
    [InlineData(0, "0")]
    [InlineData(double.NaN, "–")]
    public void Numbers_show_six_significant_digits(double value, string expected) =>
        Assert.Equal(expected, ResultFormat.Number(value));

    [Theory]
    [InlineData(0.5, "0.50000")]
    [InlineData(0.6292368022520061, "0.62924")]
    [InlineData(0, "0.00000")]
    [InlineData(1.2e-7, "1.2E-7")]
    public void Fractions_are_fixed_to_five_decimals(double value, string expected) =>
        Assert.Equal(expected, ResultFormat.Fraction(value));
}
