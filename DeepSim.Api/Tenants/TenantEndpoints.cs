using DeepSim.Api.Audit;
using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Api.Tenants;

public sealed record TenantResponse(Guid Id, string Name, string Slug, string Plan, string Status, DateTime CreatedAt);
public sealed record UpdateTenantRequest(string? Name);
public sealed record TenantDeletedResponse(Guid TenantId, IReadOnlyDictionary<string, long> RowsPurged);

/// <summary>The caller's own tenant.</summary>
public static class TenantEndpoints
{
    internal const string SelectTenant = """
        select id as "Id", name as "Name", slug as "Slug", plan as "Plan", status as "Status", created_at as "CreatedAt"
        from tenants where id = current_tenant_id()
        """;

    public static IEndpointRouteBuilder MapTenantEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/tenant").WithTags("Tenant");
        group.MapGet("/", Get).WithName("tenant.get").WithSummary("The caller's tenant").RequirePermission(Permission.TenantRead);
        group.MapPatch("/", Update).WithName("tenant.update").WithSummary("Rename the caller's tenant").RequirePermission(Permission.TeamManage);
        group.MapDelete("/", Delete).WithName("tenant.delete").WithSummary("Delete the caller's tenant and purge all its data (owner)")
            .RequirePermission(Permission.TenantDelete);
        return routes;
    }

    public static async Task<Results<Ok<TenantResponse>, ProblemHttpResult>> Get(HttpContext http, TenantDb db, CancellationToken ct)
    {
        var tenant = await db.ForActorAsync(Actor.FromPrincipal(http.User), s => s.QuerySingleOrDefaultAsync<TenantResponse>(SelectTenant, null, ct), ct);
        return tenant is null ? Problems.NotFound() : TypedResults.Ok(tenant);
    }

    public static async Task<Results<Ok<TenantResponse>, ValidationProblem, ProblemHttpResult>> Update(
        UpdateTenantRequest request, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var errors = new FieldErrors().Required("name", request.Name, 200);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var tenant = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            await s.ExecuteAsync("update tenants set name = @name, updated_at = now() where id = current_tenant_id()", new { name = request.Name!.Trim() }, ct);
            await Outbox.AddWithTenantStateAsync(s, "tenant.renamed", new { tenantId = s.TenantId, name = request.Name.Trim() }, ct);
            return await s.QuerySingleOrDefaultAsync<TenantResponse>(SelectTenant, null, ct);
        }, ct);
        return tenant is null ? Problems.NotFound() : TypedResults.Ok(tenant);
    }

    public static async Task<Results<Ok<TenantDeletedResponse>, ProblemHttpResult>> Delete(HttpContext http, TenantDb db, AuditNotes audit, CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        var counts = await db.ForActorAsync(actor, s => s.ExecuteScalarAsync<string>(
            "select tenant_delete_self(@actor, @client)::text",
            new { actor = actor.UserId, client = http.Connection.RemoteIpAddress?.ToString() }, ct), ct);
        if (counts is null)
        {
            return Problems.NotFound();
        }
        audit.AlreadyRecorded = true; // the purge wrote its own platform-level audit row with the counts
        return TypedResults.Ok(new TenantDeletedResponse(actor.RequireTenant(), ParseCounts(counts)));
    }

    internal static IReadOnlyDictionary<string, long> ParseCounts(string json) =>
        System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, long>>(json) ?? [];
}
