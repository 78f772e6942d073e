using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace DeepSim.Analytics.Ingest;

/// <summary>One event of the Api's outbox feed.</summary>
public sealed record FeedEvent(string Position, Guid Id, Guid? TenantId, string Type, DateTime OccurredAt, JsonElement Payload);

/// <summary>A page of the feed; <see cref="Next"/> is where the next page starts.</summary>
public sealed record FeedPage(List<FeedEvent> Events, string Next);

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
}
