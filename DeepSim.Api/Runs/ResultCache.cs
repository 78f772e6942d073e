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

    public async Task<string?> TryGetAsync(Guid tenantId, string contentHash)
    {
        if (!redis.IsConnected)
        {
            return null;
        }
        try
        {
            var value = await redis.GetDatabase().StringGetAsync(Key(tenantId, contentHash));
            return value.IsNullOrEmpty ? null : value.ToString();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.CacheUnavailable(logger, ex);
            return null;
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
