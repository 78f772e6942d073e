using System.Text.Json.Serialization;
using DeepSim.Analytics.Usage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace DeepSim.Analytics.Infrastructure;

/// <summary>
/// What Analytics' generated OpenAPI document (contracts/DeepSim.Analytics.json, the input of the web app's client)
/// cannot know by itself: how a caller authenticates (the Api's access token as a bearer), the refusals every
/// authenticated endpoint can give (<see cref="DocumentRefusals{TBuilder}"/>), and that a problem carries a traceId.
/// The same conventions as the Api's document, so one client code handles both.
/// </summary>
public static class OpenApiContract
{
    public const string BearerScheme = "bearer";
    private const string ProblemJson = "application/problem+json";

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Analytics"] = "The caller's tenant's usage and runs over a date range, from the event store (JSON or CSV).",
        ["Platform analytics"] = "Platform analysts only (signed in with asAnalyst): every tenant's activity, revenue and churn over a date range (JSON or CSV).",
    };

    private static readonly Dictionary<int, string> RefusalDescriptions = new()
    {
        [StatusCodes.Status400BadRequest] = "A query parameter is invalid (errors are keyed by field path, e.g. query.from).",
        [StatusCodes.Status401Unauthorized] = "No valid credentials: the access token is missing, expired or not signed by the Api (WWW-Authenticate says which).",
        [StatusCodes.Status403Forbidden] = "The token carries no tenant, or not the permission this operation needs (requiredPermission says which).",
        [StatusCodes.Status503ServiceUnavailable] = "The analytics store is unavailable; the request may be retried.",
    };

    /// <summary>
    /// Declares on every endpoint of a query group the problem responses its pipeline gives whatever the handler does:
    /// 400 (<see cref="AnalyticsQuery"/>), 401 and 403 (authentication, the permission filter), 503 (the store is down or
    /// not migrated). Runs last, so a status an endpoint declared itself stays as it is.
    /// </summary>
    public static TBuilder DocumentRefusals<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Finally(endpoint =>
        {
            var metadata = endpoint.Metadata;
            var declared = metadata.OfType<IProducesResponseTypeMetadata>().Select(m => m.StatusCode).ToHashSet();
            void Add(int status, Type type)
            {
                if (declared.Add(status))
                {
                    metadata.Add(type == typeof(void)
                        ? new ProducesResponseTypeMetadata(status, type, [])
                        : new ProducesResponseTypeMetadata(status, type, [ProblemJson]));
                }
            }
            Add(StatusCodes.Status400BadRequest, typeof(HttpValidationProblemDetails));
            // The bearer handler's challenge: WWW-Authenticate says why, the body is empty.
            Add(StatusCodes.Status401Unauthorized, typeof(void));
            Add(StatusCodes.Status403Forbidden, typeof(ProblemDetails));
            Add(StatusCodes.Status503ServiceUnavailable, typeof(ProblemDetails));
        });
        return builder;
    }

    /// <summary>The 200 response's CSV form beside its JSON one (what <c>format=csv</c> answers): text, a header row first.</summary>
    public static TBuilder DocumentCsv<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse response)
            {
                response.Content ??= new Dictionary<string, OpenApiMediaType>();
                response.Content[Csv.MediaType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
            }
            return Task.CompletedTask;
        });

    /// <summary>
    /// Documents query parameters a handler reads from the request itself (<see cref="AnalyticsQuery"/>, which checks
    /// them all in one place and reports each bad one by name), so the document and its clients know them.
    /// </summary>
    public static TBuilder DocumentQuery<TBuilder>(this TBuilder builder, params AnalyticsQuery.Parameter[] parameters) where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            foreach (var parameter in parameters)
            {
                var schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = parameter.Format };
                if (parameter.Values is { } values)
                {
                    schema.Enum = values.Select(v => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(v)!).ToList();
                }
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = parameter.Name,
                    In = ParameterLocation.Query,
                    Required = false,
                    Description = parameter.Description,
                    Schema = schema,
                });
            }
            return Task.CompletedTask;
        });

    public static IServiceCollection AddAnalyticsOpenApi(this IServiceCollection services)
    {
        // Only responses are JSON here: with the web default (numbers read from strings too) the schemas would say
        // integer-or-string. Writing is the same either way.
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
                {
                    if (tag is { Name: { } name, Description: null } && TagDescriptions.TryGetValue(name, out var description))
                    {
                        tag.Description = description;
                    }
                }
                foreach (var server in document.Servers ?? [])
                {
                    if (server.Url is { Length: > 1 } url && url.EndsWith('/'))
                    {
                        server.Url = url.TrimEnd('/');
                    }
                }
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "An access token the Api issued (sign-in or refresh), sent as 'Authorization: Bearer <token>'.",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                foreach (var (status, response) in operation.Responses ?? [])
                {
                    if (int.TryParse(status, out var code) && RefusalDescriptions.TryGetValue(code, out var description) && response is OpenApiResponse r
                        && (string.IsNullOrEmpty(r.Description) || r.Description == Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(code)))
                    {
                        r.Description = description;
                    }
                }
                if (operation.Responses is { Count: > 1 } responses)
                {
                    var sorted = responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
                    responses.Clear();
                    foreach (var (status, response) in sorted)
                    {
                        responses[status] = response;
                    }
                }
                operation.Security ??= [];
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
                {
                    return Task.CompletedTask;
                }
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] });
                return Task.CompletedTask;
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                if (typeof(ProblemDetails).IsAssignableFrom(context.JsonTypeInfo.Type))
                {
                    schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
                    schema.Properties["traceId"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String,
                        Description = "The W3C trace id of the request, to quote when reporting a problem.",
                    };
                }
                return Task.CompletedTask;
            });
        });
        return services;
    }
}
