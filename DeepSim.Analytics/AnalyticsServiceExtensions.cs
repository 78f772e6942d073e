using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using DeepSim.Analytics.Auth;
using DeepSim.Analytics.ClickHouse;
using DeepSim.Analytics.Infrastructure;
using DeepSim.Analytics.Ingest;
using DeepSim.Analytics.Platform;
using DeepSim.Analytics.Usage;
using DeepSim.Kafka;
using DeepSim.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace DeepSim.Analytics;

public static class AnalyticsServiceExtensions
{
    /// <summary>The whole service: Program.cs and the in-process test hosts compose it through here.</summary>
    public static WebApplication BuildAnalytics(this WebApplicationBuilder builder)
    {
        builder.AddServiceDefaults();
        builder.AddAnalyticsServices();
        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenApi().AllowAnonymous();
        app.MapCallerEndpoints();
        app.MapUsageEndpoints();
        app.MapPlatformAnalyticsEndpoints();
        app.MapDefaultEndpoints();
        return app;
    }

    public static IHostApplicationBuilder AddAnalyticsServices(this IHostApplicationBuilder builder)
    {
        var clickHouse = ClickHouseConnection.Parse(builder.Configuration.GetRequiredConnectionString(ResourceNames.ClickHouse));
        builder.Configuration.GetRequiredServiceUri(ResourceNames.Api);

        builder.Services.AddSingleton(clickHouse);
        builder.Services.AddSingleton<ClickHouseDatabase>();
        builder.Services.AddSingleton<TenantAnalytics>();
        builder.Services.AddSingleton<PlatformAnalytics>();
        // The Api, asked to confirm each platform analyst's token (PlatformAnalystFilter); the name resolves by service discovery.
        builder.Services.AddHttpClient(PlatformAnalystFilter.ApiClientName, http => http.BaseAddress = new Uri("http://" + ResourceNames.Api));
        builder.Services.TryAddSingleton(TimeProvider.System);
        // Unexpected failures answer a problem document with a trace id (and are logged once by the handler).
        builder.Services.AddProblemDetails();
        builder.Services.AddAnalyticsOpenApi();
        // ClickHouse's HTTP interface is called directly: no retries on top, the callers decide.
        builder.Services.AddHttpClient(ClickHouseHealthCheck.HttpClientName);
        builder.Services.AddHealthChecks()
            .AddCheck<ClickHouseHealthCheck>(ResourceNames.ClickHouse, tags: ["ready"])
            .AddServiceCheck(ResourceNames.Api);
        builder.AddApiTokenAuthentication();
        builder.AddOutboxIngester();
        return builder;
    }

    /// <summary>
    /// The ingester. With <c>ConnectionStrings:kafka</c> it consumes the outbox topic (and, with <c>Auth:ServiceToken</c>,
    /// reads the Api relay's backlog for the lag); otherwise it follows the Api's HTTP feed, switched on by
    /// <c>Auth:ServiceToken</c> (the feed's credential). Either way the <c>ingest</c> health check shows the lag.
    /// </summary>
    public static IHostApplicationBuilder AddOutboxIngester(this IHostApplicationBuilder builder)
    {
        var token = builder.Configuration["Auth:ServiceToken"];
        var kafka = KafkaSettings.FromConfiguration(builder.Configuration, ResourceNames.Kafka, out var bootstrapServers);
        if (kafka is null && string.IsNullOrWhiteSpace(token))
        {
            builder.Services.AddHealthChecks().AddCheck("ingest", () => HealthCheckResult.Degraded(
                "outbox ingester disabled: missing configuration 'Auth:ServiceToken' (environment variable Auth__ServiceToken)"));
            return builder;
        }
        builder.Services.AddOptions<IngestOptions>().BindConfiguration(IngestOptions.Section)
            .Validate(o => o.BatchSize is >= 1 and <= 1000, "Ingest:BatchSize must be 1..1000 (the feed's limit)")
            .Validate(o => o.MaxInsertRows >= 1, "Ingest:MaxInsertRows must be at least 1")
            .Validate(o => o.IdlePollMilliseconds >= 0, "Ingest:IdlePollMilliseconds must not be negative")
            .Validate(o => o.InitialBackoffMilliseconds >= 1 && o.MaxBackoffMilliseconds >= o.InitialBackoffMilliseconds,
                "Ingest:InitialBackoffMilliseconds must be at least 1 and Ingest:MaxBackoffMilliseconds at least that")
            .Validate(o => o.CallTimeoutSeconds >= 1, "Ingest:CallTimeoutSeconds must be at least 1")
            .Validate(o => o.LagDegradedSeconds > 0, "Ingest:LagDegradedSeconds must be positive")
            .Validate(o => !string.IsNullOrWhiteSpace(o.KafkaGroupId), "Ingest:KafkaGroupId must not be empty")
            .ValidateOnStart();
        if (!string.IsNullOrWhiteSpace(token))
        {
            builder.Services.AddHttpClient<OutboxFeedClient>(http =>
            {
                http.BaseAddress = new Uri("http://" + ResourceNames.Api);
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            });
        }
        builder.Services.AddSingleton<EventStore>();
        builder.Services.AddHealthChecks().AddCheck<IngestHealthCheck>("ingest");
        if (kafka is null)
        {
            builder.Services.AddSingleton(sp => new IngestLag(sp.GetService<IMeterFactory>(), IngestLag.Feed));
            builder.Services.AddHostedService<OutboxIngester>();
            return builder;
        }

        builder.Services.AddSingleton(sp =>
        {
            var lag = new IngestLag(sp.GetService<IMeterFactory>(), IngestLag.Relay, IngestLag.Topic);
            if (string.IsNullOrWhiteSpace(token))
            {
                // The topic part is still measured; what waits behind the relay cannot be read without the token.
                lag.Unknown(IngestLag.Relay, "missing configuration 'Auth:ServiceToken': the Api relay's backlog cannot be read");
            }
            return lag;
        });
        builder.Services.AddSingleton(sp => new KafkaIngester(
            sp.GetRequiredService<ClickHouseDatabase>(), sp.GetRequiredService<EventStore>(), sp.GetRequiredService<IOptions<IngestOptions>>(),
            kafka, bootstrapServers, sp.GetRequiredService<IngestLag>(), sp.GetRequiredService<ILogger<KafkaIngester>>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetService<IMeterFactory>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<KafkaIngester>());
        builder.Services.AddHealthChecks().AddCheck<KafkaConsumerHealthCheck>(ResourceNames.Kafka);
        if (!string.IsNullOrWhiteSpace(token))
        {
            builder.Services.AddHostedService<RelayBacklogMonitor>();
        }
        return builder;
    }
}
