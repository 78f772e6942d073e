using Confluent.Kafka;

namespace DeepSim.Kafka;

/// <summary>
/// Which librdkafka the process loaded. Confluent.Kafka 2.16 brings its own (librdkafka.redist 2.16.0, under
/// <c>runtimes/linux-x64/native/</c>); Debian's older <c>librdkafka1</c> is on this machine too (ClickHouse's packages
/// need it), and a process that picked that one would run a client three years older than the one tested.
/// </summary>
public static class KafkaNative
{
    /// <summary>The version librdkafka reports (loading it on first use).</summary>
    public static string Version => Library.VersionString;

    /// <summary>The file the library was mapped from (Linux), or null when it cannot be told.</summary>
    public static string? LoadedFrom()
    {
        _ = Library.VersionString;
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps))
        {
            return null;
        }
        foreach (var line in File.ReadLines(maps))
        {
            var slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0 && line.Contains("librdkafka", StringComparison.Ordinal))
            {
                return line[slash..];
            }
        }
        return null;
    }

    /// <summary>"librdkafka 2.16.0 (path)": for the start-up log line and /health.</summary>
    public static string Describe() => LoadedFrom() is { } path ? $"librdkafka {Version} ({path})" : $"librdkafka {Version}";
}
