using DeepSim.Api.Audit;
using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace DeepSim.Api.ApiKeys;

public sealed record CreateApiKeyRequest(string? Name, IReadOnlyList<string>? Permissions);
/// <summary>
/// An API key as listed. <see cref="Permissions"/> are what it was granted; <see cref="EffectivePermissions"/> what it
/// may do now: the granted ones its creator's current role still allows (none once the creator has left the tenant).
/// </summary>
public sealed record ApiKeyResponse(Guid Id, string Name, string[] Permissions, string[] EffectivePermissions, Guid CreatedBy, DateTime CreatedAt,
    DateTime? LastUsedAt, DateTime? RevokedAt);
public sealed record CreatedApiKeyResponse(ApiKeyResponse Key, string Secret);

/// <summary>API keys for programs: shown once, stored hashed, scoped to permissions, revocable.</summary>
public static class ApiKeyEndpoints
{
    // Dapper cannot bind text[] to a constructor parameter, so permissions are read as one comma-separated string.
    private sealed record Row(Guid Id, string Name, string Permissions, Guid CreatedBy, DateTime CreatedAt, DateTime? LastUsedAt, DateTime? RevokedAt,
        string? CreatorRole)
    {
        public ApiKeyResponse ToResponse() => new(Id, Name, Permissions.Split(',', StringSplitOptions.RemoveEmptyEntries),
            CreatorRole is null ? [] : [.. DeepSimAuthenticationHandler.EffectiveApiKeyPermissions(Permissions, CreatorRole)],
            CreatedBy, CreatedAt, LastUsedAt, RevokedAt);
    }

    // The creator's current role, as the authentication handler reads it, so the list shows what a key can do now.
    private const string Columns = """
        k.id as "Id", k.name as "Name", array_to_string(k.permissions, ',') as "Permissions", k.created_by as "CreatedBy",
        k.created_at as "CreatedAt", k.last_used_at as "LastUsedAt", k.revoked_at as "RevokedAt", m.role as "CreatorRole"
        """;

    private const string From = "api_keys k left join memberships m on m.tenant_id = k.tenant_id and m.user_id = k.created_by";

    public static IEndpointRouteBuilder MapApiKeyEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/api-keys").WithTags("API keys");
        group.MapGet("/", List).WithName("apikeys.list").WithSummary("The tenant's API keys (never their secrets)").RequirePermission(Permission.ApiKeysManage);
        group.MapPost("/", Create).WithName("apikeys.create").WithSummary("Create an API key; the secret is in this response only")
            .RequirePermission(Permission.ApiKeysManage);
        group.MapDelete("/{apiKeyId:guid}", Revoke).WithName("apikeys.revoke").WithSummary("Revoke an API key").RequirePermission(Permission.ApiKeysManage);
        return routes;
    }

    public static async Task<Ok<List<ApiKeyResponse>>> List(HttpContext http, TenantDb db, CancellationToken ct) =>
        TypedResults.Ok((await db.ForActorAsync(Actor.FromPrincipal(http.User),
            s => s.QueryAsync<Row>($"select {Columns} from {From} order by k.created_at, k.id", null, ct), ct)).Select(r => r.ToResponse()).ToList());

    public static async Task<Results<Created<CreatedApiKeyResponse>, ValidationProblem>> Create(
        CreateApiKeyRequest request, HttpContext http, TenantDb db, AuditNotes audit, CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        var errors = new FieldErrors().Required("name", request.Name, 100);
        var permissions = new List<Permission>();
        if (request.Permissions is not { Count: > 0 })
        {
            errors.Add("permissions", "at least one permission is required");
        }
        else
        {
            for (var i = 0; i < request.Permissions.Count; i++)
            {
                var name = request.Permissions[i];
                if (!PermissionTable.TryParse(name, out var permission) || !PermissionTable.ApiKeyGrantable.Contains(permission))
                {
                    errors.Add($"permissions[{i}]", $"'{name}' is not a permission an API key can hold");
                }
                else if (!actor.Permissions.Contains(permission))
                {
                    errors.Add($"permissions[{i}]", $"you cannot grant '{name}', which you do not hold");
                }
                else
                {
                    permissions.Add(permission);
                }
            }
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var id = Guid.NewGuid();
        try
        {
            // Dapper would expand an array parameter into a list, so the names travel as one comma-separated string.
            var created = await db.ForActorAsync(actor, async s =>
            {
                var tenant = s.RequireTenant();
                var secret = TokenService.CreateOpaqueToken(DeepSimAuthenticationHandler.ApiKeyPrefix, tenant, id);
                await s.ExecuteAsync(
                    "insert into api_keys (id, tenant_id, name, key_hash, permissions, created_by) values (@id, @tenant, @name, @hash, string_to_array(@permissions, ','), @by)",
                    new { id, tenant, name = request.Name!.Trim(), hash = TokenService.HashOpaqueToken(secret), permissions = string.Join(',', permissions.Distinct().Select(PermissionTable.Name)), by = actor.Id }, ct);
                await Outbox.AddAsync(s, "apikey.created", new { tenantId = tenant, apiKeyId = id }, ct);
                var key = await s.QuerySingleOrDefaultAsync<Row>($"select {Columns} from {From} where k.id = @id", new { id }, ct);
                return new CreatedApiKeyResponse(key!.ToResponse(), secret);
            }, ct);
            audit.Target = id.ToString();
            return TypedResults.Created($"/api/v1/api-keys/{id}", created);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Problems.Validation("name", "an API key with this name already exists");
        }
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Revoke(Guid apiKeyId, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var revoked = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            var n = await s.ExecuteAsync("update api_keys set revoked_at = now() where id = @apiKeyId and revoked_at is null", new { apiKeyId }, ct);
            if (n > 0)
            {
                await Outbox.AddAsync(s, "apikey.revoked", new { tenantId = s.TenantId, apiKeyId }, ct);
            }
            return n;
        }, ct);
        return revoked == 0 ? Problems.NotFound("No such active API key.") : TypedResults.NoContent();
    }
}
