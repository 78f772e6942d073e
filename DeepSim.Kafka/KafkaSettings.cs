using Confluent.Kafka;
using Microsoft.Extensions.Configuration;

namespace DeepSim.Kafka;

/// <summary>
/// The <c>Kafka</c> configuration section, read by the Api's relay and the Analytics consumer alike. Kafka itself is
/// switched on by <c>ConnectionStrings:kafka</c> (the bootstrap servers, <c>host:port[,host:port…]</c>); this section
/// only tunes it.
/// </summary>
public sealed class KafkaSettings
{
    public const string Section = "Kafka";

    /// <summary>The topic the outbox is published to and consumed from.</summary>
    public string Topic { get; set; } = OutboxTopic.DefaultName;

    /// <summary>How often librdkafka reports its brokers' states (the reachability /health shows).</summary>
    public int StatisticsIntervalMs { get; set; } = 5000;

    /// <summary>The longest wait between reconnect attempts to a broker that is down (librdkafka doubles up to it).</summary>
    public int ReconnectBackoffMaxMs { get; set; } = 10_000;

    /// <summary>
    /// Extra librdkafka properties, as they are named there (<c>Kafka:Client:security.protocol</c>,
    /// <c>Kafka:Client:sasl.mechanism</c>…): what a real cluster needs (TLS, SASL) without a code change.
    /// </summary>
    public Dictionary<string, string> Client { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Reads the section, and the bootstrap servers from <c>ConnectionStrings:kafka</c>; null when Kafka is not configured.</summary>
    public static KafkaSettings? FromConfiguration(IConfiguration configuration, string connectionName, out string bootstrapServers)
    {
        bootstrapServers = configuration.GetConnectionString(connectionName) ?? "";
        if (string.IsNullOrWhiteSpace(bootstrapServers))
        {
            return null;
        }
        var settings = new KafkaSettings();
        configuration.GetSection(Section).Bind(settings);
        return settings;
    }

    /// <summary>The settings both clients share, applied onto <paramref name="config"/>.</summary>
    public T Apply<T>(T config, string bootstrapServers, string clientId)
        where T : ClientConfig
    {
        foreach (var (key, value) in Client)
        {
            config.Set(key, value);
        }
        config.BootstrapServers = bootstrapServers;
        config.ClientId = clientId;
        config.StatisticsIntervalMs = StatisticsIntervalMs;
        config.ReconnectBackoffMaxMs = ReconnectBackoffMaxMs;
        return config;
    }
}
