using System.Security.Cryptography;
using System.Text;
using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Internal;

/// <summary>
/// Admits only the internal service token (<c>Auth:ServiceToken</c>), compared in constant time. Tenant tokens and
/// API keys never match it, so no tenant credential reaches the worker endpoints.
/// </summary>
public sealed class ServiceTokenFilter(IOptionsMonitor<AuthSettings> settings) : IEndpointFilter
{
    private const string BearerPrefix = "Bearer ";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var expected = settings.CurrentValue.ServiceToken;
        string? header = context.HttpContext.Request.Headers.Authorization;
        if (string.IsNullOrEmpty(expected))
        {
            return TypedResults.Problem("Internal endpoints are disabled: Auth:ServiceToken is not configured.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable", type: ProblemTypes.ServiceUnavailable);
        }
        if (header is null || !header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) || !Matches(header[BearerPrefix.Length..].Trim(), expected))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return Problems.Unauthorized("The internal service token is required.", ProblemTypes.Unauthorized);
        }
        return await next(context);
    }

    // Hashing first gives equal lengths, so the comparison time says nothing about the token.
    internal static bool Matches(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
