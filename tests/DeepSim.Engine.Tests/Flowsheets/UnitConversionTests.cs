using DeepSim.Engine.Flowsheets;

namespace DeepSim.Engine.Tests.Flowsheets;

public class UnitConversionTests
{
    [Theory]
    [InlineData(Dimension.Temperature, 25, "C", 298.15)]
    [InlineData(Dimension.Temperature, 32, "F", 273.15)]
    [InlineData(Dimension.Temperature, 212, "degF", 373.15)]
    [InlineData(Dimension.Temperature, 491.67, "R", 273.15)]
    [InlineData(Dimension.Temperature, 300, "K", 300)]
    [InlineData(Dimension.TemperatureDifference, 9, "F", 5)]
    [InlineData(Dimension.Pressure, 1, "atm", 101325)]
    [InlineData(Dimension.Pressure, 2.5, "bar", 250000)]
    [InlineData(Dimension.Pressure, 1, "MPa", 1e6)]
    [InlineData(Dimension.Pressure, 14.6959487755, "psi", 101325)]
    [InlineData(Dimension.Pressure, 0, "psig", 101325)]
    [InlineData(Dimension.Pressure, 1, "barg", 201325)]
    [InlineData(Dimension.Pressure, 760, "mmHg", 101325)]
    [InlineData(Dimension.MolarFlow, 3.6, "kmol/h", 1)]
    [InlineData(Dimension.MolarFlow, 3600, "mol/h", 1)]
    [InlineData(Dimension.MassFlow, 3.6, "t/h", 1)]
    [InlineData(Dimension.MassFlow, 3600, "kg/h", 1)]
    [InlineData(Dimension.Power, 1.5, "kW", 1500)]
    [InlineData(Dimension.Power, 2, "MW", 2e6)]
    [InlineData(Dimension.Power, 3.6, "MJ/h", 1000)]
    [InlineData(Dimension.HeatTransferCoefficientArea, 2, "kW/K", 2000)]
    [InlineData(Dimension.MolarMass, 18.015, "g/mol", 0.018015)]
    [InlineData(Dimension.MolarEnergy, -45.9, "kJ/mol", -45900)]
    [InlineData(Dimension.Dimensionless, 75, "%", 0.75)]
    public void Quantities_convert_to_SI(Dimension dimension, double value, string unit, double expected)
    {
        Assert.True(Units.TryToSi(dimension, value, unit, out var si));
        Assert.Equal(expected, si, Math.Max(Math.Abs(expected), 1) * 1e-9);
        Assert.Equal(value, Units.FromSi(dimension, si, unit), Math.Max(Math.Abs(value), 1) * 1e-9);
    }

    [Theory]
    [InlineData(Dimension.Temperature, "celsius")]
    [InlineData(Dimension.PressureDifference, "psig")]
    [InlineData(Dimension.MolarFlow, "kg/h")]
    [InlineData(Dimension.Power, "K")]
    public void Unknown_or_wrong_dimension_units_are_refused(Dimension dimension, string unit)
    {
        Assert.False(Units.TryToSi(dimension, 1, unit, out _));
    }

    [Fact]
    public void Unit_names_are_case_and_space_insensitive()
    {
        Assert.True(Units.TryToSi(Dimension.MolarFlow, 1, " KMOL/H ", out var a));
        Assert.Equal(1000.0 / 3600, a, 15);
    }
}
