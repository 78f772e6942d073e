using System.Text;
using DeepSim.Web.Units;

namespace DeepSim.Web.Components.Results;

/// <summary>
/// The engine names a reported number with its SI unit as a suffix (<c>condenserDutyW</c>, <c>lmtdK</c>, <c>uaWPerK</c>,
/// <c>S1.temperatureK</c>); this reads the dimension and a human label from such a key.
/// </summary>
public static class ResultKeys
{
    // Longest suffixes first: "WPerK" must win over "K", "TemperatureK" over "K", "PressurePa" over "Pa".
    private static readonly (string Suffix, Dimension Dimension)[] Suffixes =
    [
        ("WPerK", Dimension.HeatTransferCoefficientArea),
        ("JPerMolKey", Dimension.MolarEnergy),
        ("JPerMol", Dimension.MolarEnergy),
        ("MolPerS", Dimension.MolarFlow),
        ("KgPerS", Dimension.MassFlow),
        ("MolarFlow", Dimension.MolarFlow),
        ("MassFlow", Dimension.MassFlow),
        ("emperatureK", Dimension.Temperature),
        ("ressurePa", Dimension.Pressure),
        ("Pa", Dimension.PressureDifference),
        ("K", Dimension.TemperatureDifference),
        ("W", Dimension.Power),
        ("aporFraction", Dimension.Fraction),
    ];

    private static readonly string[] UnitSuffixes = ["WPerK", "JPerMolKey", "JPerMol", "MolPerS", "KgPerS", "Pa", "K", "W"];

    /// <summary>The dimension a key's suffix names, or null for a plain number (stages, a ratio, an efficiency).</summary>
    public static Dimension? DimensionOf(string key)
    {
        var name = LastSegment(key);
        foreach (var (suffix, dimension) in Suffixes)
        {
            // A unit suffix follows a lower-case letter or digit (dutyW, lmtdK); a whole word like "K" alone is not one.
            if (name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.Ordinal)
                && (!char.IsUpper(suffix[0]) || char.IsLower(name[^(suffix.Length + 1)]) || char.IsDigit(name[^(suffix.Length + 1)])))
            {
                return dimension;
            }
        }
        return null;
    }

    /// <summary>"condenserDutyW" → "Condenser duty", "reactions[0].extentMolPerS" → "Reactions[0] extent".</summary>
    public static string Label(string key)
    {
        var text = key;
        foreach (var suffix in UnitSuffixes)
        {
            var last = LastSegment(text);
            if (last.Length > suffix.Length && text.EndsWith(suffix, StringComparison.Ordinal) && char.IsLower(last[^(suffix.Length + 1)]))
            {
                text = text[..^suffix.Length];
                break;
            }
        }
        var label = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '.')
            {
                label.Append(' ');
            }
            else if (char.IsUpper(c) && i > 0 && char.IsLower(text[i - 1]))
            {
                label.Append(' ').Append(char.ToLowerInvariant(c));
            }
            else
            {
                label.Append(c);
            }
        }
        if (label.Length > 0)
        {
            label[0] = char.ToUpperInvariant(label[0]);
        }
        if (key.EndsWith("JPerMolKey", StringComparison.Ordinal))
        {
            label.Append(" (per mol of key component)");
        }
        return label.ToString();
    }

    private static string LastSegment(string key)
    {
        var dot = key.LastIndexOf('.');
        return dot >= 0 ? key[(dot + 1)..] : key;
    }
}
