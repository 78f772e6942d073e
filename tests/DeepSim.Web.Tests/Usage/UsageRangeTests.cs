using DeepSim.Web.AnalyticsClient.Api.V1.Analytics.Usage;
using DeepSim.Web.AnalyticsClient.Models;
using DeepSim.Web.Components.Pages.Usage;

namespace DeepSim.Web.Tests.Usage;

public sealed class UsageRangeTests
{
    private static readonly DateOnly Today = new(2026, 12, 10);

    [Theory]
    [InlineData(UsagePreset.Last7Days, "2026-12-04", 7)]
    [InlineData(UsagePreset.Last30Days, "2026-11-11", 30)]
    [InlineData(UsagePreset.Last90Days, "2026-09-12", 90)]
    [InlineData(UsagePreset.ThisMonth, "2026-12-01", 10)]
    public void Presets_end_today_and_span_their_days(UsagePreset preset, string from, int days)
    {
        var (f, t) = UsageRange.Of(preset, Today);
        Assert.Equal((DateOnly.Parse(from, System.Globalization.CultureInfo.InvariantCulture), Today), (f, t));
        Assert.Equal(days, UsageRange.Days(f, t));
        Assert.Equal(preset, UsageRange.PresetOf(f, t, Today));
    }

    [Fact]
    public void A_range_that_is_no_preset_has_none()
    {
        Assert.Null(UsageRange.PresetOf(new DateOnly(2026, 12, 2), Today, Today));
    }

    [Fact]
    public void The_page_refuses_what_analytics_would_and_lets_the_longest_allowed_range_through()
    {
        Assert.Null(UsageRange.Problem(Today.AddDays(-365), Today)); // 366 days, a leap year's worth
        Assert.Contains("at most 366 days", UsageRange.Problem(Today.AddDays(-366), Today), StringComparison.Ordinal);
        Assert.Contains("not be after", UsageRange.Problem(Today, Today.AddDays(-1)), StringComparison.Ordinal);
        Assert.NotNull(UsageRange.Problem(null, Today));
        Assert.Null(UsageRange.Problem(Today, Today));
    }

    [Theory]
    [InlineData("2026-12-01", true)]
    [InlineData("2026-13-01", false)]
    [InlineData("01/12/2026", false)]
    [InlineData("2026-12-01'; drop", false)]
    [InlineData(null, false)]
    public void Only_iso_dates_in_the_address_are_taken(string? text, bool taken)
    {
        Assert.Equal(taken, UsageRange.Parse(text) is not null);
    }

    [Fact]
    public void Weeks_are_labelled_by_their_monday_and_months_by_name()
    {
        var monday = new Microsoft.Kiota.Abstractions.Date(2026, 11, 30);
        Assert.Equal("Nov 30", UsageCharts.PeriodLabel(monday, GetGranularityQueryParameterType.Week));
        Assert.Equal("Nov 30 2026", UsageCharts.PeriodLabel(monday, GetGranularityQueryParameterType.Day, withYear: true));
        Assert.Equal("Nov 2026", UsageCharts.PeriodLabel(new Microsoft.Kiota.Abstractions.Date(2026, 11, 1), GetGranularityQueryParameterType.Month));
    }

    [Theory]
    [InlineData(0.0001, "0.4 s")]
    [InlineData(0.25, "15 min")]
    [InlineData(3.21, "3.2 h")]
    [InlineData(0, "0 s")]
    public void Solver_time_is_shown_in_the_unit_that_suits_it(double hours, string shown)
    {
        Assert.Equal(shown, UsageCharts.SolverTime(hours));
    }

    [Fact]
    public void Run_rows_name_known_ids_keep_unknown_ones_and_put_the_most_runs_first()
    {
        var runs = new RunsResponse
        {
            Groups =
            [
                new RunGroup { Key = "a", Runs = 1, Converged = 1 },
                new RunGroup { Key = "b", Runs = 4, Failed = 4 },
            ],
        };
        var rows = UsageRunRows.From(runs, new Dictionary<string, string> { ["a"] = "Column A" }, flowsheets: true);
        Assert.Equal(["Flowsheet b", "Column A"], rows.Select(r => r.Label));
        Assert.Equal([null, "flowsheets/a"], rows.Select(r => r.Href));
        Assert.Equal(4, rows[0].Failed);
    }
}
