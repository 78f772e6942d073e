using System.Globalization;
using DeepSim.Web.AnalyticsClient.Api.V1.Analytics.Usage;
using DeepSim.Web.AnalyticsClient.Models;
using Plotly.Blazor;
using Plotly.Blazor.Traces;

namespace DeepSim.Web.Components.Pages.Usage;

/// <summary>One chart of the usage page: its traces over the range's periods, stacked or side by side; counts are whole numbers.</summary>
public sealed record UsageChartSpec(string TestId, string Title, string YTitle, IList<ITrace> Traces, bool Stacked, string XTitle, bool Counts = true);

/// <summary>The usage page's charts, built from Analytics' usage answer (one bar per period, every period present).</summary>
public static class UsageCharts
{
    // The run outcomes in the order they stack, bottom up, with the colours the run status chips use.
    private static readonly (string Name, string Colour, Func<UsagePoint, long?> Value)[] Outcomes =
    [
        ("Converged", "#2e7d32", p => p.RunsConverged),
        ("Not converged", "#ed6c02", p => p.RunsNotConverged),
        ("Failed", "#d32f2f", p => p.RunsFailed),
        ("Cancelled", "#757575", p => p.RunsCancelled),
    ];

    public static IReadOnlyList<UsageChartSpec> All(UsageResponse usage, GetGranularityQueryParameterType granularity)
    {
        var series = usage.Series ?? [];
        var years = series.Select(p => p.Period?.Year).Distinct().Count();
        var x = series.Select(p => (object)PeriodLabel(p.Period, granularity, withYear: years > 1)).ToList();
        var solver = SolverUnit(series.Select(p => p.SolverHours ?? 0).DefaultIfEmpty(0).Max());
        var xTitle = granularity switch
        {
            GetGranularityQueryParameterType.Week => "Week (from Monday, UTC)",
            GetGranularityQueryParameterType.Month => "Month (UTC)",
            _ => "Day (UTC)",
        };
        return
        [
            new("chart-runs", "Runs by outcome", "Runs", Outcomes.Select(o => (ITrace)Bar(o.Name, o.Colour, x, series.Select(p => (object)(o.Value(p) ?? 0)))).ToList(),
                Stacked: true, xTitle),
            new("chart-solver-time", "Solver time", solver.Name,
                [Bar("Solver time", "#1565c0", x, series.Select(p => (object)Math.Round((p.SolverHours ?? 0) * solver.PerHour, 3)))], Stacked: false, xTitle,
                Counts: false),
            new("chart-api-calls", "API calls", "Calls", [Bar("API calls", "#6a1b9a", x, series.Select(p => (object)(p.ApiCalls ?? 0)))], Stacked: false, xTitle),
            new("chart-people", "Active users and flowsheets created", "Count",
                [
                    Bar("Active users", "#00838f", x, series.Select(p => (object)(p.ActiveUsers ?? 0))),
                    Bar("Flowsheets created", "#9e9d24", x, series.Select(p => (object)(p.FlowsheetsCreated ?? 0))),
                ], Stacked: false, xTitle),
        ];
    }

    /// <summary>A period as its axis label: the day, the Monday its week starts on ("Nov 30"), or the month ("Nov 2026").</summary>
    public static string PeriodLabel(Microsoft.Kiota.Abstractions.Date? period, GetGranularityQueryParameterType granularity, bool withYear = false)
    {
        if (period is not { } p)
        {
            return "";
        }
        var day = new DateOnly(p.Year, p.Month, p.Day);
        var format = granularity == GetGranularityQueryParameterType.Month ? "MMM yyyy" : withYear ? "MMM d yyyy" : "MMM d";
        return day.ToString(format, CultureInfo.InvariantCulture);
    }

    /// <summary>Solver time in the unit that suits its size (a short run is a fraction of a second, not 0.0001 h).</summary>
    public static (string Name, double PerHour) SolverUnit(double hours) => hours switch
    {
        < 1.0 / 60 => ("Seconds", 3600),
        < 1 => ("Minutes", 60),
        _ => ("Hours", 1),
    };

    /// <summary>Solver time for a person: "0.4 s", "12.5 min", "3.2 h".</summary>
    public static string SolverTime(double? hours)
    {
        var h = hours ?? 0;
        var (unit, perHour) = SolverUnit(h);
        var symbol = unit switch { "Seconds" => "s", "Minutes" => "min", _ => "h" };
        return (h * perHour).ToString("#,##0.#", CultureInfo.InvariantCulture) + " " + symbol;
    }

    private static Bar Bar(string name, string colour, List<object> x, IEnumerable<object> y) => new()
    {
        Name = name,
        X = x,
        Y = y.ToList(),
        Marker = new Plotly.Blazor.Traces.BarLib.Marker { Color = colour },
    };
}
