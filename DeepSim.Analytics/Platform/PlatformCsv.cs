using System.Globalization;
using System.Text;
using DeepSim.Analytics.Usage;

namespace DeepSim.Analytics.Platform;

/// <summary>
/// The platform overview as CSV: one row per bucket and a last row for the whole range (period <c>total</c>), the
/// same numbers as the JSON answer; a plan_&lt;name&gt; column per plan seen (tenants on it at the bucket's end).
/// Empty fields are rates without a base (no paying tenant, no revenue at the start).
/// </summary>
public static class PlatformCsv
{
    private const string Header = "period,start,end,active_tenants,new_tenants,runs,solver_hours,tenants,paying_tenants,conversions,"
        + "mrr_cents,arr_cents,arpa_cents,start_paying_tenants,churned_tenants,logo_churn_rate,start_mrr_cents,churned_mrr_cents,"
        + "contraction_mrr_cents,expansion_mrr_cents,net_revenue_churn_rate,collected_cents";

    public static byte[] Overview(PlatformOverview overview)
    {
        var plans = overview.Series.Append(overview.Totals).SelectMany(b => b.PlanMix).Select(p => p.Plan)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var csv = new StringBuilder(Header);
        foreach (var plan in plans)
        {
            csv.Append(',').Append(Csv.Field("plan_" + plan));
        }
        csv.Append('\n');
        foreach (var bucket in overview.Series)
        {
            Row(csv, Day(bucket.Period), bucket, plans);
        }
        Row(csv, "total", overview.Totals, plans);
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    private static void Row(StringBuilder csv, string period, PlatformBucket b, IReadOnlyList<string> plans)
    {
        string[] fields =
        [
            period, Day(b.Start), Day(b.End), N(b.ActiveTenants), N(b.NewTenants), N(b.Runs), N(b.SolverHours), N(b.Tenants), N(b.PayingTenants),
            N(b.Conversions), N(b.MrrCents), N(b.ArrCents), N(b.ArpaCents), N(b.StartPayingTenants), N(b.ChurnedTenants), N(b.LogoChurnRate),
            N(b.StartMrrCents), N(b.ChurnedMrrCents), N(b.ContractionMrrCents), N(b.ExpansionMrrCents), N(b.NetRevenueChurnRate), N(b.CollectedCents),
            .. plans.Select(p => N(b.PlanMix.FirstOrDefault(m => m.Plan == p)?.Tenants ?? 0)),
        ];
        csv.AppendJoin(',', fields.Select(Csv.Field)).Append('\n');
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string N(long? value) => value is { } v ? N(v) : "";

    private static string N(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string N(double? value) => value is { } v ? N(v) : "";
}
