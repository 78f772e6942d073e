using System.Globalization;
using DeepSim.Api.Infrastructure;
using StackExchange.Redis;

namespace DeepSim.Api.Runs;

/// <summary>
/// Converged results by canonical content hash, per tenant, in Redis. A cache that cannot be reached, or answers late
/// (<see cref="RedisCircuit"/>), is a miss: the run is solved instead. Nothing here throws for Redis trouble, so a
/// caller that has already committed (a worker's completion) never turns into an error because of the cache.
/// </summary>
public sealed class ResultCache(RedisCircuit redis)
{
    /// <summary>Entries expire so a tenant's cache cannot grow without bound.</summary>
    public static readonly TimeSpan EntryLifetime = TimeSpan.FromDays(7);

    internal static string Key(Guid tenantId, string contentHash) =>
        "deepsim:result:" + tenantId.ToString("N", CultureInfo.InvariantCulture) + ":" + contentHash;

    public async Task<string?> TryGetAsync(Guid tenantId, string contentHash) => (await TryGetManyAsync(tenantId, [contentHash]))[0];

    /// <summary>Looks many hashes up in one round trip (MGET); an entry is null on a miss or when Redis is unavailable.</summary>
    public async Task<string?[]> TryGetManyAsync(Guid tenantId, IReadOnlyList<string> contentHashes)
    {
        if (contentHashes.Count == 0)
        {
            return [];
        }
        var keys = contentHashes.Select(h => (RedisKey)Key(tenantId, h)).ToArray();
        var (ok, values) = await redis.TryAsync(db => db.StringGetAsync(keys));
        return ok ? Array.ConvertAll(values, v => v.IsNullOrEmpty ? null : v.ToString()) : new string?[contentHashes.Count];
    }

    /// <summary>Stores a result; an unavailable Redis only means the next identical run is solved again.</summary>
    public Task SetAsync(Guid tenantId, string contentHash, string resultJson) =>
        redis.TryAsync(db => db.StringSetAsync(Key(tenantId, contentHash), resultJson, EntryLifetime));
}
