using System.Globalization;
using System.Text.Json;
using DeepSim.Api.Infrastructure;

namespace DeepSim.Api.Events;

/// <summary>
/// A place in the outbox feed: the (txid, seq) pair of an event, written <c>txid-seq</c>. <c>0-0</c> is the start.
/// </summary>
public readonly record struct FeedPosition(long Txid, long Seq) : IComparable<FeedPosition>
{
    public static readonly FeedPosition Start = new(0, 0);

    public int CompareTo(FeedPosition other) => (Txid, Seq).CompareTo((other.Txid, other.Seq));

    public static bool operator <(FeedPosition a, FeedPosition b) => a.CompareTo(b) < 0;
    public static bool operator >(FeedPosition a, FeedPosition b) => a.CompareTo(b) > 0;
    public static bool operator <=(FeedPosition a, FeedPosition b) => a.CompareTo(b) <= 0;
    public static bool operator >=(FeedPosition a, FeedPosition b) => a.CompareTo(b) >= 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Txid}-{Seq}");

    /// <summary>Two non-negative integers joined by a dash; null (absent) is the start.</summary>
    public static bool TryParse(string? text, out FeedPosition position)
    {
        position = Start;
        if (text is null)
        {
            return true;
        }
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0
            && long.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var txid)
            && long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            position = new FeedPosition(txid, seq);
            return true;
        }
        return false;
    }
}

/// <summary>One outbox event as the feed gives it; <see cref="Position"/> is where a reader resumes after it.</summary>
public sealed record FeedEvent(string Position, Guid Id, Guid? TenantId, string Type, DateTime OccurredAt, JsonElement Payload);

/// <summary>
/// The feed after a position: <see cref="Head"/> is the newest position it can give now; <see cref="OldestPendingAt"/>
/// is when the oldest committed event after the position occurred (held-back ones included; null when there is none),
/// <see cref="At"/> the database's clock at the reading, so a reader computes the age without trusting its own clock.
/// </summary>
public sealed record FeedStatus(FeedPosition Head, DateTime? OldestPendingAt, DateTime At)
{
    /// <summary>The oldest pending event's age at <see cref="At"/> (zero when nothing is pending).</summary>
    public TimeSpan PendingAge => OldestPendingAt is { } oldest && At > oldest ? At - oldest : TimeSpan.Zero;
}

/// <summary>
/// Reads the outbox through <c>outbox_feed</c> and <c>outbox_feed_status</c> (migrations 0180, 0300): every tenant's
/// events in commit-safe order. The feed endpoint and the Kafka relay both read it here.
/// </summary>
public static class OutboxFeed
{
    /// <summary>The most one read returns (also enforced by <c>outbox_feed</c>).</summary>
    public const int MaxLimit = 1000;

    private sealed record FeedRow(long Txid, long Seq, Guid Id, Guid? TenantId, string Type, DateTime OccurredAt, string Payload);

    private sealed record StatusRow(long HeadTxid, long HeadSeq, DateTime? OldestPendingAt, DateTime At);

    /// <summary>Up to <paramref name="limit"/> events after <paramref name="after"/>, and the position after the last (or <paramref name="after"/>).</summary>
    public static async Task<(List<FeedEvent> Events, FeedPosition End)> ReadAsync(DbScope s, FeedPosition after, int limit, CancellationToken ct)
    {
        var rows = (await s.QueryAsync<FeedRow>(
            """
            select o_txid as "Txid", o_seq as "Seq", o_id as "Id", o_tenant_id as "TenantId", o_type as "Type",
                   o_occurred_at as "OccurredAt", o_payload as "Payload"
            from outbox_feed(@txid, @seq, @take)
            """, new { txid = after.Txid, seq = after.Seq, take = limit }, ct)).ToList();
        var events = rows.Select(r => new FeedEvent(new FeedPosition(r.Txid, r.Seq).ToString(), r.Id, r.TenantId, r.Type, r.OccurredAt, ParsePayload(r.Payload))).ToList();
        return (events, rows.Count > 0 ? new FeedPosition(rows[^1].Txid, rows[^1].Seq) : after);
    }

    public static async Task<FeedStatus> StatusAsync(DbScope s, FeedPosition after, CancellationToken ct)
    {
        var row = (await s.QuerySingleOrDefaultAsync<StatusRow>(
            """
            select o_head_txid as "HeadTxid", o_head_seq as "HeadSeq", o_oldest_pending_at as "OldestPendingAt", o_at as "At"
            from outbox_feed_status(@txid, @seq)
            """, new { txid = after.Txid, seq = after.Seq }, ct))!;
        return new FeedStatus(new FeedPosition(row.HeadTxid, row.HeadSeq), row.OldestPendingAt, row.At);
    }

    private static JsonElement ParsePayload(string payload)
    {
        using var document = JsonDocument.Parse(payload);
        return document.RootElement.Clone();
    }
}
