using DeepSim.Web.AnalyticsClient.Models;

namespace DeepSim.Web.Components.Pages.Usage;

/// <summary>One line of the runs table: a flowsheet or a person, named where the Api knows them, with its runs by outcome.</summary>
public sealed record UsageRunRow(string Key, string Label, string? Href, long Runs, long Converged, long NotConverged, long Failed,
    long Cancelled, long InProgress, double SolverHours);

public static class UsageRunRows
{
    /// <summary>
    /// Analytics groups by id; <paramref name="names"/> (flowsheet names or people's display names, from the Api) turn
    /// ids into what a person recognises. A deleted flowsheet or a member who left keeps its id. Most runs first.
    /// </summary>
    public static IReadOnlyList<UsageRunRow> From(RunsResponse? runs, IReadOnlyDictionary<string, string> names, bool flowsheets) =>
        (runs?.Groups ?? [])
            .Select(g =>
            {
                var key = g.Key ?? "";
                var known = names.TryGetValue(key, out var name);
                var label = known ? name! : key.Length == 0 ? "(unknown)" : (flowsheets ? "Flowsheet " : "User ") + key;
                var href = flowsheets && known ? $"flowsheets/{key}" : null;
                return new UsageRunRow(key, label, href, g.Runs ?? 0, g.Converged ?? 0, g.NotConverged ?? 0, g.Failed ?? 0, g.Cancelled ?? 0,
                    g.InProgress ?? 0, g.SolverHours ?? 0);
            })
            .OrderByDescending(r => r.Runs).ThenBy(r => r.Label, StringComparer.OrdinalIgnoreCase)
            .ToList();
}
