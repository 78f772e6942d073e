using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Api.Infrastructure;

/// <summary>Stable problem <c>type</c> URIs (RFC 7807): clients switch on these, never on titles.</summary>
public static class ProblemTypes
{
    public const string Base = "https://deepsim.dev/problems/";
    public const string Validation = Base + "validation";
    public const string BadRequest = Base + "bad-request";
    public const string NotFound = Base + "not-found";
    public const string Conflict = Base + "conflict";
    public const string Unauthorized = Base + "unauthorized";
    public const string Forbidden = Base + "forbidden";
    public const string InvalidCredentials = Base + "invalid-credentials";
    public const string InvalidToken = Base + "invalid-token";
    public const string RefreshTokenReused = Base + "refresh-token-reused";
    public const string TenantSelectionRequired = Base + "tenant-selection-required";
    public const string TenantUnavailable = Base + "tenant-unavailable";
    public const string NotPlatformAnalyst = Base + "not-platform-analyst";
    public const string InvitationInvalid = Base + "invitation-invalid";
    public const string LastOwner = Base + "last-owner";
    public const string PreconditionFailed = Base + "precondition-failed";
    public const string PreconditionRequired = Base + "precondition-required";
    public const string MethodNotAllowed = Base + "method-not-allowed";
    public const string UnsupportedMediaType = Base + "unsupported-media-type";
    public const string ServerError = Base + "server-error";
    public const string ServiceUnavailable = Base + "service-unavailable";

    /// <summary>The type for a status code when a handler did not pick a more precise one.</summary>
    public static string ForStatus(int status) => status switch
    {
        400 => BadRequest,
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        409 => Conflict,
        412 => PreconditionFailed,
        415 => UnsupportedMediaType,
        428 => PreconditionRequired,
        503 => ServiceUnavailable,
        _ when status >= 500 => ServerError,
        _ => Base + "http-" + status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>Problem results with stable types.</summary>
public static class Problems
{
    public static ProblemHttpResult NotFound(string detail = "The resource does not exist.") =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found", type: ProblemTypes.NotFound);

    public static ProblemHttpResult Conflict(string detail, string type = ProblemTypes.Conflict) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict", type: type);

    public static ProblemHttpResult Unauthorized(string detail, string type) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", type: type);

    public static ProblemHttpResult Forbidden(string detail, string type = ProblemTypes.Forbidden) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", type: type);

    public static ProblemHttpResult PreconditionFailed(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status412PreconditionFailed, title: "Precondition failed", type: ProblemTypes.PreconditionFailed);

    public static ProblemHttpResult PreconditionRequired(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status428PreconditionRequired, title: "Precondition required", type: ProblemTypes.PreconditionRequired);

    public static ProblemHttpResult TooManyRequests(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests", type: ProblemTypes.ForStatus(StatusCodes.Status429TooManyRequests));

    public static ValidationProblem Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: "One or more fields are invalid.", title: "Validation failed", type: ProblemTypes.Validation);

    public static ValidationProblem Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });
}

/// <summary>Collects validation errors keyed by field path.</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> errors = new(StringComparer.Ordinal);

    public bool Any => errors.Count > 0;

    public FieldErrors Add(string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }
        list.Add(message);
        return this;
    }

    public FieldErrors Required(string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add(field, "is required");
        }
        else if (value.Length > maxLength)
        {
            Add(field, $"must be at most {maxLength} characters");
        }
        return this;
    }

    public ValidationProblem ToProblem() => Problems.Validation(errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
}
