using DeepSim.Web.Units;

namespace DeepSim.Web.Tests;

public class QuantitiesTests
{
    [Theory]
    [InlineData(Dimension.Temperature, "C", 25, 298.15)]
    [InlineData(Dimension.Temperature, "F", 212, 373.15)]
    [InlineData(Dimension.Temperature, "R", 491.67, 273.15)]
    [InlineData(Dimension.Pressure, "bar", 1, 100_000)]
    [InlineData(Dimension.Pressure, "barg", 0, 101_325)]
    [InlineData(Dimension.Pressure, "psia", 14.695948775513449, 101_325)]
    [InlineData(Dimension.MolarFlow, "kmol/h", 3.6, 1)]
    [InlineData(Dimension.MolarFlow, "lbmol/h", 1, 0.1259978805555556)]
    [InlineData(Dimension.MassFlow, "lb/h", 3600, 0.45359237)]
    [InlineData(Dimension.Power, "Btu/h", 3600, 1055.05585262)]
    [InlineData(Dimension.Fraction, "%", 30, 0.3)]
    public void Converts_to_SI_and_back(Dimension dimension, string symbol, double value, double si)
    {
        var unit = Quantities.Find(dimension, symbol)!;
        Assert.Equal(si, unit.ToSi(value), 9);
        Assert.Equal(value, unit.FromSi(si), 9);
    }

    [Fact]
    public void Unit_symbols_are_found_case_insensitively_as_the_engine_reads_them()
    {
        Assert.Equal("kPa", Quantities.Find(Dimension.Pressure, "KPA")!.Symbol);
        Assert.Null(Quantities.Find(Dimension.PressureDifference, "barg"));
    }

    [Theory]
    [InlineData(UnitSystem.SI, Dimension.Temperature, "K")]
    [InlineData(UnitSystem.Metric, Dimension.Temperature, "C")]
    [InlineData(UnitSystem.Field, Dimension.Pressure, "psia")]
    [InlineData(UnitSystem.Field, Dimension.Fraction, "-")]
    public void Each_unit_system_names_its_unit(UnitSystem system, Dimension dimension, string symbol) =>
        Assert.Equal(symbol, Quantities.In(system, dimension).Symbol);
}
