namespace DeepSim.AppHost.Hosting;

/// <summary>What the dashboard shows for a resource.</summary>
public enum ResourceState
{
    /// <summary>Its WaitFor dependencies are not healthy yet.</summary>
    Waiting,

    /// <summary>Being started; not answering its probe yet.</summary>
    Starting,

    /// <summary>Process running; no probe defined (or not yet judged).</summary>
    Running,

    Healthy,
    Unhealthy,

    /// <summary>The process ended (see the exit code); for run-to-completion resources 0 means success.</summary>
    Exited,

    /// <summary>Stopped by the launcher on shutdown.</summary>
    Stopped,

    /// <summary>Could not be started at all (see the detail).</summary>
    FailedToStart,

    /// <summary>Optional and absent (Kafka without a bootstrap server).</summary>
    NotConfigured,
}
