using System.Security.Claims;

namespace DeepSim.Web.Services;

/// <summary>The Api's role names and the person's permissions (from the Api's /auth/me, kept in the cookie's claims).</summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Engineer = "engineer";
    public const string Admin = "admin";
    public const string Owner = "owner";
    public const string PlatformOperator = "platform-operator";
    public const string PlatformAnalyst = "platform-analyst";

    public static readonly string[] TenantRoles = [Viewer, Engineer, Admin, Owner];

    /// <summary>Whether the Api granted this permission (e.g. "runs.execute"). Only to hide what would be refused: the Api decides.</summary>
    public static bool Can(this ClaimsPrincipal user, string permission) => user.HasClaim(WebClaims.Permission, permission);
}
