using System.Globalization;

namespace DeepSim.Api.Billing;

/// <summary>The billing cycles a plan is sold on.</summary>
public static class Cycles
{
    public const string Monthly = "monthly";
    public const string Annual = "annual";

    public static readonly IReadOnlyList<string> All = [Monthly, Annual];

    public static bool IsKnown(string? cycle) => cycle is Monthly or Annual;

    /// <summary>The end of a period that starts at <paramref name="start"/> (calendar months, so 31 Jan + 1 month = 28/29 Feb).</summary>
    public static DateTimeOffset PeriodEnd(string cycle, DateTimeOffset start) => cycle switch
    {
        Monthly => start.AddMonths(1),
        Annual => start.AddYears(1),
        _ => throw new ArgumentOutOfRangeException(nameof(cycle), cycle, "unknown billing cycle"),
    };
}

/// <summary>A plan's price on one cycle, in minor units.</summary>
public sealed record PlanPrice(string Plan, string Cycle, string Currency, long Amount, string? StripePrice);

/// <summary>
/// Integer money arithmetic. Every amount is in minor units (cents); shares of a period are computed exactly in
/// 128-bit integers over ticks and rounded half away from zero once, at the end.
/// </summary>
public static class Money
{
    /// <summary>The part of <paramref name="amount"/> for [<paramref name="from"/>, <paramref name="end"/>) of the period [start, end).</summary>
    public static long ShareOfPeriod(long amount, DateTimeOffset start, DateTimeOffset end, DateTimeOffset from)
    {
        var length = (end - start).Ticks;
        if (length <= 0)
        {
            throw new ArgumentException("the period must have a positive length", nameof(end));
        }
        var remaining = Math.Clamp((end - from).Ticks, 0, length);
        return DivideRounded((Int128)amount * remaining, length);
    }

    /// <summary>n / d rounded half away from zero (d &gt; 0).</summary>
    public static long DivideRounded(Int128 n, long d)
    {
        var quotient = Int128.DivRem(Int128.Abs(n), d);
        var magnitude = quotient.Quotient + (quotient.Remainder * 2 >= d ? 1 : 0);
        return (long)(n < 0 ? -magnitude : magnitude);
    }

    /// <summary>"$1,234.56" for USD; other currencies as "1,234.56 EUR".</summary>
    public static string Format(long amount, string currency)
    {
        var major = amount / 100m;
        var text = Math.Abs(major).ToString("#,##0.00", CultureInfo.InvariantCulture);
        var sign = amount < 0 ? "−" : "";
        return currency.Equals("usd", StringComparison.OrdinalIgnoreCase)
            ? $"{sign}${text}"
            : $"{sign}{text} {currency.ToUpperInvariant()}";
    }
}

/// <summary>
/// Solver-time overage: time beyond the plan's included hours, billed per started hundredth of an hour (36 s) at the
/// plan's hourly price. No price means no overage (the plan's run quota is the limit).
/// </summary>
public static class Overage
{
    public const double SecondsPerBillingUnit = 36;

    public static (long Units, long Amount) Of(double solverSeconds, int? includedHours, long? pricePerHour)
    {
        if (pricePerHour is not { } price || !(solverSeconds > 0))
        {
            return (0, 0);
        }
        var over = solverSeconds - (includedHours ?? 0) * 3600.0;
        if (over <= 0)
        {
            return (0, 0);
        }
        var units = (long)Math.Ceiling(over / SecondsPerBillingUnit - 1e-9);
        return (units, Money.DivideRounded((Int128)units * price, 100));
    }
}
