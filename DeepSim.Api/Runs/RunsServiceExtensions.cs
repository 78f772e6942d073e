using DeepSim.Api.Internal;
using DeepSim.Api.Plans;

namespace DeepSim.Api.Runs;

/// <summary>Registration and mapping of runs, studies, plans, rate limits and usage (called from ApiServiceExtensions).</summary>
public static class RunsServiceExtensions
{
    public static IServiceCollection AddRunServices(this IServiceCollection services)
    {
        services.AddOptions<RunsSettings>().BindConfiguration(RunsSettings.Section);
        services.AddSingleton<PlanCatalog>();
        services.AddSingleton<ResultCache>();
        services.AddSingleton<RunSignals>();
        services.AddSingleton<RunService>();
        return services;
    }

    /// <summary>The tenant endpoint groups (inside the audited group).</summary>
    public static IEndpointRouteBuilder MapRunGroups(this IEndpointRouteBuilder api)
    {
        api.MapRunEndpoints();
        api.MapPlanEndpoints();
        return api;
    }

    /// <summary>The worker endpoints: service token only, outside the tenant groups.</summary>
    public static IEndpointRouteBuilder MapInternalGroups(this IEndpointRouteBuilder app)
    {
        app.MapInternalRunEndpoints();
        return app;
    }
}
