using DeepSim.Web.ApiClient.Models;
using DeepSim.Web.Services;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace DeepSim.Web.Account;

/// <summary>After the Api issued tokens: store them server-side, and give the browser a cookie naming that session.</summary>
public sealed class SignInFlow(DeepSimApi api, WebSessionStore sessions)
{
    public async Task CompleteAsync(HttpContext http, TokenResponse tokens, string? tenantName, CancellationToken ct)
    {
        var session = DeepSimApi.ToSession(tokens);
        var client = api.ForToken(session.AccessToken);
        var me = await client.Api.V1.Auth.Me.GetAsync(cancellationToken: ct)
            ?? throw new ApiProblemException("The Api did not say who signed in.");
        if (tenantName is null && me.TenantId is not null)
        {
            var tenant = await client.Api.V1.Tenant.GetAsync(cancellationToken: ct);
            tenantName = tenant?.Name;
        }
        var id = await sessions.CreateAsync(session, ct);
        var principal = WebExtensions.SessionPrincipal(id, me.UserId ?? Guid.Empty, me.Email ?? "", me.DisplayName ?? me.Email ?? "",
            me.TenantId, tenantName ?? me.Kind switch { "operator" => "Platform operator", "analyst" => "Platform analyst", _ => null },
            me.Role ?? session.Role, me.Permissions ?? []);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal,
            new AuthenticationProperties { IsPersistent = true });
    }

    /// <summary>Where a platform analyst starts: the platform dashboard.</summary>
    public const string AnalystHome = "/analytics/platform";

    /// <summary>Only local paths: a return URL is never a way to send someone to another site.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal) && !returnUrl.StartsWith("/account/", StringComparison.Ordinal)
            ? returnUrl : "/flowsheets";
}
