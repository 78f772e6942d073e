using System.Globalization;
using System.Text.Json;
using DeepSim.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Api.Internal;

/// <summary>One outbox event as the feed gives it; <see cref="Position"/> is where a reader resumes after it.</summary>
public sealed record FeedEvent(string Position, Guid Id, Guid? TenantId, string Type, DateTime OccurredAt, JsonElement Payload);

/// <summary>A page of the feed; <see cref="Next"/> is the <c>after</c> of the next call (the same position when empty).</summary>
public sealed record FeedPage(List<FeedEvent> Events, string Next);

/// <summary>
/// The outbox feed (<c>GET /internal/v1/outbox</c>) for the analytics ingester, service token only. Every tenant's
/// events through <c>outbox_feed</c> (migration 0180): in commit-safe order, so a reader that keeps the last
/// position it processed misses nothing. A position is the opaque <c>txid-seq</c> pair; <c>0-0</c> (or no
/// <c>after</c>) is the start.
/// </summary>
public static class InternalOutboxEndpoints
{
    public const int DefaultLimit = 500;

    /// <summary>The most one page holds (also enforced by <c>outbox_feed</c>).</summary>
    public const int MaxLimit = 1000;

    private sealed record FeedRow(long Txid, long Seq, Guid Id, Guid? TenantId, string Type, DateTime OccurredAt, string Payload);

    public static IEndpointRouteBuilder MapInternalOutboxEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/internal/v1/outbox").WithTags("Internal")
            .AllowAnonymous() // not a tenant endpoint: ServiceTokenGate (middleware on /internal) is the gate
            .ExcludeFromDescription()
            .MapGet("", Feed).WithName("internal.outbox.feed")
            .WithSummary("Events after a position, every tenant, in commit-safe order");
        return routes;
    }

    public static async Task<Results<Ok<FeedPage>, ValidationProblem>> Feed(string? after, string? limit, TenantDb db, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (!TryParsePosition(after, out var txid, out var seq))
        {
            errors.Add("after", "must be a position txid-seq returned by the feed (two non-negative integers), or absent for the start");
        }
        var take = DefaultLimit;
        if (limit is not null && !(int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out take) && take is >= 1 and <= MaxLimit))
        {
            errors.Add("limit", $"must be an integer 1..{MaxLimit}");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var rows = await db.WithoutTenantAsync(s => s.QueryAsync<FeedRow>(
            """
            select o_txid as "Txid", o_seq as "Seq", o_id as "Id", o_tenant_id as "TenantId", o_type as "Type",
                   o_occurred_at as "OccurredAt", o_payload as "Payload"
            from outbox_feed(@txid, @seq, @take)
            """, new { txid, seq, take }, ct), ct);
        var events = rows.Select(r => new FeedEvent(Position(r.Txid, r.Seq), r.Id, r.TenantId, r.Type, r.OccurredAt, ParsePayload(r.Payload))).ToList();
        return TypedResults.Ok(new FeedPage(events, events.Count > 0 ? events[^1].Position : Position(txid, seq)));
    }

    private static string Position(long txid, long seq) => string.Create(CultureInfo.InvariantCulture, $"{txid}-{seq}");

    internal static bool TryParsePosition(string? text, out long txid, out long seq)
    {
        txid = 0;
        seq = 0;
        if (text is null)
        {
            return true;
        }
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        return dash > 0
            && long.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out txid)
            && long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out seq);
    }

    private static JsonElement ParsePayload(string payload)
    {
        using var document = JsonDocument.Parse(payload);
        return document.RootElement.Clone();
    }
}
