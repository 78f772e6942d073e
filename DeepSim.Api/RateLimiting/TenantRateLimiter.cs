using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.RateLimiting;
using DeepSim.Api.Infrastructure;
using StackExchange.Redis;

namespace DeepSim.Api.RateLimiting;

/// <summary>One decision: allowed or not, what is left, and when to retry (denied) or when the budget is whole again.</summary>
public readonly record struct RateDecision(bool Allowed, int Limit, int Remaining, TimeSpan RetryAfter, TimeSpan ResetAfter, bool Local);

/// <summary>
/// Per-tenant API limits shared by every Api process: a GCRA (generic cell rate) decision in one Redis script, with
/// Redis's own clock so processes agree. When Redis cannot be reached, answers late or its circuit is open
/// (<see cref="RedisCircuit"/>), each process falls back to its own token bucket with the same limit, and
/// <see cref="UsingLocalFallback"/> says so (health detail). No Redis failure escapes to the request.
/// </summary>
public sealed class TenantRateLimiter(RedisCircuit redis) : IDisposable
{
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);

    // KEYS[1] tenant key; ARGV[1] limit per window; ARGV[2] window (ms). Integer milliseconds throughout, so the
    // stored theoretical arrival time survives Lua's number formatting exactly.
    private const string Gcra = """
        local limit = tonumber(ARGV[1])
        local period = tonumber(ARGV[2])
        local interval = math.ceil(period / limit)
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local tat = tonumber(redis.call('GET', KEYS[1]) or now)
        if tat < now then tat = now end
        local new_tat = tat + interval
        local allow_at = new_tat - period
        if allow_at > now then
            return {0, 0, allow_at - now, tat - now}
        end
        redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', new_tat - now + 1)
        return {1, math.floor((now + period - new_tat) / interval), 0, new_tat - now}
        """;

    private readonly ConcurrentDictionary<(Guid Tenant, int Limit), TokenBucketRateLimiter> local = new();
    private volatile bool usingLocal;

    public bool UsingLocalFallback => usingLocal;

    internal static string Key(Guid tenantId) => "deepsim:ratelimit:" + tenantId.ToString("N", CultureInfo.InvariantCulture);

    public async Task<RateDecision> DecideAsync(Guid tenantId, int limitPerWindow, CancellationToken requestAborted = default)
    {
        var (ok, result) = await redis.TryAsync(db => db.ScriptEvaluateAsync(Gcra,
            [Key(tenantId)], [limitPerWindow, (long)Window.TotalMilliseconds]), requestAborted);
        if (ok)
        {
            var reply = (RedisResult[])result!;
            usingLocal = false;
            return new RateDecision((long)reply[0] == 1, limitPerWindow, (int)(long)reply[1],
                TimeSpan.FromMilliseconds((long)reply[2]), TimeSpan.FromMilliseconds((long)reply[3]), false);
        }
        usingLocal = true;
        return DecideLocally(tenantId, limitPerWindow);
    }

    private RateDecision DecideLocally(Guid tenantId, int limit)
    {
        var bucket = local.GetOrAdd((tenantId, limit), key =>
        {
            var interval = TimeSpan.FromMilliseconds(Math.Ceiling(Window.TotalMilliseconds / key.Limit));
            return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = key.Limit,
                TokensPerPeriod = 1,
                ReplenishmentPeriod = interval,
                AutoReplenishment = true,
                QueueLimit = 0,
            });
        });
        using var lease = bucket.AttemptAcquire();
        var remaining = (int)(bucket.GetStatistics()?.CurrentAvailablePermits ?? 0);
        var interval = TimeSpan.FromMilliseconds(Math.Ceiling(Window.TotalMilliseconds / limit));
        var retry = lease.IsAcquired ? TimeSpan.Zero
            : lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : interval;
        return new RateDecision(lease.IsAcquired, limit, remaining, retry, interval * (limit - remaining), true);
    }

    public void Dispose()
    {
        foreach (var bucket in local.Values)
        {
            bucket.Dispose();
        }
    }
}
