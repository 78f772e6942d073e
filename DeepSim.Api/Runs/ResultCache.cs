using System.Globalization;
using StackExchange.Redis;

namespace DeepSim.Api.Runs;

/// <summary>
/// Converged results by canonical content hash, per tenant, in Redis. A cache that cannot be reached is a miss:
/// the run is solved instead.
/// </summary>
public sealed partial class ResultCache(IConnectionMultiplexer redis, ILogger<ResultCache> logger)
{
    /// <summary>Entries expire so a tenant's cache cannot grow without bound.</summary>
    public static readonly TimeSpan EntryLifetime = TimeSpan.FromDays(7);

    internal static string Key(Guid tenantId, string contentHash) =>
        "deepsim:result:" + tenantId.ToString("N", CultureInfo.InvariantCulture) + ":" + contentHash;

    public async Task<string?> TryGetAsync(Guid tenantId, string contentHash) => (await TryGetManyAsync(tenantId, [contentHash]))[0];

    /// <summary>Looks many hashes up in one round trip (MGET); an entry is null on a miss or when Redis is unreachable.</summary>
    public async Task<string?[]> TryGetManyAsync(Guid tenantId, IReadOnlyList<string> contentHashes)
    {
        var misses = new string?[contentHashes.Count];
        if (!redis.IsConnected || contentHashes.Count == 0)
        {
            return misses;
        }
        try
        {
            var keys = contentHashes.Select(h => (RedisKey)Key(tenantId, h)).ToArray();
            var values = await redis.GetDatabase().StringGetAsync(keys);
            return Array.ConvertAll(values, v => v.IsNullOrEmpty ? null : v.ToString());
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.CacheUnavailable(logger, ex);
            return misses;
        }
    }

    public async Task SetAsync(Guid tenantId, string contentHash, string resultJson)
    {
        if (!redis.IsConnected)
        {
            return;
        }
        try
        {
            await redis.GetDatabase().StringSetAsync(Key(tenantId, contentHash), resultJson, EntryLifetime);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.CacheUnavailable(logger, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Result cache unavailable; solving instead")]
        public static partial void CacheUnavailable(ILogger logger, Exception exception);
    }
}
