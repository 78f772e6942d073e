using System.Security.Claims;
using DeepSim.ServiceDefaults;
using DeepSim.Web.Services;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using MudBlazor.Services;
using StackExchange.Redis;

namespace DeepSim.Web;

public static class WebExtensions
{
    public const string CookieName = "deepsim.session";
    public const string DataProtectionApplication = "DeepSim.Web";
    public const string DataProtectionKeysKey = "deepsim:web:data-protection-keys";
    public const string SessionCachePrefix = "deepsim:web:";

    public static IHostApplicationBuilder AddWebServices(this IHostApplicationBuilder builder)
    {
        builder.Configuration.GetRequiredServiceUri(ResourceNames.Api);
        builder.Configuration.GetRequiredServiceUri(ResourceNames.Analytics);
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddSingleton(TimeProvider.System);

        builder.Services.AddTransient<ApiProblemHandler>();
        builder.Services.AddHttpClient(DeepSimApi.HttpClientName, client => client.BaseAddress = new Uri($"http://{ResourceNames.Api}"))
            .AddHttpMessageHandler<ApiProblemHandler>();
        // The usage page's figures come from Analytics (not a readiness dependency: without it that page says so, the rest works).
        builder.Services.AddHttpClient(DeepSimAnalytics.HttpClientName, client => client.BaseAddress = new Uri($"http://{ResourceNames.Analytics}"))
            .AddHttpMessageHandler<ApiProblemHandler>();
        builder.Services.AddHttpClient<ApiStatus>(client => client.BaseAddress = new Uri($"http://{ResourceNames.Api}"));
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<DeepSimApi>();
        builder.Services.AddScoped<DeepSimAnalytics>();
        builder.Services.AddScoped<Account.SignInFlow>();
        builder.Services.AddScoped<Flowsheets.RunTracker>();

        // The session cookie names a server-side entry holding the Api's tokens; the tokens never reach the browser.
        // Entries and the keys that protect the cookie live in Redis, so every web instance, and one restarted, reads them.
        builder.Configuration.GetRequiredConnectionString(ResourceNames.Redis);
        builder.AddRedisClient(ResourceNames.Redis, configureOptions: options => options.AbortOnConnectFail = false);
        builder.Services.AddStackExchangeRedisCache(options => options.InstanceName = SessionCachePrefix);
        builder.Services.AddOptions<RedisCacheOptions>().Configure<IConnectionMultiplexer>(
            (options, redis) => options.ConnectionMultiplexerFactory = () => Task.FromResult(redis));
        builder.Services.AddDataProtection().SetApplicationName(DataProtectionApplication);
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IConnectionMultiplexer>(
            (options, redis) => options.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), DataProtectionKeysKey));
        builder.Services.AddSingleton<WebSessionStore>();
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(options =>
            {
                options.Cookie.Name = CookieName;
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.LoginPath = "/account/signin";
                options.AccessDeniedPath = "/account/signin";
                options.ReturnUrlParameter = "returnUrl";
                options.ExpireTimeSpan = TimeSpan.FromDays(14);
                options.SlidingExpiration = true;
                options.Events.OnValidatePrincipal = RejectEndedSessionsAsync;
            });
        builder.Services.AddAuthorization();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddHealthChecks().AddServiceCheck(ResourceNames.Api);
        return builder;
    }

    /// <summary>A cookie whose server-side session is gone (signed out, revoked, tenant suspended) no longer signs anyone in.</summary>
    private static async Task RejectEndedSessionsAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal?.FindFirst(WebClaims.SessionId)?.Value;
        var store = context.HttpContext.RequestServices.GetRequiredService<WebSessionStore>();
        var session = id is null ? null : await store.GetAsync(id, context.HttpContext.RequestAborted);
        if (session is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
        else if (session.DisplayName is { } name && context.Principal!.Identity?.Name != name)
        {
            // The person renamed themselves (Profile page): the cookie takes the new name.
            context.ReplacePrincipal(WithName(context.Principal, name));
            context.ShouldRenew = true;
        }
    }

    /// <summary>The same principal under another display name (the app bar shows it).</summary>
    public static ClaimsPrincipal WithName(ClaimsPrincipal principal, string displayName)
    {
        var claims = principal.Claims.Where(c => c.Type != ClaimTypes.Name).Append(new Claim(ClaimTypes.Name, displayName));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    /// <summary>The cookie principal for a new web session (claims only: who, which tenant, which role).</summary>
    public static ClaimsPrincipal SessionPrincipal(string sessionId, Guid userId, string email, string displayName,
        Guid? tenantId, string? tenantName, string role, IEnumerable<string> permissions)
    {
        var claims = new List<Claim>
        {
            new(WebClaims.SessionId, sessionId),
            new(WebClaims.UserId, userId.ToString()),
            new(ClaimTypes.Name, displayName),
            new(WebClaims.Email, email),
            new(ClaimTypes.Role, role),
        };
        if (tenantId is { } t)
        {
            claims.Add(new Claim(WebClaims.TenantId, t.ToString()));
        }
        if (tenantName is not null)
        {
            claims.Add(new Claim(WebClaims.TenantName, tenantName));
        }
        claims.AddRange(permissions.Select(p => new Claim(WebClaims.Permission, p)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme, ClaimTypes.Name, ClaimTypes.Role));
    }
}
