using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;

namespace DeepSim.Web.Services;

/// <summary>
/// The Api's tokens for one signed-in browser session. Kept on the server only; the cookie carries its id.
/// <see cref="DisplayName"/> is set once the person renamed themselves, so the cookie is re-issued with the new name.
/// </summary>
public sealed record ApiSession(string AccessToken, DateTimeOffset AccessTokenExpiresAt, string? RefreshToken, Guid? TenantId, string Role,
    string? DisplayName = null);

/// <summary>
/// Server-side session store: session id → the Api's tokens, in Redis through <see cref="IDistributedCache"/>, so every
/// web instance reads every session and a restart signs no one out (the cookie's Data Protection keys are in Redis
/// too). An entry lives as long as the refresh token it holds: each save (sign-in, refresh) starts that lifetime
/// again. A missing entry means signed out: the cookie is then refused as well.
/// The refresh lock is per instance. Blazor circuits stick to one instance, so one session's refreshes meet here; two
/// instances refreshing the same session at once (two tabs on two instances) would present one refresh token twice,
/// which the Api treats as reuse and answers by ending that session: the person signs in again, no token leaks.
/// </summary>
public sealed class WebSessionStore(IDistributedCache cache, TimeProvider time)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(30); // the Api's refresh tokens last 30 days (Auth:RefreshTokenDays)
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

    private static string Key(string id) => "session:" + id; // under the cache's "deepsim:web:" prefix
}
