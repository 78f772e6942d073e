using System.Globalization;

namespace DeepSim.Engine.Flowsheets;

/// <summary>The physical dimension of a quantity in a flowsheet file; each has one SI unit used inside the engine.</summary>
public enum Dimension
{
    /// <summary>Absolute temperature, K.</summary>
    Temperature,
    /// <summary>Temperature difference, K.</summary>
    TemperatureDifference,
    /// <summary>Absolute pressure, Pa.</summary>
    Pressure,
    /// <summary>Pressure difference, Pa (gauge units are refused: a difference has no gauge).</summary>
    PressureDifference,
    /// <summary>mol/s.</summary>
    MolarFlow,
    /// <summary>kg/s.</summary>
    MassFlow,
    /// <summary>Heat duty or shaft power, W.</summary>
    Power,
    /// <summary>Heat-transfer coefficient times area, W/K.</summary>
    HeatTransferCoefficientArea,
    /// <summary>J/mol.</summary>
    MolarEnergy,
    /// <summary>kg/mol.</summary>
    MolarMass,
    /// <summary>m³/mol.</summary>
    MolarVolume,
    /// <summary>A pure number (fractions, efficiencies, ratios).</summary>
    Dimensionless,
    /// <summary>m³ (a reactor's volume).</summary>
    Volume,
}

/// <summary>Converts quantities given with a unit name to SI at the file boundary.</summary>
public static class Units
{
    /// <summary>Standard atmosphere, Pa: the zero of gauge pressures (psig, barg, kPag).</summary>
    public const double StandardAtmospherePa = 101325.0;

    private const double PoundMassKg = 0.45359237;
    private const double PsiPa = 6894.757293168361;
    private const double BtuJoule = 1055.05585262;

    private readonly record struct Scale(double Factor, double Offset);

    // Value in SI = value * Factor + Offset. Keys are lower-case.
    private static readonly Dictionary<Dimension, Dictionary<string, Scale>> Table = new()
    {
        [Dimension.Temperature] = new()
        {
            ["k"] = new(1, 0),
            ["c"] = new(1, 273.15),
            ["degc"] = new(1, 273.15),
            ["°c"] = new(1, 273.15),
            ["f"] = new(5.0 / 9.0, 273.15 - 32.0 * 5.0 / 9.0),
            ["degf"] = new(5.0 / 9.0, 273.15 - 32.0 * 5.0 / 9.0),
            ["°f"] = new(5.0 / 9.0, 273.15 - 32.0 * 5.0 / 9.0),
            ["r"] = new(5.0 / 9.0, 0),
        },
        [Dimension.TemperatureDifference] = new()
        {
            ["k"] = new(1, 0),
            ["c"] = new(1, 0),
            ["degc"] = new(1, 0),
            ["f"] = new(5.0 / 9.0, 0),
            ["degf"] = new(5.0 / 9.0, 0),
            ["r"] = new(5.0 / 9.0, 0),
        },
        [Dimension.Pressure] = new()
        {
            ["pa"] = new(1, 0),
            ["kpa"] = new(1e3, 0),
            ["mpa"] = new(1e6, 0),
            ["bar"] = new(1e5, 0),
            ["bara"] = new(1e5, 0),
            ["mbar"] = new(100, 0),
            ["atm"] = new(StandardAtmospherePa, 0),
            ["psi"] = new(PsiPa, 0),
            ["psia"] = new(PsiPa, 0),
            ["mmhg"] = new(StandardAtmospherePa / 760.0, 0),
            ["torr"] = new(StandardAtmospherePa / 760.0, 0),
            ["barg"] = new(1e5, StandardAtmospherePa),
            ["kpag"] = new(1e3, StandardAtmospherePa),
            ["psig"] = new(PsiPa, StandardAtmospherePa),
        },
        [Dimension.PressureDifference] = new()
        {
            ["pa"] = new(1, 0),
            ["kpa"] = new(1e3, 0),
            ["mpa"] = new(1e6, 0),
            ["bar"] = new(1e5, 0),
            ["mbar"] = new(100, 0),
            ["atm"] = new(StandardAtmospherePa, 0),
            ["psi"] = new(PsiPa, 0),
            ["mmhg"] = new(StandardAtmospherePa / 760.0, 0),
            ["torr"] = new(StandardAtmospherePa / 760.0, 0),
        },
        [Dimension.MolarFlow] = new()
        {
            ["mol/s"] = new(1, 0),
            ["kmol/s"] = new(1e3, 0),
            ["mol/min"] = new(1.0 / 60.0, 0),
            ["kmol/min"] = new(1e3 / 60.0, 0),
            ["mol/h"] = new(1.0 / 3600.0, 0),
            ["kmol/h"] = new(1e3 / 3600.0, 0),
            ["lbmol/h"] = new(PoundMassKg * 1e3 / 3600.0, 0),
        },
        [Dimension.MassFlow] = new()
        {
            ["kg/s"] = new(1, 0),
            ["g/s"] = new(1e-3, 0),
            ["kg/min"] = new(1.0 / 60.0, 0),
            ["kg/h"] = new(1.0 / 3600.0, 0),
            ["t/h"] = new(1e3 / 3600.0, 0),
            ["lb/h"] = new(PoundMassKg / 3600.0, 0),
        },
        [Dimension.Power] = new()
        {
            ["w"] = new(1, 0),
            ["kw"] = new(1e3, 0),
            ["mw"] = new(1e6, 0),
            ["j/s"] = new(1, 0),
            ["kj/s"] = new(1e3, 0),
            ["kj/h"] = new(1e3 / 3600.0, 0),
            ["mj/h"] = new(1e6 / 3600.0, 0),
            ["gj/h"] = new(1e9 / 3600.0, 0),
            ["btu/h"] = new(BtuJoule / 3600.0, 0),
            ["hp"] = new(745.69987158227022, 0),
        },
        [Dimension.HeatTransferCoefficientArea] = new()
        {
            ["w/k"] = new(1, 0),
            ["kw/k"] = new(1e3, 0),
            ["w/c"] = new(1, 0),
            ["kw/c"] = new(1e3, 0),
            ["kj/h/k"] = new(1e3 / 3600.0, 0),
            ["btu/h/f"] = new(BtuJoule / 3600.0 * 9.0 / 5.0, 0),
        },
        [Dimension.MolarEnergy] = new()
        {
            ["j/mol"] = new(1, 0),
            ["kj/mol"] = new(1e3, 0),
            ["j/kmol"] = new(1e-3, 0),
            ["kj/kmol"] = new(1, 0),
        },
        [Dimension.MolarMass] = new()
        {
            ["kg/mol"] = new(1, 0),
            ["g/mol"] = new(1e-3, 0),
            ["kg/kmol"] = new(1e-3, 0),
        },
        [Dimension.MolarVolume] = new()
        {
            ["m3/mol"] = new(1, 0),
            ["m3/kmol"] = new(1e-3, 0),
            ["cm3/mol"] = new(1e-6, 0),
            ["l/mol"] = new(1e-3, 0),
        },
        [Dimension.Volume] = new()
        {
            ["m3"] = new(1, 0),
            ["l"] = new(1e-3, 0),
            ["cm3"] = new(1e-6, 0),
            ["ft3"] = new(0.028316846592, 0),
        },
        [Dimension.Dimensionless] = new()
        {
            ["-"] = new(1, 0),
            ["%"] = new(0.01, 0),
        },
    };

    /// <summary>The SI unit name the engine uses for a dimension.</summary>
    public static string SiUnit(Dimension dimension) => dimension switch
    {
        Dimension.Temperature or Dimension.TemperatureDifference => "K",
        Dimension.Pressure or Dimension.PressureDifference => "Pa",
        Dimension.MolarFlow => "mol/s",
        Dimension.MassFlow => "kg/s",
        Dimension.Power => "W",
        Dimension.HeatTransferCoefficientArea => "W/K",
        Dimension.MolarEnergy => "J/mol",
        Dimension.MolarMass => "kg/mol",
        Dimension.MolarVolume => "m3/mol",
        Dimension.Volume => "m3",
        _ => "-",
    };

    /// <summary>The unit names accepted for a dimension, for error messages and the docs.</summary>
    public static IReadOnlyCollection<string> Accepted(Dimension dimension) => Table[dimension].Keys;

    /// <summary>Converts <paramref name="value"/> in <paramref name="unit"/> to SI; false when the unit is not known for the dimension.</summary>
    public static bool TryToSi(Dimension dimension, double value, string unit, out double si)
    {
        var key = unit.Trim().ToLowerInvariant().Replace(" ", "", StringComparison.Ordinal).Replace("·", "", StringComparison.Ordinal);
        key = key.Replace("m³", "m3", StringComparison.Ordinal).Replace("cm³", "cm3", StringComparison.Ordinal);
        if (Table[dimension].TryGetValue(key, out var scale))
        {
            si = value * scale.Factor + scale.Offset;
            return true;
        }
        si = double.NaN;
        return false;
    }

    /// <summary>Converts an SI value back to the given unit (used by tests and output formatting).</summary>
    public static double FromSi(Dimension dimension, double si, string unit)
    {
        if (!TryToSi(dimension, 0, unit, out var offset) || !TryToSi(dimension, 1, unit, out var one))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Unknown {dimension} unit '{unit}'."), nameof(unit));
        }
        return (si - offset) / (one - offset);
    }
}
