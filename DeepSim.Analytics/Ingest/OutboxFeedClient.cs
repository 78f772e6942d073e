using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DeepSim.Analytics.Ingest;

/// <summary>One event of the Api's outbox feed (also the value of a Kafka outbox message).</summary>
public sealed record FeedEvent(string Position, Guid Id, Guid? TenantId, string Type, DateTime OccurredAt, JsonElement Payload);

/// <summary>
/// A page of the feed; <see cref="Next"/> is where the next page starts. For the lag: <see cref="Head"/> is the newest
/// position the feed could give, <see cref="OldestPendingAt"/> when the oldest committed event after <see cref="Next"/>
/// occurred (null: none waits), <see cref="At"/> the Api database's clock at the reading (null from an older Api).
/// </summary>
public sealed record FeedPage(List<FeedEvent> Events, string Next, string? Head = null, DateTime? OldestPendingAt = null, DateTime? At = null)
{
    /// <summary>The oldest waiting event's age while this page is not stored yet (its own events wait too).</summary>
    public TimeSpan? PendingAgeBeforeStored(DateTime localNow)
    {
        DateTime? oldest = OldestPendingAt;
        foreach (var e in Events)
        {
            oldest = oldest is { } o && o <= e.OccurredAt ? o : e.OccurredAt;
        }
        return Age(oldest, localNow);
    }

    /// <summary>The oldest waiting event's age once this page is stored.</summary>
    public TimeSpan? PendingAgeAfterStored(DateTime localNow) => Age(OldestPendingAt, localNow);

    private TimeSpan? Age(DateTime? oldest, DateTime localNow)
    {
        if (oldest is not { } then)
        {
            return null;
        }
        var now = At ?? localNow;
        return now > then ? now - then : TimeSpan.Zero;
    }
}

/// <summary>Where the Api's Kafka relay has published up to, and what waits after it (the same fields as <see cref="FeedPage"/>).</summary>
public sealed record RelayStatus(string Name, string Position, DateTime UpdatedAt, string Head, DateTime? OldestPendingAt, DateTime At)
{
    public TimeSpan? PendingAge => OldestPendingAt is { } then ? (At > then ? At - then : TimeSpan.Zero) : null;
}

/// <summary><c>GET /internal/v1/outbox</c> of the Api, with the service token (set on the HttpClient).</summary>
public sealed class OutboxFeedClient(HttpClient http)
{
    public async Task<FeedPage> ReadAsync(string after, int limit, CancellationToken ct)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"/internal/v1/outbox?after={Uri.EscapeDataString(after)}&limit={limit}");
        using var response = await http.GetAsync(path, ct);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<FeedPage>(ct)
            ?? throw new HttpRequestException("the outbox feed answered an empty body");
    }

    /// <summary><c>GET /internal/v1/outbox/relays/{name}</c>: null when no relay of that name has run.</summary>
    public async Task<RelayStatus?> ReadRelayAsync(string name, CancellationToken ct)
    {
        using var response = await http.GetAsync("/internal/v1/outbox/relays/" + Uri.EscapeDataString(name), ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<RelayStatus>(ct)
            ?? throw new HttpRequestException("the relay status answered an empty body");
    }
}
