using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DeepSim.Api.Infrastructure;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Webhooks;

/// <summary>The connection went to an address webhooks may not reach (see <see cref="WebhookTargets"/>).</summary>
public sealed class WebhookTargetRefusedException(string message) : Exception(message);

/// <summary>
/// Delivers webhooks. Each pass reads new outbox events into deliveries (<c>webhook_dispatch_events</c>: one per event
/// and endpoint), then leases due deliveries (<c>webhook_deliveries_claim</c>, <c>for update skip locked</c>, so replicas
/// never send one at the same time), POSTs each signed body with a bounded timeout and no redirects, and logs the
/// attempt. A 2xx answer is success; anything else is retried with a doubling, jittered delay until the attempts run
/// out, then the delivery is failed. At least once: a sender that dies mid-request sends again after the lease.
/// </summary>
public sealed partial class WebhookDispatcher : BackgroundService
{
    public const int MaxResponseChars = 1000;
    private const int EventBatch = 500;

    private readonly TenantDb db;
    private readonly WebhookSettings settings;
    private readonly TimeProvider clock;
    private readonly ILogger<WebhookDispatcher> log;
    private readonly HttpClient http;

    public WebhookDispatcher(TenantDb db, IOptions<WebhookSettings> options, TimeProvider clock, ILogger<WebhookDispatcher> log)
    {
        this.db = db;
        settings = options.Value;
        this.clock = clock;
        this.log = log;
        http = CreateClient(settings);
    }

    private sealed record Due(Guid Id, Guid TenantId, Guid EndpointId, string Url, string Secret, string EventType, string Body, int Attempts);

    private TimeSpan Lease => TimeSpan.FromMilliseconds(Math.Max(1000, settings.TimeoutMilliseconds) * 3L);

    /// <summary>
    /// The client deliveries go out on: no proxy, no redirects, no cookies, a whole-request timeout, and a connect step
    /// that resolves the host itself and refuses (unless private targets are allowed) any non-public address, checked
    /// again on the socket's connected address.
    /// </summary>
    public static HttpClient CreateClient(WebhookSettings settings)
    {
        var allowPrivate = settings.AllowPrivateTargets;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromMilliseconds(Math.Max(100, settings.TimeoutMilliseconds)),
            ConnectCallback = async (context, ct) =>
            {
                var host = context.DnsEndPoint.Host;
                var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
                if (!allowPrivate)
                {
                    foreach (var address in addresses)
                    {
                        if (WebhookTargets.NonPublicReason(address) is { } reason)
                        {
                            throw new WebhookTargetRefusedException($"refused to connect: '{host}' is {reason} ({address})");
                        }
                    }
                }
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
                    if (!allowPrivate && socket.RemoteEndPoint is IPEndPoint connected && WebhookTargets.NonPublicReason(connected.Address) is { } late)
                    {
                        throw new WebhookTargetRefusedException($"refused: the connection to '{host}' reached {late} ({connected.Address})");
                    }
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromMilliseconds(Math.Max(100, settings.TimeoutMilliseconds)) };
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = TimeSpan.FromMilliseconds(Math.Max(50, settings.PollMilliseconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var events = await DispatchEventsAsync(stoppingToken);
                if (await SendDueAsync(stoppingToken) > 0 || events > 0)
                {
                    continue;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Log.PassFailed(log, ex);
            }
            await Task.Delay(poll, stoppingToken);
        }
    }

    /// <summary>Turns new outbox events into deliveries; returns how many events were read.</summary>
    public async Task<int> DispatchEventsAsync(CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            var read = await db.WithoutTenantAsync(s => s.ExecuteScalarAsync<int>("select webhook_dispatch_events(@limit)", new { limit = EventBatch }, ct), ct);
            if (read <= 0)
            {
                return total;
            }
            total += read;
            if (read < EventBatch)
            {
                return total;
            }
        }
    }

    /// <summary>Sends one batch of due deliveries; returns how many were attempted.</summary>
    public async Task<int> SendDueAsync(CancellationToken ct)
    {
        var batch = (await db.WithoutTenantAsync(s => s.QueryAsync<Due>(
            """
            select o_id as "Id", o_tenant_id as "TenantId", o_endpoint_id as "EndpointId", o_url as "Url", o_secret as "Secret",
                   o_event_type as "EventType", o_body as "Body", o_attempts as "Attempts"
            from webhook_deliveries_claim(@limit, @lease, @max)
            """, new { limit = Math.Clamp(settings.BatchSize, 1, 100), lease = Lease, max = Math.Max(1, settings.MaxAttempts) }, ct), ct)).ToList();
        await Task.WhenAll(batch.Select(d => AttemptAsync(d, ct)));
        return batch.Count;
    }

    private async Task AttemptAsync(Due delivery, CancellationToken ct)
    {
        var started = clock.GetUtcNow();
        var watch = Stopwatch.StartNew();
        int? status = null;
        string? error = null;
        string? response = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
            {
                Content = new StringContent(delivery.Body, Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader,
                WebhookSignature.Header(delivery.Secret, started.ToUnixTimeSeconds(), delivery.Body));
            request.Headers.TryAddWithoutValidation(WebhookSignature.EventHeader, delivery.EventType);
            request.Headers.TryAddWithoutValidation(WebhookSignature.DeliveryHeader, delivery.Id.ToString());
            request.Headers.UserAgent.ParseAdd("DeepSim-Webhooks/1");
            using var answer = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            status = (int)answer.StatusCode;
            response = await ReadPrefixAsync(answer, ct);
            if (!answer.IsSuccessStatusCode)
            {
                error = (int)answer.StatusCode is >= 300 and < 400
                    ? $"HTTP {status}: redirects are not followed"
                    : $"HTTP {status}";
            }
        }
        catch (HttpRequestException ex)
        {
            error = Describe(ex);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            error = $"timed out after {settings.TimeoutMilliseconds} ms";
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: the lease runs out and another pass (or replica) sends it again.
            return;
        }
        watch.Stop();
        await RecordAsync(delivery, started, (int)Math.Min(int.MaxValue, watch.ElapsedMilliseconds), status, error, response, ct);
    }

    private static string Describe(HttpRequestException ex)
    {
        for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is WebhookTargetRefusedException refused)
            {
                return refused.Message;
            }
        }
        return ex.InnerException is { } cause ? $"{ex.Message} ({cause.Message})" : ex.Message;
    }

    private static async Task<string> ReadPrefixAsync(HttpResponseMessage answer, CancellationToken ct)
    {
        await using var stream = await answer.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var buffer = new char[MaxResponseChars];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await reader.ReadAsync(buffer.AsMemory(read), ct);
            if (n == 0)
            {
                break;
            }
            read += n;
        }
        return new string(buffer, 0, read);
    }

    /// <summary>The delay before the next attempt after <paramref name="attempts"/> failed ones: doubling, capped, jittered (50–100 %).</summary>
    public TimeSpan RetryDelay(int attempts)
    {
        var baseMs = Math.Max(1, settings.RetryBaseMilliseconds);
        var capped = Math.Min(Math.Max(baseMs, settings.RetryMaxMilliseconds), baseMs * Math.Pow(2, Math.Clamp(attempts - 1, 0, 30)));
        return TimeSpan.FromMilliseconds(capped * (0.5 + Random.Shared.NextDouble() * 0.5));
    }

    private Task<int> RecordAsync(Due delivery, DateTimeOffset started, int durationMs, int? status, string? error, string? response, CancellationToken ct)
    {
        var succeeded = error is null;
        var outcome = succeeded ? "succeeded" : delivery.Attempts >= Math.Max(1, settings.MaxAttempts) ? "failed" : "pending";
        if (!succeeded)
        {
            Log.AttemptFailed(log, delivery.Id, delivery.Attempts, error!);
        }
        return db.InTenantAsync(delivery.TenantId, async s =>
        {
            await s.ExecuteAsync(
                """
                insert into webhook_attempts (tenant_id, delivery_id, number, started_at, duration_ms, status_code, error, response_body)
                select @tenant, @id, coalesce(max(a.number), 0) + 1, @started, @durationMs, @status, left(@error, 1000), @response
                from webhook_attempts a where a.delivery_id = @id
                """,
                new { tenant = delivery.TenantId, id = delivery.Id, started, durationMs, status, error, response }, ct);
            await s.ExecuteAsync(
                """
                update webhook_deliveries set status = @outcome, locked_until = null, last_status_code = @status, last_error = left(@error, 1000),
                       next_attempt_at = now() + @delay, delivered_at = case when @outcome = 'succeeded' then now() else delivered_at end
                where id = @id
                """,
                new { id = delivery.Id, outcome, status, error, delay = succeeded ? TimeSpan.Zero : RetryDelay(delivery.Attempts) }, ct);
            if (outcome != "pending")
            {
                await Outbox.AddAsync(s, "webhook." + outcome, new { deliveryId = delivery.Id, endpointId = delivery.EndpointId, eventType = delivery.EventType, attempts = delivery.Attempts, statusCode = status }, ct);
            }
            return 0;
        }, ct);
    }

    public override void Dispose()
    {
        http.Dispose();
        base.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Webhook delivery {DeliveryId} attempt {Attempt} failed: {Error}")]
        public static partial void AttemptFailed(ILogger logger, Guid deliveryId, int attempt, string error);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook pass failed; retried on the next poll")]
        public static partial void PassFailed(ILogger logger, Exception exception);
    }
}
