using System.Net.Http.Headers;
using DeepSim.ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DeepSim.Simulation.Workers;

public static class WorkerServiceExtensions
{
    /// <summary>The worker pool and its HttpClient to the Api (service discovery resolves http://api).</summary>
    public static IHostApplicationBuilder AddRunWorkers(this IHostApplicationBuilder builder)
    {
        var token = builder.Configuration["Auth:ServiceToken"];
        if (string.IsNullOrWhiteSpace(token))
        {
            // Switched on by its setting: without the token the service still starts, and its health says why it does no work.
            builder.Services.AddHealthChecks().AddCheck("workers", () => HealthCheckResult.Degraded(
                "worker pool disabled: missing configuration 'Auth:ServiceToken' (environment variable Auth__ServiceToken)"));
            return builder;
        }
        builder.Services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.Section);
        builder.Services.AddHttpClient<ApiRunClient>(http =>
        {
            http.BaseAddress = new Uri("http://" + ResourceNames.Api);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        });
        builder.Services.AddHostedService<RunWorkerPool>();
        var grace = builder.Configuration.GetValue<int?>($"{WorkerOptions.Section}:ShutdownGraceSeconds") ?? new WorkerOptions().ShutdownGraceSeconds;
        // The host waits for the grace period plus the final reports before it gives up on the pool.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(grace + 15));
        return builder;
    }
}
