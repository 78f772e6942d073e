using System.Net;
using System.Text.Json;

namespace DeepSim.Web.Services;

/// <summary>
/// A refusal from the Api as its problem details: status, title, detail and each error at its field path. Pages show
/// <see cref="FieldErrors"/> at the field they name and <see cref="Message"/> elsewhere; never a stack trace.
/// </summary>
public sealed class ApiProblemException : Exception
{
    public ApiProblemException(HttpStatusCode status, string? type, string? title, string? detail,
        IReadOnlyDictionary<string, string[]> fieldErrors, JsonElement? body)
        : base(detail ?? title ?? $"The request failed ({(int)status}).")
    {
        Status = status;
        Type = type;
        Title = title;
        Detail = detail;
        FieldErrors = fieldErrors;
        Body = body;
    }

    public ApiProblemException() : this(HttpStatusCode.InternalServerError, null, null, null, new Dictionary<string, string[]>(), null) { }

    public ApiProblemException(string message) : base(message) => FieldErrors = new Dictionary<string, string[]>();

    public ApiProblemException(string message, Exception inner) : base(message, inner) => FieldErrors = new Dictionary<string, string[]>();

    public HttpStatusCode Status { get; }
    public string? Type { get; }
    public string? Title { get; }
    public string? Detail { get; }
    public IReadOnlyDictionary<string, string[]> FieldErrors { get; }

    /// <summary>The whole problem document, for extensions (e.g. the tenants to choose from at sign-in).</summary>
    public JsonElement? Body { get; }

    /// <summary>The errors of one field (and of its sub-paths), joined for display; null when there are none.</summary>
    public string? ErrorFor(string field)
    {
        var messages = FieldErrors.Where(e => e.Key == field || e.Key.StartsWith(field + ".", StringComparison.Ordinal) || e.Key.StartsWith(field + "[", StringComparison.Ordinal))
            .SelectMany(e => e.Value).ToList();
        return messages.Count == 0 ? null : string.Join("; ", messages);
    }

    /// <summary>What to say when no field is named: the detail, or a message per status.</summary>
    public string Summary => Status switch
    {
        HttpStatusCode.Forbidden => Text(Body, "requiredPermission") is { } permission
            ? $"You don't have permission to do this: it needs the permission “{permission}”, which your role does not have. Ask an admin of this workspace."
            : Detail ?? "You don't have permission to do this.",
        HttpStatusCode.NotFound => Detail ?? "Not found (it may have been deleted, or belong to another tenant).",
        HttpStatusCode.TooManyRequests => Detail ?? "Too many requests: wait a moment and try again.",
        >= HttpStatusCode.InternalServerError => "The platform could not complete this request. Try again; if it persists, contact support" +
            (Body?.TryGetProperty("traceId", out var trace) == true ? $" (trace {trace.GetString()})." : "."),
        _ => Detail ?? Title ?? Message,
    };

    internal static async Task<ApiProblemException> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        JsonElement? body = null;
        try
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (text.Length > 0 && text.TrimStart().StartsWith('{'))
            {
                body = JsonDocument.Parse(text).RootElement.Clone();
            }
        }
        catch (JsonException)
        {
            // not a problem document: the status says enough
        }
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (body is { } b && b.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object)
        {
            foreach (var field in e.EnumerateObject())
            {
                errors[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                    ? field.Value.EnumerateArray().Select(m => m.ToString()).ToArray()
                    : [field.Value.ToString()];
            }
        }
        return new ApiProblemException(response.StatusCode, Text(body, "type"), Text(body, "title"), Text(body, "detail"), errors, body);
    }

    private static string? Text(JsonElement? body, string name) =>
        body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>Turns every unsuccessful Api response into an <see cref="ApiProblemException"/> before the client reads it.</summary>
public sealed class ApiProblemHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotModified)
        {
            return response;
        }
        using (response)
        {
            throw await ApiProblemException.ReadAsync(response, cancellationToken);
        }
    }
}
