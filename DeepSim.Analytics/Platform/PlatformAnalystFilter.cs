using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DeepSim.Analytics.Usage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Analytics.Platform;

/// <summary>
/// Admits a request to the platform analytics only with a platform analyst's token that carries
/// <see cref="Permission"/>; anyone else (tenant members of any role, API keys, operators) gets a 403 problem naming
/// the permission, as the Api's own 403s do. The signature alone would let a token outlive its grant: a revoked
/// analyst's or a signed-out token must stop at once, and only the Api's database knows. So each admitted request is
/// also put to the Api (<c>GET /api/v1/auth/me</c> with the same token), whose authentication checks the grant and the
/// sign-outs on every request: 401 there is 401 here; the Api not answering is a 503, never an open door.
/// </summary>
public sealed partial class PlatformAnalystFilter(IHttpClientFactory clients, ILogger<PlatformAnalystFilter> logger) : IEndpointFilter
{
    public const string Permission = "platform.analytics.read";
    public const string AnalystKind = "analyst";
    public const string ApiClientName = "api-caller";
    private const string MePath = "/api/v1/auth/me";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var user = http.User;
        if (!user.FindAll("perm").Any(c => c.Value == Permission) || user.FindFirst("kind")?.Value != AnalystKind)
        {
            return Forbidden($"Your role does not allow this: it needs the permission '{Permission}' (a platform analyst's sign-in).");
        }
        var live = await AskTheApiAsync(http);
        return live switch
        {
            Live.Yes => await next(context),
            Live.SignedOutOrRevoked => TypedResults.Problem("The token was signed out, or the analyst role was revoked.",
                statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", type: ProblemTypes.Base + "unauthorized"),
            Live.NoLongerPermitted => Forbidden($"Your role no longer allows this: it needs the permission '{Permission}'."),
            _ => TypedResults.Problem("The platform could not confirm the sign-in; try again shortly.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable", type: ProblemTypes.ServiceUnavailable),
        };
    }

    private enum Live { Yes, SignedOutOrRevoked, NoLongerPermitted, Unknown }

    private async Task<Live> AskTheApiAsync(HttpContext http)
    {
        if (!AuthenticationHeaderValue.TryParse(http.Request.Headers.Authorization, out var bearer) || bearer.Parameter is null)
        {
            return Live.SignedOutOrRevoked;
        }
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, MePath) { Headers = { Authorization = bearer } };
            using var response = await clients.CreateClient(ApiClientName).SendAsync(request, http.RequestAborted);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                return Live.SignedOutOrRevoked;
            }
            if (!response.IsSuccessStatusCode)
            {
                LogApiRefused(logger, (int)response.StatusCode);
                return Live.Unknown;
            }
            using var me = JsonDocument.Parse(await response.Content.ReadAsStringAsync(http.RequestAborted));
            var permitted = me.RootElement.TryGetProperty("kind", out var kind) && kind.GetString() == AnalystKind
                && me.RootElement.TryGetProperty("permissions", out var permissions) && permissions.ValueKind == JsonValueKind.Array
                && permissions.EnumerateArray().Any(p => p.GetString() == Permission);
            return permitted ? Live.Yes : Live.NoLongerPermitted;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or Polly.ExecutionRejectedException
                                   || (ex is TaskCanceledException && !http.RequestAborted.IsCancellationRequested))
        {
            LogApiUnreachable(logger, ex);
            return Live.Unknown;
        }
    }

    private static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", type: ProblemTypes.Forbidden,
            extensions: new Dictionary<string, object?> { ["requiredPermission"] = Permission });

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Api answered {Status} when asked to confirm an analyst's token")]
    private static partial void LogApiRefused(ILogger logger, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Api could not be asked to confirm an analyst's token")]
    private static partial void LogApiUnreachable(ILogger logger, Exception exception);
}
