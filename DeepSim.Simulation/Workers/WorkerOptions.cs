namespace DeepSim.Simulation.Workers;

/// <summary>The <c>Worker</c> configuration section.</summary>
public sealed class WorkerOptions
{
    public const string Section = "Worker";

    /// <summary>
    /// Runs this process holds at once (claimed, solving or reporting). Solves themselves are capped at the core count,
    /// so slots beyond it only overlap round trips: small runs are latency-bound, not CPU-bound.
    /// </summary>
    public int Concurrency { get; set; } = 8;

    /// <summary>How long one claim waits at the Api for work (long poll); below the HttpClient attempt timeout (10 s).</summary>
    public int ClaimWaitSeconds { get; set; } = 5;

    /// <summary>On shutdown, how long a solve in progress may run on before it is stopped and its run released.</summary>
    public int ShutdownGraceSeconds { get; set; } = 15;

    /// <summary>
    /// Pads every run to at least this long (0: off). A fault-injection knob: the crash and pause tests use it to hold
    /// a run mid-solve; the padding honours cancellation like a solve does.
    /// </summary>
    public int MinimumRunMilliseconds { get; set; }

    /// <summary>Names this process in claims and the run log; defaults to host name and process id.</summary>
    public string? WorkerId { get; set; }
}
