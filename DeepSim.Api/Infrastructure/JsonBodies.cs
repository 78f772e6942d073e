using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

namespace DeepSim.Api.Infrastructure;

/// <summary>
/// Request bodies are read strictly: a field the request type does not have is an error, not silently dropped (a
/// misspelt optional field would otherwise look accepted). Free-form <see cref="JsonElement"/> properties still take
/// any content. An unreadable body is a problem keyed by its JSON path, like every other field error: <c>validation</c> for
/// an unknown field or a wrong value, <c>bad-request</c> for broken JSON syntax.
/// </summary>
public static class JsonBodies
{
    public static IServiceCollection AddStrictJsonBodies(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            // The web defaults read "5" as 5, which the OpenAPI document then types as integer-or-string: a number is a JSON number.
            options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        // Binding failures throw in every environment (not only Development), so the handler sees the JsonException.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.AddExceptionHandler<BadRequestBodyHandler>();
        return services;
    }

    /// <summary>The field path in the Api's error style: <c>$.parameters[0].foo</c> becomes <c>parameters[0].foo</c>; the whole body is <c>$</c>.</summary>
    internal static string FieldPath(string? jsonPath)
    {
        if (string.IsNullOrEmpty(jsonPath) || jsonPath == "$")
        {
            return "$";
        }
        return jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath[1..];
    }

    /// <summary>Broken JSON syntax: the reader's own exception is the inner one (a wrong value or an unknown field has no JSON one).</summary>
    internal static bool IsMalformed(JsonException exception) => exception.InnerException is JsonException;

    /// <summary>
    /// The parameter a simple value failed to bind to, from the framework's (invariant, non-localized) message
    /// <c>Failed to bind parameter "int? page" from "abc".</c>; null for any other bad request.
    /// </summary>
    internal static string? UnboundQueryParameter(string message)
    {
        const string prefix = "Failed to bind parameter \"";
        if (!message.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }
        var end = message.IndexOf('"', prefix.Length);
        var declaration = end < 0 ? "" : message[prefix.Length..end];
        var space = declaration.LastIndexOf(' ');
        return space < 0 ? null : declaration[(space + 1)..];
    }

    /// <summary>What went wrong at the path, in words a client can act on (never .NET type names).</summary>
    internal static string Message(JsonException exception)
    {
        var where = exception.LineNumber is { } line && exception.BytePositionInLine is { } position
            ? $" (line {line + 1}, byte {position + 1})"
            : "";
        if (IsMalformed(exception))
        {
            return "is not valid JSON" + where;
        }
        // The serializer has no typed marker for an unmapped member, so its (invariant, non-localized) message is recognised.
        return exception.Message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal)
            ? "is not a known field"
            : "has a value of the wrong type" + where;
    }
}

/// <summary>Turns a request the framework could not bind into problem details, logged as a client error, not a crash.</summary>
internal sealed partial class BadRequestBodyHandler(IProblemDetailsService problems, ILogger<BadRequestBodyHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }
        httpContext.Response.StatusCode = bad.StatusCode;
        ProblemDetails problem;
        if (bad.InnerException is JsonException json)
        {
            var field = JsonBodies.FieldPath(json.Path);
            var message = JsonBodies.Message(json);
            LogUnreadableBody(logger, httpContext.Request.Path, field, message);
            // Broken syntax keeps the bad-request type clients already switch on; a readable body with a wrong field is a validation error.
            var malformed = JsonBodies.IsMalformed(json);
            problem = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
            {
                Status = bad.StatusCode,
                Title = malformed ? "Malformed JSON" : "Validation failed",
                Type = malformed ? ProblemTypes.BadRequest : ProblemTypes.Validation,
                Detail = malformed ? "The request body is not valid JSON." : "One or more fields are invalid.",
            };
        }
        else if (JsonBodies.UnboundQueryParameter(bad.Message) is { } name && httpContext.Request.Query.ContainsKey(name))
        {
            // ?page=abc: a validation error at the parameter, keyed as TextInputGuard keys query text (query.page).
            LogBadRequest(logger, httpContext.Request.Path, bad.StatusCode, bad.Message);
            problem = new HttpValidationProblemDetails(new Dictionary<string, string[]> { ["query." + name] = ["has a value of the wrong type"] })
            {
                Status = bad.StatusCode,
                Title = "Validation failed",
                Type = ProblemTypes.Validation,
                Detail = "One or more fields are invalid.",
            };
        }
        else
        {
            LogBadRequest(logger, httpContext.Request.Path, bad.StatusCode, bad.Message);
            problem = new ProblemDetails
            {
                Status = bad.StatusCode,
                Title = ReasonPhrases.GetReasonPhrase(bad.StatusCode),
                Type = ProblemTypes.ForStatus(bad.StatusCode),
                Detail = bad.Message,
            };
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Unreadable request body on {RequestPath}: {Field} {Problem}")]
    private static partial void LogUnreadableBody(ILogger logger, PathString requestPath, string field, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bad request on {RequestPath} ({StatusCode}): {Reason}")]
    private static partial void LogBadRequest(ILogger logger, PathString requestPath, int statusCode, string reason);
}
