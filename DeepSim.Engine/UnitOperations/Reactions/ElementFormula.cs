using System.Globalization;

namespace DeepSim.Engine.UnitOperations.Reactions;

/// <summary>
/// Element counts from a molecular formula as ChemSep stores it (Hill order, e.g. "H3N", "C2H6O", "Ar"):
/// element symbols (capital letter, optional lower-case letter) each followed by an optional integer count.
/// Parentheses, charges and hydrates are not part of that notation and are refused.
/// </summary>
public static class ElementFormula
{
    /// <summary>The element counts, or null when the formula is empty or not of that form.</summary>
    public static Dictionary<string, int>? TryParse(string formula)
    {
        if (string.IsNullOrWhiteSpace(formula))
        {
            return null;
        }
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var s = formula.Trim();
        var k = 0;
        while (k < s.Length)
        {
            if (!char.IsAsciiLetterUpper(s[k]))
            {
                return null;
            }
            var start = k++;
            if (k < s.Length && char.IsAsciiLetterLower(s[k]))
            {
                k++;
            }
            var symbol = s[start..k];
            var digits = k;
            while (k < s.Length && char.IsAsciiDigit(s[k]))
            {
                k++;
            }
            var count = k > digits ? int.Parse(s[digits..k], CultureInfo.InvariantCulture) : 1;
            if (count <= 0)
            {
                return null;
            }
            counts[symbol] = counts.GetValueOrDefault(symbol) + count;
        }
        return counts;
    }
}
