using System.Globalization;

namespace DeepSim.Web.Components.Pages.Usage;

public enum UsagePreset { Last7Days, Last30Days, Last90Days, ThisMonth }

/// <summary>
/// The usage page's date range: whole UTC days, both ends included (as Analytics counts them), its presets, and what
/// the page can tell is wrong before asking (Analytics checks again and names the field it refuses).
/// </summary>
public static class UsageRange
{
    /// <summary>The longest range Analytics answers (its DayRange.MaxDays): the picker stops there too.</summary>
    public const int MaxDays = 366;

    public const string DateFormat = "yyyy-MM-dd";

    public static IReadOnlyList<UsagePreset> Presets { get; } = Enum.GetValues<UsagePreset>();

    public static string Label(UsagePreset preset) => preset switch
    {
        UsagePreset.Last7Days => "Last 7 days",
        UsagePreset.Last30Days => "Last 30 days",
        UsagePreset.Last90Days => "Last 90 days",
        UsagePreset.ThisMonth => "This month",
        _ => throw new ArgumentOutOfRangeException(nameof(preset)),
    };

    /// <summary>The preset's days up to <paramref name="today"/> (UTC): the last N days include today; this month starts on the 1st.</summary>
    public static (DateOnly From, DateOnly To) Of(UsagePreset preset, DateOnly today) => preset switch
    {
        UsagePreset.Last7Days => (today.AddDays(-6), today),
        UsagePreset.Last30Days => (today.AddDays(-29), today),
        UsagePreset.Last90Days => (today.AddDays(-89), today),
        UsagePreset.ThisMonth => (new DateOnly(today.Year, today.Month, 1), today),
        _ => throw new ArgumentOutOfRangeException(nameof(preset)),
    };

    /// <summary>The preset a range is, if any (its chip shows as chosen).</summary>
    public static UsagePreset? PresetOf(DateOnly from, DateOnly to, DateOnly today) =>
        Presets.Cast<UsagePreset?>().FirstOrDefault(p => Of(p!.Value, today) == (from, to));

    public static int Days(DateOnly from, DateOnly to) => to.DayNumber - from.DayNumber + 1;

    /// <summary>Why the page will not ask Analytics for this range, or null when it may.</summary>
    public static string? Problem(DateOnly? from, DateOnly? to) => (from, to) switch
    {
        (null, _) or (_, null) => "Choose a first and a last day.",
        ({ } f, { } t) when f > t => "The first day must not be after the last.",
        ({ } f, { } t) when Days(f, t) > MaxDays => $"The range may span at most {MaxDays} days (this one spans {Days(f, t)}).",
        _ => null,
    };

    /// <summary>A date as the page's address and the downloads carry it; null for anything else (the page then uses its default).</summary>
    public static DateOnly? Parse(string? text) =>
        DateOnly.TryParseExact(text, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null;

    public static string Text(DateOnly date) => date.ToString(DateFormat, CultureInfo.InvariantCulture);
}
