using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace DeepSim.Analytics.Tests;

/// <summary>
/// A test that needs a live Kafka broker: it runs only where <c>DEEPSIM_TEST_KAFKA</c> names one (bootstrap servers,
/// <c>host:port</c>), and is reported as skipped, with the reason, everywhere else (no broker is obtainable on this
/// project's machines).
/// </summary>
public sealed class KafkaBrokerFactAttribute : FactAttribute
{
    public const string Variable = "DEEPSIM_TEST_KAFKA";

    public KafkaBrokerFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Broker))
        {
            Skip = $"no Kafka broker: {Variable} is not set (set it to a broker's host:port to run the live-broker path; none can run on this machine)";
        }
    }

    public static string? Broker => Environment.GetEnvironmentVariable(Variable);
}

internal static class Kafka
{
    /// <summary>A loopback port nothing listens on: connecting is refused at once, as with a broker that is not there.</summary>
    public static string NoBroker()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"127.0.0.1:{port}";
    }
}

/// <summary>Keeps every log entry at <see cref="MinimumLevel"/> or above, to count what a component logged.</summary>
public sealed class CapturingLogs(LogLevel minimumLevel = LogLevel.Information) : ILoggerProvider
{
    public sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception);

    private readonly ConcurrentQueue<Entry> entries = new();

    public LogLevel MinimumLevel => minimumLevel;

    public IReadOnlyList<Entry> Entries => entries.ToArray();

    public IReadOnlyList<Entry> AtLeast(LogLevel level) => entries.Where(e => e.Level >= level).ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public ILogger<T> For<T>() => new Typed<T>(CreateLogger(typeof(T).FullName!));

    public void Dispose()
    {
    }

    private sealed class Typed<T>(ILogger inner) : ILogger<T>
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, exception, formatter);
    }

    private sealed class Logger(CapturingLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner.MinimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), exception));
            }
        }
    }
}
