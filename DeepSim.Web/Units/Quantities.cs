namespace DeepSim.Web.Units;

/// <summary>The kinds of quantity a flowsheet or a result holds (docs/flowsheet-format.md, "Quantities and units").</summary>
public enum Dimension
{
    Temperature,
    TemperatureDifference,
    Pressure,
    PressureDifference,
    MolarFlow,
    MassFlow,
    Power,
    HeatTransferCoefficientArea,
    MolarEnergy,
    Fraction,
}

/// <summary>The unit sets offered by the results views.</summary>
public enum UnitSystem
{
    /// <summary>K, Pa, mol/s, kg/s, W: what the engine works in.</summary>
    SI,
    /// <summary>°C, bar, kmol/h, kg/h, kW: what most process engineers outside the US read.</summary>
    Metric,
    /// <summary>°F, psia, lbmol/h, lb/h, Btu/h: US field units.</summary>
    Field,
}

/// <summary>One unit: SI value = value × <see cref="Scale"/> + <see cref="Offset"/>. The symbol is one the engine accepts.</summary>
public sealed record Unit(string Symbol, string Label, double Scale, double Offset = 0)
{
    public double ToSi(double value) => value * Scale + Offset;

    public double FromSi(double si) => (si - Offset) / Scale;
}

/// <summary>Every unit the web app offers, by dimension, with the same symbols as the engine's flowsheet reader.</summary>
public static class Quantities
{
    private const double StandardAtmosphere = 101_325;
    private const double PoundMass = 0.45359237;
    private const double BtuPerHour = 1055.05585262 / 3600;

    private static readonly Dictionary<Dimension, Unit[]> UnitsByDimension = new()
    {
        [Dimension.Temperature] =
        [
            new("K", "K", 1), new("C", "°C", 1, 273.15), new("F", "°F", 5.0 / 9, 273.15 - 32 * 5.0 / 9), new("R", "°R", 5.0 / 9),
        ],
        [Dimension.TemperatureDifference] = [new("K", "K", 1), new("C", "°C", 1), new("F", "°F", 5.0 / 9), new("R", "°R", 5.0 / 9)],
        [Dimension.Pressure] =
        [
            new("Pa", "Pa", 1), new("kPa", "kPa", 1e3), new("MPa", "MPa", 1e6), new("bar", "bar", 1e5), new("mbar", "mbar", 100),
            new("atm", "atm", StandardAtmosphere), new("psia", "psia", 6894.757293168361), new("mmHg", "mmHg", 133.322387415),
            new("barg", "barg", 1e5, StandardAtmosphere), new("kPag", "kPag", 1e3, StandardAtmosphere),
            new("psig", "psig", 6894.757293168361, StandardAtmosphere),
        ],
        [Dimension.PressureDifference] =
        [
            new("Pa", "Pa", 1), new("kPa", "kPa", 1e3), new("MPa", "MPa", 1e6), new("bar", "bar", 1e5), new("mbar", "mbar", 100),
            new("atm", "atm", StandardAtmosphere), new("psi", "psi", 6894.757293168361),
        ],
        [Dimension.MolarFlow] =
        [
            new("mol/s", "mol/s", 1), new("kmol/h", "kmol/h", 1000.0 / 3600), new("kmol/s", "kmol/s", 1000), new("mol/h", "mol/h", 1.0 / 3600),
            new("lbmol/h", "lbmol/h", 1000 * PoundMass / 3600),
        ],
        [Dimension.MassFlow] =
        [
            new("kg/s", "kg/s", 1), new("kg/h", "kg/h", 1.0 / 3600), new("t/h", "t/h", 1000.0 / 3600), new("lb/h", "lb/h", PoundMass / 3600),
        ],
        [Dimension.Power] =
        [
            new("W", "W", 1), new("kW", "kW", 1e3), new("MW", "MW", 1e6), new("MJ/h", "MJ/h", 1e6 / 3600), new("GJ/h", "GJ/h", 1e9 / 3600),
            new("Btu/h", "Btu/h", BtuPerHour), new("hp", "hp", 745.69987158227022),
        ],
        [Dimension.HeatTransferCoefficientArea] = [new("W/K", "W/K", 1), new("kW/K", "kW/K", 1e3), new("Btu/h/F", "Btu/(h·°F)", BtuPerHour * 1.8)],
        [Dimension.MolarEnergy] = [new("J/mol", "J/mol", 1), new("kJ/mol", "kJ/mol", 1e3), new("kJ/kmol", "kJ/kmol", 1)],
        [Dimension.Fraction] = [new("-", "–", 1), new("%", "%", 0.01)],
    };

    private static readonly Dictionary<(UnitSystem, Dimension), string> Preferred = new()
    {
        [(UnitSystem.Metric, Dimension.Temperature)] = "C",
        [(UnitSystem.Metric, Dimension.TemperatureDifference)] = "C",
        [(UnitSystem.Metric, Dimension.Pressure)] = "bar",
        [(UnitSystem.Metric, Dimension.PressureDifference)] = "bar",
        [(UnitSystem.Metric, Dimension.MolarFlow)] = "kmol/h",
        [(UnitSystem.Metric, Dimension.MassFlow)] = "kg/h",
        [(UnitSystem.Metric, Dimension.Power)] = "kW",
        [(UnitSystem.Metric, Dimension.HeatTransferCoefficientArea)] = "kW/K",
        [(UnitSystem.Metric, Dimension.MolarEnergy)] = "kJ/mol",
        [(UnitSystem.Field, Dimension.Temperature)] = "F",
        [(UnitSystem.Field, Dimension.TemperatureDifference)] = "F",
        [(UnitSystem.Field, Dimension.Pressure)] = "psia",
        [(UnitSystem.Field, Dimension.PressureDifference)] = "psi",
        [(UnitSystem.Field, Dimension.MolarFlow)] = "lbmol/h",
        [(UnitSystem.Field, Dimension.MassFlow)] = "lb/h",
        [(UnitSystem.Field, Dimension.Power)] = "Btu/h",
        [(UnitSystem.Field, Dimension.HeatTransferCoefficientArea)] = "Btu/h/F",
    };

    public static IReadOnlyList<Unit> For(Dimension dimension) => UnitsByDimension[dimension];

    /// <summary>The SI unit of a dimension (the engine's plain numbers).</summary>
    public static Unit Si(Dimension dimension) => UnitsByDimension[dimension][0];

    /// <summary>A unit by the engine's symbol, case-insensitive (as the engine reads them), or null.</summary>
    public static Unit? Find(Dimension dimension, string symbol) =>
        Array.Find(UnitsByDimension[dimension], u => string.Equals(u.Symbol, symbol, StringComparison.OrdinalIgnoreCase));

    /// <summary>The unit a unit system shows a dimension in.</summary>
    public static Unit In(UnitSystem system, Dimension dimension) =>
        Preferred.TryGetValue((system, dimension), out var symbol) ? Find(dimension, symbol)! : Si(dimension);
}
