using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSim.Api.Billing;
using DeepSim.Api.Billing.Stripe;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace DeepSim.Api.Tests;

/// <summary>
/// Billing with Stripe configured, against the real database and a local fake Stripe (<see cref="FakeStripe"/>): the
/// adapter's requests, signed webhooks (refusals, dedupe, out-of-order delivery), dunning, usage and reconciliation.
/// </summary>
[Collection(ApiTests.Name)]
public sealed class StripeBillingTests(ApiFixture api, ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private readonly FakeStripe fake = new();
    private WebApplicationFactory<ApiEntry>? host;

    private WebApplicationFactory<ApiEntry> Host
    {
        get
        {
            if (host is null)
            {
                output.WriteLine(FakeStripe.Notice);
                Console.WriteLine(FakeStripe.Notice);
                host = api.CreateFactory(new Dictionary<string, string?>
                {
                    ["Stripe:SecretKey"] = FakeStripe.SecretKey,
                    ["Stripe:WebhookSecret"] = FakeStripe.WebhookSecret,
                    ["Stripe:ApiBase"] = fake.Url,
                    // The tests drive the jobs themselves.
                    ["Billing:JobIntervalSeconds"] = "86400",
                    ["Stripe:ReconcileIntervalSeconds"] = "86400",
                });
            }
            return host;
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        try
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
        }
        catch (ObjectDisposedException ex)
        {
            // As in ApiFixture: a service the host's own shutdown already disposed has nothing left to release.
            output.WriteLine($"the Stripe test host was already disposed ({ex.ObjectName})");
        }
    }

    public void Dispose() => fake.Dispose();

    private HttpClient Client(string? bearer = null)
    {
        var client = Host.CreateClient();
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }
        return client;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> CallAsync(HttpClient client, HttpMethod method, string url, object? body = null)
    {
        using var response = await TestApi.Send(client, method, url, body);
        return (response.StatusCode, await response.ReadJsonAsync());
    }

    private Task<long> CountAsync(string sql, Guid tenant) => TestApi.ScalarAsync<long>(api, sql, ("t", tenant));

    /// <summary>A Free tenant that went through Checkout: its Stripe customer exists, its subscription not yet.</summary>
    private async Task<(TestTenant Tenant, string Customer)> CheckedOutTenantAsync(string plan = "pro")
    {
        var tenant = await TestApi.SignUpAsync(api, plan: "free");
        using var owner = Client(tenant.Owner.AccessToken);
        var (status, body) = await CallAsync(owner, HttpMethod.Post, "/api/v1/billing/checkout", new { plan, cycle = "monthly" });
        Assert.True(status == HttpStatusCode.OK, $"checkout failed: {status} {body}");
        var customer = await TestApi.ScalarAsync<string>(api, "select stripe_customer from subscriptions where tenant_id = @t", ("t", tenant.Id));
        return (tenant, customer);
    }

    private async Task<string> DeliverAsync(JsonObject evt, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var client = Client();
        using var response = await FakeStripe.DeliverAsync(client, evt.ToJsonString());
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == expected, $"{evt["type"]}: expected {(int)expected}, got {(int)response.StatusCode} {body}");
        return expected == HttpStatusCode.OK ? body.GetProperty("outcome").GetString()! : body.GetProperty("detail").GetString()!;
    }

    private static DateTimeOffset Seconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds());

    [Fact]
    public async Task Webhooks_with_a_tampered_body_a_stale_timestamp_or_a_reserialised_body_are_refused_and_apply_nothing()
    {
        var (tenant, customer) = await CheckedOutTenantAsync();
        var start = Seconds(DateTimeOffset.UtcNow);
        var sub = fake.Subscription(fake.NewId("sub"), customer, "deepsim_pro_monthly", "active", start, start.AddMonths(1));
        var evt = fake.Event("customer.subscription.created", sub, FakeStripe.Unix(start));
        var payload = evt.ToJsonString();
        var before = await TestApi.TenantSnapshotAsync(api, tenant.Id, includeAudit: false);
        using var client = Client();

        var tampered = payload.Replace("deepsim_pro_monthly", "deepsim_enterprise_monthly", StringComparison.Ordinal);
        Assert.NotEqual(payload, tampered);
        var reserialised = JsonNode.Parse(payload)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var refusals = new (string Name, Func<Task<HttpResponseMessage>> Send)[]
        {
            ("tampered", () => FakeStripe.DeliverAsync(client, tampered, signedPayload: payload)),
            ("stale", () => FakeStripe.DeliverAsync(client, payload, timestamp: DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 301)),
            ("reserialised", () => FakeStripe.DeliverAsync(client, reserialised, signedPayload: payload)),
            ("unsigned", () => TestApi.Send(client, HttpMethod.Post, "/api/v1/billing/stripe/webhook", payload)),
        };
        foreach (var (name, send) in refusals)
        {
            using var response = await send();
            var problem = await response.ReadJsonAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode} {problem}");
            Assert.Equal(BillingEndpoints.WebhookRefusedType, problem.GetProperty("type").GetString());
            Assert.DoesNotContain(FakeStripe.WebhookSecret, problem.ToString(), StringComparison.Ordinal);
        }
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from provider_events where id = @id", ("id", evt["id"]!.GetValue<string>())));
        Assert.Equal(before, await TestApi.TenantSnapshotAsync(api, tenant.Id, includeAudit: false));
        Assert.Equal("free", await TestApi.ScalarAsync<string>(api, "select plan from tenants where id = @t", ("t", tenant.Id)));
        Assert.True(await TestApi.ScalarAsync<long>(api,
            "select count(*) from audit_log where action = 'billing.stripe.webhook' and status_code = 400 and occurred_at > now() - interval '5 minutes'") >= refusals.Length);

        // The same event, as Stripe signed it, is applied; its redelivery is acknowledged and not applied again.
        Assert.Equal("applied", await DeliverAsync(evt));
        Assert.Equal("duplicate", await DeliverAsync(evt));
        Assert.Equal("pro", await TestApi.ScalarAsync<string>(api, "select plan from tenants where id = @t", ("t", tenant.Id)));
        Assert.Equal(1L, await CountAsync("select count(*) from event_outbox where tenant_id = @t and type = 'billing.subscription.synced'", tenant.Id));
    }

    /// <summary>One tenant's realistic Stripe history: subscribe, an invoice fails then is paid, upgrade (prorated), cancel.</summary>
    private List<JsonObject> History(string customer, DateTimeOffset periodStart, long t0)
    {
        var subId = fake.NewId("sub");
        var periodEnd = periodStart.AddMonths(1);
        var first = fake.NewId("in");
        var second = fake.NewId("in");
        (long, string, bool)[] plan = [(9900, "1 × DeepSim Pro (at $99.00 / month)", false)];
        (long, string, bool)[] proration = [(-6600, "Unused time on DeepSim Pro", true), (33267, "Remaining time on DeepSim Enterprise", true)];
        return
        [
            fake.Event("customer.subscription.created", fake.Subscription(subId, customer, "deepsim_pro_monthly", "active", periodStart, periodEnd), t0 + 1),
            fake.Event("invoice.finalized", FakeStripe.Invoice(first, customer, subId, "open", "subscription_create", periodStart, plan, periodStart, periodEnd), t0 + 2),
            fake.Event("invoice.payment_failed", FakeStripe.Invoice(first, customer, subId, "open", "subscription_create", periodStart, plan, periodStart, periodEnd, attempts: 1), t0 + 3),
            fake.Event("invoice.paid", FakeStripe.Invoice(first, customer, subId, "paid", "subscription_create", periodStart, plan, periodStart, periodEnd, attempts: 2), t0 + 4),
            fake.Event("customer.subscription.updated", fake.Subscription(subId, customer, "deepsim_enterprise_monthly", "active", periodStart, periodEnd), t0 + 5),
            fake.Event("invoice.paid", FakeStripe.Invoice(second, customer, subId, "paid", "subscription_update", periodStart.AddDays(10), proration, periodStart.AddDays(10), periodEnd), t0 + 6),
            fake.Event("customer.subscription.deleted", fake.Subscription(subId, customer, "deepsim_enterprise_monthly", "canceled", periodStart, periodEnd), t0 + 7),
        ];
    }

    /// <summary>The tenant's billing state without ids and wall-clock times: invoices by their Stripe invoice's order.</summary>
    private async Task<string> BillingStateAsync(Guid tenant, long t0)
    {
        await using var connection = await api.OpenOwnerAsync();
        var parts = new List<string>();
        async Task AddAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue("t", tenant);
            command.Parameters.AddWithValue("t0", t0);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                parts.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
            }
            parts.Add("--");
        }
        await AddAsync("""
            select s.plan, s.cycle, s.status, s.current_period_start, s.current_period_end, s.cancel_at_period_end, s.pending_plan, s.provider,
                   s.past_due_since is null, s.restricted_since is null, s.stripe_synced_at - @t0, s.credit_balance, t.plan
            from subscriptions s join tenants t on t.id = s.tenant_id where s.tenant_id = @t
            """);
        await AddAsync("""
            select i.status, i.reason, i.currency, i.subtotal, i.credit_applied, i.amount_due, i.amount_paid, i.period_start, i.period_end,
                   i.stripe_synced_at - @t0, i.paid_at is null,
                   (select string_agg(l.position || ':' || l.kind || ':' || l.description || ':' || l.amount, ';' order by l.position) from invoice_lines l where l.invoice_id = i.id)
            from invoices i where i.tenant_id = @t order by i.reason, i.subtotal
            """);
        await AddAsync("""
            select e.kind, e.amount, split_part(e.reference, ':', 1), i.reason from ledger_entries e join invoices i on i.id = e.invoice_id
            where e.tenant_id = @t order by i.reason, e.kind, e.amount
            """);
        return string.Join('\n', parts);
    }

    [Fact]
    public async Task A_tenants_event_history_replayed_ten_times_in_random_order_ends_as_one_ordered_delivery_with_each_effect_once()
    {
        var periodStart = Seconds(DateTimeOffset.UtcNow.AddDays(-12));
        var t0 = FakeStripe.Unix(DateTimeOffset.UtcNow) - 100;
        var (ordered, orderedCustomer) = await CheckedOutTenantAsync();
        foreach (var evt in History(orderedCustomer, periodStart, t0))
        {
            Assert.Equal("applied", await DeliverAsync(evt));
        }
        var expected = await BillingStateAsync(ordered.Id, t0);
        output.WriteLine(expected);
        Assert.Contains("free|monthly|canceled|", expected, StringComparison.Ordinal);
        Assert.Equal(1L, await CountAsync("select count(*) from mail_outbox where tenant_id = @t and subject like '%payment of invoice%failed%'", ordered.Id));

        for (var replay = 1; replay <= 10; replay++)
        {
            var random = new Random(1400 + replay);
            var (tenant, customer) = await CheckedOutTenantAsync();
            var history = History(customer, periodStart, t0);
            // Every event at least once, some twice (Stripe redelivers), in a seeded random order.
            var deliveries = history.Concat(history.Where(_ => random.Next(3) == 0)).OrderBy(_ => random.Next()).ToList();
            var outcomes = new List<string>();
            foreach (var evt in deliveries)
            {
                outcomes.Add(await DeliverAsync(evt));
            }
            Assert.Equal(deliveries.Count - history.Count, outcomes.Count(o => o == "duplicate"));
            var order = string.Join(", ", deliveries.Select(e => $"{e["type"]}@{e["created"]!.GetValue<long>() - t0}"));
            Assert.True(expected == await BillingStateAsync(tenant.Id, t0), $"replay {replay} ({order}) ended elsewhere:\n{await BillingStateAsync(tenant.Id, t0)}");
            // Each side effect once: two invoices, each posted and paid once, the plan moved by each newer subscription object only.
            Assert.Equal(2L, await CountAsync("select count(*) from invoices where tenant_id = @t", tenant.Id));
            Assert.Equal(4L, await CountAsync("select count(*) from ledger_entries where tenant_id = @t", tenant.Id));
            Assert.Equal(2L, await CountAsync("select count(*) from event_outbox where tenant_id = @t and type = 'billing.invoice.paid'", tenant.Id));
            Assert.Equal((long)history.Count, await TestApi.ScalarAsync<long>(api, "select count(*) from provider_events where id = any(@ids)",
                ("ids", history.Select(e => e["id"]!.GetValue<string>()).ToArray())));
            Assert.InRange(await CountAsync("select count(*) from event_outbox where tenant_id = @t and type = 'billing.subscription.synced'", tenant.Id), 1, 3);
            // The failure mail goes out at most once, and not at all when the payment (newer) was applied before the failure arrived.
            Assert.InRange(await CountAsync("select count(*) from mail_outbox where tenant_id = @t and subject like '%payment of invoice%failed%'", tenant.Id), 0, 1);
        }
    }

    [Fact]
    public async Task A_past_due_tenant_is_restricted_after_the_grace_and_an_invoice_paid_webhook_restores_it_at_once()
    {
        var (tenant, customer) = await CheckedOutTenantAsync();
        var start = Seconds(DateTimeOffset.UtcNow);
        var subId = fake.NewId("sub");
        var invoiceId = fake.NewId("in");
        var t0 = FakeStripe.Unix(start);
        (long, string, bool)[] plan = [(9900, "1 × DeepSim Pro", false)];
        Assert.Equal("applied", await DeliverAsync(fake.Event("customer.subscription.created",
            fake.Subscription(subId, customer, "deepsim_pro_monthly", "active", start, start.AddMonths(1)), t0)));
        Assert.Equal("applied", await DeliverAsync(fake.Event("invoice.finalized",
            FakeStripe.Invoice(invoiceId, customer, subId, "open", "subscription_create", start, plan, start, start.AddMonths(1)), t0 + 1)));
        Assert.Equal("applied", await DeliverAsync(fake.Event("invoice.payment_failed",
            FakeStripe.Invoice(invoiceId, customer, subId, "open", "subscription_create", start, plan, start, start.AddMonths(1), attempts: 1), t0 + 2)));
        Assert.Equal("past_due", await TestApi.ScalarAsync<string>(api, "select status from subscriptions where tenant_id = @t", ("t", tenant.Id)));
        Assert.Equal(1L, await CountAsync("select count(*) from mail_outbox where tenant_id = @t and subject like '%payment of invoice%failed%'", tenant.Id));

        var job = Host.Services.GetRequiredService<BillingJob>();
        var billing = Host.Services.GetRequiredService<BillingService>();
        var grace = Host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<BillingSettings>>().Value.Grace;
        await job.RunOnceAsync(billing.Now() + grace + TimeSpan.FromDays(1), CancellationToken.None);
        using (var refused = await TestApi.CreateFlowsheetAsync(api, tenant.Owner.AccessToken, "while restricted"))
        {
            Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
            Assert.Equal(9900, (await refused.ReadJsonAsync()).GetProperty("amountDue").GetInt64());
        }

        Assert.Equal("applied", await DeliverAsync(fake.Event("invoice.paid",
            FakeStripe.Invoice(invoiceId, customer, subId, "paid", "subscription_create", start, plan, start, start.AddMonths(1), attempts: 2), t0 + 3)));
        using (var created = await TestApi.CreateFlowsheetAsync(api, tenant.Owner.AccessToken, "after payment"))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        Assert.Equal("active", await TestApi.ScalarAsync<string>(api, "select status from subscriptions where tenant_id = @t and restricted_since is null", ("t", tenant.Id)));
        Assert.Equal(1L, await CountAsync("select count(*) from event_outbox where tenant_id = @t and type = 'billing.tenant.restored'", tenant.Id));
        Assert.Equal(0L, (long)await TestApi.ScalarAsync<decimal>(api, "select coalesce(sum(amount), 0)::numeric from ledger_entries where tenant_id = @t", ("t", tenant.Id)));
        Assert.Equal(1L, await CountAsync("select count(*) from ledger_entries where tenant_id = @t and reference = 'stripe:" + invoiceId + "'", tenant.Id));
    }

    [Fact]
    public async Task Checkout_portal_plan_changes_and_cancel_go_to_stripe_with_the_price_lookup_proration_and_idempotency_keys()
    {
        var (tenant, customer) = await CheckedOutTenantAsync();
        var customerCall = Assert.Single(fake.RequestsTo("POST", "/v1/customers"), r => r.Form.GetValueOrDefault("metadata[tenant_id]") == tenant.Id.ToString());
        Assert.Equal("customer:" + tenant.Id, customerCall.IdempotencyKey);
        Assert.Contains(fake.RequestsTo("GET", "/v1/prices"), r => r.Form.Values.Contains("deepsim_pro_monthly"));
        var session = fake.RequestsTo("POST", "/v1/checkout/sessions")[^1];
        Assert.Equal("subscription", session.Form["mode"]);
        Assert.Equal(customer, session.Form["customer"]);
        Assert.Equal(fake.PriceIds["deepsim_pro_monthly"], session.Form["line_items[0][price]"]);
        Assert.StartsWith($"{tenant.Id}:checkout:pro:monthly:", session.IdempotencyKey, StringComparison.Ordinal);
        // Back to the web app's Plan and billing page, which says how Checkout ended.
        Assert.EndsWith("/billing?checkout=success", session.Form["success_url"], StringComparison.Ordinal);
        Assert.EndsWith("/billing?checkout=canceled", session.Form["cancel_url"], StringComparison.Ordinal);

        using var owner = Client(tenant.Owner.AccessToken);
        var (portalStatus, portal) = await CallAsync(owner, HttpMethod.Post, "/api/v1/billing/portal");
        Assert.Equal(HttpStatusCode.OK, portalStatus);
        Assert.StartsWith("https://billing.stripe.test/p/session/bps_", portal.GetProperty("url").GetString(), StringComparison.Ordinal);
        var portalCall = Assert.Single(fake.RequestsTo("POST", "/v1/billing_portal/sessions"));
        Assert.Equal(customer, portalCall.Form["customer"]);
        Assert.Equal("payment_method_update", portalCall.Form["flow_data[type]"]);
        // The customer is created once per tenant.
        Assert.Single(fake.RequestsTo("POST", "/v1/customers"));
        var (badStatus, bad) = await CallAsync(owner, HttpMethod.Post, "/api/v1/billing/checkout", new { plan = "platinum", cycle = "weekly" });
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.True(bad.GetProperty("errors").TryGetProperty("plan", out _));
        Assert.True(bad.GetProperty("errors").TryGetProperty("cycle", out _));

        // Stripe created the subscription (its webhook); the fake holds it so updates apply to it.
        var start = Seconds(DateTimeOffset.UtcNow.AddDays(-10));
        var subId = fake.NewId("sub");
        var sub = fake.Subscription(subId, customer, "deepsim_pro_monthly", "active", start, start.AddMonths(1));
        fake.Subscriptions[subId] = sub;
        Assert.Equal("applied", await DeliverAsync(fake.Event("customer.subscription.created", sub, FakeStripe.Unix(DateTimeOffset.UtcNow) - 5)));

        var (upStatus, up) = await CallAsync(owner, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "enterprise", cycle = "monthly" });
        Assert.True(upStatus == HttpStatusCode.OK, up.ToString());
        Assert.Equal("now", up.GetProperty("effective").GetString());
        Assert.Equal(2, up.GetProperty("lines").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, up.GetProperty("invoice").ValueKind);
        var update = Assert.Single(fake.RequestsTo("POST", "/v1/subscriptions/" + subId));
        Assert.Equal(fake.PriceIds["deepsim_enterprise_monthly"], update.Form["items[0][price]"]);
        Assert.Equal("always_invoice", update.Form["proration_behavior"]);
        Assert.StartsWith($"{tenant.Id}:change:enterprise:monthly:", update.IdempotencyKey, StringComparison.Ordinal);
        Assert.Equal("enterprise", await TestApi.ScalarAsync<string>(api, "select plan from tenants where id = @t", ("t", tenant.Id)));
        // Stripe invoices the proration; no local invoice is made beside it.
        Assert.Equal(0L, await CountAsync("select count(*) from invoices where tenant_id = @t", tenant.Id));
        Assert.Contains(fake.RequestsTo("GET", "/v1/prices"), r => r.Form.Values.Contains("deepsim_enterprise_monthly"));

        // A downgrade waits for the period's end, and Stripe keeps the date: a schedule made from the subscription holds
        // the current price to the period's end, then the new one without proration (Stripe's renewal moves it: no local
        // job can be late for it). The subscription itself is not changed now.
        var periodEnd = await TestApi.ScalarAsync<DateTime>(api, "select current_period_end from subscriptions where tenant_id = @t", ("t", tenant.Id));
        async Task<FakeStripeRequest> ScheduleProAsync(int times)
        {
            var (downStatus, down) = await CallAsync(owner, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "pro", cycle = "monthly" });
            Assert.True(downStatus == HttpStatusCode.OK, down.ToString());
            Assert.Equal("periodEnd", down.GetProperty("effective").GetString());
            Assert.Single(fake.RequestsTo("POST", "/v1/subscriptions/" + subId));
            var created = fake.RequestsTo("POST", "/v1/subscription_schedules").Where(r => r.Path == "/v1/subscription_schedules").ToList();
            Assert.Equal(times, created.Count);
            Assert.Equal(subId, created[^1].Form["from_subscription"]);
            var scheduleId = fake.Subscriptions[subId]["schedule"]!.GetValue<string>();
            return fake.RequestsTo("POST", "/v1/subscription_schedules/" + scheduleId).Single(r => !r.Path.EndsWith("/release", StringComparison.Ordinal));
        }
        var phases = await ScheduleProAsync(times: 1);
        Assert.Equal("release", phases.Form["end_behavior"]);
        Assert.Equal(fake.PriceIds["deepsim_enterprise_monthly"], phases.Form["phases[0][items][0][price]"]);
        Assert.Equal(FakeStripe.Unix(new DateTimeOffset(periodEnd, TimeSpan.Zero)).ToString(System.Globalization.CultureInfo.InvariantCulture), phases.Form["phases[0][end_date]"]);
        Assert.Equal(fake.PriceIds["deepsim_pro_monthly"], phases.Form["phases[1][items][0][price]"]);
        Assert.Equal("none", phases.Form["phases[1][proration_behavior]"]);
        Assert.Equal("month", phases.Form["phases[1][duration][interval]"]);
        Assert.Equal("pro", await TestApi.ScalarAsync<string>(api, "select pending_plan from subscriptions where tenant_id = @t", ("t", tenant.Id)));

        // Keeping Enterprise releases the schedule; choosing Pro again makes a new one (not a replay of the first request).
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(owner, HttpMethod.Post, "/api/v1/billing/subscription/reactivate")).Status);
        Assert.Single(fake.RequestsTo("POST", "/v1/subscription_schedules"), r => r.Path.EndsWith("/release", StringComparison.Ordinal));
        Assert.Equal(JsonValueKind.Null, fake.Subscriptions[subId]["schedule"]?.GetValueKind() ?? JsonValueKind.Null);
        await ScheduleProAsync(times: 2);

        // The period's end passes: the job records the usage and moves no price; Stripe's renewal under the schedule
        // does, and its webhook brings the row to Pro with the new period, the pending change done.
        await TestApi.ScalarAsync<int>(api, "update subscriptions set current_period_end = now() - interval '1 minute' where tenant_id = @t returning 1", ("t", tenant.Id));
        var job = Host.Services.GetRequiredService<StripeJob>();
        await job.RunOnceAsync(Host.Services.GetRequiredService<BillingService>().Now(), CancellationToken.None);
        Assert.Single(fake.RequestsTo("POST", "/v1/subscriptions/" + subId));
        var renewed = Seconds(DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.Equal("applied", await DeliverAsync(fake.Event("customer.subscription.updated",
            fake.Subscription(subId, customer, "deepsim_pro_monthly", "active", renewed, renewed.AddMonths(1)), FakeStripe.Unix(DateTimeOffset.UtcNow))));
        Assert.Equal("pro", await TestApi.ScalarAsync<string>(api, "select plan from tenants where id = @t", ("t", tenant.Id)));
        Assert.Equal(0L, await CountAsync("select count(*) from subscriptions where tenant_id = @t and pending_plan is not null", tenant.Id));

        var (cancelStatus, canceled) = await CallAsync(owner, HttpMethod.Post, "/api/v1/billing/subscription/cancel");
        Assert.True(cancelStatus == HttpStatusCode.OK, canceled.ToString());
        var cancel = fake.RequestsTo("POST", "/v1/subscriptions/" + subId)[^1];
        Assert.Equal("true", cancel.Form["cancel_at_period_end"]);
        Assert.StartsWith($"{tenant.Id}:cancel:{subId}:", cancel.IdempotencyKey, StringComparison.Ordinal);
        Assert.True(fake.Subscriptions[subId]["cancel_at_period_end"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(owner, HttpMethod.Post, "/api/v1/billing/subscription/reactivate")).Status);
        Assert.Equal("false", fake.RequestsTo("POST", "/v1/subscriptions/" + subId)[^1].Form["cancel_at_period_end"]);

        // Down to Free (no Stripe price) is the subscription's cancellation at the period's end, on Stripe and here.
        var (freeStatus, free) = await CallAsync(owner, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "free", cycle = "monthly" });
        Assert.True(freeStatus == HttpStatusCode.OK, free.ToString());
        Assert.Equal("periodEnd", free.GetProperty("effective").GetString());
        Assert.Equal("true", fake.RequestsTo("POST", "/v1/subscriptions/" + subId)[^1].Form["cancel_at_period_end"]);
        Assert.True(await TestApi.ScalarAsync<bool>(api, "select cancel_at_period_end from subscriptions where tenant_id = @t", ("t", tenant.Id)));
        Assert.Equal("pro", await TestApi.ScalarAsync<string>(api, "select plan from tenants where id = @t", ("t", tenant.Id)));
    }

    [Fact]
    public async Task Without_stripe_checkout_and_portal_answer_409_and_the_account_says_no_provider()
    {
        var tenant = await TestApi.SignUpAsync(api, plan: "free");
        using var owner = api.CreateClient(tenant.Owner.AccessToken);
        var (checkoutStatus, checkout) = await CallAsync(owner, HttpMethod.Post, "/api/v1/billing/checkout", new { plan = "pro", cycle = "monthly" });
        Assert.Equal(HttpStatusCode.Conflict, checkoutStatus);
        Assert.Equal(BillingEndpoints.BillingConflictType, checkout.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await CallAsync(owner, HttpMethod.Post, "/api/v1/billing/portal")).Status);
        Assert.False((await CallAsync(owner, HttpMethod.Get, "/api/v1/billing")).Body.GetProperty("paymentProviderConfigured").GetBoolean());
        using var stripeOwner = Client(tenant.Owner.AccessToken);
        Assert.True((await CallAsync(stripeOwner, HttpMethod.Get, "/api/v1/billing")).Body.GetProperty("paymentProviderConfigured").GetBoolean());
    }

    [Fact]
    public async Task Usage_beyond_the_plan_is_sent_to_the_meter_once_even_when_the_reporter_crashed_after_sending()
    {
        var (tenant, customer) = await CheckedOutTenantAsync();
        var start = Seconds(DateTimeOffset.UtcNow.AddDays(-32));
        var subId = fake.NewId("sub");
        fake.Subscriptions[subId] = fake.Subscription(subId, customer, "deepsim_pro_monthly", "active", start, start.AddDays(30));
        Assert.Equal("applied", await DeliverAsync(fake.Event("customer.subscription.created", fake.Subscriptions[subId], FakeStripe.Unix(DateTimeOffset.UtcNow) - 5)));
        // 51 solver hours in the ended period: Pro includes 50, so 1 h = 100 hundredths over.
        await TestApi.ScalarAsync<int>(api,
            """
            insert into runs (id, tenant_id, flowsheet_id, flowsheet_version, status, content, content_hash, max_attempts, cached, solver_seconds,
                              created_by, created_at, finished_at)
            values (gen_random_uuid(), @t, gen_random_uuid(), 1, 'completed', '{}', 'h', 1, false, 51 * 3600, @u, now() - interval '10 days', now() - interval '10 days')
            returning 1
            """, ("t", tenant.Id), ("u", tenant.OwnerId));
        var identifier = BillingService.UsageIdentifier(tenant.Id, start);
        var job = Host.Services.GetRequiredService<StripeJob>();
        var billing = Host.Services.GetRequiredService<BillingService>();
        var crashes = 0;
        job.AfterMeterEventSent = id => id == identifier && crashes++ == 0 ? throw new IOException("simulated crash after sending") : Task.CompletedTask;
        try
        {
            await job.RunOnceAsync(billing.Now(), CancellationToken.None);
            Assert.Equal(1, crashes);
            Assert.Equal(1L, await CountAsync("select count(*) from usage_reports where tenant_id = @t and sent_at is null and overage_units = 100", tenant.Id));
            await job.RunOnceAsync(billing.Now(), CancellationToken.None);
            await job.RunOnceAsync(billing.Now(), CancellationToken.None);
        }
        finally
        {
            job.AfterMeterEventSent = null;
        }
        var sends = fake.RequestsTo("POST", "/v1/billing/meter_events").Where(r => r.Form["identifier"] == identifier).ToList();
        Assert.Equal(2, sends.Count);
        Assert.All(sends, r => Assert.Equal("meter:" + identifier, r.IdempotencyKey));
        Assert.All(sends, r => Assert.Equal("100", r.Form["payload[value]"]));
        Assert.All(sends, r => Assert.Equal(customer, r.Form["payload[stripe_customer_id]"]));
        // Stripe (the fake) counts one event for the identifier; the row is marked sent once.
        Assert.Equal("100", fake.MeterEvents[identifier]["payload"]!["value"]!.GetValue<string>());
        Assert.Single(fake.MeterEvents.Keys, k => k == identifier);
        Assert.Equal(1L, await CountAsync("select count(*) from usage_reports where tenant_id = @t and sent_at is not null", tenant.Id));
    }

    [Fact]
    public async Task Reconciliation_corrects_plan_status_and_period_drift_from_stripe_and_an_older_event_does_not_undo_it()
    {
        var (tenant, customer) = await CheckedOutTenantAsync();
        var start = Seconds(DateTimeOffset.UtcNow.AddDays(-3));
        var subId = fake.NewId("sub");
        var created = fake.Event("customer.subscription.created", fake.Subscription(subId, customer, "deepsim_pro_monthly", "active", start, start.AddMonths(1)),
            FakeStripe.Unix(DateTimeOffset.UtcNow) - 60);
        Assert.Equal("applied", await DeliverAsync(created));
        // Webhooks were lost: Stripe moved the subscription to Enterprise, past due, on a new period.
        var newStart = start.AddDays(1);
        fake.Subscriptions[subId] = fake.Subscription(subId, customer, "deepsim_enterprise_monthly", "past_due", newStart, newStart.AddMonths(1));
        var job = Host.Services.GetRequiredService<StripeJob>();

        Assert.True(await job.ReconcileOnceAsync(CancellationToken.None) >= 1);
        Assert.Equal("enterprise|past_due|" + newStart.UtcDateTime.ToString("s", System.Globalization.CultureInfo.InvariantCulture),
            await TestApi.ScalarAsync<string>(api, "select plan || '|' || status || '|' || to_char(current_period_start at time zone 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS') from subscriptions where tenant_id = @t", ("t", tenant.Id)));
        Assert.Equal("enterprise", await TestApi.ScalarAsync<string>(api, "select plan from tenants where id = @t", ("t", tenant.Id)));
        var payload = await TestApi.ScalarAsync<string>(api, "select payload::text from event_outbox where tenant_id = @t and type = 'billing.reconciled'", ("t", tenant.Id));
        Assert.Contains("\"plan\"", payload, StringComparison.Ordinal);
        Assert.Contains("\"status\"", payload, StringComparison.Ordinal);
        Assert.Contains("\"currentPeriodStart\"", payload, StringComparison.Ordinal);
        Assert.DoesNotContain("\"cancelAtPeriodEnd\"", payload, StringComparison.Ordinal);

        // Nothing drifts any more: a second pass writes nothing; a late, older event is not applied over it.
        await job.ReconcileOnceAsync(CancellationToken.None);
        Assert.Equal(1L, await CountAsync("select count(*) from event_outbox where tenant_id = @t and type = 'billing.reconciled'", tenant.Id));
        var late = fake.Event("customer.subscription.updated", fake.Subscription(subId, customer, "deepsim_pro_monthly", "active", start, start.AddMonths(1)),
            FakeStripe.Unix(DateTimeOffset.UtcNow) - 30);
        Assert.Equal("stale", await DeliverAsync(late));
        Assert.Equal("enterprise", await TestApi.ScalarAsync<string>(api, "select plan from subscriptions where tenant_id = @t", ("t", tenant.Id)));
    }

    [Fact]
    public async Task An_open_stripe_invoice_is_paid_through_stripe_once_and_a_declined_card_names_the_hosted_page()
    {
        var tenant = await TestApi.SignUpAsync(api, plan: "free");
        using var owner = Client(tenant.Owner.AccessToken);
        // From Free, a plan change goes through Checkout (the preview says so first): nothing changes until Stripe's webhooks say so.
        var (previewStatus, preview) = await CallAsync(owner, HttpMethod.Post, "/api/v1/billing/subscription/preview", new { plan = "pro", cycle = "monthly" });
        Assert.True(previewStatus == HttpStatusCode.OK, preview.ToString());
        Assert.Equal("checkout", preview.GetProperty("effective").GetString());
        var (changeStatus, change) = await CallAsync(owner, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "pro", cycle = "monthly" });
        Assert.True(changeStatus == HttpStatusCode.OK, change.ToString());
        Assert.Equal("checkout", change.GetProperty("effective").GetString());
        Assert.StartsWith("https://checkout.stripe.test/c/pay/cs_test_", change.GetProperty("checkoutUrl").GetString(), StringComparison.Ordinal);
        Assert.Equal("free", await TestApi.ScalarAsync<string>(api, "select plan from tenants where id = @t", ("t", tenant.Id)));
        Assert.Equal(0L, await CountAsync("select count(*) from invoices where tenant_id = @t", tenant.Id));
        var customer = await TestApi.ScalarAsync<string>(api, "select stripe_customer from subscriptions where tenant_id = @t", ("t", tenant.Id));

        var start = Seconds(DateTimeOffset.UtcNow);
        var subId = fake.NewId("sub");
        var t0 = FakeStripe.Unix(start);
        (long, string, bool)[] plan = [(9900, "1 × DeepSim Pro", false)];
        Assert.Equal("applied", await DeliverAsync(fake.Event("customer.subscription.created",
            fake.Subscription(subId, customer, "deepsim_pro_monthly", "active", start, start.AddMonths(1)), t0)));
        var declined = fake.NewId("in");
        var paid = fake.NewId("in");
        foreach (var id in new[] { declined, paid })
        {
            var invoice = FakeStripe.Invoice(id, customer, subId, "open", "subscription_create", start, plan, start, start.AddMonths(1));
            fake.Invoices[id] = invoice;
            Assert.Equal("applied", await DeliverAsync(fake.Event("invoice.finalized", invoice, t0 + 1)));
        }
        var localOf = async (string stripeId) => await TestApi.ScalarAsync<Guid>(api, "select id from invoices where stripe_invoice = @s", ("s", stripeId));

        fake.DeclineCards = true;
        var (declinedStatus, problem) = await CallAsync(owner, HttpMethod.Post, $"/api/v1/billing/invoices/{await localOf(declined)}/pay");
        Assert.Equal(HttpStatusCode.Conflict, declinedStatus);
        Assert.Contains($"https://invoice.stripe.test/i/{declined}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("open", await TestApi.ScalarAsync<string>(api, "select status from invoices where stripe_invoice = @s", ("s", declined)));

        fake.DeclineCards = false;
        var (payStatus, body) = await CallAsync(owner, HttpMethod.Post, $"/api/v1/billing/invoices/{await localOf(paid)}/pay");
        Assert.True(payStatus == HttpStatusCode.OK, body.ToString());
        Assert.Equal("paid", body.GetProperty("invoice").GetProperty("status").GetString());
        var payCall = fake.RequestsTo("POST", $"/v1/invoices/{paid}/pay")[^1];
        Assert.Equal("pay:" + paid, payCall.IdempotencyKey);
        // Stripe's invoice.paid webhook then arrives: the payment is already posted under the same reference.
        Assert.Equal("applied", await DeliverAsync(fake.Event("invoice.paid", fake.Invoices[paid], t0 + 2)));
        Assert.Equal(1L, await CountAsync($"select count(*) from ledger_entries where tenant_id = @t and kind = 'payment' and reference = 'stripe:{paid}'", tenant.Id));
        Assert.Equal(1L, await CountAsync("select count(*) from ledger_entries where tenant_id = @t and kind = 'payment'", tenant.Id));
    }

    [Fact]
    public async Task A_signed_body_that_is_not_an_event_is_refused_with_a_problem_not_a_server_error()
    {
        using var client = Client();
        foreach (var body in new[] { "not json", "{}", """{"id":"evt_1","object":"event"}""", "[1,2]" })
        {
            using var response = await FakeStripe.DeliverAsync(client, body);
            var problem = await response.ReadJsonAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body}: {(int)response.StatusCode} {problem}");
            Assert.Equal(BillingEndpoints.WebhookRefusedType, problem.GetProperty("type").GetString());
        }
        // An event type DeepSim does not handle is acknowledged once and recorded as ignored.
        var evt = fake.Event("customer.created", new JsonObject { ["id"] = fake.NewId("cus"), ["object"] = "customer" }, FakeStripe.Unix(DateTimeOffset.UtcNow));
        Assert.Equal("ignored", await DeliverAsync(evt));
        Assert.Equal("duplicate", await DeliverAsync(evt));
    }

    [Fact]
    public async Task A_voided_invoice_posts_what_was_owed_back_and_an_uncollectible_one_only_changes_status()
    {
        var (tenant, customer) = await CheckedOutTenantAsync();
        var start = Seconds(DateTimeOffset.UtcNow);
        var t0 = FakeStripe.Unix(start);
        var subId = fake.NewId("sub");
        (long, string, bool)[] plan = [(9900, "1 × DeepSim Pro", false)];
        Assert.Equal("applied", await DeliverAsync(fake.Event("customer.subscription.created",
            fake.Subscription(subId, customer, "deepsim_pro_monthly", "active", start, start.AddMonths(1)), t0)));
        var voided = fake.NewId("in");
        var written = fake.NewId("in");
        foreach (var id in new[] { voided, written })
        {
            Assert.Equal("applied", await DeliverAsync(fake.Event("invoice.finalized",
                FakeStripe.Invoice(id, customer, subId, "open", "manual", start, plan, start, start.AddMonths(1)), t0 + 1)));
        }
        Assert.Equal("applied", await DeliverAsync(fake.Event("invoice.voided",
            FakeStripe.Invoice(voided, customer, subId, "void", "manual", start, plan, start, start.AddMonths(1)), t0 + 2)));
        Assert.Equal("applied", await DeliverAsync(fake.Event("invoice.marked_uncollectible",
            FakeStripe.Invoice(written, customer, subId, "uncollectible", "manual", start, plan, start, start.AddMonths(1)), t0 + 2)));
        // A late finalized event for the voided invoice is older: it does not reopen it.
        Assert.Equal("stale", await DeliverAsync(fake.Event("invoice.finalized",
            FakeStripe.Invoice(voided, customer, subId, "open", "manual", start, plan, start, start.AddMonths(1)), t0 + 1)));

        Assert.Equal("void", await TestApi.ScalarAsync<string>(api, "select status from invoices where stripe_invoice = @s", ("s", voided)));
        Assert.Equal("uncollectible", await TestApi.ScalarAsync<string>(api, "select status from invoices where stripe_invoice = @s", ("s", written)));
        Assert.Equal(-9900L, (long)await TestApi.ScalarAsync<decimal>(api,
            "select sum(e.amount)::numeric from ledger_entries e join invoices i on i.id = e.invoice_id where i.stripe_invoice = @s and e.kind = 'void'", ("s", voided)));
        // What is still owed is the uncollectible invoice only.
        Assert.Equal(9900L, (long)await TestApi.ScalarAsync<decimal>(api, "select sum(amount)::numeric from ledger_entries where tenant_id = @t", ("t", tenant.Id)));
        Assert.Equal(1L, await CountAsync("select count(*) from invoice_lines where tenant_id = @t and kind = 'plan' and amount = 9900 and invoice_id = (select id from invoices where stripe_invoice = '" + voided + "')", tenant.Id));
    }
}
