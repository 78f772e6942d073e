using System.Globalization;
using System.Text;

namespace DeepSim.Analytics.Usage;

/// <summary>The CSV downloads: a header row, then the same numbers as the JSON answer, invariant culture.</summary>
public static class Csv
{
    public const string MediaType = "text/csv";

    public static byte[] Usage(UsageResponse usage)
    {
        var csv = new StringBuilder("period,runs_submitted,runs_converged,runs_not_converged,runs_failed,runs_cancelled,solver_hours,api_calls,active_users,flowsheets_created\n");
        foreach (var p in usage.Series)
        {
            Row(csv, Day(p.Period), N(p.RunsSubmitted), N(p.RunsConverged), N(p.RunsNotConverged), N(p.RunsFailed), N(p.RunsCancelled),
                N(p.SolverHours), N(p.ApiCalls), N(p.ActiveUsers), N(p.FlowsheetsCreated));
        }
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    public static byte[] Runs(RunsResponse runs)
    {
        var csv = new StringBuilder(runs.By + ",runs,converged,not_converged,failed,cancelled,in_progress,solver_hours\n");
        foreach (var g in runs.Groups)
        {
            Row(csv, g.Key, N(g.Runs), N(g.Converged), N(g.NotConverged), N(g.Failed), N(g.Cancelled), N(g.InProgress), N(g.SolverHours));
        }
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string N(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static void Row(StringBuilder csv, params string[] fields)
    {
        csv.AppendJoin(',', fields.Select(Field)).Append('\n');
    }

    // RFC 4180 quoting; a leading = + - @ is prefixed with ' so a spreadsheet never runs a key as a formula.
    internal static string Field(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            value = "'" + value;
        }
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
