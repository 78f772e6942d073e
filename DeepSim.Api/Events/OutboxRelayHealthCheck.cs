using System.Globalization;
using DeepSim.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DeepSim.Api.Events;

/// <summary>
/// The <c>kafka</c> check of the Api, where the relay runs: Degraded (still HTTP 200: the Api serves without Kafka, the
/// outbox keeps the events) while the brokers cannot be reached or a round is not acknowledged, with the relay's
/// position and the age of its oldest unpublished event in the description.
/// </summary>
public sealed class OutboxRelayHealthCheck(OutboxRelay relay) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var kafka = relay.Connectivity.Describe();
        var status = relay.Connectivity.Current;
        var where = relay.Role switch
        {
            RelayRole.Leader => string.Create(CultureInfo.InvariantCulture,
                $"relay '{relay.Name}' to topic {relay.Topic} at position {relay.Position}, oldest unpublished event {(relay.Lag is { } lag ? $"{lag.TotalSeconds:F1} s old" : "not measured yet")}"),
            RelayRole.Standby => $"relay '{relay.Name}' on standby (another Api replica holds its lease)",
            _ => $"relay '{relay.Name}' starting",
        };
        var failure = relay.LastFailure is { } last ? $"; last round: {last}" : "";
        var description = $"{kafka}; {where}{failure}; {KafkaNative.Version}";
        return Task.FromResult(status.Reachability == KafkaReachability.Reachable && relay.LastFailure is null
            ? HealthCheckResult.Healthy(description)
            : HealthCheckResult.Degraded(description));
    }
}
