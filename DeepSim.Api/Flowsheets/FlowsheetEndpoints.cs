using System.Globalization;
using System.Text.Json;
using DeepSim.Api.Audit;
using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using DeepSim.Api.Plans;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace DeepSim.Api.Flowsheets;

public sealed record FlowsheetRequest(string? Name, string? Description, JsonElement? Content);
public sealed record FlowsheetSummary(Guid Id, string Name, string Description, int Version, DateTime CreatedAt, DateTime UpdatedAt);
public sealed record FlowsheetResponse(Guid Id, string Name, string Description, JsonElement Content, int Version, DateTime CreatedAt, DateTime UpdatedAt);
public sealed record FlowsheetVersionSummary(int Version, string Name, Guid CreatedBy, DateTime CreatedAt);

/// <summary>Whether a flowsheet document would be accepted, and every error at its JSON path (<c>$.units[2].spec.temperature</c>).</summary>
public sealed record FlowsheetValidationResponse(bool Valid, IReadOnlyList<FlowsheetIssue> Errors);

/// <summary>Flowsheets of the caller's tenant: versioned, with optimistic concurrency through ETag / If-Match.</summary>
public static class FlowsheetEndpoints
{
    public const int MaxContentBytes = 4 * 1024 * 1024;

    private sealed record Row(Guid Id, string Name, string Description, string Content, int Version, DateTime CreatedAt, DateTime UpdatedAt)
    {
        public FlowsheetResponse ToResponse() => new(Id, Name, Description, JsonDocument.Parse(Content).RootElement.Clone(), Version, CreatedAt, UpdatedAt);
    }

    private const string Columns = """
        id as "Id", name as "Name", description as "Description", content::text as "Content", version as "Version",
        created_at as "CreatedAt", updated_at as "UpdatedAt"
        """;

    public static IEndpointRouteBuilder MapFlowsheetEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/flowsheets").WithTags("Flowsheets");
        group.MapGet("/", List).WithName("flowsheets.list").WithSummary("List flowsheets (paged, search by name)").RequirePermission(Permission.FlowsheetsRead);
        group.MapPost("/", Create).WithName("flowsheets.create").WithSummary("Create a flowsheet").RequirePermission(Permission.FlowsheetsWrite);
        group.MapPost("/import", Import).WithName("flowsheets.import").WithSummary("Import a flowsheet document in the engine's JSON format")
            .RequirePermission(Permission.FlowsheetsWrite);
        group.MapPost("/validate", ValidateDocument).WithName("flowsheets.validate")
            .WithSummary("Check a flowsheet document with the engine's reader (the checks a run makes) without storing it. 200 with valid and every "
                + "error at its JSON path; a body that is not a JSON object, or is larger than a stored flowsheet may be, is valid: false at \"$\"; "
                + "broken JSON is a 400 problem")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithMetadata(ChangesNothing.Instance)
            .RequirePermission(Permission.FlowsheetsRead);
        group.MapGet("/{flowsheetId:guid}", Get).WithName("flowsheets.get").WithSummary("Get a flowsheet (ETag carries its version)")
            .RequirePermission(Permission.FlowsheetsRead);
        group.MapPut("/{flowsheetId:guid}", Update).WithName("flowsheets.update").WithSummary("Replace a flowsheet; If-Match with the current ETag is required")
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status428PreconditionRequired)
            .RequirePermission(Permission.FlowsheetsWrite);
        group.MapDelete("/{flowsheetId:guid}", Delete).WithName("flowsheets.delete").WithSummary("Delete a flowsheet and its history")
            .RequirePermission(Permission.FlowsheetsWrite);
        group.MapGet("/{flowsheetId:guid}/versions", Versions).WithName("flowsheets.versions.list").WithSummary("Version history")
            .RequirePermission(Permission.FlowsheetsRead);
        group.MapGet("/{flowsheetId:guid}/versions/{version:int}", GetVersion).WithName("flowsheets.versions.get").WithSummary("One past version")
            .RequirePermission(Permission.FlowsheetsRead);
        group.MapGet("/{flowsheetId:guid}/export", Export).WithName("flowsheets.export").WithSummary("The flowsheet document in the engine's JSON format")
            .Produces<Stream>(StatusCodes.Status200OK, "application/json")
            .RequirePermission(Permission.FlowsheetsRead);
        return routes;
    }

    internal static string ETag(int version) => "\"v" + version.ToString(CultureInfo.InvariantCulture) + "\"";

    private static int? ParseIfMatch(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }
        var value = header.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
        {
            value = value[2..];
        }
        value = value.Trim('"');
        return value.StartsWith('v') && int.TryParse(value.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1;
    }

    public static async Task<Ok<Page<FlowsheetSummary>>> List(HttpContext http, TenantDb db, string? search, int? page, int? pageSize, CancellationToken ct)
    {
        var paging = PageRequest.From(page, pageSize);
        var pattern = string.IsNullOrWhiteSpace(search) ? null : "%" + search.Trim().Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
        var (items, total) = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            var where = pattern is null ? "" : "where name ilike @pattern";
            var total = await s.ExecuteScalarAsync<long>($"select count(*) from flowsheets {where}", new { pattern }, ct);
            var items = await s.QueryAsync<FlowsheetSummary>(
                $"""
                select id as "Id", name as "Name", description as "Description", version as "Version", created_at as "CreatedAt", updated_at as "UpdatedAt"
                from flowsheets {where} order by name, id limit @limit offset @offset
                """, new { pattern, limit = paging.PageSize, offset = paging.Offset }, ct);
            return (items.ToList(), total);
        }, ct);
        return TypedResults.Ok(new Page<FlowsheetSummary>(items, paging.PageNumber, paging.PageSize, total));
    }

    /// <summary>
    /// The request's field errors. <paramref name="contentPath"/> is where the document sits in the body: "content" when it is
    /// one field of the request, "" when the body is the document itself (import), so every error names a path in the body sent.
    /// </summary>
    private static FieldErrors Validate(FlowsheetRequest request, IFlowsheetValidator validator, string contentPath = "content")
    {
        string At(string documentPath)
        {
            var path = documentPath.TrimStart('$');
            return contentPath.Length > 0 ? contentPath + path : path.TrimStart('.') is { Length: > 0 } inBody ? inBody : "$";
        }

        var errors = new FieldErrors().Required("name", request.Name, 200);
        if (request.Description is { Length: > 4000 })
        {
            errors.Add("description", "must be at most 4000 characters");
        }
        if (request.Content is not { } content || content.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            errors.Add(At("$"), "is required");
        }
        else if (content.GetRawText().Length > MaxContentBytes)
        {
            errors.Add(At("$"), $"must be at most {MaxContentBytes} bytes");
        }
        else
        {
            foreach (var issue in validator.Validate(content))
            {
                errors.Add(At(issue.Path), issue.Message);
            }
        }
        return errors;
    }

    public static Ok<FlowsheetValidationResponse> ValidateDocument([FromBody] JsonElement document, IFlowsheetValidator validator)
    {
        IReadOnlyList<FlowsheetIssue> issues = document.ValueKind == JsonValueKind.Object && document.GetRawText().Length > MaxContentBytes
            ? [new FlowsheetIssue("$", $"must be at most {MaxContentBytes} bytes")]
            : validator.Validate(document);
        return TypedResults.Ok(new FlowsheetValidationResponse(issues.Count == 0, issues));
    }

    public static async Task<Results<Created<FlowsheetResponse>, ValidationProblem, ProblemHttpResult>> Create(
        FlowsheetRequest request, HttpContext http, TenantDb db, IFlowsheetValidator validator, AuditNotes audit, CancellationToken ct)
    {
        var errors = Validate(request, validator);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        return await InsertAsync(http, db, request.Name!.Trim(), request.Description?.Trim() ?? "", request.Content!.Value, audit, ct);
    }

    public static async Task<Results<Created<FlowsheetResponse>, ValidationProblem, ProblemHttpResult>> Import(
        [FromBody] JsonElement document, [FromQuery] string? name, HttpContext http, TenantDb db, IFlowsheetValidator validator, AuditNotes audit, CancellationToken ct)
    {
        var documentName = name ?? (document.ValueKind == JsonValueKind.Object && document.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null);
        var errors = Validate(new FlowsheetRequest(documentName, null, document), validator, contentPath: "");
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        return await InsertAsync(http, db, documentName!.Trim(), "", document, audit, ct);
    }

    private static async Task<Results<Created<FlowsheetResponse>, ValidationProblem, ProblemHttpResult>> InsertAsync(
        HttpContext http, TenantDb db, string name, string description, JsonElement content, AuditNotes audit, CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        var id = Guid.NewGuid();
        try
        {
            ProblemHttpResult? overLimit = null;
            var row = await db.ForActorAsync(actor, async s =>
            {
                if ((overLimit = await PlanLimits.EnsureCanCreateFlowsheetAsync(s, ct)) is not null)
                {
                    return null;
                }
                var args = new { id, tenant = s.RequireTenant(), name, description, content = content.GetRawText(), by = actor.Id };
                await s.ExecuteAsync(
                    """
                    insert into flowsheets (id, tenant_id, name, description, content, version, created_by, updated_by)
                    values (@id, @tenant, @name, @description, @content::jsonb, 1, @by, @by)
                    """, args, ct);
                await s.ExecuteAsync(
                    """
                    insert into flowsheet_versions (tenant_id, flowsheet_id, version, name, description, content, created_by)
                    values (@tenant, @id, 1, @name, @description, @content::jsonb, @by)
                    """, args, ct);
                await Outbox.AddAsync(s, "flowsheet.created", new { tenantId = s.TenantId, flowsheetId = id, version = 1, actorId = actor.Id }, ct);
                return await s.QuerySingleOrDefaultAsync<Row>($"select {Columns} from flowsheets where id = @id", new { id }, ct);
            }, ct);
            if (overLimit is not null)
            {
                return overLimit;
            }
            audit.Target = id.ToString();
            http.Response.Headers.ETag = ETag(1);
            return TypedResults.Created($"/api/v1/flowsheets/{id}", row!.ToResponse());
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Problems.Validation("name", "a flowsheet with this name already exists");
        }
    }

    public static async Task<Results<Ok<FlowsheetResponse>, ProblemHttpResult>> Get(Guid flowsheetId, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var row = await db.ForActorAsync(Actor.FromPrincipal(http.User),
            s => s.QuerySingleOrDefaultAsync<Row>($"select {Columns} from flowsheets where id = @flowsheetId", new { flowsheetId }, ct), ct);
        if (row is null)
        {
            return Problems.NotFound("No such flowsheet.");
        }
        http.Response.Headers.ETag = ETag(row.Version);
        return TypedResults.Ok(row.ToResponse());
    }

    public static async Task<Results<Ok<FlowsheetResponse>, ValidationProblem, ProblemHttpResult>> Update(
        Guid flowsheetId, FlowsheetRequest request, HttpContext http, TenantDb db, IFlowsheetValidator validator, CancellationToken ct)
    {
        var expected = ParseIfMatch(http.Request.Headers.IfMatch);
        var errors = Validate(request, validator);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var actor = Actor.FromPrincipal(http.User);
        try
        {
            return await db.ForActorAsync<Results<Ok<FlowsheetResponse>, ValidationProblem, ProblemHttpResult>>(actor, async s =>
            {
                var current = await s.QuerySingleOrDefaultAsync<int?>("select version from flowsheets where id = @flowsheetId for update", new { flowsheetId }, ct);
                if (current is null)
                {
                    return Problems.NotFound("No such flowsheet.");
                }
                if (expected is null)
                {
                    return Problems.PreconditionRequired("Send If-Match with the ETag from your last read.");
                }
                if (expected != current)
                {
                    return Problems.PreconditionFailed($"The flowsheet changed since you read it (now {ETag(current.Value)}); read it again and reapply your change.");
                }
                var version = current.Value + 1;
                var args = new { flowsheetId, tenant = s.RequireTenant(), version, name = request.Name!.Trim(), description = request.Description?.Trim() ?? "", content = request.Content!.Value.GetRawText(), by = actor.Id };
                await s.ExecuteAsync(
                    """
                    update flowsheets set name = @name, description = @description, content = @content::jsonb, version = @version,
                           updated_by = @by, updated_at = now()
                    where id = @flowsheetId
                    """, args, ct);
                await s.ExecuteAsync(
                    """
                    insert into flowsheet_versions (tenant_id, flowsheet_id, version, name, description, content, created_by)
                    values (@tenant, @flowsheetId, @version, @name, @description, @content::jsonb, @by)
                    """, args, ct);
                await Outbox.AddAsync(s, "flowsheet.updated", new { tenantId = s.TenantId, flowsheetId, version, actorId = actor.Id }, ct);
                var row = await s.QuerySingleOrDefaultAsync<Row>($"select {Columns} from flowsheets where id = @flowsheetId", new { flowsheetId }, ct);
                http.Response.Headers.ETag = ETag(version);
                return TypedResults.Ok(row!.ToResponse());
            }, ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Problems.Validation("name", "a flowsheet with this name already exists");
        }
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid flowsheetId, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var deleted = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            await s.ExecuteAsync("delete from flowsheet_versions where flowsheet_id = @flowsheetId", new { flowsheetId }, ct);
            var n = await s.ExecuteAsync("delete from flowsheets where id = @flowsheetId", new { flowsheetId }, ct);
            if (n > 0)
            {
                await Outbox.AddAsync(s, "flowsheet.deleted", new { tenantId = s.TenantId, flowsheetId }, ct);
            }
            return n;
        }, ct);
        return deleted == 0 ? Problems.NotFound("No such flowsheet.") : TypedResults.NoContent();
    }

    public static async Task<Results<Ok<List<FlowsheetVersionSummary>>, ProblemHttpResult>> Versions(Guid flowsheetId, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var versions = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            var exists = await s.ExecuteScalarAsync<bool>("select exists (select 1 from flowsheets where id = @flowsheetId)", new { flowsheetId }, ct);
            return exists
                ? (await s.QueryAsync<FlowsheetVersionSummary>(
                    "select version as \"Version\", name as \"Name\", created_by as \"CreatedBy\", created_at as \"CreatedAt\" from flowsheet_versions where flowsheet_id = @flowsheetId order by version desc",
                    new { flowsheetId }, ct)).ToList()
                : null;
        }, ct);
        return versions is null ? Problems.NotFound("No such flowsheet.") : TypedResults.Ok(versions);
    }

    public static async Task<Results<Ok<FlowsheetResponse>, ProblemHttpResult>> GetVersion(Guid flowsheetId, int version, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var row = await db.ForActorAsync(Actor.FromPrincipal(http.User), s => s.QuerySingleOrDefaultAsync<Row>(
            """
            select flowsheet_id as "Id", name as "Name", description as "Description", content::text as "Content", version as "Version",
                   created_at as "CreatedAt", created_at as "UpdatedAt"
            from flowsheet_versions where flowsheet_id = @flowsheetId and version = @version
            """, new { flowsheetId, version }, ct), ct);
        return row is null ? Problems.NotFound("No such flowsheet version.") : TypedResults.Ok(row.ToResponse());
    }

    public static async Task<Results<ContentHttpResult, ProblemHttpResult>> Export(Guid flowsheetId, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var row = await db.ForActorAsync(Actor.FromPrincipal(http.User),
            s => s.QuerySingleOrDefaultAsync<Row>($"select {Columns} from flowsheets where id = @flowsheetId", new { flowsheetId }, ct), ct);
        if (row is null)
        {
            return Problems.NotFound("No such flowsheet.");
        }
        http.Response.Headers.ETag = ETag(row.Version);
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"flowsheet-{row.Id:N}.json\"";
        return TypedResults.Text(row.Content, "application/json");
    }
}
