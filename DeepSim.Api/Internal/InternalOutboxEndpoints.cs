using System.Globalization;
using DeepSim.Api.Events;
using DeepSim.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Api.Internal;

/// <summary>
/// A page of the feed; <see cref="Next"/> is the <c>after</c> of the next call (the same position when empty). The rest
/// is for the reader's lag: <see cref="Head"/> is the newest position the feed can give now, <see cref="OldestPendingAt"/>
/// when the oldest committed event after <see cref="Next"/> occurred (null when none waits; events held back behind an
/// open transaction count), <see cref="At"/> the database's clock when it was read.
/// </summary>
public sealed record FeedPage(List<FeedEvent> Events, string Next, string Head, DateTime? OldestPendingAt, DateTime At);

/// <summary>A relay's position in the feed and what waits after it (<see cref="FeedPage"/> explains the fields).</summary>
public sealed record RelayStatus(string Name, string Position, DateTime UpdatedAt, string Head, DateTime? OldestPendingAt, DateTime At);

/// <summary>
/// The outbox feed (<c>GET /internal/v1/outbox</c>) for the analytics ingester, service token only. Every tenant's
/// events through <c>outbox_feed</c> (migration 0180): in commit-safe order, so a reader that keeps the last
/// position it processed misses nothing. A position is the opaque <c>txid-seq</c> pair; <c>0-0</c> (or no
/// <c>after</c>) is the start. <c>GET /internal/v1/outbox/relays/{name}</c> says where a relay (the Kafka one) is, so
/// Analytics can count what the relay has not published yet into its ingest lag.
/// </summary>
public static class InternalOutboxEndpoints
{
    public const int DefaultLimit = 500;

    /// <summary>The most one page holds (also enforced by <c>outbox_feed</c>).</summary>
    public const int MaxLimit = OutboxFeed.MaxLimit;

    private sealed record RelayRow(long AfterTxid, long AfterSeq, DateTime UpdatedAt);

    public static IEndpointRouteBuilder MapInternalOutboxEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/internal/v1/outbox").WithTags("Internal")
            .AllowAnonymous() // not a tenant endpoint: ServiceTokenGate (middleware on /internal) is the gate
            .ExcludeFromDescription();
        group.MapGet("", Feed).WithName("internal.outbox.feed")
            .WithSummary("Events after a position, every tenant, in commit-safe order");
        group.MapGet("/relays/{name}", Relay).WithName("internal.outbox.relay")
            .WithSummary("Where a relay has published the feed up to, and the oldest event it has not");
        return routes;
    }

    public static async Task<Results<Ok<FeedPage>, ValidationProblem>> Feed(string? after, string? limit, TenantDb db, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (!FeedPosition.TryParse(after, out var position))
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
        var page = await db.WithoutTenantAsync(async s =>
        {
            var (events, end) = await OutboxFeed.ReadAsync(s, position, take, ct);
            var status = await OutboxFeed.StatusAsync(s, end, ct);
            return new FeedPage(events, end.ToString(), status.Head.ToString(), status.OldestPendingAt, status.At);
        }, ct);
        return TypedResults.Ok(page);
    }

    public static async Task<Results<Ok<RelayStatus>, ProblemHttpResult>> Relay(string name, TenantDb db, CancellationToken ct)
    {
        var found = await db.WithoutTenantAsync(async s =>
        {
            var row = await s.QuerySingleOrDefaultAsync<RelayRow>(
                """select o_after_txid as "AfterTxid", o_after_seq as "AfterSeq", o_updated_at as "UpdatedAt" from outbox_relay_position(@name)""",
                new { name }, ct);
            if (row is null)
            {
                return null;
            }
            var position = new FeedPosition(row.AfterTxid, row.AfterSeq);
            var status = await OutboxFeed.StatusAsync(s, position, ct);
            return new RelayStatus(name, position.ToString(), row.UpdatedAt, status.Head.ToString(), status.OldestPendingAt, status.At);
        }, ct);
        return found is null
            ? Problems.NotFound($"No relay named '{name}' has run (the Kafka relay runs where ConnectionStrings:kafka is configured).")
            : TypedResults.Ok(found);
    }
}
