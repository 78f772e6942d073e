using System.Text.Json;
using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;

namespace DeepSim.Api.Audit;

/// <summary>What a handler tells the audit writer that the request alone does not show.</summary>
public sealed class AuditNotes
{
    /// <summary>The tenant an anonymous or operator request acted on (sign-in, sign-up, a platform call).</summary>
    public Guid? TenantId { get; set; }

    /// <summary>The user an anonymous request turned out to be (sign-in, accepted invitation).</summary>
    public Guid? UserId { get; set; }

    public string? Target { get; set; }
    public object? Details { get; set; }

    /// <summary>Set when the handler's own transaction already wrote the audit row (e.g. a tenant purge).</summary>
    public bool AlreadyRecorded { get; set; }

    /// <summary>Set once any audit row of this request was written or attempted (so <see cref="RefusalAudit"/> adds none).</summary>
    public bool Recorded { get; set; }
}

/// <summary>
/// Endpoint metadata: a POST that only computes an answer (a validation) and changes nothing, so it is not audited, as a
/// GET is not; see <see cref="AuditWriter.IsStateChanging"/>.
/// </summary>
public sealed class ChangesNothing
{
    public static ChangesNothing Instance { get; } = new();

    private ChangesNothing()
    {
    }
}

/// <summary>Records every state-changing request after it ran, whatever the outcome (denied requests included).</summary>
public sealed class AuditFilter(AuditWriter writer) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!AuditWriter.IsStateChanging(http))
        {
            return await next(context);
        }
        object? result;
        try
        {
            result = await next(context);
        }
        catch (Exception)
        {
            await writer.RecordAsync(http, StatusCodes.Status500InternalServerError);
            throw;
        }
        await writer.RecordAsync(http, StatusOf(result));
        return result;
    }

    /// <summary>The status a handler's result will send; Results&lt;...&gt; unions wrap the real result.</summary>
    internal static int StatusOf(object? result)
    {
        for (var depth = 0; depth < 4 && result is INestedHttpResult nested; depth++)
        {
            result = nested.Result;
        }
        return result is IStatusCodeHttpResult { StatusCode: { } code } ? code : StatusCodes.Status200OK;
    }
}

/// <summary>
/// Writes one audit row per state-changing request: who (user or API key), tenant, action, target, time, client
/// address and outcome. Failed requests are recorded in their own transaction, after the failed one rolled back.
/// </summary>
public sealed partial class AuditWriter(TenantDb db, AuditNotes notes, ILogger<AuditWriter> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static bool IsStateChanging(HttpContext http) =>
        !(HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsOptions(http.Request.Method)
            || http.GetEndpoint()?.Metadata.GetMetadata<ChangesNothing>() is not null);

    public async Task RecordAsync(HttpContext http, int status)
    {
        if (notes.AlreadyRecorded && status < 400)
        {
            return;
        }
        notes.Recorded = true;
        var entry = Describe(http, status);
        var ct = CancellationToken.None; // the record must be written even when the client went away
        try
        {
            if (entry.Tenant is not { } tenant || entry.Platform)
            {
                await db.WithoutTenantAsync(s => s.ExecuteAsync(
                    "select audit_write_platform(@Kind, @ActorUser, @PlatformTenant, @Action, @Target, @Outcome, @Status, @Client, @Details::jsonb)",
                    entry, ct), ct);
                return;
            }
            await db.InTenantAsync(tenant, s => WriteTenantRowAsync(s, entry, ct), ct);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException)
        {
            // The request's outcome stands; a lost audit row is logged loudly rather than turned into a second failure.
            Log.AuditWriteFailed(logger, ex, entry.Action, status);
        }
    }

    /// <summary>
    /// Writes the record of a request that is about to succeed inside the caller's tenant transaction, so the change
    /// and its audit row commit together or not at all (and the request pays one commit, not two). Call it last,
    /// once the transaction will commit; the filter then writes nothing more unless the request still ends in an error.
    /// </summary>
    public async Task RecordInAsync(DbScope scope, HttpContext http, int status, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var entry = Describe(http, status) with { Tenant = scope.RequireTenant() };
        await WriteTenantRowAsync(scope, entry, ct);
        notes.AlreadyRecorded = true;
        notes.Recorded = true;
    }

    private sealed record Entry(Guid? Tenant, bool Platform, string Kind, Guid? ActorUser, Guid? PlatformTenant, Guid? User, Guid? Key,
        string Action, string Target, string Outcome, int Status, string? Client, string? Details);

    private Entry Describe(HttpContext http, int status)
    {
        var actor = Actor.FromPrincipal(http.User);
        var action = http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? http.Request.Path.ToString();
        var target = notes.Target ?? string.Join(',', http.Request.RouteValues.Select(v => $"{v.Key}={v.Value}"));
        var outcome = status switch { < 400 => "success", 401 or 403 => "denied", _ => "failure" };
        var client = http.Connection.RemoteIpAddress?.ToString();
        var details = notes.Details is null ? null : JsonSerializer.Serialize(notes.Details, Json);
        var tenant = actor.TenantId ?? notes.TenantId;
        if (actor.IsOperator || tenant is null)
        {
            // A platform token (operator, analyst) is recorded as its person; an analyst never acts on a tenant.
            var kind = actor.IsPlatform ? actor.Kind : Actor.KindAnonymous;
            return new Entry(actor.IsAnalyst ? null : tenant, true, kind, actor.IsPlatform ? actor.UserId : null, actor.IsOperator ? tenant : null, null, null,
                action, target, outcome, status, client, details);
        }
        var actorKind = actor.Kind == Actor.KindAnonymous ? (notes.UserId is null ? Actor.KindAnonymous : Actor.KindUser) : actor.Kind;
        return new Entry(tenant, false, actorKind, null, null, actor.UserId ?? notes.UserId, actor.ApiKeyId, action, target, outcome, status, client, details);
    }

    private static Task<int> WriteTenantRowAsync(DbScope s, Entry entry, CancellationToken ct) => s.ExecuteAsync(
        """
        insert into audit_log (tenant_id, actor_kind, actor_user_id, actor_api_key_id, action, target, outcome, status_code, client_address, details)
        values (@Tenant, @Kind, @User, @Key, @Action, @Target, @Outcome, @Status, @Client, @Details::jsonb)
        """, entry, ct);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Error, Message = "Audit record for {Action} ({Status}) could not be written")]
        public static partial void AuditWriteFailed(ILogger logger, Exception exception, string action, int status);
    }
}
