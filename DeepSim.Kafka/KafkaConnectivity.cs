using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace DeepSim.Kafka;

public enum KafkaReachability
{
    /// <summary>No broker has answered yet since the client started.</summary>
    Connecting,
    Reachable,
    Unreachable,
}

/// <summary>What a client knows about its brokers now.</summary>
public sealed record KafkaStatus(
    KafkaReachability Reachability, DateTimeOffset Since, string? LastError, long ErrorsSinceChange, long? QueuedMessages, long? ConsumerLagMessages);

/// <summary>
/// One client's view of its brokers, fed by librdkafka's callbacks: connection errors mark them unreachable, a broker
/// in state UP in the statistics (or a delivered message) marks them reachable again. Without a broker librdkafka
/// reports a failed connect every reconnect backoff, for as long as it runs; this logs the change of state once, at
/// Warning, and each repeat only at Debug, so an absent broker is one line in the log and a Degraded /health, not a
/// storm. librdkafka's own log lines go to Debug too (they would otherwise go to stderr).
/// </summary>
public sealed partial class KafkaConnectivity(string client, string bootstrapServers, ILogger logger, TimeProvider time)
{
    // Errors that say the brokers cannot be reached (as opposed to a bug or a refused request).
    private static readonly HashSet<ErrorCode> ConnectivityErrors =
    [
        ErrorCode.Local_Transport, ErrorCode.Local_AllBrokersDown, ErrorCode.Local_Resolve, ErrorCode.Local_TimedOut,
        ErrorCode.Local_Ssl, ErrorCode.Local_Authentication, ErrorCode.NetworkException, ErrorCode.RequestTimedOut,
    ];

    private readonly Lock gate = new();
    private KafkaReachability reachability = KafkaReachability.Connecting;
    private DateTimeOffset since = time.GetUtcNow();
    private string? lastError;
    private long errorsSinceChange;
    private long? queuedMessages;
    private long? consumerLag;
    private Error? fatal;
    private ErrorCode? lastOtherCode;
    private DateTimeOffset lastOtherLoggedAt;
    private static readonly TimeSpan RepeatQuietPeriod = TimeSpan.FromMinutes(1);

    public string Client => client;
    public string BootstrapServers => bootstrapServers;

    public KafkaStatus Current
    {
        get
        {
            lock (gate)
            {
                return new KafkaStatus(reachability, since, lastError, errorsSinceChange, queuedMessages, consumerLag);
            }
        }
    }

    /// <summary>The fatal error the client reported, if any: the client is unusable and must be made again.</summary>
    public Error? Fatal
    {
        get
        {
            lock (gate)
            {
                return fatal;
            }
        }
    }

    /// <summary>After the failed client was replaced.</summary>
    public void ClearFatal()
    {
        lock (gate)
        {
            fatal = null;
        }
    }

    /// <summary>For <c>SetErrorHandler</c>.</summary>
    public void OnError(IClient _, Error error)
    {
        if (error.IsFatal)
        {
            lock (gate)
            {
                fatal = error;
            }
            Log.FatalError(logger, client, error.Code, error.Reason);
            return;
        }
        if (ConnectivityErrors.Contains(error.Code))
        {
            MarkUnreachable($"{error.Code}: {error.Reason}");
            return;
        }
        // Other errors once per code and minute: a repeating one must not flood the log either.
        var now = time.GetUtcNow();
        lock (gate)
        {
            if (lastOtherCode == error.Code && now - lastOtherLoggedAt < RepeatQuietPeriod)
            {
                return;
            }
            lastOtherCode = error.Code;
            lastOtherLoggedAt = now;
        }
        Log.ClientError(logger, client, error.Code, error.Reason);
    }

    /// <summary>For <c>SetLogHandler</c>: librdkafka's own lines, at Debug (its errors arrive through <see cref="OnError"/>).</summary>
    public void OnLog(IClient _, LogMessage message) => Log.LibraryLine(logger, client, message.Facility, message.Message);

    /// <summary>For <c>SetStatisticsHandler</c>: the brokers' states, the producer's queue and the consumer's lag.</summary>
    public void OnStatistics(IClient _, string json)
    {
        bool anyUp = false;
        var states = new List<string>();
        long? queued = null;
        long? lag = null;
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.TryGetProperty("msg_cnt", out var count) && count.TryGetInt64(out var n))
            {
                queued = n;
            }
            if (root.TryGetProperty("brokers", out var brokers) && brokers.ValueKind == JsonValueKind.Object)
            {
                foreach (var broker in brokers.EnumerateObject())
                {
                    var state = broker.Value.TryGetProperty("state", out var s) ? s.GetString() ?? "?" : "?";
                    anyUp |= state == "UP";
                    states.Add($"{broker.Name} {state}");
                }
            }
            lag = ConsumerLag(root);
        }
        catch (JsonException)
        {
            return; // not statistics we understand: keep what we knew
        }
        lock (gate)
        {
            queuedMessages = queued;
            consumerLag = lag;
        }
        if (anyUp)
        {
            MarkReachable();
        }
        else if (states.Count > 0)
        {
            MarkUnreachable("no broker connection up (" + string.Join(", ", states) + ")");
        }
    }

    /// <summary>A message was acknowledged (or fetched): the brokers answer.</summary>
    public void MarkReachable()
    {
        TimeSpan? after = null;
        lock (gate)
        {
            if (reachability == KafkaReachability.Reachable)
            {
                return;
            }
            if (reachability == KafkaReachability.Unreachable)
            {
                after = time.GetUtcNow() - since;
            }
            reachability = KafkaReachability.Reachable;
            since = time.GetUtcNow();
            errorsSinceChange = 0;
        }
        if (after is { } down)
        {
            Log.ReachableAgain(logger, client, bootstrapServers, down.TotalSeconds);
        }
        else
        {
            Log.Reachable(logger, client, bootstrapServers);
        }
    }

    private void MarkUnreachable(string reason)
    {
        bool changed;
        lock (gate)
        {
            changed = reachability != KafkaReachability.Unreachable;
            if (changed)
            {
                reachability = KafkaReachability.Unreachable;
                since = time.GetUtcNow();
                errorsSinceChange = 0;
            }
            errorsSinceChange++;
            lastError = reason;
        }
        if (changed)
        {
            Log.Unreachable(logger, client, bootstrapServers, reason);
        }
        else
        {
            Log.StillUnreachable(logger, client, reason);
        }
    }

    /// <summary>"Kafka unreachable at …" and the like: the start of a /health description.</summary>
    public string Describe()
    {
        var status = Current;
        var age = (time.GetUtcNow() - status.Since).TotalSeconds;
        return status.Reachability switch
        {
            KafkaReachability.Reachable => string.Create(CultureInfo.InvariantCulture, $"Kafka reachable at {bootstrapServers}"),
            KafkaReachability.Unreachable => string.Create(CultureInfo.InvariantCulture,
                $"Kafka unreachable at {bootstrapServers} for {age:F0} s ({status.ErrorsSinceChange} connection errors; last: {status.LastError})"),
            _ => string.Create(CultureInfo.InvariantCulture, $"Kafka not answered yet at {bootstrapServers} (connecting for {age:F0} s)"),
        };
    }

    private static long? ConsumerLag(JsonElement root)
    {
        if (!root.TryGetProperty("topics", out var topics) || topics.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        long? total = null;
        foreach (var topic in topics.EnumerateObject())
        {
            if (!topic.Value.TryGetProperty("partitions", out var partitions) || partitions.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            foreach (var partition in partitions.EnumerateObject())
            {
                // Partition -1 is librdkafka's internal unassigned queue; -1 as a lag means not known yet.
                if (partition.Name != "-1" && partition.Value.TryGetProperty("consumer_lag", out var lag) && lag.TryGetInt64(out var n) && n >= 0)
                {
                    total = (total ?? 0) + n;
                }
            }
        }
        return total;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka unreachable ({Client} to {BootstrapServers}): {Reason}; retrying quietly, /health shows the state")]
        public static partial void Unreachable(ILogger logger, string client, string bootstrapServers, string reason);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Kafka still unreachable ({Client}): {Reason}")]
        public static partial void StillUnreachable(ILogger logger, string client, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "Kafka reachable ({Client} to {BootstrapServers})")]
        public static partial void Reachable(ILogger logger, string client, string bootstrapServers);

        [LoggerMessage(Level = LogLevel.Information, Message = "Kafka reachable again ({Client} to {BootstrapServers}) after {Seconds:F0} s")]
        public static partial void ReachableAgain(ILogger logger, string client, string bootstrapServers, double seconds);

        [LoggerMessage(Level = LogLevel.Error, Message = "Kafka client {Client} failed fatally ({Code}): {Reason}; it is made again")]
        public static partial void FatalError(ILogger logger, string client, ErrorCode code, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka client {Client} reported {Code}: {Reason}")]
        public static partial void ClientError(ILogger logger, string client, ErrorCode code, string reason);

        [LoggerMessage(Level = LogLevel.Debug, Message = "librdkafka ({Client}) {Facility}: {Text}")]
        public static partial void LibraryLine(ILogger logger, string client, string facility, string text);
    }
}
