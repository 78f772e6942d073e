using DeepSim.Web.ApiClient.Models;
using DeepSim.Web.Services;

namespace DeepSim.Web.Flowsheets;

/// <summary>
/// Submits a run and follows it (queued → running → done) by polling the Api once a second, bounded: the page shows
/// each state as it comes, without a reload.
/// </summary>
public sealed class RunTracker(DeepSimApi api)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(10);
    private static readonly HashSet<string> Terminal = new(StringComparer.Ordinal) { "completed", "failed", "cancelled" };

    public static bool IsTerminal(string? status) => status is not null && Terminal.Contains(status);

    /// <summary>Queues a run of the flowsheet's current version; returns its id.</summary>
    public async Task<Guid> SubmitAsync(Guid flowsheetId, CancellationToken ct)
    {
        var submitted = await api.CallAsync(c => c.Api.V1.Runs.PostAsync(new RunRequest { FlowsheetId = flowsheetId }, cancellationToken: ct));
        return submitted?.Id ?? throw new ApiProblemException("The Api did not say which run it queued.");
    }

    /// <summary>Polls until the run ends (or the wait bound passes), reporting every state.</summary>
    public async Task<RunSummary?> FollowAsync(Guid runId, Func<RunSummary, Task> onState, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + MaxWait;
        RunSummary? last = null;
        while (!ct.IsCancellationRequested && DateTime.UtcNow < deadline)
        {
            last = await api.CallAsync(c => c.Api.V1.Runs[runId].GetAsync(cancellationToken: ct));
            if (last is not null)
            {
                await onState(last);
                if (IsTerminal(last.Status))
                {
                    return last;
                }
            }
            await Task.Delay(PollInterval, ct);
        }
        return last;
    }

    /// <summary>The engine's result document of a finished run, as JSON text.</summary>
    public async Task<string?> ResultJsonAsync(Guid runId, CancellationToken ct)
    {
        var result = await api.CallAsync(c => c.Api.V1.Runs[runId].Result.GetAsync(cancellationToken: ct));
        return result?.Result is null ? null : KiotaJson.ToJson(result.Result);
    }
}
