using System.Text.Json;
using DeepSim.Api.Auth;
using DeepSim.Api.Billing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace DeepSim.Api.Infrastructure;

/// <summary>
/// What the generated OpenAPI document cannot know by itself: how a client authenticates (both credentials go in
/// <c>Authorization: Bearer …</c>, as <see cref="DeepSimAuthenticationHandler"/> reads them), which operations need
/// them, that every problem carries a <c>traceId</c>, and the refusals the Api's middleware gives on every endpoint
/// (<see cref="DocumentRefusals{TBuilder}"/>): a handler declares only the statuses it returns itself.
/// </summary>
public static class OpenApiContract
{
    public const string BearerScheme = "bearer";
    public const string ApiKeyScheme = "apiKey";
    private const string ProblemJson = "application/problem+json";

    /// <summary>What each group of operations is about, shown by the reference page (a tag without one is a lint warning).</summary>
    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Auth"] = "Sign-up, sign-in, token refresh and sign-out, password reset, and who the caller is.",
        ["Profile"] = "The signed-in person's own name, email and password.",
        ["Tenant"] = "The caller's workspace: its name, and deleting it.",
        ["Team"] = "Members, their roles, and invitations.",
        ["Flowsheets"] = "Process flowsheets: create, validate, version, import and export.",
        ["Catalog"] = "Components, unit types and property packages a flowsheet can use.",
        ["Audit"] = "The tenant's audit log.",
        ["API keys"] = "Keys for programs, each with its own permissions; sent as 'Authorization: Bearer <key>'.",
        ["Platform"] = "Platform operators only: every tenant, the platform audit log and who holds the platform analyst role.",
        ["Billing"] = "Plans, prices, the subscription, invoices and payment.",
        ["Runs"] = "Simulation runs: submit (idempotently), follow, cancel, and read results.",
        ["Plans"] = "The plans and their limits.",
        ["Usage"] = "This month's use against the plan's limits.",
        ["Studies"] = "Parameter studies: many runs over a grid of inputs, and their result table.",
    };

    /// <summary>What each refusal added by <see cref="DocumentRefusals{TBuilder}"/> means, as its response description.</summary>
    internal static readonly IReadOnlyDictionary<int, string> RefusalDescriptions = new Dictionary<int, string>
    {
        [StatusCodes.Status400BadRequest] = "A field, query or route value is invalid (errors are keyed by field path), or the body is not valid JSON.",
        [StatusCodes.Status401Unauthorized] = "No valid credentials: the access token or API key is missing, expired or revoked.",
        [StatusCodes.Status402PaymentRequired] = "The workspace is read-only until an unpaid invoice is paid.",
        [StatusCodes.Status403Forbidden] = "The credentials do not carry the permission this operation needs (requiredPermission says which).",
        [StatusCodes.Status404NotFound] = "The resource does not exist in the caller's tenant.",
        [StatusCodes.Status415UnsupportedMediaType] = "The body is not sent as application/json.",
        [StatusCodes.Status429TooManyRequests] = "The tenant's hourly API-call limit is reached; Retry-After says when to try again.",
        [StatusCodes.Status503ServiceUnavailable] = "A dependency (database or cache) is unavailable; the request changed nothing and may be retried.",
    };

    /// <summary>
    /// Declares, on every endpoint of the group, the problem responses its pipeline can give whatever the handler does:
    /// 400 from the text guard and the strict binder (any query, route or body value), 503 when a dependency is down,
    /// 401/403/429 unless the endpoint is anonymous (authentication, the permission policy, the tenant rate limiter),
    /// 404 for a route with parameters (an id of nothing the caller can see), 415 for one that reads a JSON body, and
    /// 402 for a write while the workspace is restricted (<see cref="RestrictionFilter"/>). Applied last, so it sees
    /// the endpoint's own metadata and never replaces a status the endpoint declared itself.
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
                    metadata.Add(new ProducesResponseTypeMetadata(status, type, [ProblemJson]));
                }
            }
            var anonymous = metadata.OfType<IAllowAnonymous>().Any();
            var permission = metadata.OfType<RequiredPermission>().LastOrDefault()?.Permission;
            var methods = metadata.OfType<IHttpMethodMetadata>().LastOrDefault()?.HttpMethods ?? [];
            Add(StatusCodes.Status400BadRequest, typeof(HttpValidationProblemDetails));
            if (!anonymous)
            {
                Add(StatusCodes.Status401Unauthorized, typeof(ProblemDetails));
                Add(StatusCodes.Status403Forbidden, typeof(ProblemDetails));
            }
            if (permission is { } p && RestrictionFilter.Restricts(p) && methods.Any(m => !HttpMethods.IsGet(m) && !HttpMethods.IsHead(m)))
            {
                Add(StatusCodes.Status402PaymentRequired, typeof(ProblemDetails));
            }
            if (endpoint is RouteEndpointBuilder { RoutePattern.Parameters.Count: > 0 })
            {
                Add(StatusCodes.Status404NotFound, typeof(ProblemDetails));
            }
            if (metadata.OfType<IAcceptsMetadata>().Any(a => a.RequestType is not null))
            {
                Add(StatusCodes.Status415UnsupportedMediaType, typeof(ProblemDetails));
            }
            if (!anonymous)
            {
                Add(StatusCodes.Status429TooManyRequests, typeof(ProblemDetails));
            }
            Add(StatusCodes.Status503ServiceUnavailable, typeof(ProblemDetails));
        });
        return builder;
    }

    public static OpenApiOptions AddDeepSimContract(this OpenApiOptions options)
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
            // The served document names the address it was fetched from; paths start with '/', so the base has no trailing one.
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
                Description = "An access token from sign-in or refresh, sent as 'Authorization: Bearer <token>'.",
            };
            // Not OpenAPI's "apiKey" type: the key goes in the same Authorization header with the Bearer prefix, which
            // only the http/bearer type tells a client to send.
            document.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = DeepSimAuthenticationHandler.ApiKeyPrefix + "_…",
                Description = $"An API key ({DeepSimAuthenticationHandler.ApiKeyPrefix}_…), sent as 'Authorization: Bearer <key>'.",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer(async (operation, context, ct) =>
        {
            // A handler that reads its body as free-form JSON, to report every wrong field at once, states the body's
            // shape with Accepts<T>: the document gives T, as if the handler had bound it.
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<IAcceptsMetadata>().LastOrDefault(a => a.RequestType is { } t && t != typeof(JsonElement)) is { RequestType: { } declared }
                && context.Description.ParameterDescriptions.Any(p => p.Source == BindingSource.Body && p.Type == typeof(JsonElement))
                && operation.RequestBody?.Content is { } bodies)
            {
                var schema = await context.GetOrCreateSchemaAsync(declared, null, ct);
                context.Document!.AddComponent(declared.Name, schema);
                foreach (var media in bodies.Values.OfType<OpenApiMediaType>())
                {
                    media.Schema = new OpenApiSchemaReference(declared.Name, context.Document);
                }
            }
            foreach (var (status, response) in operation.Responses ?? [])
            {
                // The reason phrase ApiExplorer gives says less than what the refusal means here.
                if (int.TryParse(status, out var code) && RefusalDescriptions.TryGetValue(code, out var description) && response is OpenApiResponse r
                    && (string.IsNullOrEmpty(r.Description) || r.Description == Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(code)))
                {
                    r.Description = description;
                }
            }
            if (operation.Responses is { Count: > 1 } responses)
            {
                // By status, as a reader looks them up (metadata order is the order conventions ran in).
                var sorted = responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
                responses.Clear();
                foreach (var (status, response) in sorted)
                {
                    responses[status] = response;
                }
            }
            // The fallback policy closes every endpoint that does not allow anonymous callers, so only AllowAnonymous opens one.
            operation.Security ??= [];
            if (metadata.OfType<IAllowAnonymous>().Any())
            {
                // An empty list says "no credentials" (an absent one would mean "not stated").
                return;
            }
            // Two requirements: either credential is enough.
            foreach (var scheme in new[] { BearerScheme, ApiKeyScheme })
            {
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, context.Document)] = [] });
            }
        });
        options.AddSchemaTransformer((schema, context, _) =>
        {
            if (!typeof(ProblemDetails).IsAssignableFrom(context.JsonTypeInfo.Type))
            {
                return Task.CompletedTask;
            }
            schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
            schema.Properties["traceId"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "The W3C trace id of the request, to quote when reporting a problem.",
            };
            // Strict request bodies make the generator close every object; a problem's extension members are open.
            schema.AdditionalPropertiesAllowed = true;
            schema.AdditionalProperties = null;
            return Task.CompletedTask;
        });
        return options;
    }
}
