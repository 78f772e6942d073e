using DeepSim.Api.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace DeepSim.Api.Infrastructure;

/// <summary>
/// What the generated OpenAPI document cannot know by itself: how a client authenticates (both credentials go in
/// <c>Authorization: Bearer …</c>, as <see cref="DeepSimAuthenticationHandler"/> reads them), which operations need
/// them, and that every problem carries a <c>traceId</c>.
/// </summary>
public static class OpenApiContract
{
    public const string BearerScheme = "bearer";
    public const string ApiKeyScheme = "apiKey";

    public static OpenApiOptions AddDeepSimContract(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
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
        options.AddOperationTransformer((operation, context, _) =>
        {
            // The fallback policy closes every endpoint that does not allow anonymous callers, so only AllowAnonymous opens one.
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
            {
                return Task.CompletedTask;
            }
            operation.Security ??= [];
            // Two requirements: either credential is enough.
            foreach (var scheme in new[] { BearerScheme, ApiKeyScheme })
            {
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, context.Document)] = [] });
            }
            return Task.CompletedTask;
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
