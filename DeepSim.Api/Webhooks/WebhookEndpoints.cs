using System.Text.Json;
using DeepSim.Api.Audit;
using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Webhooks;

public sealed record CreateWebhookRequest(string? Url, IReadOnlyList<string>? Events, bool? Enabled);
/// <summary>A change to an endpoint: each field given replaces the stored one; omitted fields stay.</summary>
public sealed record UpdateWebhookRequest(string? Url, IReadOnlyList<string>? Events, bool? Enabled);
public sealed record WebhookResponse(Guid Id, string Url, string[] Events, bool Enabled, Guid CreatedBy, DateTime CreatedAt, DateTime UpdatedAt,
    DateTime? SecretRotatedAt);
/// <summary>An endpoint with its signing secret: only in the answers to create and rotate, never again.</summary>
public sealed record WebhookWithSecretResponse(WebhookResponse Webhook, string Secret);
public sealed record WebhookAttemptResponse(int Number, DateTime StartedAt, int DurationMs, int? StatusCode, string? Error, string? ResponseBody);
public sealed record WebhookDeliveryResponse(Guid Id, Guid WebhookId, Guid EventId, string EventType, string Status, int Attempts, int Replays,
    DateTime NextAttemptAt, int? LastStatusCode, string? LastError, DateTime CreatedAt, DateTime? DeliveredAt, JsonElement Payload,
    IReadOnlyList<WebhookAttemptResponse> AttemptLog);

/// <summary>
/// The tenant's webhook endpoints (<c>/api/v1/webhooks</c>): registered by an admin for run.completed, run.failed and
/// study.completed; the secret is shown once (create, rotate); deliveries are listed with every attempt and can be
/// replayed; a test event checks the receiver. URLs must be https to a public address (see <see cref="WebhookTargets"/>).
/// </summary>
public static class WebhookEndpoints
{
    public static readonly IReadOnlyList<string> EventTypes = ["run.completed", "run.failed", "study.completed"];
    public const string TestEventType = "webhook.test";
    public const int MaxUrlLength = 2000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Row(Guid Id, string Url, string Events, bool Enabled, Guid CreatedBy, DateTime CreatedAt, DateTime UpdatedAt, DateTime? SecretRotatedAt)
    {
        public WebhookResponse ToResponse() => new(Id, Url, Events.Split(',', StringSplitOptions.RemoveEmptyEntries), Enabled, CreatedBy, CreatedAt, UpdatedAt, SecretRotatedAt);
    }

    private sealed record DeliveryRow(Guid Id, Guid WebhookId, Guid EventId, string EventType, string Status, int Attempts, int Replays,
        DateTime NextAttemptAt, int? LastStatusCode, string? LastError, DateTime CreatedAt, DateTime? DeliveredAt, string Body);

    private sealed record AttemptRow(Guid DeliveryId, int Number, DateTime StartedAt, int DurationMs, int? StatusCode, string? Error, string? ResponseBody);

    private const string Columns = """
        w.id as "Id", w.url as "Url", array_to_string(w.events, ',') as "Events", w.enabled as "Enabled", w.created_by as "CreatedBy",
        w.created_at as "CreatedAt", w.updated_at as "UpdatedAt", w.secret_rotated_at as "SecretRotatedAt"
        """;

    private const string DeliveryColumns = """
        d.id as "Id", d.endpoint_id as "WebhookId", d.event_id as "EventId", d.event_type as "EventType", d.status as "Status",
        d.attempts as "Attempts", d.replays as "Replays", d.next_attempt_at as "NextAttemptAt", d.last_status_code as "LastStatusCode",
        d.last_error as "LastError", d.created_at as "CreatedAt", d.delivered_at as "DeliveredAt", d.body as "Body"
        """;

    public static IEndpointRouteBuilder MapWebhookEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/webhooks").WithTags("Webhooks");
        group.MapGet("/", List).WithName("webhooks.list").WithSummary("The tenant's webhook endpoints (never their secrets)")
            .RequirePermission(Permission.WebhooksManage);
        group.MapPost("/", Create).WithName("webhooks.create").WithSummary("Register a webhook endpoint; its signing secret is in this response only")
            .RequirePermission(Permission.WebhooksManage);
        group.MapGet("/{webhookId:guid}", Get).WithName("webhooks.get").WithSummary("A webhook endpoint").RequirePermission(Permission.WebhooksManage);
        group.MapPatch("/{webhookId:guid}", Update).WithName("webhooks.update").WithSummary("Change a webhook endpoint's URL, events or enabled flag")
            .RequirePermission(Permission.WebhooksManage);
        group.MapDelete("/{webhookId:guid}", Delete).WithName("webhooks.delete").WithSummary("Delete a webhook endpoint and its deliveries")
            .RequirePermission(Permission.WebhooksManage);
        group.MapPost("/{webhookId:guid}/rotate-secret", RotateSecret).WithName("webhooks.rotate-secret")
            .WithSummary("Replace the signing secret; the new one is in this response only").RequirePermission(Permission.WebhooksManage);
        group.MapPost("/{webhookId:guid}/test", SendTest).WithName("webhooks.test")
            .WithSummary("Queue a signed webhook.test event to the endpoint").RequirePermission(Permission.WebhooksManage);
        group.MapGet("/{webhookId:guid}/deliveries", ListDeliveries).WithName("webhooks.deliveries.list")
            .WithSummary("The endpoint's deliveries, newest first, with every attempt (paged)").RequirePermission(Permission.WebhooksManage);
        group.MapGet("/{webhookId:guid}/deliveries/{deliveryId:guid}", GetDelivery).WithName("webhooks.deliveries.get")
            .WithSummary("One delivery with every attempt").RequirePermission(Permission.WebhooksManage);
        group.MapPost("/{webhookId:guid}/deliveries/{deliveryId:guid}/replay", Replay).WithName("webhooks.deliveries.replay")
            .WithSummary("Send a finished delivery again (a new round of attempts)").RequirePermission(Permission.WebhooksManage);
        return routes;
    }

    public static async Task<Ok<List<WebhookResponse>>> List(HttpContext http, TenantDb db, CancellationToken ct) =>
        TypedResults.Ok((await db.ForActorAsync(Actor.FromPrincipal(http.User),
            s => s.QueryAsync<Row>($"select {Columns} from webhook_endpoints w order by w.created_at, w.id", null, ct), ct)).Select(r => r.ToResponse()).ToList());

    public static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> Get(Guid webhookId, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var row = await db.ForActorAsync(Actor.FromPrincipal(http.User), s => FindAsync(s, webhookId, ct), ct);
        return row is null ? Problems.NotFound("No such webhook endpoint.") : TypedResults.Ok(row.ToResponse());
    }

    private static Task<Row?> FindAsync(DbScope s, Guid id, CancellationToken ct) =>
        s.QuerySingleOrDefaultAsync<Row>($"select {Columns} from webhook_endpoints w where w.id = @id", new { id }, ct);

    /// <summary>Checks the URL's form and (resolving its host) its addresses; adds errors at <c>url</c>.</summary>
    private static async Task<string?> ValidUrlAsync(string? url, FieldErrors errors, WebhookSettings settings, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            errors.Add("url", "is required");
            return null;
        }
        url = url.Trim();
        if (url.Length > MaxUrlLength)
        {
            errors.Add("url", $"must be at most {MaxUrlLength} characters");
            return null;
        }
        if (WebhookTargets.FormProblem(url, settings, out var uri) is { } form)
        {
            errors.Add("url", form);
            return null;
        }
        if (await WebhookTargets.HostProblemAsync(uri!, settings, ct) is { } host)
        {
            errors.Add("url", host);
            return null;
        }
        return uri!.ToString();
    }

    private static string[] ValidEvents(IReadOnlyList<string>? events, FieldErrors errors)
    {
        if (events is not { Count: > 0 })
        {
            errors.Add("events", $"at least one event is required ({string.Join(", ", EventTypes)})");
            return [];
        }
        for (var i = 0; i < events.Count; i++)
        {
            if (!EventTypes.Contains(events[i], StringComparer.Ordinal))
            {
                errors.Add($"events[{i}]", $"'{events[i]}' is not an event; one of {string.Join(", ", EventTypes)}");
            }
        }
        return [.. events.Distinct(StringComparer.Ordinal)];
    }

    public static async Task<Results<Created<WebhookWithSecretResponse>, ValidationProblem>> Create(
        CreateWebhookRequest request, HttpContext http, TenantDb db, AuditNotes audit, IOptions<WebhookSettings> settings, CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        var errors = new FieldErrors();
        var url = await ValidUrlAsync(request.Url, errors, settings.Value, ct);
        var events = ValidEvents(request.Events, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var id = Guid.NewGuid();
        var secret = WebhookSignature.NewSecret();
        var row = await db.ForActorAsync(actor, async s =>
        {
            await s.ExecuteAsync(
                "insert into webhook_endpoints (id, tenant_id, url, events, secret, enabled, created_by) values (@id, @tenant, @url, string_to_array(@events, ','), @secret, @enabled, @by)",
                new { id, tenant = s.RequireTenant(), url, events = string.Join(',', events), secret, enabled = request.Enabled ?? true, by = actor.Id }, ct);
            await Outbox.AddAsync(s, "webhook.created", new { webhookId = id, url, events }, ct);
            return await FindAsync(s, id, ct);
        }, ct);
        audit.Target = id.ToString();
        return TypedResults.Created($"/api/v1/webhooks/{id}", new WebhookWithSecretResponse(row!.ToResponse(), secret));
    }

    public static async Task<Results<Ok<WebhookResponse>, ValidationProblem, ProblemHttpResult>> Update(
        Guid webhookId, UpdateWebhookRequest request, HttpContext http, TenantDb db, AuditNotes audit, IOptions<WebhookSettings> settings, CancellationToken ct)
    {
        audit.Target = webhookId.ToString();
        var errors = new FieldErrors();
        var url = request.Url is null ? null : await ValidUrlAsync(request.Url, errors, settings.Value, ct);
        var events = request.Events is null ? null : ValidEvents(request.Events, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var row = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            var n = await s.ExecuteAsync(
                """
                update webhook_endpoints set url = coalesce(@url, url),
                       events = coalesce(string_to_array(@events, ','), events), enabled = coalesce(@enabled, enabled), updated_at = now()
                where id = @webhookId
                """, new { webhookId, url, events = events is null ? null : string.Join(',', events), enabled = request.Enabled }, ct);
            if (n == 0)
            {
                return null;
            }
            await Outbox.AddAsync(s, "webhook.updated", new { webhookId, url, events, enabled = request.Enabled }, ct);
            return await FindAsync(s, webhookId, ct);
        }, ct);
        return row is null ? Problems.NotFound("No such webhook endpoint.") : TypedResults.Ok(row.ToResponse());
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid webhookId, HttpContext http, TenantDb db, AuditNotes audit, CancellationToken ct)
    {
        audit.Target = webhookId.ToString();
        var deleted = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            var n = await s.ExecuteAsync("delete from webhook_endpoints where id = @webhookId", new { webhookId }, ct);
            if (n > 0)
            {
                await Outbox.AddAsync(s, "webhook.deleted", new { webhookId }, ct);
            }
            return n;
        }, ct);
        return deleted == 0 ? Problems.NotFound("No such webhook endpoint.") : TypedResults.NoContent();
    }

    public static async Task<Results<Ok<WebhookWithSecretResponse>, ProblemHttpResult>> RotateSecret(
        Guid webhookId, HttpContext http, TenantDb db, AuditNotes audit, CancellationToken ct)
    {
        audit.Target = webhookId.ToString();
        var secret = WebhookSignature.NewSecret();
        var row = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            var n = await s.ExecuteAsync("update webhook_endpoints set secret = @secret, secret_rotated_at = now(), updated_at = now() where id = @webhookId",
                new { webhookId, secret }, ct);
            if (n == 0)
            {
                return null;
            }
            await Outbox.AddAsync(s, "webhook.secret_rotated", new { webhookId }, ct);
            return await FindAsync(s, webhookId, ct);
        }, ct);
        return row is null ? Problems.NotFound("No such webhook endpoint.") : TypedResults.Ok(new WebhookWithSecretResponse(row.ToResponse(), secret));
    }

    public static async Task<Results<Accepted<WebhookDeliveryResponse>, ProblemHttpResult>> SendTest(
        Guid webhookId, HttpContext http, TenantDb db, AuditNotes audit, TimeProvider clock, CancellationToken ct)
    {
        audit.Target = webhookId.ToString();
        var delivery = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            if (await FindAsync(s, webhookId, ct) is null)
            {
                return null;
            }
            var id = Guid.NewGuid();
            var eventId = Guid.NewGuid();
            var body = JsonSerializer.Serialize(new
            {
                id = eventId, type = TestEventType, createdAt = clock.GetUtcNow(), tenantId = s.TenantId, data = new { webhookId },
            }, Json);
            await s.ExecuteAsync(
                "insert into webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_type, body) values (@id, @tenant, @webhookId, @eventId, @type, @body)",
                new { id, tenant = s.RequireTenant(), webhookId, eventId, type = TestEventType, body }, ct);
            await Outbox.AddAsync(s, "webhook.tested", new { webhookId, deliveryId = id }, ct);
            return await FindDeliveryAsync(s, webhookId, id, ct);
        }, ct);
        return delivery is null
            ? Problems.NotFound("No such webhook endpoint.")
            : TypedResults.Accepted($"/api/v1/webhooks/{webhookId}/deliveries/{delivery.Id}", delivery);
    }

    public static async Task<Results<Ok<Page<WebhookDeliveryResponse>>, ProblemHttpResult>> ListDeliveries(
        Guid webhookId, HttpContext http, TenantDb db, int? page, int? pageSize, CancellationToken ct)
    {
        var paging = PageRequest.From(page, pageSize);
        var result = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            if (await FindAsync(s, webhookId, ct) is null)
            {
                return null;
            }
            var total = await s.ExecuteScalarAsync<long>("select count(*) from webhook_deliveries where endpoint_id = @webhookId", new { webhookId }, ct);
            var rows = (await s.QueryAsync<DeliveryRow>(
                $"select {DeliveryColumns} from webhook_deliveries d where d.endpoint_id = @webhookId order by d.created_at desc, d.id limit @limit offset @offset",
                new { webhookId, limit = paging.PageSize, offset = paging.Offset }, ct)).ToList();
            var items = await WithAttemptsAsync(s, rows, ct);
            return new Page<WebhookDeliveryResponse>(items, paging.PageNumber, paging.PageSize, total);
        }, ct);
        return result is null ? Problems.NotFound("No such webhook endpoint.") : TypedResults.Ok(result);
    }

    public static async Task<Results<Ok<WebhookDeliveryResponse>, ProblemHttpResult>> GetDelivery(
        Guid webhookId, Guid deliveryId, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var delivery = await db.ForActorAsync(Actor.FromPrincipal(http.User), s => FindDeliveryAsync(s, webhookId, deliveryId, ct), ct);
        return delivery is null ? Problems.NotFound("No such delivery.") : TypedResults.Ok(delivery);
    }

    public static async Task<Results<Accepted<WebhookDeliveryResponse>, ProblemHttpResult>> Replay(
        Guid webhookId, Guid deliveryId, HttpContext http, TenantDb db, AuditNotes audit, CancellationToken ct)
    {
        audit.Target = deliveryId.ToString();
        var (found, delivery) = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            var status = await s.QuerySingleOrDefaultAsync<string>(
                "select status from webhook_deliveries where id = @deliveryId and endpoint_id = @webhookId for update", new { webhookId, deliveryId }, ct);
            if (status is null)
            {
                return (false, null);
            }
            if (status == "pending")
            {
                return (true, null);
            }
            await s.ExecuteAsync(
                """
                update webhook_deliveries set status = 'pending', attempts = 0, next_attempt_at = now(), locked_until = null, replays = replays + 1
                where id = @deliveryId
                """, new { deliveryId }, ct);
            await Outbox.AddAsync(s, "webhook.replayed", new { webhookId, deliveryId }, ct);
            return (true, await FindDeliveryAsync(s, webhookId, deliveryId, ct));
        }, ct);
        if (!found)
        {
            return Problems.NotFound("No such delivery.");
        }
        return delivery is null
            ? Problems.Conflict("The delivery is still pending; it can be replayed once it has succeeded or failed.")
            : TypedResults.Accepted($"/api/v1/webhooks/{webhookId}/deliveries/{deliveryId}", delivery);
    }

    private static async Task<WebhookDeliveryResponse?> FindDeliveryAsync(DbScope s, Guid webhookId, Guid deliveryId, CancellationToken ct)
    {
        var row = await s.QuerySingleOrDefaultAsync<DeliveryRow>(
            $"select {DeliveryColumns} from webhook_deliveries d where d.id = @deliveryId and d.endpoint_id = @webhookId", new { webhookId, deliveryId }, ct);
        return row is null ? null : (await WithAttemptsAsync(s, [row], ct))[0];
    }

    private static async Task<List<WebhookDeliveryResponse>> WithAttemptsAsync(DbScope s, List<DeliveryRow> rows, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return [];
        }
        // The ids travel as one comma-separated string (Dapper would expand an array parameter into a list).
        var attempts = (await s.QueryAsync<AttemptRow>(
            """
            select a.delivery_id as "DeliveryId", a.number as "Number", a.started_at as "StartedAt", a.duration_ms as "DurationMs",
                   a.status_code as "StatusCode", a.error as "Error", a.response_body as "ResponseBody"
            from webhook_attempts a where a.delivery_id = any (string_to_array(@ids, ',')::uuid[]) order by a.delivery_id, a.number
            """, new { ids = string.Join(',', rows.Select(r => r.Id)) }, ct)).ToLookup(a => a.DeliveryId);
        return rows.Select(r => new WebhookDeliveryResponse(r.Id, r.WebhookId, r.EventId, r.EventType, r.Status, r.Attempts, r.Replays,
            r.NextAttemptAt, r.LastStatusCode, r.LastError, r.CreatedAt, r.DeliveredAt, JsonDocument.Parse(r.Body).RootElement.Clone(),
            attempts[r.Id].Select(a => new WebhookAttemptResponse(a.Number, a.StartedAt, a.DurationMs, a.StatusCode, a.Error, a.ResponseBody)).ToList())).ToList();
    }
}
