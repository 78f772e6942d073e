using System.Text.Json;

namespace DeepSim.Api.Infrastructure;

/// <summary>Writes an event to the outbox inside the caller's transaction, so the event exists iff the change does.</summary>
public static class Outbox
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Task AddAsync(DbScope scope, string type, object payload, CancellationToken cancellationToken) =>
        scope.ExecuteAsync(
            "insert into event_outbox (id, tenant_id, type, payload) values (@id, @tenant, @type, @payload::jsonb)",
            new { id = Guid.NewGuid(), tenant = scope.RequireTenant(), type, payload = JsonSerializer.Serialize(payload, Json) },
            cancellationToken);

    /// <summary>
    /// An event about a change to the tenant's name, plan or subscription: its payload also carries the tenant's state
    /// after the change (<c>tenant_state()</c>, migration 0290: tenantName, tenantPlan, billingCycle, complimentary,
    /// subscriptionStatus, currency, priceCents, mrrCents, runsPerMonth), which revenue analytics reads. Call it after
    /// the change, in its transaction.
    /// </summary>
    public static Task AddWithTenantStateAsync(DbScope scope, string type, object payload, CancellationToken cancellationToken) =>
        scope.ExecuteAsync(
            """
            insert into event_outbox (id, tenant_id, type, payload)
            values (@id, @tenant, @type, @payload::jsonb || coalesce(tenant_state(@tenant), '{}'))
            """,
            new { id = Guid.NewGuid(), tenant = scope.RequireTenant(), type, payload = JsonSerializer.Serialize(payload, Json) },
            cancellationToken);

    /// <summary>Queues an email for the mail sender, in the caller's transaction.</summary>
    public static Task AddMailAsync(DbScope scope, string to, string subject, string body, CancellationToken cancellationToken) =>
        scope.ExecuteAsync(
            "insert into mail_outbox (id, tenant_id, to_address, subject, body) values (@id, @tenant, @to, @subject, @body)",
            new { id = Guid.NewGuid(), tenant = scope.RequireTenant(), to, subject, body },
            cancellationToken);
}
