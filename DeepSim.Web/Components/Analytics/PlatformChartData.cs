using System.Globalization;
using DeepSim.Web.AnalyticsClient.Models;
using Plotly.Blazor;
using Plotly.Blazor.LayoutLib;
using Plotly.Blazor.Traces;

namespace DeepSim.Web.Components.Analytics;

/// <summary>
/// The platform dashboard's charts from one overview answer: activity over time, the plan mix stacked, MRR and ARR.
/// Presentation only: every figure is the Analytics service's, nothing is recomputed here but cents to currency units.
/// </summary>
public static class PlatformChartData
{
    /// <summary>The x value of a bucket: its label day (a Monday, the 1st), as Plotly reads dates.</summary>
    public static string Label(PlatformBucket bucket) => Day(bucket.Period);

    public static string Day(Microsoft.Kiota.Abstractions.Date? date) =>
        date is { } d ? d.DateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "";

    /// <summary>Active tenants and runs (left axis) and solver hours (right axis) per bucket.</summary>
    public static IList<ITrace> Activity(IReadOnlyList<PlatformBucket> series)
    {
        var x = series.Select(b => (object)Label(b)).ToList();
        return
        [
            Line("Active tenants", x, series.Select(b => (object)(b.ActiveTenants ?? 0)).ToList(), "y"),
            Line("Runs", x, series.Select(b => (object)(b.Runs ?? 0)).ToList(), "y"),
            Line("Solver hours", x, series.Select(b => (object)Math.Round(b.SolverHours ?? 0, 3)).ToList(), "y2"),
        ];
    }

    /// <summary>Tenants per plan at each bucket's end, one bar trace per plan (stacked by the layout).</summary>
    public static IList<ITrace> PlanMix(IReadOnlyList<PlatformBucket> series)
    {
        var x = series.Select(b => (object)Label(b)).ToList();
        var plans = series.SelectMany(b => b.PlanMix ?? []).Select(p => p.Plan ?? "").Where(p => p.Length > 0)
            .Distinct(StringComparer.Ordinal).OrderBy(PlanOrder).ThenBy(p => p, StringComparer.Ordinal).ToList();
        return plans.Select(plan => (ITrace)new Bar
        {
            Name = plan,
            X = x,
            Y = series.Select(b => (object)((b.PlanMix ?? []).FirstOrDefault(p => p.Plan == plan)?.Tenants ?? 0)).ToList(),
        }).ToList();
    }

    /// <summary>MRR (left axis) and ARR (right axis) at each bucket's end, in currency units.</summary>
    public static IList<ITrace> Revenue(IReadOnlyList<PlatformBucket> series)
    {
        var x = series.Select(b => (object)Label(b)).ToList();
        // ARR is MRR × 12, so on its own axis the two lines coincide: MRR wide and pale underneath, ARR dashed on top.
        var mrr = Line("MRR", x, series.Select(b => (object)((b.MrrCents ?? 0) / 100m)).ToList(), "y");
        mrr.Line = new Plotly.Blazor.Traces.ScatterLib.Line { Width = 6, Color = "rgba(31, 119, 180, 0.45)" };
        var arr = Line("ARR", x, series.Select(b => (object)((b.ArrCents ?? 0) / 100m)).ToList(), "y2");
        arr.Line = new Plotly.Blazor.Traces.ScatterLib.Line { Width = 2, Dash = "dash", Color = "#d95f02" };
        return [mrr, arr];
    }

    // Free first, then the paid plans by price, then anything else: the stack reads bottom-up from free to enterprise.
    private static int PlanOrder(string plan) => plan switch { "free" => 0, "pro" => 1, "enterprise" => 2, _ => 3 };

    private static Scatter Line(string name, IList<object> x, IList<object> y, string axis) => new()
    {
        Name = name,
        Mode = Plotly.Blazor.Traces.ScatterLib.ModeFlag.Lines | Plotly.Blazor.Traces.ScatterLib.ModeFlag.Markers,
        X = x,
        Y = y,
        YAxis = axis,
    };

    /// <summary>A chart's layout: dates along x, a left axis and, when given, a right one; the legend under the plot.</summary>
    public static Plotly.Blazor.Layout Layout(string left, string? right = null, bool stacked = false, int height = 320)
    {
        var axes = new List<YAxis> { new() { Title = new Plotly.Blazor.LayoutLib.YAxisLib.Title { Text = left }, RangeMode = Plotly.Blazor.LayoutLib.YAxisLib.RangeModeEnum.ToZero } };
        if (right is not null)
        {
            axes.Add(new YAxis
            {
                Title = new Plotly.Blazor.LayoutLib.YAxisLib.Title { Text = right },
                Overlaying = "y",
                Side = Plotly.Blazor.LayoutLib.YAxisLib.SideEnum.Right,
                RangeMode = Plotly.Blazor.LayoutLib.YAxisLib.RangeModeEnum.ToZero,
                ShowGrid = false,
            });
        }
        return new Plotly.Blazor.Layout
        {
            Height = height,
            Margin = new Margin { T = 20, B = 40, L = 60, R = right is null ? 20 : 60 },
            XAxis = [new XAxis { Type = Plotly.Blazor.LayoutLib.XAxisLib.TypeEnum.Date }],
            YAxis = axes,
            BarMode = stacked ? BarModeEnum.Stack : null,
            Legend = [new Legend { Orientation = Plotly.Blazor.LayoutLib.LegendLib.OrientationEnum.H, Y = -0.2m }],
        };
    }
}
