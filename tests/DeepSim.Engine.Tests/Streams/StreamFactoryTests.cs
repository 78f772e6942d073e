using DeepSim.Engine.Streams;
using DeepSim.Engine.Tests.UnitOperations;

namespace DeepSim.Engine.Tests.Streams;

/// <summary>What every flash specification of <see cref="StreamFactory"/> checks before it flashes, and its empty stream.</summary>
public class StreamFactoryTests
{
    private const double PressurePa = 101325;
    private const double GuessK = 350;

    public static TheoryData<string> Specifications => ["PT", "PH", "PS", "PVF"];

    private static StreamOutcome Flash(string specification, double pressurePa, double[] flows) => specification switch
    {
        "PT" => StreamFactory.AtTemperaturePressure(UnitTestKit.Btx, GuessK, pressurePa, flows),
        "PH" => StreamFactory.AtPressureEnthalpy(UnitTestKit.Btx, pressurePa, 0, flows, GuessK),
        "PS" => StreamFactory.AtPressureEntropy(UnitTestKit.Btx, pressurePa, 0, flows, GuessK),
        "PVF" => StreamFactory.AtPressureVaporFraction(UnitTestKit.Btx, pressurePa, 0, flows),
        _ => throw new ArgumentOutOfRangeException(nameof(specification)),
    };

    [Theory]
    [MemberData(nameof(Specifications))]
    public void A_non_positive_pressure_is_reported(string specification)
    {
        var outcome = Flash(specification, -1, [1, 1]);

        Assert.False(outcome.Succeeded);
        Assert.Equal("pressure -1 Pa is not a positive number", outcome.Failure);
    }

    [Theory]
    [MemberData(nameof(Specifications))]
    public void A_clearly_negative_flow_is_reported_with_its_component(string specification)
    {
        var outcome = Flash(specification, PressurePa, [1, -0.5]);

        Assert.False(outcome.Succeeded);
        Assert.Equal("component 1 has a negative flow (-0.5 mol/s)", outcome.Failure);
    }

    [Theory]
    [MemberData(nameof(Specifications))]
    public void No_flow_gives_an_empty_stream_at_the_specified_pressure(string specification)
    {
        var outcome = Flash(specification, PressurePa, [0, 0]);

        Assert.True(outcome.Succeeded, outcome.Failure);
        Assert.Equal(0, outcome.Stream!.TotalMolarFlow);
        Assert.Equal(PressurePa, outcome.Stream.PressurePa);
        Assert.Equal(0, outcome.Stream.MolarEnthalpy);
    }

    [Fact]
    public void A_temperature_that_is_not_a_number_is_reported_before_the_flows()
    {
        var outcome = StreamFactory.AtTemperaturePressure(UnitTestKit.Btx, double.NaN, PressurePa, [1, -0.5]);

        Assert.Equal("temperature is not a number", outcome.Failure);
    }

    [Fact]
    public void A_non_finite_enthalpy_is_reported_only_when_something_flows()
    {
        var flowing = StreamFactory.AtPressureEnthalpy(UnitTestKit.Btx, PressurePa, double.NaN, [1, 1], GuessK);
        var empty = StreamFactory.AtPressureEnthalpy(UnitTestKit.Btx, PressurePa, double.NaN, [0, 0], GuessK);

        Assert.Equal("enthalpy is not a finite number", flowing.Failure);
        Assert.True(empty.Succeeded, empty.Failure);
        Assert.Equal(GuessK, empty.Stream!.TemperatureK);
    }

    [Fact]
    public void A_flowing_stream_is_flashed_at_its_specification()
    {
        var outcome = StreamFactory.AtTemperaturePressure(UnitTestKit.Btx, GuessK, PressurePa, [1, 3]);

        Assert.True(outcome.Succeeded, outcome.Failure);
        Assert.Equal(4, outcome.Stream!.TotalMolarFlow, 12);
        Assert.Equal(0.25, outcome.Stream.MoleFractions[0], 12);
        Assert.Equal(GuessK, outcome.Stream.TemperatureK, 9);
    }
}
