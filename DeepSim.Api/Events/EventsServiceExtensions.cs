using DeepSim.Api.Infrastructure;
using DeepSim.Kafka;
using DeepSim.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Events;

public static class EventsServiceExtensions
{
    /// <summary>
    /// The outbox relay to Kafka, switched on by <c>ConnectionStrings:kafka</c> (the bootstrap servers): without it
    /// nothing of Kafka runs and Analytics reads the HTTP feed instead.
    /// </summary>
    public static WebApplicationBuilder AddOutboxRelay(this WebApplicationBuilder builder)
    {
        var kafka = KafkaSettings.FromConfiguration(builder.Configuration, ResourceNames.Kafka, out var bootstrapServers);
        if (kafka is null)
        {
            return builder;
        }
        var services = builder.Services;
        services.AddOptions<OutboxRelaySettings>().BindConfiguration(OutboxRelaySettings.Section)
            .Validate(o => o.BatchSize is >= 1 and <= OutboxFeed.MaxLimit, $"OutboxRelay:BatchSize must be 1..{OutboxFeed.MaxLimit}")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Name) && o.Name.Length <= 100, "OutboxRelay:Name must be 1..100 characters")
            .Validate(o => o.MessageTimeoutMs >= 1000, "OutboxRelay:MessageTimeoutMs must be at least 1000")
            .Validate(o => o.LeaseSeconds >= 3, "OutboxRelay:LeaseSeconds must be at least 3")
            .Validate(o => o.IdlePollMilliseconds >= 0 && o.LingerMs >= 0, "OutboxRelay:IdlePollMilliseconds and LingerMs must not be negative")
            .Validate(o => o.InitialBackoffMilliseconds >= 1 && o.MaxBackoffMilliseconds >= o.InitialBackoffMilliseconds,
                "OutboxRelay:InitialBackoffMilliseconds must be at least 1 and OutboxRelay:MaxBackoffMilliseconds at least that")
            .ValidateOnStart();
        services.AddSingleton(sp => new OutboxRelay(
            sp.GetRequiredService<TenantDb>(), sp.GetRequiredService<IOptions<OutboxRelaySettings>>(), kafka, bootstrapServers,
            sp.GetRequiredService<ILogger<OutboxRelay>>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        if (!BuildTimeDocument.IsGenerating)
        {
            services.AddHostedService(sp => sp.GetRequiredService<OutboxRelay>());
        }
        services.AddHealthChecks().AddCheck<OutboxRelayHealthCheck>(ResourceNames.Kafka);
        return builder;
    }
}
