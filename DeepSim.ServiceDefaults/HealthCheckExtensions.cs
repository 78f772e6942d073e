using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DeepSim.ServiceDefaults;

public static class HealthCheckExtensions
{
    /// <summary>Adds a readiness check that calls <c>http://{serviceName}/health</c> through service discovery.</summary>
    public static IHealthChecksBuilder AddServiceCheck(this IHealthChecksBuilder builder, string serviceName)
    {
        builder.Services.AddHttpClient(ServiceHealthCheck.HealthProbeClientName);
        return builder.Add(new HealthCheckRegistration(
            serviceName,
            services => new ServiceHealthCheck(services.GetRequiredService<IHttpClientFactory>(), serviceName),
            HealthStatus.Unhealthy,
            ["ready"]));
    }
}
