using System.Globalization;

namespace DeepSim.Web.Services;

/// <summary>Minor units (cents) as people read them: "$99.00", "−$49.50", "10.00 EUR".</summary>
public static class MoneyText
{
    public static string Format(long? amount, string? currency)
    {
        var value = amount ?? 0;
        var text = Math.Abs(value / 100m).ToString("#,##0.00", CultureInfo.InvariantCulture);
        var sign = value < 0 ? "−" : "";
        return string.Equals(currency ?? "usd", "usd", StringComparison.OrdinalIgnoreCase)
            ? $"{sign}${text}"
            : $"{sign}{text} {currency!.ToUpperInvariant()}";
    }

    /// <summary>"$99.00 / month" or "$990.00 / year".</summary>
    public static string PerCycle(long? amount, string? currency, string? cycle) =>
        $"{Format(amount, currency)} / {(cycle == "annual" ? "year" : "month")}";
}
