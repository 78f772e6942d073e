using DeepSim.Api.Audit;
using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using DeepSim.Api.Teams;
using DeepSim.Api.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DeepSim.Api.Platform;

public sealed record PlatformTenant(Guid Id, string Name, string Slug, string Plan, string Status, DateTime CreatedAt, long MemberCount);
public sealed record CreateTenantRequest(string? Name, string? Slug, string? Plan, string? OwnerEmail);
public sealed record PlatformUpdateTenantRequest(string? Name, string? Plan);

/// <summary>
/// Platform operators: every tenant's lifecycle and audit log. Each call goes through a SECURITY DEFINER function
/// that re-checks the caller is an operator and audits the change in the same transaction; those functions run only as
/// the platform role (<see cref="PlatformDb"/>), never as the application role.
/// </summary>
public static class PlatformEndpoints
{
    public static readonly IReadOnlyList<string> Plans = ["free", "pro", "enterprise"];
    public static readonly IReadOnlyList<string> Statuses = ["active", "suspended"];

    private sealed record Row(Guid Id, string Name, string Slug, string Plan, string Status, DateTime CreatedAt, long MemberCount, long TotalCount)
    {
        public PlatformTenant ToTenant() => new(Id, Name, Slug, Plan, Status, CreatedAt, MemberCount);
    }

    private const string RowColumns = """
        id as "Id", name as "Name", slug as "Slug", plan as "Plan", status as "Status", created_at as "CreatedAt",
        member_count as "MemberCount", total_count as "TotalCount"
        """;

    public static IEndpointRouteBuilder MapPlatformEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/platform").WithTags("Platform");
        group.MapGet("/tenants", List).WithName("platform.tenants.list").WithSummary("All tenants (paged; filter by status and plan; search by name or slug)")
            .RequirePermission(Permission.PlatformTenants);
        group.MapPost("/tenants", Create).WithName("platform.tenants.create").WithSummary("Create a tenant and invite its owner by email")
            .RequirePermission(Permission.PlatformTenants);
        group.MapGet("/tenants/{tenantId:guid}", Get).WithName("platform.tenants.get").WithSummary("One tenant").RequirePermission(Permission.PlatformTenants);
        group.MapPatch("/tenants/{tenantId:guid}", Update).WithName("platform.tenants.update").WithSummary("Rename a tenant or change its plan")
            .RequirePermission(Permission.PlatformTenants);
        group.MapPost("/tenants/{tenantId:guid}/suspend", Suspend).WithName("platform.tenants.suspend")
            .WithSummary("Suspend a tenant: its tokens and API keys stop working at once; data is kept").RequirePermission(Permission.PlatformTenants);
        group.MapPost("/tenants/{tenantId:guid}/restore", Restore).WithName("platform.tenants.restore").WithSummary("Restore a suspended tenant")
            .RequirePermission(Permission.PlatformTenants);
        group.MapDelete("/tenants/{tenantId:guid}", Delete).WithName("platform.tenants.delete")
            .WithSummary("Delete a tenant: every row purged, counts recorded in the audit log").RequirePermission(Permission.PlatformTenants);
        group.MapGet("/audit", Audit).WithName("platform.audit.list").WithSummary("Every tenant's audit log (paged; filter by tenant)")
            .RequirePermission(Permission.PlatformAudit);
        return routes;
    }

    private static string? Client(HttpContext http) => http.Connection.RemoteIpAddress?.ToString();

    public static async Task<Results<Ok<Page<PlatformTenant>>, ValidationProblem>> List(
        HttpContext http, PlatformDb db, string? status, string? plan, string? search, int? page, int? pageSize, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (status is not null && !Statuses.Contains(status))
        {
            errors.Add("status", $"must be one of {string.Join(", ", Statuses)}");
        }
        if (plan is not null && !Plans.Contains(plan))
        {
            errors.Add("plan", $"must be one of {string.Join(", ", Plans)}");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var paging = PageRequest.From(page, pageSize);
        var actor = Actor.FromPrincipal(http.User);
        var rows = (await db.RunAsync(s => s.QueryAsync<Row>(
            $"select {RowColumns} from platform_list_tenants(@actor, @status, @plan, @search, @limit, @offset)",
            new { actor = actor.UserId, status, plan, search = string.IsNullOrWhiteSpace(search) ? null : search.Trim(), limit = paging.PageSize, offset = paging.Offset }, ct), ct)).ToList();
        return TypedResults.Ok(new Page<PlatformTenant>(rows.Select(r => r.ToTenant()).ToList(), paging.PageNumber, paging.PageSize, rows.Count > 0 ? rows[0].TotalCount : 0));
    }

    public static async Task<Results<Ok<PlatformTenant>, ProblemHttpResult>> Get(Guid tenantId, HttpContext http, PlatformDb db, AuditNotes audit, CancellationToken ct)
    {
        var row = await GetRowAsync(db, Actor.FromPrincipal(http.User), tenantId, ct);
        return row is null ? Problems.NotFound("No such tenant.") : TypedResults.Ok(row.ToTenant());
    }

    private static Task<Row?> GetRowAsync(PlatformDb db, Actor actor, Guid tenantId, CancellationToken ct) =>
        db.RunAsync(s => s.QuerySingleOrDefaultAsync<Row>(
            $"select {RowColumns} from platform_get_tenant(@actor, @tenantId)", new { actor = actor.UserId, tenantId }, ct), ct);

    public static async Task<Results<Created<PlatformTenant>, ValidationProblem, ProblemHttpResult>> Create(
        CreateTenantRequest request, HttpContext http, PlatformDb platform, TenantDb db, IOptions<AuthSettings> options, TimeProvider time, AuditNotes audit, CancellationToken ct)
    {
        var errors = new FieldErrors().Required("name", request.Name, 200).Required("slug", request.Slug, 63);
        if (!string.IsNullOrWhiteSpace(request.Slug) && !AuthEndpoints.SlugPattern().IsMatch(request.Slug))
        {
            errors.Add("slug", "must be 3-63 lowercase letters, digits or hyphens, not starting or ending with a hyphen");
        }
        if (request.Plan is not null && !Plans.Contains(request.Plan))
        {
            errors.Add("plan", $"must be one of {string.Join(", ", Plans)}");
        }
        AuthEndpoints.ValidateEmail(errors, "ownerEmail", request.OwnerEmail);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var actor = Actor.FromPrincipal(http.User);
        var tenantId = Guid.NewGuid();
        var plan = request.Plan ?? "free";
        try
        {
            await platform.RunAsync(s => s.ExecuteAsync("select platform_create_tenant(@actor, @tenantId, @name, @slug, @plan, @client)",
                new { actor = actor.UserId, tenantId, name = request.Name!.Trim(), slug = request.Slug, plan, client = Client(http) }, ct), ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Problems.Validation("slug", "is already taken");
        }
        // The owner joins by invitation, like anyone else: no password is ever set by an operator.
        var email = TokenService.NormalizeEmail(request.OwnerEmail!);
        var invitationId = Guid.NewGuid();
        await db.InTenantAsync(tenantId, async s =>
        {
            var token = TokenService.CreateOpaqueToken(TeamEndpoints.InvitationPrefix, tenantId, invitationId);
            await s.ExecuteAsync(
                """
                insert into invitations (id, tenant_id, email_normalized, role, token_hash, invited_by, expires_at)
                values (@invitationId, @tenantId, @email, 'owner', @hash, @by, @expires)
                """,
                new { invitationId, tenantId, email, hash = TokenService.HashOpaqueToken(token), by = actor.Id, expires = time.GetUtcNow().UtcDateTime.AddDays(options.Value.InvitationDays) }, ct);
            await Outbox.AddMailAsync(s, email, "Your DeepSim tenant is ready",
                $"A DeepSim tenant was created for you as owner. Accept within {options.Value.InvitationDays} days with this token: {token}", ct);
            return 0;
        }, ct);
        audit.TenantId = tenantId;
        audit.Target = tenantId.ToString();
        var row = await GetRowAsync(platform, actor, tenantId, ct);
        return TypedResults.Created($"/api/v1/platform/tenants/{tenantId}", row!.ToTenant());
    }

    public static async Task<Results<Ok<PlatformTenant>, ValidationProblem, ProblemHttpResult>> Update(
        Guid tenantId, PlatformUpdateTenantRequest request, HttpContext http, PlatformDb db, AuditNotes audit, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (request.Name is not null)
        {
            errors.Required("name", request.Name, 200);
        }
        if (request.Plan is not null && !Plans.Contains(request.Plan))
        {
            errors.Add("plan", $"must be one of {string.Join(", ", Plans)}");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var actor = Actor.FromPrincipal(http.User);
        audit.TenantId = tenantId;
        var found = await db.RunAsync(s => s.ExecuteScalarAsync<bool>("select platform_update_tenant(@actor, @tenantId, @name, @plan, @client)",
            new { actor = actor.UserId, tenantId, name = request.Name?.Trim(), plan = request.Plan, client = Client(http) }, ct), ct);
        if (!found)
        {
            audit.TenantId = null;
            return Problems.NotFound("No such tenant.");
        }
        return TypedResults.Ok((await GetRowAsync(db, actor, tenantId, ct))!.ToTenant());
    }

    public static Task<Results<Ok<PlatformTenant>, ProblemHttpResult>> Suspend(Guid tenantId, HttpContext http, PlatformDb db, AuditNotes audit, CancellationToken ct) =>
        SetStatusAsync(tenantId, "suspended", http, db, audit, ct);

    public static Task<Results<Ok<PlatformTenant>, ProblemHttpResult>> Restore(Guid tenantId, HttpContext http, PlatformDb db, AuditNotes audit, CancellationToken ct) =>
        SetStatusAsync(tenantId, "active", http, db, audit, ct);

    private static async Task<Results<Ok<PlatformTenant>, ProblemHttpResult>> SetStatusAsync(
        Guid tenantId, string status, HttpContext http, PlatformDb db, AuditNotes audit, CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        var found = await db.RunAsync(s => s.ExecuteScalarAsync<bool>("select platform_set_tenant_status(@actor, @tenantId, @status, @client)",
            new { actor = actor.UserId, tenantId, status, client = Client(http) }, ct), ct);
        if (!found)
        {
            return Problems.NotFound("No such tenant.");
        }
        audit.TenantId = tenantId;
        return TypedResults.Ok((await GetRowAsync(db, actor, tenantId, ct))!.ToTenant());
    }

    public static async Task<Results<Ok<TenantDeletedResponse>, ProblemHttpResult>> Delete(Guid tenantId, HttpContext http, PlatformDb db, AuditNotes audit, CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        var counts = await db.RunAsync(s => s.ExecuteScalarAsync<string>("select platform_delete_tenant(@actor, @tenantId, @client)::text",
            new { actor = actor.UserId, tenantId, client = Client(http) }, ct), ct);
        if (counts is null)
        {
            return Problems.NotFound("No such tenant.");
        }
        audit.AlreadyRecorded = true; // the purge wrote its platform-level audit row with the counts, in its own transaction
        return TypedResults.Ok(new TenantDeletedResponse(tenantId, TenantEndpoints.ParseCounts(counts)));
    }

    public static async Task<Ok<Page<AuditEntry>>> Audit(HttpContext http, PlatformDb db, Guid? tenantId, int? page, int? pageSize, CancellationToken ct)
    {
        var paging = PageRequest.From(page, pageSize);
        var actor = Actor.FromPrincipal(http.User);
        var rows = await db.RunAsync(s => s.QueryAsync<AuditEndpoints.Row>(
            $"select {AuditEndpoints.Columns} from platform_read_audit(@actor, @tenantId, @limit, @offset)",
            new { actor = actor.UserId, tenantId, limit = paging.PageSize, offset = paging.Offset }, ct), ct);
        var entries = rows.Select(r => r.ToEntry()).ToList();
        return TypedResults.Ok(new Page<AuditEntry>(entries, paging.PageNumber, paging.PageSize, null));
    }
}
