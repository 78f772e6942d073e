using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using DeepSim.Api.Auth;

namespace DeepSim.Api.Audit;

/// <summary>
/// Audits the refusals nothing else records: reads answered 401, 403 or 404, and requests refused before their handler
/// ran (the strict body binder, a query value that does not parse, text input that cannot be stored: 400). A
/// state-changing request that reached its handler is already recorded by <see cref="AuditFilter"/> (and a 401/403 by
/// the authentication handler), so nothing is recorded twice. Each row says why in <c>details.refused</c>.
/// <para>
/// Rows are limited per actor (user, API key, or client address when anonymous) to
/// <see cref="RowsPerMinute"/> a minute on each Api instance, so a flood of refused requests cannot flood the log; the
/// next row written for that actor says how many were left out (<c>details.suppressedBefore</c>).
/// </para>
/// </summary>
public sealed class RefusalAudit : IDisposable
{
    public const int RowsPerMinute = 20;

    private static readonly int[] Audited = [StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
        StatusCodes.Status404NotFound];

    private readonly PartitionedRateLimiter<string> limiter = PartitionedRateLimiter.Create<string, string>(actor =>
        RateLimitPartition.GetFixedWindowLimiter(actor, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = RowsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true,
        }));

    private readonly ConcurrentDictionary<string, int> suppressed = new(StringComparer.Ordinal);

    public void Dispose() => limiter.Dispose();

    /// <summary>Records the request's refusal when it is one nothing else recorded (called after the pipeline ran).</summary>
    public async Task RecordIfRefusedAsync(HttpContext http, int status)
    {
        var notes = http.RequestServices.GetRequiredService<AuditNotes>();
        if (!Audited.Contains(status) || notes.Recorded || http.GetEndpoint() is null || !IsApiPath(http.Request.Path))
        {
            return;
        }
        var actor = ActorKey(http);
        using var lease = limiter.AttemptAcquire(actor);
        if (!lease.IsAcquired)
        {
            suppressed.AddOrUpdate(actor, 1, (_, n) => n + 1);
            return;
        }
        var before = suppressed.TryRemove(actor, out var n) ? n : 0;
        notes.Details = new Dictionary<string, object?>
        {
            ["refused"] = Reason(http, status),
            ["method"] = http.Request.Method,
            ["path"] = http.Request.Path.ToString(),
            ["suppressedBefore"] = before == 0 ? null : before,
        };
        await http.RequestServices.GetRequiredService<AuditWriter>().RecordAsync(http, status);
    }

    private static bool IsApiPath(PathString path) => path.StartsWithSegments("/api") || path.StartsWithSegments("/mcp");

    private static string ActorKey(HttpContext http)
    {
        var actor = Actor.FromPrincipal(http.User);
        return actor.ApiKeyId is { } key ? "key:" + key
            : actor.UserId is { } user ? "user:" + user
            : "client:" + http.Connection.RemoteIpAddress;
    }

    private static string Reason(HttpContext http, int status) => status switch
    {
        StatusCodes.Status401Unauthorized => "no valid credentials",
        StatusCodes.Status403Forbidden => http.GetEndpoint()?.Metadata.GetMetadata<RequiredPermission>() is { } required
            ? $"the role lacks the permission '{PermissionTable.Name(required.Permission)}'"
            : "the role does not allow this",
        StatusCodes.Status404NotFound => "not found for the caller (absent, or another tenant's)",
        _ => "invalid input (refused before or by the handler)",
    };
}

public static class RefusalAuditExtensions
{
    /// <summary>Before authentication, so it sees the challenges and refusals every later step writes.</summary>
    public static IApplicationBuilder UseRefusalAudit(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var audit = http.RequestServices.GetRequiredService<RefusalAudit>();
        try
        {
            await next(http);
        }
        catch (BadHttpRequestException bad)
        {
            // The body binder's refusal travels as this exception to the exception handler, which answers with its status.
            await audit.RecordIfRefusedAsync(http, bad.StatusCode);
            throw;
        }
        await audit.RecordIfRefusedAsync(http, http.Response.StatusCode);
    });
}
