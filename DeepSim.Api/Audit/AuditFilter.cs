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
        !(HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsOptions(http.Request.Method));

    public async Task RecordAsync(HttpContext http, int status)
    {
        if (notes.AlreadyRecorded && status < 400)
        {
            return;
        }
        var actor = Actor.FromPrincipal(http.User);
        var action = http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? http.Request.Path.ToString();
        var target = notes.Target ?? string.Join(',', http.Request.RouteValues.Select(v => $"{v.Key}={v.Value}"));
        var outcome = status switch { < 400 => "success", 401 or 403 => "denied", _ => "failure" };
        var client = http.Connection.RemoteIpAddress?.ToString();
        var details = notes.Details is null ? null : JsonSerializer.Serialize(notes.Details, Json);
        var tenant = actor.TenantId ?? notes.TenantId;
        var ct = CancellationToken.None; // the record must be written even when the client went away
        try
        {
            if (actor.IsOperator || tenant is null)
            {
                var kind = actor.IsOperator ? Actor.KindOperator : Actor.KindAnonymous;
                await db.WithoutTenantAsync(s => s.ExecuteAsync(
                    "select audit_write_platform(@kind, @actor, @tenant, @action, @target, @outcome, @status, @client, @details::jsonb)",
                    new { kind, actor = actor.IsOperator ? actor.UserId : null, tenant = actor.IsOperator ? tenant : null, action, target, outcome, status, client, details }, ct), ct);
                return;
            }
            var actorKind = actor.Kind == Actor.KindAnonymous ? (notes.UserId is null ? Actor.KindAnonymous : Actor.KindUser) : actor.Kind;
            await db.InTenantAsync(tenant.Value, s => s.ExecuteAsync(
                """
                insert into audit_log (tenant_id, actor_kind, actor_user_id, actor_api_key_id, action, target, outcome, status_code, client_address, details)
                values (@tenant, @actorKind, @user, @key, @action, @target, @outcome, @status, @client, @details::jsonb)
                """,
                new { tenant, actorKind, user = actor.UserId ?? notes.UserId, key = actor.ApiKeyId, action, target, outcome, status, client, details }, ct), ct);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException)
        {
            // The request's outcome stands; a lost audit row is logged loudly rather than turned into a second failure.
            Log.AuditWriteFailed(logger, ex, action, status);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Error, Message = "Audit record for {Action} ({Status}) could not be written")]
        public static partial void AuditWriteFailed(ILogger logger, Exception exception, string action, int status);
    }
}
