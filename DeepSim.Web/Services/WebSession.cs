using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;

namespace DeepSim.Web.Services;

/// <summary>The Api's tokens for one signed-in browser session. Kept on the server only; the cookie carries its id.</summary>
public sealed record ApiSession(string AccessToken, DateTimeOffset AccessTokenExpiresAt, string? RefreshToken, Guid? TenantId, string Role);

/// <summary>
/// Server-side session store: session id → the Api's tokens. Backed by <see cref="IDistributedCache"/> (in-process
/// today; a Redis cache can replace it for several web instances without code changes). A missing entry means signed
/// out: the cookie is then refused as well.
/// </summary>
public sealed class WebSessionStore(IDistributedCache cache, TimeProvider time)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(30); // the Api's refresh tokens last 30 days
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _refreshLocks = new(StringComparer.Ordinal);

    public async Task<string> CreateAsync(ApiSession session, CancellationToken ct)
    {
        var id = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))
            .Replace('+', '-').Replace('/', '_').TrimEnd('=');
        await SaveAsync(id, session, ct);
        return id;
    }

    public async Task<ApiSession?> GetAsync(string id, CancellationToken ct)
    {
        var bytes = await cache.GetAsync(Key(id), ct);
        return bytes is null ? null : JsonSerializer.Deserialize<ApiSession>(bytes);
    }

    public Task SaveAsync(string id, ApiSession session, CancellationToken ct) =>
        cache.SetAsync(Key(id), JsonSerializer.SerializeToUtf8Bytes(session),
            new DistributedCacheEntryOptions { AbsoluteExpiration = time.GetUtcNow() + Lifetime }, ct);

    public async Task RemoveAsync(string id, CancellationToken ct)
    {
        await cache.RemoveAsync(Key(id), ct);
        _refreshLocks.TryRemove(id, out _);
    }

    /// <summary>One refresh at a time per session: the Api's refresh tokens are single-use, and a reuse revokes the family.</summary>
    public SemaphoreSlim RefreshLock(string id) => _refreshLocks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));

    private static string Key(string id) => "web-session:" + id;
}
