namespace DeepSim.Api.Auth;

/// <summary>Endpoint metadata: the one permission an endpoint requires (read by the generated role-matrix tests).</summary>
public sealed record RequiredPermission(Permission Permission);

public static class EndpointPermissionExtensions
{
    /// <summary>Declares and enforces the permission an endpoint needs.</summary>
    public static RouteHandlerBuilder RequirePermission(this RouteHandlerBuilder builder, Permission permission)
    {
        builder.WithMetadata(new RequiredPermission(permission));
        return permission switch
        {
            Permission.Anonymous => builder.AllowAnonymous(),
            Permission.Authenticated => builder.RequireAuthorization(PolicyName(permission)),
            _ => builder.RequireAuthorization(PolicyName(permission)),
        };
    }

    public static string PolicyName(Permission permission) => "permission:" + PermissionTable.Name(permission);

    /// <summary>One authorization policy per permission: the caller's live permission claims must include it.</summary>
    public static IServiceCollection AddPermissionPolicies(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder()
            // An endpoint that forgot to declare a permission is closed, not open.
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder(DeepSimAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser().Build());
        services.AddAuthorization(options =>
        {
            foreach (var permission in Enum.GetValues<Permission>())
            {
                if (permission == Permission.Anonymous)
                {
                    continue;
                }
                options.AddPolicy(PolicyName(permission), policy =>
                {
                    policy.AddAuthenticationSchemes(DeepSimAuthenticationHandler.SchemeName).RequireAuthenticatedUser();
                    if (permission != Permission.Authenticated)
                    {
                        policy.RequireClaim(ClaimNames.Permission, PermissionTable.Name(permission));
                    }
                });
            }
        });
        return services;
    }
}
