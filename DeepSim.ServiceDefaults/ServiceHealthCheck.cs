using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DeepSim.ServiceDefaults;

/// <summary>Healthy only when a referenced service's own <c>/health</c> answers 200.</summary>
public sealed class ServiceHealthCheck(IHttpClientFactory httpClientFactory, string serviceName) : IHealthCheck
{
    // Short enough that a dead dependency shows up quickly; the resilience pipeline's own timeouts are longer.
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            var client = httpClientFactory.CreateClient(HealthProbeClientName);
            using var response = await client.GetAsync(new Uri($"http://{serviceName}{Extensions.HealthEndpointPath}"), timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy($"{serviceName} is healthy")
                : HealthCheckResult.Unhealthy($"{serviceName}/health answered {(int)response.StatusCode}");
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"{serviceName} did not answer", ex);
        }
    }

    public const string HealthProbeClientName = "health-probe";
}
