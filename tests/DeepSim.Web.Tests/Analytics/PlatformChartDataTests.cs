using DeepSim.Web.AnalyticsClient.Models;
using DeepSim.Web.Components.Analytics;
using Microsoft.Kiota.Abstractions;
using Plotly.Blazor.Traces;

namespace DeepSim.Web.Tests.Analytics;

public class PlatformChartDataTests
{
    private static PlatformBucket Bucket(int day, long mrrCents, params (string Plan, long Tenants)[] mix) => new()
    {
        Period = new Date(2025, 1, day), ActiveTenants = day, Runs = day * 10L, SolverHours = day / 2.0, MrrCents = mrrCents, ArrCents = mrrCents * 12,
        PlanMix = mix.Select(m => new PlanCount { Plan = m.Plan, Tenants = m.Tenants }).ToList(),
    };

    [Fact]
    public void The_plan_mix_stacks_free_to_enterprise_with_zeros_where_a_plan_has_no_tenants()
    {
        var traces = PlatformChartData.PlanMix([Bucket(1, 0, ("pro", 2), ("free", 3)), Bucket(2, 0, ("enterprise", 1), ("free", 4), ("custom", 1))]);
        var bars = traces.Cast<Bar>().ToList();
        Assert.Equal(["free", "pro", "enterprise", "custom"], bars.Select(b => b.Name));
        Assert.Equal(["2025-01-01", "2025-01-02"], bars[0].X.Cast<string>());
        Assert.Equal([3L, 4L], bars[0].Y.Cast<long>());
        Assert.Equal([2L, 0L], bars[1].Y.Cast<long>());
        Assert.Equal([0L, 1L], bars[2].Y.Cast<long>());
    }

    [Fact]
    public void Revenue_is_drawn_in_currency_units_with_arr_on_the_right_axis()
    {
        var traces = PlatformChartData.Revenue([Bucket(1, 9900), Bucket(2, 59800)]).Cast<Scatter>().ToList();
        Assert.Equal(["MRR", "ARR"], traces.Select(t => t.Name));
        Assert.Equal([99m, 598m], traces[0].Y.Cast<decimal>());
        Assert.Equal([1188m, 7176m], traces[1].Y.Cast<decimal>());
        Assert.Equal(("y", "y2"), (traces[0].YAxis, traces[1].YAxis));
    }

    [Fact]
    public void Activity_puts_solver_hours_on_their_own_axis()
    {
        var traces = PlatformChartData.Activity([Bucket(3, 0)]).Cast<Scatter>().ToList();
        Assert.Equal(["Active tenants", "Runs", "Solver hours"], traces.Select(t => t.Name));
        Assert.Equal([3L], traces[0].Y.Cast<long>());
        Assert.Equal([30L], traces[1].Y.Cast<long>());
        Assert.Equal([1.5], traces[2].Y.Cast<double>());
        Assert.Equal("y2", traces[2].YAxis);
        Assert.Equal(2, PlatformChartData.Layout("left", "right").YAxis.Count);
    }
}
