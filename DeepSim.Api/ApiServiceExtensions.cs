using DeepSim.Api.ApiKeys;
using DeepSim.Api.Audit;
using DeepSim.Api.Auth;
using DeepSim.Api.Billing;
using DeepSim.Api.Billing.Stripe;
using DeepSim.Api.Catalog;
using DeepSim.Api.Events;
using DeepSim.Api.Flowsheets;
using DeepSim.Api.Infrastructure;
using DeepSim.Api.Mail;
using DeepSim.Api.Internal;
using DeepSim.Api.Mcp;
using DeepSim.Api.Platform;
using DeepSim.Api.Reference;
using DeepSim.Api.Runs;
using DeepSim.Api.Teams;
using DeepSim.Api.Tenants;
using DeepSim.Api.Webhooks;
using DeepSim.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;
using StackExchange.Redis;

namespace DeepSim.Api;

/// <summary>Everything the Api registers and maps; Program.cs only calls these.</summary>
public static class ApiServiceExtensions
{
    // A short connect timeout keeps the first start and reconnects prompt while Redis is down.
    private const int RedisConnectTimeoutMs = 3000;

    /// <summary>
    /// The whole Api on the builder's configuration: service defaults, services, endpoints. Program.cs, the in-process
    /// test hosts and the load bench all compose it through here, so they run the same application.
    /// </summary>
    public static WebApplication BuildApi(this WebApplicationBuilder builder)
    {
        builder.AddServiceDefaults();
        builder.AddApiServices();
        var app = builder.Build();
        app.MapApiEndpoints();
        app.MapDefaultEndpoints();
        return app;
    }

    public static WebApplicationBuilder AddApiServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AuthSettings>().BindConfiguration(AuthSettings.Section);
        services.AddSingleton(TimeProvider.System);
        services.AddHostedService<StartupChecks>();
        services.AddHostedService<OperatorBootstrap>();

        // Aspire's client integrations read ConnectionStrings:{name} here; StartupChecks fails fast when one is missing.
        // The data source brings the "PostgreSql" health check (select 1 through the pool), tracing and metrics.
        builder.AddNpgsqlDataSource(ResourceNames.Database);
        // The platform role, for the operator endpoints alone: the application role above may not run operator functions.
        // Its health check is PlatformDatabaseHealthCheck, which survives the idle pool's dead connections after a restart.
        builder.AddKeyedNpgsqlDataSource(ResourceNames.PlatformDatabase, configureSettings: settings => settings.DisableHealthChecks = true);
        builder.AddRedisClient(ResourceNames.Redis,
            // Aspire's Redis check pings with no bound of its own: while Redis is down the client's backlog holds the
            // ping for the whole command timeout, so /health would hang ~5 s. RedisHealthCheck bounds it at 1 s.
            configureSettings: settings => settings.DisableHealthChecks = true,
            configureOptions: options =>
            {
                // Redis holds caches, revocations and rate-limit counters: its absence degrades the Api, never stops it.
                options.AbortOnConnectFail = false;
                options.ConnectTimeout = RedisConnectTimeoutMs;
            });
        services.AddSingleton<TenantDb>();
        services.AddSingleton<PlatformDb>();
        services.AddSingleton<SigningKeyRing>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<Sessions>();
        services.AddSingleton<RedisCircuit>();
        services.AddSingleton<RevokedTokens>();
        services.AddSingleton<IFlowsheetValidator, EngineFlowsheetValidator>();
        services.AddScoped<AuditNotes>();
        services.AddScoped<AuditWriter>();
        services.AddSingleton<RefusalAudit>();
        services.AddRunServices();
        services.AddDeepSimMcp();
        services.AddOptions<BillingSettings>().BindConfiguration(BillingSettings.Section);
        services.AddOptions<StripeSettings>().BindConfiguration(StripeSettings.Section);
        services.AddSingleton<StripeGateway>();
        services.AddSingleton<StripeWebhooks>();
        services.AddSingleton<StripeJob>();
        services.AddSingleton<BillingService>();
        services.AddSingleton<PaymentProvider>();
        services.AddSingleton<BillingJob>();
        services.AddOptions<MailSettings>().BindConfiguration(MailSettings.Section);
        services.AddSingleton<MailSender>();
        services.AddOptions<WebhookSettings>().BindConfiguration(WebhookSettings.Section);
        services.AddSingleton<WebhookDispatcher>();
        if (!BuildTimeDocument.IsGenerating)
        {
            // Before anything that signs: the start waits until the ring has a key.
            services.AddHostedService<SigningKeyJob>();
            services.AddHostedService(sp => sp.GetRequiredService<BillingJob>());
            services.AddHostedService(sp => sp.GetRequiredService<MailSender>());
            services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
            // Stripe is on by the presence of its key: without it nothing of Stripe runs.
            if (!string.IsNullOrWhiteSpace(builder.Configuration[$"{StripeSettings.Section}:SecretKey"]))
            {
                services.AddHostedService(sp => sp.GetRequiredService<StripeJob>());
            }
        }

        builder.AddOutboxRelay();

        services.AddHealthChecks()
            // Degraded even if the check itself fails: the Api serves without Redis (RedisHealthCheck).
            .AddCheck<RedisHealthCheck>(ResourceNames.Redis, failureStatus: Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded)
            .AddCheck<PlatformDatabaseHealthCheck>(PlatformDatabaseHealthCheck.Name);

        services.AddAuthentication(DeepSimAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, DeepSimAuthenticationHandler>(DeepSimAuthenticationHandler.SchemeName, null);
        services.AddPermissionPolicies();

        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
            if (context.ProblemDetails.Type is null || !context.ProblemDetails.Type.StartsWith(ProblemTypes.Base, StringComparison.Ordinal))
            {
                context.ProblemDetails.Type = ProblemTypes.ForStatus(status);
            }
            context.ProblemDetails.Extensions["traceId"] = System.Diagnostics.Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier;
        });
        services.AddStrictJsonBodies();
        services.AddOpenApi(options => options.AddDeepSimContract());
        return builder;
    }

    /// <summary>Middleware and every endpoint group of the Api.</summary>
    public static WebApplication MapApiEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = StatusForException });
        app.UseStatusCodePages();
        app.UseRefusalAudit();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseServiceTokenGate();
        app.UseTenantRateLimiting();
        app.UseTextInputGuard();

        app.MapOpenApi().AllowAnonymous();
        app.MapApiReference();
        app.MapWellKnownEndpoints();
        var api = app.MapGroup("").AddEndpointFilter<AuditFilter>().AddEndpointFilter<RestrictionFilter>().DocumentRefusals();
        api.MapAuthEndpoints();
        api.MapSignUpEndpoints();
        api.MapEmailVerificationEndpoints();
        api.MapPasswordResetEndpoints();
        api.MapProfileEndpoints();
        api.MapTenantEndpoints();
        api.MapTeamEndpoints();
        api.MapFlowsheetEndpoints();
        api.MapCatalogEndpoints();
        api.MapAuditEndpoints();
        api.MapApiKeyEndpoints();
        api.MapWebhookEndpoints();
        api.MapPlatformEndpoints();
        api.MapAnalystEndpoints();
        api.MapBillingEndpoints();
        api.MapRunGroups();
        app.MapDeepSimMcp();
        app.MapInternalGroups();
        app.MapInternalOutboxEndpoints();
        return app;
    }

    private static int StatusForException(Exception exception) => exception switch
    {
        BadHttpRequestException bad => bad.StatusCode,
        // A dependency that is down is the service being unavailable, not a bug: clients may retry.
        RedisConnectionException or RedisTimeoutException => StatusCodes.Status503ServiceUnavailable,
        NpgsqlException { IsTransient: true } => StatusCodes.Status503ServiceUnavailable,
        // Stripe refused or could not be reached: the payment provider failed, not this service (nothing was committed).
        Stripe.StripeException => StatusCodes.Status502BadGateway,
        _ => StatusCodes.Status500InternalServerError,
    };
}

/// <summary>Fails the start with the configuration path of every missing setting.</summary>
internal sealed class StartupChecks(IConfiguration configuration) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        configuration.GetRequiredConnectionString(ResourceNames.Database);
        configuration.GetRequiredConnectionString(ResourceNames.PlatformDatabase);
        configuration.GetRequiredConnectionString(ResourceNames.Redis);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
