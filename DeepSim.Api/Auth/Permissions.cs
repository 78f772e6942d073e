using System.Collections.Frozen;

namespace DeepSim.Api.Auth;

/// <summary>What an endpoint requires. <see cref="Anonymous"/> and <see cref="Authenticated"/> are gates, not grants.</summary>
public enum Permission
{
    /// <summary>No credentials needed (sign-up, sign-in, refresh, accepting an invitation).</summary>
    Anonymous,
    /// <summary>Any valid credentials: a tenant member, an API key, a platform operator or analyst.</summary>
    Authenticated,
    TenantRead,
    FlowsheetsRead,
    FlowsheetsWrite,
    RunsExecute,
    TeamRead,
    TeamManage,
    AnalyticsRead,
    AuditRead,
    ApiKeysManage,
    /// <summary>The tenant's webhook endpoints, their secrets and deliveries.</summary>
    WebhooksManage,
    BillingManage,
    TenantDelete,
    /// <summary>Platform operator: every tenant's lifecycle.</summary>
    PlatformTenants,
    /// <summary>Platform operator: every tenant's audit log.</summary>
    PlatformAudit,
    /// <summary>Platform operator: who holds the platform analyst role (grant, list, revoke).</summary>
    PlatformAnalysts,
    /// <summary>Platform analyst: the platform-wide analytics (DeepSim.Analytics' /platform endpoints); nothing in a tenant.</summary>
    PlatformAnalyticsRead,
    /// <summary>The person's own profile and password: every person holds it (members and operators), no API key does.</summary>
    ProfileEdit,
}

/// <summary>The tenant roles, lowest to highest.</summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Engineer = "engineer";
    public const string Admin = "admin";
    public const string Owner = "owner";

    /// <summary>Not a tenant role: the platform operator's pseudo-role in the permission table.</summary>
    public const string PlatformOperator = "platform-operator";

    /// <summary>Not a tenant role: the platform analyst's pseudo-role (granted by an operator, platform_roles).</summary>
    public const string PlatformAnalyst = "platform-analyst";

    public static readonly IReadOnlyList<string> TenantRoles = [Viewer, Engineer, Admin, Owner];

    public static bool IsTenantRole(string? role) => role is Viewer or Engineer or Admin or Owner;
}

/// <summary>The platform's one table of which role holds which permission.</summary>
public static class PermissionTable
{
    private static readonly Permission[] ViewerPermissions =
        [Permission.ProfileEdit, Permission.TenantRead, Permission.FlowsheetsRead, Permission.TeamRead];

    private static readonly Permission[] EngineerPermissions =
        [.. ViewerPermissions, Permission.FlowsheetsWrite, Permission.RunsExecute];

    private static readonly Permission[] AdminPermissions =
        [.. EngineerPermissions, Permission.TeamManage, Permission.AnalyticsRead, Permission.AuditRead, Permission.ApiKeysManage,
         Permission.WebhooksManage];

    private static readonly Permission[] OwnerPermissions =
        [.. AdminPermissions, Permission.BillingManage, Permission.TenantDelete];

    private static readonly Permission[] OperatorPermissions =
        [Permission.ProfileEdit, Permission.PlatformTenants, Permission.PlatformAudit, Permission.PlatformAnalysts];

    private static readonly Permission[] AnalystPermissions =
        [Permission.ProfileEdit, Permission.PlatformAnalyticsRead];

    public static readonly FrozenDictionary<string, FrozenSet<Permission>> ByRole = new Dictionary<string, FrozenSet<Permission>>
    {
        [Roles.Viewer] = ViewerPermissions.ToFrozenSet(),
        [Roles.Engineer] = EngineerPermissions.ToFrozenSet(),
        [Roles.Admin] = AdminPermissions.ToFrozenSet(),
        [Roles.Owner] = OwnerPermissions.ToFrozenSet(),
        [Roles.PlatformOperator] = OperatorPermissions.ToFrozenSet(),
        [Roles.PlatformAnalyst] = AnalystPermissions.ToFrozenSet(),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Permissions an API key may carry: tenant permissions, never owner-only or platform ones.</summary>
    public static readonly FrozenSet<Permission> ApiKeyGrantable = new[]
    {
        Permission.TenantRead, Permission.FlowsheetsRead, Permission.FlowsheetsWrite, Permission.RunsExecute,
        Permission.TeamRead, Permission.AnalyticsRead, Permission.AuditRead,
    }.ToFrozenSet();

    public static FrozenSet<Permission> For(string role) =>
        ByRole.TryGetValue(role, out var permissions) ? permissions : FrozenSet<Permission>.Empty;

    /// <summary>Wire name of a permission (<c>flowsheets.read</c>), used in tokens and API keys.</summary>
    public static string Name(Permission permission) => permission switch
    {
        Permission.ProfileEdit => "profile.edit",
        Permission.TenantRead => "tenant.read",
        Permission.FlowsheetsRead => "flowsheets.read",
        Permission.FlowsheetsWrite => "flowsheets.write",
        Permission.RunsExecute => "runs.execute",
        Permission.TeamRead => "team.read",
        Permission.TeamManage => "team.manage",
        Permission.AnalyticsRead => "analytics.read",
        Permission.AuditRead => "audit.read",
        Permission.ApiKeysManage => "apikeys.manage",
        Permission.WebhooksManage => "webhooks.manage",
        Permission.BillingManage => "billing.manage",
        Permission.TenantDelete => "tenant.delete",
        Permission.PlatformTenants => "platform.tenants",
        Permission.PlatformAudit => "platform.audit",
        Permission.PlatformAnalysts => "platform.analysts",
        Permission.PlatformAnalyticsRead => "platform.analytics.read",
        Permission.Anonymous => "anonymous",
        Permission.Authenticated => "authenticated",
        _ => throw new ArgumentOutOfRangeException(nameof(permission), permission, null),
    };

    private static readonly FrozenDictionary<string, Permission> ByName =
        Enum.GetValues<Permission>().ToFrozenDictionary(Name, p => p, StringComparer.Ordinal);

    public static bool TryParse(string name, out Permission permission) => ByName.TryGetValue(name, out permission);
}
