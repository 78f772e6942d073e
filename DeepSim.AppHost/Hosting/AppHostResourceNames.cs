namespace DeepSim.AppHost.Hosting;

/// <summary>Resources only the launcher knows (the shared names live in DeepSim.ServiceDefaults.ResourceNames).</summary>
public static class AppHostResourceNames
{
    /// <summary>The Api's migration step, run to completion before the Api starts.</summary>
    public const string ApiMigrations = "api-migrations";
}
