namespace DeepSim.Api.Runs;

/// <summary>The <c>Runs</c> configuration section.</summary>
public sealed class RunsSettings
{
    public const string Section = "Runs";

    /// <summary>How long a claim holds a run without a heartbeat before another worker may take it.</summary>
    public int LeaseSeconds { get; set; } = 30;

    /// <summary>Claims of one run before it fails (a crash loop stops here).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Upper bound of a claim's long poll, below the worker HttpClient's per-attempt timeout.</summary>
    public int MaxClaimWaitSeconds { get; set; } = 8;

    /// <summary>Points in one study.</summary>
    public int MaxStudyPoints { get; set; } = 1000;
}
