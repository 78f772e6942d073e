using System.Text.Json;
using DeepSim.Api.Audit;
using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Authorization;
using ModelContextProtocol.Protocol;

namespace DeepSim.Api.Mcp;

/// <summary>
/// Runs one MCP tool call the way the Api runs a request: the caller's claims are checked against the tool's permission
/// by the same authorization policy as the HTTP endpoint, the endpoint's own handler does the work (so the database's
/// tenant isolation, validation and plan limits are the same), and one audit row records the call, refusals included.
/// </summary>
public sealed class McpGate(IHttpContextAccessor accessor, IAuthorizationService authorization)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Calls <paramref name="work"/> with a request context of its own: the caller's identity and address, and an
    /// endpoint named <paramref name="action"/> so the audit row, and anything the handler records, carry the tool's action.
    /// </summary>
    public async Task<CallToolResult> RunAsync(string action, Permission permission, string? target, Func<HttpContext, Task<IResult>> work)
    {
        var http = accessor.HttpContext ?? throw new InvalidOperationException("an MCP tool call runs inside its /mcp request");
        await using var scope = http.RequestServices.CreateAsyncScope();
        var call = new DefaultHttpContext { RequestServices = scope.ServiceProvider, User = http.User, RequestAborted = http.RequestAborted };
        call.TraceIdentifier = http.TraceIdentifier;
        call.Connection.RemoteIpAddress = http.Connection.RemoteIpAddress;
        call.Request.Method = HttpMethods.Post;
        call.Request.Path = http.Request.Path;
        call.SetEndpoint(new Endpoint(null, new EndpointMetadataCollection(new EndpointNameMetadata(action), new RequiredPermission(permission)), action));
        var notes = scope.ServiceProvider.GetRequiredService<AuditNotes>();
        notes.Target = target;
        var writer = scope.ServiceProvider.GetRequiredService<AuditWriter>();

        var allowed = await authorization.AuthorizeAsync(http.User, EndpointPermissionExtensions.PolicyName(permission));
        if (!allowed.Succeeded)
        {
            var refusal = Problems.Forbidden($"This tool needs the {PermissionTable.Name(permission)} permission, which your credentials do not carry.");
            await writer.RecordAsync(call, StatusCodes.Status403Forbidden);
            return ToToolResult(refusal, StatusCodes.Status403Forbidden);
        }
        var db = scope.ServiceProvider.GetRequiredService<TenantDb>();
        if (await Billing.RestrictionFilter.RefusalAsync(db, Actor.FromPrincipal(http.User), permission, http.RequestAborted) is { } unpaid)
        {
            await writer.RecordAsync(call, StatusCodes.Status402PaymentRequired);
            return ToToolResult(unpaid, StatusCodes.Status402PaymentRequired);
        }
        IResult result;
        try
        {
            result = await work(call);
        }
        catch (Exception)
        {
            await writer.RecordAsync(call, StatusCodes.Status500InternalServerError);
            throw;
        }
        var status = AuditFilter.StatusOf(result);
        await writer.RecordAsync(call, status);
        return ToToolResult(result, status);
    }

    /// <summary>The handler's answer as JSON text: its value on success, its problem details (status, detail, errors by path) on failure.</summary>
    internal static CallToolResult ToToolResult(IResult result, int status)
    {
        for (var depth = 0; depth < 4 && result is INestedHttpResult nested; depth++)
        {
            result = nested.Result;
        }
        var json = result switch
        {
            ContentHttpResult content => content.ResponseContent ?? "null",
            IValueHttpResult value => JsonSerializer.Serialize(value.Value, Json),
            _ => JsonSerializer.Serialize(new { status }, Json),
        };
        return new CallToolResult { Content = [new TextContentBlock { Text = json }], IsError = status >= 400 };
    }
}
