using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DeepSim.Analytics.ClickHouse;

/// <summary>Healthy only when ClickHouse answers <c>SELECT 1</c> over HTTP with <c>1</c>.</summary>
public sealed class ClickHouseHealthCheck(IHttpClientFactory httpClientFactory, ClickHouseConnection connection) : IHealthCheck
{
    public const string HttpClientName = "clickhouse";
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            var client = httpClientFactory.CreateClient(HttpClientName);
            using var request = new HttpRequestMessage(HttpMethod.Post, connection.HttpEndpoint) { Content = new StringContent("SELECT 1") };
            request.Headers.Add("X-ClickHouse-User", connection.Username);
            if (connection.Password.Length > 0)
            {
                request.Headers.Add("X-ClickHouse-Key", connection.Password);
            }

            using var response = await client.SendAsync(request, timeout.Token).ConfigureAwait(false);
            var body = (await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false)).Trim();
            return response.IsSuccessStatusCode && body == "1"
                ? HealthCheckResult.Healthy("ClickHouse answered SELECT 1")
                : HealthCheckResult.Unhealthy($"ClickHouse answered {(int)response.StatusCode}: {Truncate(body)}");
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("ClickHouse did not answer", ex);
        }
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200];
}
