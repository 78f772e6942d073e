using System.Text.Json;
using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Api.Audit;

public sealed record AuditEntry(long Id, Guid? TenantId, string ActorKind, Guid? ActorUserId, Guid? ActorApiKeyId, string Action, string? Target,
    string Outcome, int? StatusCode, string? ClientAddress, JsonElement? Details, DateTime OccurredAt);

/// <summary>The audit log: tenant admins read their own tenant's (operators read all, under /platform).</summary>
public static class AuditEndpoints
{
    internal sealed record Row(long Id, Guid? TenantId, string ActorKind, Guid? ActorUserId, Guid? ActorApiKeyId, string Action, string? Target,
        string Outcome, int? StatusCode, string? ClientAddress, string? Details, DateTime OccurredAt)
    {
        public AuditEntry ToEntry() => new(Id, TenantId, ActorKind, ActorUserId, ActorApiKeyId, Action, Target, Outcome, StatusCode, ClientAddress,
            Details is null ? null : JsonDocument.Parse(Details).RootElement.Clone(), OccurredAt);
    }

    internal const string Columns = """
        id as "Id", tenant_id as "TenantId", actor_kind as "ActorKind", actor_user_id as "ActorUserId", actor_api_key_id as "ActorApiKeyId",
        action as "Action", target as "Target", outcome as "Outcome", status_code as "StatusCode", client_address as "ClientAddress",
        details::text as "Details", occurred_at as "OccurredAt"
        """;

    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/api/v1/audit").WithTags("Audit")
            .MapGet("/", List).WithName("audit.list").WithSummary("The tenant's audit log, newest first (paged, filter by action)")
            .RequirePermission(Permission.AuditRead);
        return routes;
    }

    public static async Task<Ok<Page<AuditEntry>>> List(HttpContext http, TenantDb db, string? action, int? page, int? pageSize, CancellationToken ct)
    {
        var paging = PageRequest.From(page, pageSize);
        var (rows, total) = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            var where = action is null ? "" : "where action = @action";
            var total = await s.ExecuteScalarAsync<long>($"select count(*) from audit_log {where}", new { action }, ct);
            var rows = await s.QueryAsync<Row>($"select {Columns} from audit_log {where} order by occurred_at desc, id desc limit @limit offset @offset",
                new { action, limit = paging.PageSize, offset = paging.Offset }, ct);
            return (rows.Select(r => r.ToEntry()).ToList(), total);
        }, ct);
        return TypedResults.Ok(new Page<AuditEntry>(rows, paging.PageNumber, paging.PageSize, total));
    }
}
