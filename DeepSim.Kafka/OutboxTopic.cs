using System.Text.Json;

namespace DeepSim.Kafka;

/// <summary>
/// The wire format of the outbox topic. Each message is one outbox event: the key is its tenant id (the zero UUID for
/// events of no tenant, as in ClickHouse), so one tenant's events stay in one partition and in feed order; the value is
/// the event as the Api's HTTP feed gives it (<c>{"position","id","tenantId","type","occurredAt","payload"}</c>, JSON,
/// camelCase, payload compact). Delivery is at least once: consumers dedupe by <c>id</c>.
/// </summary>
public static class OutboxTopic
{
    public const string DefaultName = "deepsim.outbox";

    /// <summary>The JSON options both sides use for the value.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string Key(Guid? tenantId) => (tenantId ?? Guid.Empty).ToString("D");
}
