using System.Net;
using System.Text.Json;
using DeepSim.Api.Billing;
using DeepSim.Api.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSim.Api.Tests;

/// <summary>
/// Subscriptions, invoices and the ledger against the real database, with no payment provider configured: the local
/// ledger settles invoices (the Stripe side is tested with its fake server elsewhere).
/// </summary>
[Collection(ApiTests.Name)]
public sealed class BillingTests(ApiFixture api)
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> CallAsync(HttpClient client, HttpMethod method, string url, object? body = null)
    {
        using var response = await TestApi.Send(client, method, url, body);
        return (response.StatusCode, await response.ReadJsonAsync());
    }

    private async Task<long> LedgerSumAsync(Guid tenant) =>
        (long)await TestApi.ScalarAsync<decimal>(api, "select coalesce(sum(amount), 0)::numeric from ledger_entries where tenant_id = @t", ("t", tenant));

    private async Task<long> CountAsync(string sql, Guid tenant) => await TestApi.ScalarAsync<long>(api, sql, ("t", tenant));

    [Fact]
    public async Task Upgrading_from_free_charges_the_plan_settles_it_in_the_ledger_and_moves_the_tenant_at_once()
    {
        var a = await TestApi.SignUpAsync(api, plan: "free");
        using var owner = api.CreateClient(a.Owner.AccessToken);

        var (previewStatus, preview) = await CallAsync(owner, HttpMethod.Post, "/api/v1/billing/subscription/preview", new { plan = "pro", cycle = "monthly" });
        Assert.Equal(HttpStatusCode.OK, previewStatus);
        Assert.Equal("now", preview.GetProperty("effective").GetString());
        Assert.Equal(9900, preview.GetProperty("amountDue").GetInt64());
        Assert.Equal(0L, await CountAsync("select count(*) from invoices where tenant_id = @t", a.Id));
        Assert.Equal("free", await TestApi.ScalarAsync<string>(api, "select plan from tenants where id = @t", ("t", a.Id)));

        var (status, change) = await CallAsync(owner, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "pro", cycle = "monthly" });
        Assert.Equal(HttpStatusCode.OK, status);
        var invoice = change.GetProperty("invoice");
        Assert.Equal("paid", invoice.GetProperty("status").GetString());
        Assert.Equal(9900, invoice.GetProperty("amountDue").GetInt64());
        Assert.Equal(9900, invoice.GetProperty("amountPaid").GetInt64());
        Assert.Equal("pro", await TestApi.ScalarAsync<string>(api, "select plan from tenants where id = @t", ("t", a.Id)));
        // The new plan's limits apply at once: the Free plan allowed one member, Pro allows an invitation.
        await TestApi.InviteAsync(api, a.Owner.AccessToken, TestApi.UniqueEmail("after-upgrade"), "viewer");

        // The ledger posted the invoice and its payment: nothing owed.
        Assert.Equal(0L, await LedgerSumAsync(a.Id));
        foreach (var type in new[] { "billing.subscription.updated", "billing.invoice.finalized", "billing.invoice.paid" })
        {
            Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from event_outbox where tenant_id = @t and type = @type", ("t", a.Id), ("type", type)));
        }
        Assert.Equal(1L, await CountAsync("select count(*) from audit_log where tenant_id = @t and action like '%billing%' and status_code = 200", a.Id));

        var (_, list) = await CallAsync(owner, HttpMethod.Get, "/api/v1/billing/invoices");
        Assert.Equal(1, list.GetProperty("total").GetInt64());
        var id = list.GetProperty("items")[0].GetProperty("id").GetGuid();
        var (_, detail) = await CallAsync(owner, HttpMethod.Get, $"/api/v1/billing/invoices/{id}");
        var line = Assert.Single(detail.GetProperty("lines").EnumerateArray());
        Assert.Equal("plan", line.GetProperty("kind").GetString());
        Assert.Equal(9900, line.GetProperty("amount").GetInt64());
    }

    [Fact]
    public async Task A_mid_cycle_upgrade_is_prorated_to_the_stored_period_and_the_ledger_equals_the_invoice_lines()
    {
        var a = await TestApi.SignUpAsync(api, plan: "free");
        using var owner = api.CreateClient(a.Owner.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(owner, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "pro" })).Status);
        // Ten days into a 30-day period (moved back by the owner role, as if time had passed).
        await TestApi.ScalarAsync<int>(api,
            "update subscriptions set current_period_start = now() - interval '10 days', current_period_end = now() + interval '20 days' where tenant_id = @t returning 1",
            ("t", a.Id));

        var (status, change) = await CallAsync(owner, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "enterprise", cycle = "monthly" });
        Assert.Equal(HttpStatusCode.OK, status);
        var lines = change.GetProperty("lines").EnumerateArray().ToList();
        Assert.Equal(2, lines.Count);
        var start = await TestApi.ScalarAsync<DateTime>(api, "select current_period_start from subscriptions where tenant_id = @t", ("t", a.Id));
        var end = await TestApi.ScalarAsync<DateTime>(api, "select current_period_end from subscriptions where tenant_id = @t", ("t", a.Id));
        var at = lines[0].GetProperty("periodStart").GetDateTimeOffset();
        // The same amounts recomputed from the stored period and the change time: about 2/3 of each price.
        Assert.Equal(-Money.ShareOfPeriod(9900, Utc(start), Utc(end), at), lines[0].GetProperty("amount").GetInt64());
        Assert.Equal(Money.ShareOfPeriod(49900, Utc(start), Utc(end), at), lines[1].GetProperty("amount").GetInt64());
        Assert.InRange(lines[1].GetProperty("amount").GetInt64(), 33200, 33300);
        Assert.Equal("enterprise", await TestApi.ScalarAsync<string>(api, "select plan from tenants where id = @t", ("t", a.Id)));

        var lineSum = await TestApi.ScalarAsync<decimal>(api, "select sum(amount)::numeric from invoice_lines where tenant_id = @t", ("t", a.Id));
        var posted = await TestApi.ScalarAsync<decimal>(api, "select sum(amount)::numeric from ledger_entries where tenant_id = @t and kind = 'invoice'", ("t", a.Id));
        var paid = await TestApi.ScalarAsync<decimal>(api, "select sum(amount_paid)::numeric from invoices where tenant_id = @t", ("t", a.Id));
        Assert.Equal(lineSum, posted);
        Assert.Equal(lineSum - paid, await LedgerSumAsync(a.Id));
        Assert.Equal(0L, await LedgerSumAsync(a.Id));
    }

    [Fact]
    public async Task A_downgrade_over_the_new_plans_limits_is_refused_with_the_numbers_and_changes_nothing()
    {
        var a = await TestApi.SignUpAsync(api, plan: "free");
        using var owner = api.CreateClient(a.Owner.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(owner, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "pro" })).Status);
        var flowsheets = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            using var created = await TestApi.CreateFlowsheetAsync(api, a.Owner.AccessToken, $"sheet {i}");
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            flowsheets.Add((await created.ReadJsonAsync()).GetProperty("id").GetGuid());
        }
        var before = await TestApi.TenantSnapshotAsync(api, a.Id, includeAudit: false);

        var (status, problem) = await CallAsync(owner, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "free" });
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal(BillingEndpoints.OverLimitsType, problem.GetProperty("type").GetString());
        var violation = Assert.Single(problem.GetProperty("violations").EnumerateArray());
        Assert.Equal("flowsheets", violation.GetProperty("limit").GetString());
        Assert.Equal(5, violation.GetProperty("max").GetInt32());
        Assert.Equal(6, violation.GetProperty("usage").GetInt64());
        Assert.Equal(1, violation.GetProperty("over").GetInt64());
        Assert.Contains("6 flowsheets where Free allows 5 (1 over)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await TestApi.TenantSnapshotAsync(api, a.Id, includeAudit: false));

        using (var deleted = await TestApi.Send(owner, HttpMethod.Delete, $"/api/v1/flowsheets/{flowsheets[0]}"))
        {
            Assert.True(deleted.IsSuccessStatusCode, deleted.StatusCode.ToString());
        }
        var (okStatus, scheduled) = await CallAsync(owner, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "free" });
        Assert.Equal(HttpStatusCode.OK, okStatus);
        Assert.Equal("periodEnd", scheduled.GetProperty("effective").GetString());
        Assert.Equal("free", scheduled.GetProperty("subscription").GetProperty("pendingPlan").GetString());
        Assert.Equal("pro", await TestApi.ScalarAsync<string>(api, "select plan from tenants where id = @t", ("t", a.Id)));
    }

    [Fact]
    public async Task A_period_end_applies_the_scheduled_change_and_invoices_solver_time_beyond_the_plan_but_not_cached_results()
    {
        var a = await TestApi.SignUpAsync(api, plan: "free");
        using var owner = api.CreateClient(a.Owner.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(owner, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "enterprise" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(owner, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "pro" })).Status);
        // The period ended yesterday; in it, 501 solver hours ran (500 included) and one cached run "took" 1000 h.
        await TestApi.ScalarAsync<int>(api,
            "update subscriptions set current_period_start = now() - interval '31 days', current_period_end = now() - interval '1 day' where tenant_id = @t returning 1",
            ("t", a.Id));
        await InsertFinishedRunAsync(a, solverHours: 501, cached: false, finishedDaysAgo: 2);
        await InsertFinishedRunAsync(a, solverHours: 1000, cached: true, finishedDaysAgo: 2);
        await InsertFinishedRunAsync(a, solverHours: 1000, cached: false, finishedDaysAgo: 40);

        var job = api.Factory.Services.GetRequiredService<BillingJob>();
        var billing = api.Factory.Services.GetRequiredService<BillingService>();
        Assert.True(await job.RunOnceAsync(billing.Now(), CancellationToken.None) >= 1);

        Assert.Equal("pro", await TestApi.ScalarAsync<string>(api, "select plan from tenants where id = @t", ("t", a.Id)));
        var (_, list) = await CallAsync(owner, HttpMethod.Get, "/api/v1/billing/invoices");
        var renewal = list.GetProperty("items")[0];
        Assert.Equal("subscription_cycle", renewal.GetProperty("reason").GetString());
        var (_, detail) = await CallAsync(owner, HttpMethod.Get, $"/api/v1/billing/invoices/{renewal.GetProperty("id").GetGuid()}");
        var lines = detail.GetProperty("lines").EnumerateArray().ToList();
        // 1 h over Enterprise's 500 at 150/h = 150; then the Pro month, 9900.
        Assert.Equal(["usage", "plan"], lines.Select(l => l.GetProperty("kind").GetString()));
        Assert.Equal(150, lines[0].GetProperty("amount").GetInt64());
        Assert.Equal(1m, lines[0].GetProperty("quantity").GetDecimal());
        Assert.Equal(9900, lines[1].GetProperty("amount").GetInt64());
        Assert.Equal("paid", renewal.GetProperty("status").GetString());

        // A second pass at the same time finds nothing due.
        Assert.Equal(0L, await CountAsync("select count(*) from subscriptions where tenant_id = @t and current_period_end <= now()", a.Id));
        var invoices = await CountAsync("select count(*) from invoices where tenant_id = @t", a.Id);
        await job.RunOnceAsync(billing.Now(), CancellationToken.None);
        Assert.Equal(invoices, await CountAsync("select count(*) from invoices where tenant_id = @t", a.Id));
    }

    private async Task InsertFinishedRunAsync(TestTenant tenant, double solverHours, bool cached, int finishedDaysAgo) =>
        await TestApi.ScalarAsync<int>(api,
            """
            insert into runs (id, tenant_id, flowsheet_id, flowsheet_version, status, content, content_hash, max_attempts, cached, solver_seconds,
                              created_by, created_at, finished_at)
            values (gen_random_uuid(), @t, gen_random_uuid(), 1, 'completed', '{}', 'h', 1, @cached, @seconds, @u,
                    now() - make_interval(days => @days), now() - make_interval(days => @days))
            returning 1
            """, ("t", tenant.Id), ("cached", cached), ("seconds", solverHours * 3600), ("u", tenant.OwnerId), ("days", finishedDaysAgo));

    [Fact]
    public async Task A_failed_payment_makes_the_tenant_past_due_then_read_only_after_the_grace_and_paying_restores_it_at_once()
    {
        var a = await TestApi.SignUpAsync(api, plan: "free");
        using var owner = api.CreateClient(a.Owner.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(owner, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "pro" })).Status);
        var db = api.Factory.Services.GetRequiredService<TenantDb>();
        var billing = api.Factory.Services.GetRequiredService<BillingService>();
        var job = api.Factory.Services.GetRequiredService<BillingJob>();
        // An invoice a payment provider could not collect (the provider column keeps the ledger from settling it).
        await TestApi.ScalarAsync<int>(api, "update subscriptions set provider = 'stripe' where tenant_id = @t returning 1", ("t", a.Id));
        var now = billing.Now();
        var invoice = await db.InTenantAsync(a.Id, s => billing.CreateInvoiceAsync(s, "manual",
            [new DraftLine("usage", "Solver time", 1, 1234, 1234, now, now)], now, now, now, CancellationToken.None), CancellationToken.None);
        Assert.Equal("open", invoice.Status);
        await TestApi.ScalarAsync<int>(api, "update subscriptions set provider = 'ledger' where tenant_id = @t returning 1", ("t", a.Id));
        await db.InTenantAsync(a.Id, async s => { await billing.MarkPaymentFailedAsync(s, invoice.Id, "card declined", CancellationToken.None); return 0; }, CancellationToken.None);
        await db.InTenantAsync(a.Id, async s => { await billing.MarkPaymentFailedAsync(s, invoice.Id, "card declined", CancellationToken.None); return 0; }, CancellationToken.None);

        Assert.Equal("past_due", await TestApi.ScalarAsync<string>(api, "select status from subscriptions where tenant_id = @t", ("t", a.Id)));
        Assert.Equal(1L, await CountAsync("select count(*) from mail_outbox where tenant_id = @t and subject like '%payment of invoice%failed%'", a.Id));
        // Within the grace the workspace still works.
        await job.RunOnceAsync(now.AddDays(6), CancellationToken.None);
        using (var created = await TestApi.CreateFlowsheetAsync(api, a.Owner.AccessToken, "within grace"))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        await job.RunOnceAsync(now.AddDays(8), CancellationToken.None);
        using (var refused = await TestApi.CreateFlowsheetAsync(api, a.Owner.AccessToken, "after grace"))
        {
            Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
            var problem = await refused.ReadJsonAsync();
            Assert.Equal(RestrictionFilter.RestrictedType, problem.GetProperty("type").GetString());
            Assert.Equal(1234, problem.GetProperty("amountDue").GetInt64());
        }
        Assert.Equal(1L, await CountAsync("select count(*) from audit_log where tenant_id = @t and status_code = 402", a.Id));
        Assert.Equal(1L, await CountAsync("select count(*) from flowsheets where tenant_id = @t", a.Id));
        // Reading still works, and so does billing.
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(owner, HttpMethod.Get, "/api/v1/flowsheets")).Status);

        var (payStatus, paid) = await CallAsync(owner, HttpMethod.Post, $"/api/v1/billing/invoices/{invoice.Id}/pay");
        Assert.Equal(HttpStatusCode.OK, payStatus);
        Assert.Equal("paid", paid.GetProperty("invoice").GetProperty("status").GetString());
        using (var created = await TestApi.CreateFlowsheetAsync(api, a.Owner.AccessToken, "after payment"))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        Assert.Equal("active", await TestApi.ScalarAsync<string>(api, "select status from subscriptions where tenant_id = @t", ("t", a.Id)));
        Assert.Equal(3L, await CountAsync("select count(*) from mail_outbox where tenant_id = @t", a.Id));
        Assert.Equal(0L, await LedgerSumAsync(a.Id));
        var (againStatus, _) = await CallAsync(owner, HttpMethod.Post, $"/api/v1/billing/invoices/{invoice.Id}/pay");
        Assert.Equal(HttpStatusCode.Conflict, againStatus);
    }

    [Fact]
    public async Task Cancel_and_reactivate_schedule_and_unschedule_and_refuse_when_there_is_nothing_to_do()
    {
        var a = await TestApi.SignUpAsync(api, plan: "free");
        using var owner = api.CreateClient(a.Owner.AccessToken);
        Assert.Equal(HttpStatusCode.Conflict, (await CallAsync(owner, HttpMethod.Post, "/api/v1/billing/subscription/cancel")).Status);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(owner, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "pro", cycle = "annual" })).Status);

        var (status, canceled) = await CallAsync(owner, HttpMethod.Post, "/api/v1/billing/subscription/cancel");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(canceled.GetProperty("cancelAtPeriodEnd").GetBoolean());
        Assert.Equal("pro", canceled.GetProperty("plan").GetString());

        var (reStatus, reactivated) = await CallAsync(owner, HttpMethod.Post, "/api/v1/billing/subscription/reactivate");
        Assert.Equal(HttpStatusCode.OK, reStatus);
        Assert.False(reactivated.GetProperty("cancelAtPeriodEnd").GetBoolean());
        Assert.Equal(HttpStatusCode.Conflict, (await CallAsync(owner, HttpMethod.Post, "/api/v1/billing/subscription/reactivate")).Status);
    }

    [Fact]
    public async Task Bad_plan_changes_name_the_field_and_the_prices_are_public()
    {
        var a = await TestApi.SignUpAsync(api, plan: "free");
        using var owner = api.CreateClient(a.Owner.AccessToken);
        var (status, problem) = await CallAsync(owner, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "platinum", cycle = "weekly" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty("plan", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("cycle", out _));
        Assert.Equal(0L, await CountAsync("select count(*) from invoices where tenant_id = @t", a.Id));

        using var anonymous = api.CreateClient();
        var (pricesStatus, prices) = await CallAsync(anonymous, HttpMethod.Get, "/api/v1/billing/prices");
        Assert.Equal(HttpStatusCode.OK, pricesStatus);
        var pro = prices.EnumerateArray().Single(p => p.GetProperty("plan").GetString() == "pro" && p.GetProperty("cycle").GetString() == "annual");
        Assert.Equal(99000, pro.GetProperty("amount").GetInt64());
    }

    [Fact]
    public async Task The_printable_invoice_escapes_what_the_tenant_wrote()
    {
        var a = await TestApi.SignUpAsync(api, name: "<script>alert(1)</script> Ltd", plan: "free");
        using var owner = api.CreateClient(a.Owner.AccessToken);
        var (_, change) = await CallAsync(owner, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "pro" });
        var id = change.GetProperty("invoice").GetProperty("id").GetGuid();
        using var response = await owner.GetAsync(new Uri($"/api/v1/billing/invoices/{id}/html", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; Ltd", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("$99.00", html, StringComparison.Ordinal);
        Assert.Contains(change.GetProperty("invoice").GetProperty("number").GetString()!, html, StringComparison.Ordinal);
    }

    private static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at, DateTimeKind.Utc));
}
