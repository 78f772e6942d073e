using System.Net;
using System.Text.Json;

namespace DeepSim.Api.Tests;

/// <summary>
/// The events revenue analytics reads carry the tenant's state after each change (tenant_state(), migration 0290): plan,
/// cycle, price and monthly recurring revenue in cents, currency, whether complimentary, the run quota; invoices their
/// amounts; run usage the plan's quota.
/// </summary>
[Collection(ApiTests.Name)]
public sealed class TenantStateEventTests(ApiFixture api)
{
    private async Task<JsonElement> LastPayloadAsync(Guid tenant, string type) =>
        JsonDocument.Parse(await TestApi.ScalarAsync<string>(api,
            "select payload::text from event_outbox where tenant_id = @t and type = @type order by seq desc limit 1", ("t", tenant), ("type", type))).RootElement.Clone();

    private static void AssertState(JsonElement payload, string plan, string cycle, bool complimentary, long priceCents, long mrrCents, int? runsPerMonth)
    {
        Assert.Equal(plan, payload.GetProperty("tenantPlan").GetString());
        Assert.Equal(cycle, payload.GetProperty("billingCycle").GetString());
        Assert.Equal(complimentary, payload.GetProperty("complimentary").GetBoolean());
        Assert.Equal(priceCents, payload.GetProperty("priceCents").GetInt64());
        Assert.Equal(mrrCents, payload.GetProperty("mrrCents").GetInt64());
        Assert.Equal("usd", payload.GetProperty("currency").GetString());
        if (runsPerMonth is { } limit)
        {
            Assert.Equal(limit, payload.GetProperty("runsPerMonth").GetInt32());
        }
        else
        {
            Assert.Equal(JsonValueKind.Null, payload.GetProperty("runsPerMonth").ValueKind);
        }
    }

    [Fact]
    public async Task Sign_up_plan_changes_renames_and_invoices_carry_what_revenue_analytics_needs()
    {
        var tenant = await TestApi.SignUpAsync(api, name: "State Co", plan: "free");
        var created = await LastPayloadAsync(tenant.Id, "tenant.created");
        Assert.Equal("free", created.GetProperty("plan").GetString()); // the field it always had is still there
        Assert.Equal("State Co", created.GetProperty("tenantName").GetString());
        AssertState(created, "free", "monthly", complimentary: false, priceCents: 0, mrrCents: 0, runsPerMonth: 10);

        using var owner = api.CreateClient(tenant.Owner.AccessToken);
        using (var change = await TestApi.Send(owner, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "pro", cycle = "annual" }))
        {
            Assert.True(change.StatusCode == HttpStatusCode.OK, await change.Content.ReadAsStringAsync());
        }
        var upgraded = await LastPayloadAsync(tenant.Id, "billing.subscription.updated");
        Assert.Equal("free", upgraded.GetProperty("from").GetString());
        Assert.Equal("pro", upgraded.GetProperty("to").GetString());
        // 990.00 a year is 82.50 a month.
        AssertState(upgraded, "pro", "annual", complimentary: false, priceCents: 99000, mrrCents: 8250, runsPerMonth: 1000);
        var paid = await LastPayloadAsync(tenant.Id, "billing.invoice.paid");
        Assert.Equal(99000, paid.GetProperty("amountPaid").GetInt64());
        Assert.Equal("usd", paid.GetProperty("currency").GetString());
        Assert.Equal("subscription_create", paid.GetProperty("reason").GetString());

        using (var rename = await TestApi.Send(owner, HttpMethod.Patch, "/api/v1/tenant", new { name = "State Co Renamed" }))
        {
            Assert.True(rename.IsSuccessStatusCode, await rename.Content.ReadAsStringAsync());
        }
        var renamed = await LastPayloadAsync(tenant.Id, "tenant.renamed");
        Assert.Equal("State Co Renamed", renamed.GetProperty("tenantName").GetString());
        AssertState(renamed, "pro", "annual", complimentary: false, priceCents: 99000, mrrCents: 8250, runsPerMonth: 1000);

        // An operator's plan is complimentary: on the plan, bringing nothing.
        var op = await TestApi.OperatorAsync(api);
        using var operatorClient = api.CreateClient(op.AccessToken);
        using (var set = await TestApi.Send(operatorClient, HttpMethod.Patch, $"/api/v1/platform/tenants/{tenant.Id}", new { plan = "enterprise" }))
        {
            Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync());
        }
        var updated = await LastPayloadAsync(tenant.Id, "tenant.updated");
        Assert.Equal("enterprise", updated.GetProperty("plan").GetString());
        AssertState(updated, "enterprise", "annual", complimentary: true, priceCents: 499000, mrrCents: 0, runsPerMonth: null);

        using (var run = await TestApi.Send(owner, HttpMethod.Post, "/api/v1/flowsheets", new { name = "f", content = TestApi.SampleFlowsheet() }))
        {
            var flowsheet = await run.ReadJsonAsync();
            using var submitted = await TestApi.Send(owner, HttpMethod.Post, "/api/v1/runs", new { flowsheetId = flowsheet.GetProperty("id").GetGuid() });
            Assert.True(submitted.IsSuccessStatusCode, await submitted.Content.ReadAsStringAsync());
        }
        var usage = await LastPayloadAsync(tenant.Id, "usage.runs");
        Assert.Equal("enterprise", usage.GetProperty("plan").GetString());
        Assert.Equal(JsonValueKind.Null, usage.GetProperty("runsPerMonth").ValueKind);
        Assert.Equal(1, usage.GetProperty("runsThisMonth").GetInt32());
    }

    [Fact]
    public async Task An_operator_created_paid_tenant_is_complimentary_in_its_first_event()
    {
        var op = await TestApi.OperatorAsync(api);
        using var client = api.CreateClient(op.AccessToken);
        using var created = await TestApi.Send(client, HttpMethod.Post, "/api/v1/platform/tenants",
            new { name = "Made By Operator", slug = TestApi.UniqueSlug("op"), plan = "pro", ownerEmail = TestApi.UniqueEmail("invited") });
        var json = await created.ReadJsonAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, json.ToString());
        var payload = await LastPayloadAsync(json.GetProperty("id").GetGuid(), "tenant.created");
        Assert.Equal("Made By Operator", payload.GetProperty("tenantName").GetString());
        AssertState(payload, "pro", "monthly", complimentary: true, priceCents: 9900, mrrCents: 0, runsPerMonth: 1000);
    }
}
