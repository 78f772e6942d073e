using System.Collections.Frozen;
using System.Globalization;
using System.Security.Claims;

namespace DeepSim.Api.Auth;

/// <summary>Who is calling, as established by <see cref="DeepSimAuthenticationHandler"/> for this request.</summary>
public sealed record Actor(
    string Kind,
    Guid? UserId,
    Guid? ApiKeyId,
    Guid? TenantId,
    string? Role,
    string? Plan,
    FrozenSet<Permission> Permissions)
{
    public const string KindUser = "user";
    public const string KindApiKey = "api_key";
    public const string KindOperator = "operator";
    public const string KindAnalyst = "analyst";
    public const string KindAnonymous = "anonymous";

    public static readonly Actor Anonymous = new(KindAnonymous, null, null, null, null, null, FrozenSet<Permission>.Empty);

    public bool IsOperator => Kind == KindOperator;

    public bool IsAnalyst => Kind == KindAnalyst;

    /// <summary>A platform token (operator or analyst): no tenant, no session; checked in the database on every request.</summary>
    public bool IsPlatform => Kind is KindOperator or KindAnalyst;

    /// <summary>A person signed in with their password (not an API key).</summary>
    public bool IsPerson => Kind is KindUser or KindOperator or KindAnalyst;

    /// <summary>The platform role a platform token kind stands for in the permission table.</summary>
    public static string PlatformRole(string kind) => kind switch
    {
        KindOperator => Roles.PlatformOperator,
        KindAnalyst => Roles.PlatformAnalyst,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a platform token kind"),
    };

    /// <summary>The user or API key acting, for created_by / audit columns.</summary>
    public Guid Id => UserId ?? ApiKeyId ?? throw new InvalidOperationException("an anonymous caller has no actor id");

    /// <summary>The request's tenant; throws when there is none, so no tenant-scoped work runs without one.</summary>
    public Guid RequireTenant() => TenantId ?? throw new TenantContextMissingException();

    public static Actor FromPrincipal(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true)
        {
            return Anonymous;
        }
        var permissions = principal.FindAll(ClaimNames.Permission)
            .Select(c => PermissionTable.TryParse(c.Value, out var p) ? p : (Permission?)null)
            .Where(p => p is not null)
            .Select(p => p!.Value)
            .ToFrozenSet();
        return new Actor(
            principal.FindFirstValue(ClaimNames.Kind) ?? KindAnonymous,
            ParseGuid(principal.FindFirstValue(ClaimNames.Subject)),
            ParseGuid(principal.FindFirstValue(ClaimNames.ApiKey)),
            ParseGuid(principal.FindFirstValue(ClaimNames.Tenant)),
            principal.FindFirstValue(ClaimNames.Role),
            principal.FindFirstValue(ClaimNames.Plan),
            permissions);
    }

    private static Guid? ParseGuid(string? value) =>
        Guid.TryParse(value, CultureInfo.InvariantCulture, out var id) ? id : null;
}

/// <summary>Claim types in DeepSim tokens and in the request principal.</summary>
public static class ClaimNames
{
    public const string Subject = "sub";
    public const string Tenant = "tid";
    public const string Role = "role";
    public const string Permission = "perm";
    public const string Plan = "plan";
    public const string Session = "sid";
    public const string Kind = "kind";
    public const string ApiKey = "kid_api";
    public const string TokenId = "jti";
}

/// <summary>Thrown when tenant-scoped work is attempted without a tenant: a bug, never a user error.</summary>
public sealed class TenantContextMissingException()
    : InvalidOperationException("tenant-scoped database work was attempted without a tenant context");
