using System.Globalization;
using DeepSim.Analytics.ClickHouse;

namespace DeepSim.Analytics.Ingest;

/// <summary>The raw events table and the ingest checkpoint in ClickHouse (migrations 0001 and 0002).</summary>
public sealed class EventStore(ClickHouseDatabase database, TimeProvider time)
{
    public const string EventsTable = "events";
    public const string CheckpointTable = "ingest_checkpoint";

    private static readonly (string Name, string Type)[] EventColumns =
    [
        ("event_id", "UUID"), ("tenant_id", "UUID"), ("type", "String"), ("occurred_at", "DateTime('UTC')"),
        ("payload", "String"), ("position", "String"), ("ingested_at", "DateTime('UTC')"),
    ];

    private static readonly (string Name, string Type)[] CheckpointColumns =
    [
        ("name", "String"), ("position", "String"), ("version", "UInt64"), ("updated_at", "DateTime('UTC')"),
    ];

    private long lastVersion;

    public async Task InsertAsync(IReadOnlyList<FeedEvent> events, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var rows = events.Select(e => new object[]
        {
            e.Id, e.TenantId ?? Guid.Empty, e.Type, DateTime.SpecifyKind(e.OccurredAt.ToUniversalTime(), DateTimeKind.Utc),
            e.Payload.GetRawText(), e.Position, now,
        });
        await database.InsertAsync(EventsTable, EventColumns, rows, ct);
    }

    /// <summary>The last position written under <paramref name="name"/>, or null when none was.</summary>
    public async Task<string?> ReadCheckpointAsync(string name, CancellationToken ct)
    {
        var rows = await database.QueryTsvAsync(
            $"SELECT argMax(position, version), count() FROM {CheckpointTable} WHERE name = {ClickHouseSql.Literal(name)}", ct);
        return rows is [[var position, var count]] && count != "0" ? position : null;
    }

    /// <summary>A new checkpoint row; the largest version wins, so a later write always replaces an earlier one.</summary>
    public async Task WriteCheckpointAsync(string name, string position, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        // Microseconds since the epoch, and strictly increasing within this process.
        var version = Math.Max(now.ToUnixTimeMilliseconds() * 1000, lastVersion + 1);
        lastVersion = version;
        await database.InsertAsync(CheckpointTable, CheckpointColumns, [[name, position, (ulong)version, now.UtcDateTime]], ct);
    }

    /// <summary>Distinct events stored (duplicates from redelivery count once).</summary>
    public async Task<long> CountDistinctEventsAsync(CancellationToken ct)
    {
        var rows = await database.QueryTsvAsync($"SELECT uniqExact(event_id) FROM {EventsTable}", ct);
        return long.Parse(rows[0][0], CultureInfo.InvariantCulture);
    }
}
