using DeepSim.Api.Internal;
using DeepSim.Api.Plans;
using DeepSim.Api.RateLimiting;
using DeepSim.Api.Studies;
using DeepSim.Api.Usage;

namespace DeepSim.Api.Runs;

/// <summary>Registration and mapping of runs, studies, plans, rate limits and usage (called from ApiServiceExtensions).</summary>
public static class RunsServiceExtensions
{
    /// <summary>Degraded while no simulation worker has called the Api recently.</summary>
    public const string WorkersHealthCheckName = "workers";

    public static IServiceCollection AddRunServices(this IServiceCollection services)
    {
        services.AddOptions<RunsSettings>().BindConfiguration(RunsSettings.Section);
        services.AddSingleton<PlanCatalog>();
        services.AddSingleton<ResultCache>();
        services.AddSingleton<RunSignals>();
        services.AddSingleton<RunSignalListener>();
        services.AddHostedService(sp => sp.GetRequiredService<RunSignalListener>());
        services.AddSingleton<RunService>();
        services.AddSingleton<TenantRateLimiter>();
        services.AddSingleton<ApiCallCounter>();
        services.AddHostedService<UsageFlusher>();
        services.AddOptions<WorkersSettings>().BindConfiguration(WorkersSettings.Section);
        services.AddSingleton<WorkerPresence>();
        services.AddHealthChecks()
            .AddCheck<RateLimiterHealthCheck>("rate-limiter")
            .AddCheck<WorkersHealthCheck>(WorkersHealthCheckName);
        return services;
    }

    /// <summary>The tenant endpoint groups (inside the audited group).</summary>
    public static IEndpointRouteBuilder MapRunGroups(this IEndpointRouteBuilder api)
    {
        api.MapRunEndpoints();
        api.MapPlanEndpoints();
        api.MapUsageEndpoints();
        api.MapStudyEndpoints();
        return api;
    }

    /// <summary>Per-tenant rate limits and API call counting; after authentication, before the endpoints.</summary>
    public static IApplicationBuilder UseTenantRateLimiting(this IApplicationBuilder app) => app.UseMiddleware<RateLimitMiddleware>();

    /// <summary>The service-token gate in front of every internal path, before any endpoint reads a body.</summary>
    public static IApplicationBuilder UseServiceTokenGate(this IApplicationBuilder app) =>
        app.UseWhen(http => http.Request.Path.StartsWithSegments(ServiceTokenGate.PathPrefix, StringComparison.OrdinalIgnoreCase),
            internalPaths => internalPaths.UseMiddleware<ServiceTokenGate>());

    /// <summary>The worker endpoints: service token only, outside the tenant groups.</summary>
    public static IEndpointRouteBuilder MapInternalGroups(this IEndpointRouteBuilder app)
    {
        app.MapInternalRunEndpoints();
        return app;
    }
}
