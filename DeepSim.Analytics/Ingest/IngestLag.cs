using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using DeepSim.ServiceDefaults;

namespace DeepSim.Analytics.Ingest;

/// <summary>The lag now: null when no part of it is known yet; <see cref="Complete"/> false when a part is unknown.</summary>
public sealed record IngestLagReading(TimeSpan? Lag, bool Complete, string Details);

/// <summary>
/// The ingest lag: the age of the oldest outbox event not yet in ClickHouse, zero when everything is in. Each stage an
/// event waits in reports here when it looks: the HTTP ingester after every feed read (<see cref="Feed"/>: what waits after
/// the checkpoint, the page in hand included until it is stored); in Kafka mode the relay's backlog, read from the Api
/// (<see cref="Relay"/>), and the consumer's batch in hand (<see cref="Topic"/>). A stage's age is measured against the
/// clock that stamped the events where it can be (the database's, sent with the feed) and then grows on this process's
/// monotonic clock until the next look, so the lag keeps growing while ClickHouse is down and the batch cannot be
/// stored. The lag is the largest stage's; it is exported as the gauge <c>deepsim.ingest.lag</c> (seconds) and shown
/// by the <c>ingest</c> health check.
/// </summary>
public sealed class IngestLag
{
    public const string Feed = "feed";
    public const string Relay = "relay";
    public const string Topic = "topic";
    public const string GaugeName = "deepsim.ingest.lag";

    // No age: nothing waits in that stage. MeasuredAt in Stopwatch ticks.
    private sealed record Look(TimeSpan? PendingAge, long MeasuredAt, string Where);

    private readonly Lock gate = new();
    private readonly string[] stages;
    private readonly Dictionary<string, Look> looks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> unknown = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> notes = new(StringComparer.Ordinal);

    /// <param name="stages">The stages this ingester's mode has; the lag is complete once each has reported.</param>
    public IngestLag(IMeterFactory? meters, params string[] stages)
    {
        this.stages = stages;
        foreach (var stage in stages)
        {
            unknown[stage] = "not measured yet";
        }
        meters?.Create(TelemetrySources.Name).CreateObservableGauge(GaugeName, Observe, "s",
            "Age of the oldest outbox event not yet in ClickHouse (0 when caught up)");
    }

    /// <summary>What waits in <paramref name="stage"/> now: the oldest waiting event's age, or null when nothing waits.</summary>
    public void Report(string stage, TimeSpan? pendingAge, string where)
    {
        lock (gate)
        {
            looks[stage] = new Look(pendingAge is { } age && age < TimeSpan.Zero ? TimeSpan.Zero : pendingAge, Stopwatch.GetTimestamp(), where);
            unknown.Remove(stage);
            notes.Remove(stage);
        }
    }

    /// <summary>
    /// <paramref name="stage"/> cannot be seen now (why says so): its last look, if any, keeps growing; a stage never
    /// seen leaves the lag incomplete.
    /// </summary>
    public void CannotSee(string stage, string why)
    {
        lock (gate)
        {
            if (looks.ContainsKey(stage))
            {
                notes[stage] = why;
            }
            else
            {
                unknown[stage] = why;
            }
        }
    }

    /// <summary>Forget <paramref name="stage"/>'s last look: it cannot be known now (why says so).</summary>
    public void Unknown(string stage, string why)
    {
        lock (gate)
        {
            looks.Remove(stage);
            notes.Remove(stage);
            unknown[stage] = why;
        }
    }

    public IngestLagReading Current
    {
        get
        {
            lock (gate)
            {
                TimeSpan? lag = null;
                var details = new List<string>();
                foreach (var stage in stages)
                {
                    if (looks.TryGetValue(stage, out var look))
                    {
                        var age = look.PendingAge is { } pending ? pending + Stopwatch.GetElapsedTime(look.MeasuredAt) : TimeSpan.Zero;
                        lag = lag is { } max && max > age ? max : age;
                        var note = notes.TryGetValue(stage, out var n) ? $" ({n})" : "";
                        details.Add(string.Create(CultureInfo.InvariantCulture,
                            $"{stage}: {(look.PendingAge is null ? "nothing waiting" : $"oldest waiting {age.TotalSeconds:F1} s")}, {look.Where}{note}"));
                    }
                    else
                    {
                        details.Add($"{stage}: unknown ({unknown.GetValueOrDefault(stage, "not measured yet")})");
                    }
                }
                return new IngestLagReading(lag, unknown.Count == 0, string.Join("; ", details));
            }
        }
    }

    private IEnumerable<Measurement<double>> Observe() =>
        Current.Lag is { } lag ? [new Measurement<double>(lag.TotalSeconds)] : [];
}
