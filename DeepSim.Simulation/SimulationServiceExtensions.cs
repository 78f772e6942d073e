using DeepSim.ServiceDefaults;
using DeepSim.Simulation.Workers;

namespace DeepSim.Simulation;

public static class SimulationServiceExtensions
{
    public static IHostApplicationBuilder AddSimulationServices(this IHostApplicationBuilder builder)
    {
        builder.Configuration.GetRequiredServiceUri(ResourceNames.Api);
        builder.Services.AddHealthChecks().AddServiceCheck(ResourceNames.Api);
        builder.AddRunWorkers();
        return builder;
    }
}
