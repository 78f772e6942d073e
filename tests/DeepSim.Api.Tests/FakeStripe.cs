using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepSim.Api.Tests;

/// <summary>One request the fake received: form fields as Stripe.net encoded them, and the Idempotency-Key header.</summary>
public sealed record FakeStripeRequest(string Method, string Path, IReadOnlyDictionary<string, string> Form, string? IdempotencyKey);

/// <summary>
/// A local stand-in for api.stripe.com (stripe-mock is not obtainable here): an HttpListener that answers the calls the
/// Api makes with Stripe-shaped JSON (ids cus_, sub_, si_, in_, cs_, bps_, price_; "object"; unix-second times), records
/// every request, replays a response for a repeated idempotency key as Stripe does, dedupes meter events by
/// identifier, and sends signed webhooks (Stripe-Signature t=…,v1=HMAC-SHA256) to the Api.
/// </summary>
public sealed class FakeStripe : IDisposable
{
    public const string Notice = "Stripe: a local fake server stands in for api.stripe.com (stripe-mock is not obtainable here)";
    public const string SecretKey = "sk_test_fake_0123456789";
    public const string WebhookSecret = "whsec_test_fake_0123456789abcdef";

    private readonly HttpListener listener = new();
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private readonly ConcurrentDictionary<string, string> idempotent = new(StringComparer.Ordinal);
    private int sequence;

    public ConcurrentQueue<FakeStripeRequest> Requests { get; } = new();
    public ConcurrentDictionary<string, JsonObject> Subscriptions { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, JsonObject> Schedules { get; } = new(StringComparer.Ordinal);

    /// <summary>Requests the fake itself failed on (a bug of the fake, not of the code under test).</summary>
    public ConcurrentQueue<string> Faults { get; } = new();
    public ConcurrentDictionary<string, JsonObject> Invoices { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, JsonObject> MeterEvents { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> PriceIds { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, long> PriceAmounts { get; } = new(StringComparer.Ordinal)
    {
        ["deepsim_pro_monthly"] = 9900, ["deepsim_pro_annual"] = 99000, ["deepsim_enterprise_monthly"] = 49900, ["deepsim_enterprise_annual"] = 499000,
    };

    /// <summary>When set, paying an invoice answers 402 card_declined.</summary>
    public bool DeclineCards { get; set; }

    public string Url { get; }

    public FakeStripe()
    {
        foreach (var key in PriceAmounts.Keys)
        {
            PriceIds[key] = "price_" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..14].ToLowerInvariant();
        }
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}";
        listener.Prefixes.Add(Url + "/");
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    public string NewId(string prefix) => $"{prefix}_{Interlocked.Increment(ref sequence):D4}{Guid.NewGuid():N}"[..(prefix.Length + 1 + 18)];

    public static long Unix(DateTimeOffset at) => at.ToUnixTimeSeconds();

    public IReadOnlyList<FakeStripeRequest> RequestsTo(string method, string pathPrefix) =>
        Requests.Where(r => r.Method == method && r.Path.StartsWith(pathPrefix, StringComparison.Ordinal)).ToList();

    public string LookupKeyOf(string priceId) => PriceIds.Single(p => p.Value == priceId).Key;

    public JsonObject Price(string lookupKey) => new()
    {
        ["id"] = PriceIds[lookupKey], ["object"] = "price", ["active"] = true, ["currency"] = "usd", ["lookup_key"] = lookupKey,
        ["unit_amount"] = PriceAmounts[lookupKey], ["type"] = "recurring", ["created"] = 1_700_000_000, ["livemode"] = false,
        ["recurring"] = new JsonObject { ["interval"] = lookupKey.EndsWith("annual", StringComparison.Ordinal) ? "year" : "month", ["interval_count"] = 1 },
    };

    /// <summary>A subscription object as Stripe's current API shapes it (the period on the item).</summary>
    public JsonObject Subscription(string id, string customer, string lookupKey, string status, DateTimeOffset start, DateTimeOffset end,
        bool cancelAtPeriodEnd = false, string? itemId = null) => new()
    {
        ["id"] = id, ["object"] = "subscription", ["customer"] = customer, ["status"] = status, ["cancel_at_period_end"] = cancelAtPeriodEnd,
        ["created"] = Unix(start), ["start_date"] = Unix(start), ["currency"] = "usd", ["livemode"] = false, ["metadata"] = new JsonObject(),
        ["items"] = new JsonObject
        {
            ["object"] = "list", ["has_more"] = false, ["url"] = $"/v1/subscription_items?subscription={id}",
            ["data"] = new JsonArray(new JsonObject
            {
                ["id"] = itemId ?? "si_" + id[4..], ["object"] = "subscription_item", ["quantity"] = 1, ["subscription"] = id, ["created"] = Unix(start),
                ["current_period_start"] = Unix(start), ["current_period_end"] = Unix(end), ["price"] = Price(lookupKey), ["metadata"] = new JsonObject(),
            }),
        },
    };

    /// <summary>An invoice object; each line (amount, description, proration) over [start, end).</summary>
    public static JsonObject Invoice(string id, string customer, string subscription, string status, string billingReason, DateTimeOffset created,
        IEnumerable<(long Amount, string Description, bool Proration)> lines, DateTimeOffset start, DateTimeOffset end, int attempts = 0)
    {
        var data = new JsonArray();
        long total = 0;
        var n = 0;
        foreach (var (amount, description, proration) in lines)
        {
            total += amount;
            data.Add(new JsonObject
            {
                ["id"] = $"il_{id[3..]}{n++}", ["object"] = "line_item", ["amount"] = amount, ["currency"] = "usd", ["description"] = description,
                ["quantity"] = 1, ["invoice"] = id, ["livemode"] = false,
                ["period"] = new JsonObject { ["start"] = Unix(start), ["end"] = Unix(end) },
                ["parent"] = new JsonObject
                {
                    ["type"] = "subscription_item_details",
                    ["subscription_item_details"] = new JsonObject { ["proration"] = proration, ["subscription"] = subscription, ["subscription_item"] = "si_x" },
                },
            });
        }
        var due = Math.Max(0, total);
        return new JsonObject
        {
            ["id"] = id, ["object"] = "invoice", ["customer"] = customer, ["status"] = status, ["billing_reason"] = billingReason, ["currency"] = "usd",
            ["created"] = Unix(created), ["period_start"] = Unix(start), ["period_end"] = Unix(start), ["subtotal"] = total, ["total"] = total,
            ["amount_due"] = due, ["amount_paid"] = status == "paid" ? due : 0, ["amount_remaining"] = status == "paid" ? 0 : due,
            ["attempt_count"] = attempts, ["livemode"] = false, ["hosted_invoice_url"] = $"https://invoice.stripe.test/i/{id}",
            ["parent"] = new JsonObject { ["type"] = "subscription_details", ["subscription_details"] = new JsonObject { ["subscription"] = subscription } },
            ["lines"] = new JsonObject { ["object"] = "list", ["has_more"] = false, ["url"] = $"/v1/invoices/{id}/lines", ["data"] = data },
        };
    }

    /// <summary>An event wrapping <paramref name="obj"/> (a deep copy), created at <paramref name="created"/>.</summary>
    public JsonObject Event(string type, JsonObject obj, long created, string? id = null) => new()
    {
        ["id"] = id ?? NewId("evt"), ["object"] = "event", ["api_version"] = "2026-10-28.endive", ["created"] = created, ["livemode"] = false,
        ["pending_webhooks"] = 1, ["type"] = type, ["request"] = new JsonObject { ["id"] = null, ["idempotency_key"] = null },
        ["data"] = new JsonObject { ["object"] = obj.DeepClone() },
    };

    public static string Sign(string payload, long timestamp, string secret = WebhookSecret)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp.ToString(CultureInfo.InvariantCulture)}.{payload}"));
        return $"t={timestamp.ToString(CultureInfo.InvariantCulture)},v1={Convert.ToHexString(mac).ToLowerInvariant()}";
    }

    /// <summary>Posts <paramref name="payload"/> to the Api's webhook endpoint with a signature (of <paramref name="signedPayload"/>, by default the payload).</summary>
    public static async Task<HttpResponseMessage> DeliverAsync(HttpClient api, string payload, long? timestamp = null, string? signedPayload = null)
    {
        var t = timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/billing/stripe/webhook")
        {
            Content = new StringContent(payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", Sign(signedPayload ?? payload, t));
        return await api.SendAsync(request, timeout.Token);
    }

    private async Task ServeAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.InputStream, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync();
        }
        var form = Parse(request.HttpMethod == "GET" ? (request.Url?.Query ?? "").TrimStart('?') : body);
        var path = request.Url!.AbsolutePath;
        var key = request.Headers["Idempotency-Key"];
        Requests.Enqueue(new FakeStripeRequest(request.HttpMethod, path, form, key));
        int status;
        string json;
        if (key is not null && idempotent.TryGetValue($"{request.HttpMethod} {path} {key}", out var replay))
        {
            (status, json) = (200, replay);
        }
        else
        {
            try
            {
                (status, json) = Handle(request.HttpMethod, path, form);
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or KeyNotFoundException or NullReferenceException)
            {
                // A request the fake cannot answer is a fault of the fake: say which, as Stripe would say an api_error.
                (status, json) = Error(500, "api_error", $"fake Stripe failed on {request.HttpMethod} {path}: {ex.GetType().Name}: {ex.Message}");
                Faults.Enqueue($"{request.HttpMethod} {path}: {ex}");
            }
            if (key is not null && status == 200)
            {
                idempotent[$"{request.HttpMethod} {path} {key}"] = json;
            }
        }
        var bytes = Encoding.UTF8.GetBytes(json);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers["Request-Id"] = NewId("req");
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    private static Dictionary<string, string> Parse(string encoded)
    {
        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in encoded.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            form[Uri.UnescapeDataString(parts[0].Replace('+', ' '))] = parts.Length > 1 ? Uri.UnescapeDataString(parts[1].Replace('+', ' ')) : "";
        }
        return form;
    }

    private static (int, string) Error(int status, string type, string message, string? code = null) =>
        (status, new JsonObject { ["error"] = new JsonObject { ["type"] = type, ["message"] = message, ["code"] = code } }.ToJsonString());

    private (int, string) Handle(string method, string path, Dictionary<string, string> form)
    {
        var now = Unix(DateTimeOffset.UtcNow);
        var segments = path.Trim('/').Split('/');
        switch (method, segments)
        {
            case ("POST", ["v1", "customers"]):
                var metadata = new JsonObject();
                foreach (var (k, v) in form.Where(f => f.Key.StartsWith("metadata[", StringComparison.Ordinal)))
                {
                    metadata[k[9..^1]] = v;
                }
                return (200, new JsonObject
                {
                    ["id"] = NewId("cus"), ["object"] = "customer", ["created"] = now, ["livemode"] = false, ["email"] = form.GetValueOrDefault("email"),
                    ["name"] = form.GetValueOrDefault("name"), ["metadata"] = metadata,
                }.ToJsonString());
            case ("GET", ["v1", "prices"]):
                var keys = form.Where(f => f.Key.StartsWith("lookup_keys", StringComparison.Ordinal)).Select(f => f.Value).ToList();
                return (200, new JsonObject
                {
                    ["object"] = "list", ["url"] = "/v1/prices", ["has_more"] = false,
                    ["data"] = new JsonArray(keys.Where(PriceAmounts.ContainsKey).Select(k => (JsonNode)Price(k)).ToArray()),
                }.ToJsonString());
            case ("POST", ["v1", "checkout", "sessions"]):
                var cs = NewId("cs_test");
                return (200, new JsonObject
                {
                    ["id"] = cs, ["object"] = "checkout.session", ["mode"] = form.GetValueOrDefault("mode"), ["customer"] = form.GetValueOrDefault("customer"),
                    ["status"] = "open", ["created"] = now, ["expires_at"] = now + 86400, ["livemode"] = false,
                    ["client_reference_id"] = form.GetValueOrDefault("client_reference_id"), ["url"] = $"https://checkout.stripe.test/c/pay/{cs}",
                    ["success_url"] = form.GetValueOrDefault("success_url"), ["cancel_url"] = form.GetValueOrDefault("cancel_url"),
                }.ToJsonString());
            case ("POST", ["v1", "billing_portal", "sessions"]):
                var bps = NewId("bps");
                return (200, new JsonObject
                {
                    ["id"] = bps, ["object"] = "billing_portal.session", ["customer"] = form.GetValueOrDefault("customer"), ["created"] = now,
                    ["livemode"] = false, ["return_url"] = form.GetValueOrDefault("return_url"), ["url"] = $"https://billing.stripe.test/p/session/{bps}",
                }.ToJsonString());
            case ("GET", ["v1", "subscriptions", var id]):
                return Subscriptions.TryGetValue(id, out var found) ? (200, found.ToJsonString())
                    : Error(404, "invalid_request_error", $"No such subscription: '{id}'", "resource_missing");
            case ("POST", ["v1", "subscriptions", var id]):
                if (!Subscriptions.TryGetValue(id, out var sub))
                {
                    return Error(404, "invalid_request_error", $"No such subscription: '{id}'", "resource_missing");
                }
                var item = sub["items"]!["data"]![0]!.AsObject();
                if (form.TryGetValue("items[0][price]", out var price))
                {
                    item["price"] = Price(LookupKeyOf(price));
                }
                if (form.TryGetValue("cancel_at_period_end", out var cancel))
                {
                    sub["cancel_at_period_end"] = cancel == "true";
                }
                return (200, sub.ToJsonString());
            case ("POST", ["v1", "subscription_schedules"]):
                if (form.GetValueOrDefault("from_subscription") is not { } from || !Subscriptions.TryGetValue(from, out var managed))
                {
                    return Error(400, "invalid_request_error", "from_subscription must name an existing subscription.");
                }
                if (managed["schedule"]?.GetValue<string>() is { } taken)
                {
                    return Error(400, "invalid_request_error", $"The subscription is already attached to schedule {taken}.");
                }
                var current = managed["items"]!["data"]![0]!;
                var schedule = new JsonObject
                {
                    ["id"] = NewId("sub_sched"), ["object"] = "subscription_schedule", ["subscription"] = from, ["customer"] = managed["customer"]!.GetValue<string>(),
                    ["status"] = "active", ["end_behavior"] = "release", ["created"] = now, ["livemode"] = false,
                    ["phases"] = new JsonArray(new JsonObject
                    {
                        ["start_date"] = current["current_period_start"]!.GetValue<long>(), ["end_date"] = current["current_period_end"]!.GetValue<long>(),
                        ["proration_behavior"] = "create_prorations",
                        ["items"] = new JsonArray(new JsonObject { ["price"] = current["price"]!["id"]!.GetValue<string>(), ["quantity"] = 1 }),
                    }),
                };
                Schedules[schedule["id"]!.GetValue<string>()] = schedule;
                managed["schedule"] = schedule["id"]!.GetValue<string>();
                return (200, schedule.ToJsonString());
            case ("POST", ["v1", "subscription_schedules", var id]):
                if (!Schedules.TryGetValue(id, out var changed) || changed["status"]!.GetValue<string>() != "active")
                {
                    return Error(404, "invalid_request_error", $"No such active subscription schedule: '{id}'", "resource_missing");
                }
                changed["end_behavior"] = form.GetValueOrDefault("end_behavior") ?? changed["end_behavior"]!.GetValue<string>();
                changed["phases"] = PhasesOf(form);
                return (200, changed.ToJsonString());
            case ("POST", ["v1", "subscription_schedules", var id, "release"]):
                if (!Schedules.TryGetValue(id, out var released) || released["status"]!.GetValue<string>() != "active")
                {
                    return Error(400, "invalid_request_error", $"Subscription schedule {id} is not active.");
                }
                released["status"] = "released";
                released["released_subscription"] = released["subscription"]!.GetValue<string>();
                released["released_at"] = now;
                Subscriptions[released["subscription"]!.GetValue<string>()]["schedule"] = null;
                released["subscription"] = null;
                return (200, released.ToJsonString());
            case ("GET", ["v1", "invoices", var id]):
                return Invoices.TryGetValue(id, out var invoice) ? (200, invoice.ToJsonString())
                    : Error(404, "invalid_request_error", $"No such invoice: '{id}'", "resource_missing");
            case ("POST", ["v1", "invoices", var id, "pay"]):
                if (!Invoices.TryGetValue(id, out var open))
                {
                    return Error(404, "invalid_request_error", $"No such invoice: '{id}'", "resource_missing");
                }
                if (DeclineCards)
                {
                    return Error(402, "card_error", "Your card was declined.", "card_declined");
                }
                open["status"] = "paid";
                open["amount_paid"] = open["amount_due"]!.GetValue<long>();
                open["amount_remaining"] = 0;
                return (200, open.ToJsonString());
            case ("POST", ["v1", "billing", "meter_events"]):
                var identifier = form.GetValueOrDefault("identifier") ?? NewId("mev");
                // Stripe counts one event per identifier (a duplicate within its window is dropped).
                var meterEvent = MeterEvents.GetOrAdd(identifier, _ => new JsonObject
                {
                    ["object"] = "billing.meter_event", ["identifier"] = identifier, ["event_name"] = form.GetValueOrDefault("event_name"),
                    ["created"] = now, ["livemode"] = false, ["timestamp"] = long.Parse(form.GetValueOrDefault("timestamp") ?? "0", CultureInfo.InvariantCulture),
                    ["payload"] = new JsonObject
                    {
                        ["stripe_customer_id"] = form.GetValueOrDefault("payload[stripe_customer_id]"), ["value"] = form.GetValueOrDefault("payload[value]"),
                    },
                });
                return (200, meterEvent.ToJsonString());
            default:
                return Error(404, "invalid_request_error", $"Unrecognized request URL ({method}: {path}).");
        }
    }

    /// <summary>A schedule's phases from the form Stripe.net sends (phases[n][start_date], [end_date], [duration][…], [items][0][price]…).</summary>
    private static JsonArray PhasesOf(IReadOnlyDictionary<string, string> form)
    {
        var phases = new JsonArray();
        long? previousEnd = null;
        for (var n = 0; form.Keys.Any(k => k.StartsWith($"phases[{n}]", StringComparison.Ordinal)); n++)
        {
            string? Field(string name) => form.GetValueOrDefault($"phases[{n}]{name}");
            long? Time(string name) => Field(name) is { } t ? long.Parse(t, CultureInfo.InvariantCulture) : null;
            // As Stripe does: a phase starts where the previous one ended, and a duration gives its end.
            var start = Time("[start_date]") ?? previousEnd ?? throw new FormatException("the first phase needs a start_date");
            var count = int.Parse(Field("[duration][interval_count]") ?? "1", CultureInfo.InvariantCulture);
            var end = Time("[end_date]") ?? Field("[duration][interval]") switch
            {
                "month" => DateTimeOffset.FromUnixTimeSeconds(start).AddMonths(count).ToUnixTimeSeconds(),
                "year" => DateTimeOffset.FromUnixTimeSeconds(start).AddYears(count).ToUnixTimeSeconds(),
                var other => throw new FormatException($"phase {n} has neither an end_date nor a known duration ({other})"),
            };
            previousEnd = end;
            phases.Add(new JsonObject
            {
                ["start_date"] = start, ["end_date"] = end, ["proration_behavior"] = Field("[proration_behavior]") ?? "create_prorations",
                ["duration"] = Field("[duration][interval]") is { } interval
                    ? new JsonObject { ["interval"] = interval, ["interval_count"] = int.Parse(Field("[duration][interval_count]") ?? "1", CultureInfo.InvariantCulture) }
                    : null,
                ["items"] = new JsonArray(new JsonObject { ["price"] = Field("[items][0][price]"), ["quantity"] = 1 }),
            });
        }
        return phases;
    }

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        listener.Close();
        try
        {
            loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The listener's pending accept ends with an exception when it stops.
        }
        stop.Dispose();
    }
}
