using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSim.Api.Audit;
using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using DeepSim.Api.Runs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Api.Studies;

public sealed record StudyRequest(Guid? FlowsheetId, int? Version, string? Name, IReadOnlyList<StudyParameter>? Parameters, IReadOnlyList<string>? Outputs = null);

public sealed record StudyProgress(int Total, int Done, int Queued, int Running, int Completed, int Failed, int Cancelled, int Cached);

public sealed record StudyResponse(Guid Id, string Name, string Status, Guid FlowsheetId, int FlowsheetVersion, JsonElement Parameters,
    StudyProgress Progress, DateTime CreatedAt);

/// <summary>A study's results as a table: one row per point, the varied values, then each stream's main results.</summary>
public sealed record StudyTable(IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<object?>> Rows);

/// <summary>Parametric studies: one or two inputs varied over lists or ranges, one run per point across the worker pool.</summary>
public static class StudyEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Stream results in the table, in this order, as named in the engine's result JSON.</summary>

    public static IEndpointRouteBuilder MapStudyEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/studies").WithTags("Studies");
        group.MapPost("/", Create).WithName("studies.create").WithSummary("Start a study: vary 1 or 2 inputs (JSON paths) over lists or ranges")
            .RequirePermission(Permission.RunsExecute);
        group.MapGet("/", List).WithName("studies.list").WithSummary("List studies, newest first (optionally of one flowsheet), with progress")
            .RequirePermission(Permission.FlowsheetsRead);
        group.MapGet("/{studyId:guid}", Get).WithName("studies.get").WithSummary("A study and its progress (done / total)")
            .RequirePermission(Permission.FlowsheetsRead);
        group.MapGet("/{studyId:guid}/results", Results).WithName("studies.results").WithSummary("The result table, one row per point")
            .RequirePermission(Permission.FlowsheetsRead);
        group.MapGet("/{studyId:guid}/export", Export).WithName("studies.export").WithSummary("The result table as CSV or XLSX (?format=csv|xlsx)")
            .Produces<Stream>(StatusCodes.Status200OK, "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .RequirePermission(Permission.FlowsheetsRead);
        group.MapPost("/{studyId:guid}/cancel", Cancel).WithName("studies.cancel").WithSummary("Cancel a study and its unfinished runs")
            .RequirePermission(Permission.RunsExecute);
        return routes;
    }

    public static async Task<Results<Created<StudyResponse>, ValidationProblem, ProblemHttpResult>> Create(
        StudyRequest request, HttpContext http, TenantDb db, RunService runs, TimeProvider clock, AuditNotes audit, AuditWriter auditWriter,
        CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        var tenant = actor.RequireTenant();
        var errors = new FieldErrors().Required("name", request.Name, 200);
        if (request.FlowsheetId is not { } flowsheetId)
        {
            errors.Add("flowsheetId", "is required");
            return errors.ToProblem();
        }
        var snapshot = await db.InTenantAsync(tenant, s => RunService.SnapshotAsync(s, flowsheetId, request.Version, ct), ct);
        if (snapshot is null)
        {
            return Problems.NotFound("The flowsheet or that version of it does not exist.");
        }
        var flowsheet = JsonNode.Parse(snapshot.Content)!;
        var axes = StudyGrid.Expand(request.Parameters, flowsheet, errors);
        StudyOutputs.Validate(request.Outputs, flowsheet, errors);
        var total = axes.Aggregate(1L, (n, axis) => n * axis.Length);
        if (!errors.Any && total > runs.Settings.MaxStudyPoints)
        {
            errors.Add("parameters", $"make {total} points; a study has at most {runs.Settings.MaxStudyPoints}");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var paths = request.Parameters!.Select(p => p.Path!).ToList();
        var studyId = Guid.NewGuid();
        var points = StudyGrid.Points(axes);
        var contents = points.Select(point => StudyGrid.Apply(flowsheet, paths, point)).ToList();
        var hashes = contents.ConvertAll(content => CanonicalJson.Hash(RunService.ParseJson(content)));
        var cached = await runs.CachedResultsAsync(tenant, hashes);
        var newRuns = new List<NewRun>(points.Count);
        for (var i = 0; i < points.Count; i++)
        {
            newRuns.Add(new NewRun(Guid.NewGuid(), flowsheetId, snapshot.Version, contents[i], hashes[i], studyId, i,
                JsonSerializer.Serialize(points[i]), cached[i]));
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var createdAt = now.AddTicks(-(now.Ticks % 10));
        var parameters = JsonSerializer.Serialize(request.Parameters, Json);
        QuotaRefusal? refusal = null;
        await db.InTenantAsync(tenant, async s =>
        {
            // A cached point is a stored result, not a simulation: it takes nothing from the quota and is not billed.
            refusal = await runs.ConsumeQuotaAsync(s, newRuns.Count(r => r.CachedResult is null), ct);
            if (refusal is not null)
            {
                s.Rollback();
                return false;
            }
            await s.ExecuteAsync(
                """
                insert into studies (id, tenant_id, flowsheet_id, flowsheet_version, name, parameters, outputs, total, created_by, created_at)
                values (@studyId, @tenant, @flowsheetId, @version, @name, @parameters::jsonb, @outputs::jsonb, @total, @by, @createdAt)
                """, new { studyId, tenant, flowsheetId, version = snapshot.Version, name = request.Name!.Trim(), parameters,
                    outputs = request.Outputs is null ? null : JsonSerializer.Serialize(request.Outputs), total = points.Count, by = actor.Id, createdAt }, ct);
            await runs.InsertManyAsync(s, newRuns, actor.Id, createdAt, ct);
            await Outbox.AddAsync(s, "study.created", new { studyId, flowsheetId, points = points.Count }, ct);
            // The study, its runs and its audit row commit together.
            audit.Target = "study=" + studyId.ToString("D", CultureInfo.InvariantCulture);
            await auditWriter.RecordInAsync(s, http, StatusCodes.Status201Created, ct);
            return true;
        }, ct);
        if (refusal is not null)
        {
            return RunProblems.Quota(refusal.Plan, refusal.Limit, refusal.Usage, refusal.ResetsAt);
        }
        var study = await db.InTenantAsync(tenant, s => LoadAsync(s, studyId, ct), ct);
        return TypedResults.Created($"/api/v1/studies/{studyId}", study!);
    }

    private sealed record StudyRow(Guid Id, string Name, string Status, Guid FlowsheetId, int FlowsheetVersion, string Parameters, int Total, DateTime CreatedAt);

    private const string StudyColumns = """
        id as "Id", name as "Name", status as "Status", flowsheet_id as "FlowsheetId", flowsheet_version as "FlowsheetVersion",
        parameters::text as "Parameters", total as "Total", created_at as "CreatedAt"
        """;

    private sealed record RunCount(Guid StudyId, string Status, bool Cached, int Count);

    internal static async Task<StudyResponse?> LoadAsync(DbScope s, Guid studyId, CancellationToken ct) =>
        (await LoadManyAsync(s, "where id = @studyId", new { studyId }, ct)).SingleOrDefault();

    /// <summary>Studies (filtered and ordered by <paramref name="where"/>) with their progress: two queries for any number of them.</summary>
    private static async Task<List<StudyResponse>> LoadManyAsync(DbScope s, string where, object parameters, CancellationToken ct)
    {
        var rows = (await s.QueryAsync<StudyRow>($"select {StudyColumns} from studies {where}", parameters, ct)).ToList();
        var ids = rows.Select(r => r.Id).ToArray();
        var counts = (await s.QueryAsync<RunCount>(
            """
            select study_id as "StudyId", status as "Status", cached as "Cached", count(*)::integer as "Count"
            from runs where study_id = any(@ids) group by study_id, status, cached
            """, new { ids }, ct)).ToLookup(c => c.StudyId);
        return rows.Select(row => ToResponse(row, counts[row.Id].ToList())).ToList();
    }

    private static StudyResponse ToResponse(StudyRow row, List<RunCount> counts)
    {
        int Count(string status) => counts.Where(c => c.Status == status).Sum(c => c.Count);
        var completed = Count("completed");
        var failed = Count("failed");
        var cancelled = Count("cancelled");
        var progress = new StudyProgress(row.Total, completed + failed + cancelled, Count("queued"), Count("running"), completed, failed, cancelled,
            counts.Where(c => c.Cached).Sum(c => c.Count));
        var status = row.Status == "cancelled" ? "cancelled" : progress.Done == row.Total ? "finished" : "running";
        return new StudyResponse(row.Id, row.Name, status, row.FlowsheetId, row.FlowsheetVersion, RunService.ParseJson(row.Parameters), progress, row.CreatedAt);
    }

    public static async Task<Ok<Page<StudyResponse>>> List(HttpContext http, TenantDb db, Guid? flowsheetId, int? page, int? pageSize, CancellationToken ct)
    {
        var paging = PageRequest.From(page, pageSize);
        var (items, total) = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            var where = flowsheetId is null ? "" : "where flowsheet_id = @flowsheetId";
            var total = await s.ExecuteScalarAsync<long>($"select count(*) from studies {where}", new { flowsheetId }, ct);
            var studies = await LoadManyAsync(s, $"{where} order by created_at desc, id limit @limit offset @offset",
                new { flowsheetId, limit = paging.PageSize, offset = paging.Offset }, ct);
            return (studies, total);
        }, ct);
        return TypedResults.Ok(new Page<StudyResponse>(items, paging.PageNumber, paging.PageSize, total));
    }

    public static async Task<Results<Ok<StudyResponse>, ProblemHttpResult>> Get(Guid studyId, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var study = await db.ForActorAsync(Actor.FromPrincipal(http.User), s => LoadAsync(s, studyId, ct), ct);
        return study is null ? Problems.NotFound("The study does not exist.") : TypedResults.Ok(study);
    }

    public static async Task<Results<Ok<StudyTable>, ProblemHttpResult>> Results(Guid studyId, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var table = await db.ForActorAsync(Actor.FromPrincipal(http.User), s => TableAsync(s, studyId, ct), ct);
        return table is null ? Problems.NotFound("The study does not exist.") : TypedResults.Ok(table);
    }

    public static async Task<Results<FileContentHttpResult, ProblemHttpResult, ValidationProblem>> Export(
        Guid studyId, string? format, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var kind = (format ?? "csv").ToLowerInvariant();
        if (kind is not ("csv" or "xlsx"))
        {
            return Problems.Validation("format", "must be csv or xlsx");
        }
        var table = await db.ForActorAsync(Actor.FromPrincipal(http.User), s => TableAsync(s, studyId, ct), ct);
        if (table is null)
        {
            return Problems.NotFound("The study does not exist.");
        }
        var name = "study-" + studyId.ToString("N", CultureInfo.InvariantCulture)[..8];
        return kind == "csv"
            ? TypedResults.File(StudyExport.Csv(table), "text/csv; charset=utf-8", name + ".csv")
            : TypedResults.File(StudyExport.Xlsx(table), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name + ".xlsx");
    }

    public static async Task<Results<Ok<StudyResponse>, ProblemHttpResult>> Cancel(Guid studyId, HttpContext http, TenantDb db, AuditWriter audit,
        CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        var study = await db.ForActorAsync(actor, async s =>
        {
            var tenant = s.RequireTenant();
            if (await s.ExecuteAsync("update studies set status = 'cancelled', cancelled_at = now() where id = @studyId and status = 'active'", new { studyId }, ct) == 1)
            {
                var queued = await s.QueryAsync<Guid>(
                    "update runs set status = 'cancelled', finished_at = now() where study_id = @studyId and status = 'queued' returning id", new { studyId }, ct);
                await s.ExecuteAsync(
                    "insert into run_events (tenant_id, run_id, kind, detail) select @tenant, id, 'cancelled', 'the study was cancelled' from unnest(@ids) as id",
                    new { tenant, ids = queued.ToArray() }, ct);
                var running = await s.QueryAsync<Guid>(
                    "update runs set cancel_requested = true where study_id = @studyId and status = 'running' returning id", new { studyId }, ct);
                await s.ExecuteAsync(
                    "insert into run_events (tenant_id, run_id, kind, detail) select @tenant, id, 'cancel-requested', 'the study was cancelled' from unnest(@ids) as id",
                    new { tenant, ids = running.ToArray() }, ct);
                await Outbox.AddAsync(s, "study.cancelled", new { studyId, cancelledRuns = queued.Count(), stoppingRuns = running.Count() }, ct);
                // The study exists, so the answer is 200: the cancellation and its audit row commit together.
                await audit.RecordInAsync(s, http, StatusCodes.Status200OK, ct);
            }
            return await LoadAsync(s, studyId, ct);
        }, ct);
        return study is null ? Problems.NotFound("The study does not exist.") : TypedResults.Ok(study);
    }

    private sealed record PointRow(int Point, string Values, string Status, bool? Converged, string? Result);

    internal static async Task<StudyTable?> TableAsync(DbScope s, Guid studyId, CancellationToken ct)
    {
        var study = await s.QuerySingleOrDefaultAsync<(string Parameters, string? Outputs)>(
            "select parameters::text, outputs::text from studies where id = @studyId", new { studyId }, ct);
        if (study.Parameters is null)
        {
            return null;
        }
        var paths = JsonSerializer.Deserialize<List<StudyParameter>>(study.Parameters, Json)!.Select(p => p.Path ?? "").ToList();
        var chosen = study.Outputs is null ? null : JsonSerializer.Deserialize<List<string>>(study.Outputs);
        var rows = (await s.QueryAsync<PointRow>(
            """
            select study_point as "Point", point_values::text as "Values", status as "Status", converged as "Converged", result::text as "Result"
            from runs where study_id = @studyId order by study_point
            """, new { studyId }, ct)).ToList();
        var parsed = rows.Select(row => row.Result is null ? (JsonElement?)null : RunService.ParseJson(row.Result)).ToList();
        var outputs = StudyOutputs.Columns(chosen, parsed);
        var columns = new List<string> { "point" };
        columns.AddRange(paths);
        columns.AddRange(["status", "converged"]);
        columns.AddRange(outputs);
        var table = new List<IReadOnlyList<object?>>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var cells = new List<object?> { rows[i].Point };
            cells.AddRange(JsonSerializer.Deserialize<double[]>(rows[i].Values)!.Cast<object?>());
            cells.Add(rows[i].Status);
            cells.Add(rows[i].Converged);
            cells.AddRange(outputs.Select(o => (object?)StudyOutputs.Value(parsed[i], o)));
            table.Add(cells);
        }
        return new StudyTable(columns, table);
    }
}
