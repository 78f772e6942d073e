using System.Globalization;
using DeepSim.Web.Units;

namespace DeepSim.Web.Components.Results;

/// <summary>How the results views write numbers: a value the engine did not report is "–".</summary>
public static class ResultFormat
{
    public const string Missing = "–";

    // Six significant digits: enough to tell apart results that differ in the fifth, few enough to read at a glance.
    private const int SignificantDigits = 6;

    // Outside this range fixed notation gets long (1e-4 → 0.0001, 1e9 → 1000000000): switch to an exponent.
    private const double SmallestFixed = 1e-3;
    private const double LargestFixed = 1e9;

    // Fractions are fixed to five decimals; below this they would read 0.00000, so they get an exponent.
    private const double SmallestFixedFraction = 1e-5;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>A number to six significant digits, trailing zeros dropped, no group separators (so tests and copy-paste read it back).</summary>
    public static string Number(double? value)
    {
        if (value is not { } x || !double.IsFinite(x))
        {
            return Missing;
        }
        if (x == 0)
        {
            return "0";
        }
        var magnitude = Math.Abs(x);
        if (magnitude < SmallestFixed || magnitude >= LargestFixed)
        {
            return x.ToString("0.#####E+0", Invariant);
        }
        var decimals = SignificantDigits - 1 - (int)Math.Floor(Math.Log10(magnitude));
        if (decimals < 0)
        {
            // Seven digits and more before the point: round the integer part to six significant digits too.
            var step = Math.Pow(10, -decimals);
            return (Math.Round(x / step, MidpointRounding.AwayFromZero) * step).ToString("0", Invariant);
        }
        decimals = Math.Min(decimals, 15);
        var rounded = Math.Round(x, decimals, MidpointRounding.AwayFromZero);
        return rounded.ToString(decimals == 0 ? "0" : "0." + new string('#', decimals), Invariant);
    }

    /// <summary>A fraction (vapour fraction, mole fraction) fixed to five decimals.</summary>
    public static string Fraction(double? value)
    {
        if (value is not { } x || !double.IsFinite(x))
        {
            return Missing;
        }
        return x != 0 && Math.Abs(x) < SmallestFixedFraction ? x.ToString("0.###E+0", Invariant) : x.ToString("F5", Invariant);
    }

    /// <summary>A relative error or residual, always with an exponent (1.2E-08).</summary>
    public static string Relative(double? value) =>
        value is { } x && double.IsFinite(x) ? x.ToString("0.0E+00", Invariant) : Missing;

    /// <summary>An SI value written in the unit the unit system shows its dimension in; a null dimension is a plain number.</summary>
    public static string Quantity(double? siValue, Dimension? dimension, UnitSystem system)
    {
        if (dimension is not { } d)
        {
            return Number(siValue);
        }
        if (d == Dimension.Fraction)
        {
            return Fraction(siValue);
        }
        return siValue is { } si ? Number(Quantities.In(system, d).FromSi(si)) : Missing;
    }

    /// <summary>The unit label a unit system shows a dimension with ("" for a plain number).</summary>
    public static string UnitLabel(Dimension? dimension, UnitSystem system) =>
        dimension is { } d ? Quantities.In(system, d).Label : "";

    public static string Seconds(double? seconds) => seconds is { } s && double.IsFinite(s) ? Number(s) + " s" : Missing;

    public static string Count(int? value) => value?.ToString(Invariant) ?? Missing;
}
