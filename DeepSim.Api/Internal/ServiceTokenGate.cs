using System.Security.Cryptography;
using System.Text;
using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Internal;

/// <summary>
/// Admits only the internal service token (<c>Auth:ServiceToken</c>), compared in constant time, to everything under
/// <see cref="PathPrefix"/>. Tenant tokens and API keys never match it, so no tenant credential reaches the worker
/// endpoints. It runs as middleware, before the endpoint reads its body: a caller without the token learns nothing
/// about the request shapes (401 whatever it sent).
/// </summary>
public sealed class ServiceTokenGate(RequestDelegate next, IOptionsMonitor<AuthSettings> settings)
{
    public const string PathPrefix = "/internal";
    private const string BearerPrefix = "Bearer ";

    public async Task InvokeAsync(HttpContext http)
    {
        var expected = settings.CurrentValue.ServiceToken;
        string? header = http.Request.Headers.Authorization;
        if (string.IsNullOrEmpty(expected))
        {
            await TypedResults.Problem("Internal endpoints are disabled: Auth:ServiceToken is not configured.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable", type: ProblemTypes.ServiceUnavailable).ExecuteAsync(http);
            return;
        }
        if (header is null || !header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) || !Matches(header[BearerPrefix.Length..].Trim(), expected))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            await Problems.Unauthorized("The internal service token is required.", ProblemTypes.Unauthorized).ExecuteAsync(http);
            return;
        }
        await next(http);
    }

    // Hashing first gives equal lengths, so the comparison time says nothing about the token.
    internal static bool Matches(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
