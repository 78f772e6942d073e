using System.Globalization;
using DeepSim.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DeepSim.Analytics.Ingest;

/// <summary>
/// The <c>kafka</c> check of Analytics in Kafka mode: Degraded (HTTP 200 still: Analytics answers from what ClickHouse
/// holds) while the consumer cannot reach its brokers, Healthy once one answers.
/// </summary>
public sealed class KafkaConsumerHealthCheck(KafkaIngester ingester) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = ingester.Connectivity.Current;
        var description = string.Create(CultureInfo.InvariantCulture,
            $"{ingester.Connectivity.Describe()}; consuming topic {ingester.Topic}, {ingester.Ingested} events stored since start, {ingester.CommitFailures} failed commits; librdkafka {KafkaNative.Version}");
        return Task.FromResult(status.Reachability == KafkaReachability.Reachable
            ? HealthCheckResult.Healthy(description)
            : HealthCheckResult.Degraded(description));
    }
}
