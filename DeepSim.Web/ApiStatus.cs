using DeepSim.ServiceDefaults;

namespace DeepSim.Web;

/// <summary>Asks the Api (through service discovery) whether it is healthy, for the home page.</summary>
public sealed class ApiStatus(HttpClient http)
{
    public async Task<string> DescribeAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(Extensions.HealthEndpointPath, UriKind.Relative), cancellationToken);
            return response.IsSuccessStatusCode ? "healthy" : $"unhealthy ({(int)response.StatusCode})";
        }
        catch (HttpRequestException ex)
        {
            return $"unreachable ({ex.Message})";
        }
    }
}
