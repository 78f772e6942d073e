using System.Net;
using DeepSim.Api.Auth;
using Microsoft.AspNetCore.Http.Metadata;

namespace DeepSim.Api.Tests;

/// <summary>Tests generated from the endpoint/permission table: every endpoint, every role, every id.</summary>
[Collection(ApiTests.Name)]
public sealed class GeneratedEndpointTests(ApiFixture api)
{
    private const string Anonymous = "anonymous";
    private const string ReadOnlyKey = "api-key(flowsheets.read)";
    private static readonly string[] ReadOnlyKeyPermissions = ["flowsheets.read"];
    private static readonly string[] SweepWebhookEvents = ["run.completed"];
    private static readonly double[] StudyTemperatures = [90.0, 95.0];

    [Fact]
    public void Every_endpoint_declares_one_permission_a_name_a_summary_and_a_tag()
    {
        var endpoints = EndpointCatalog.All(api);
        Assert.True(endpoints.Count >= 30, $"expected the whole Api, found {endpoints.Count} endpoints");
        var problems = endpoints.Where(e => e.Permission is null || e.Name.Length == 0
                || e.Endpoint.Metadata.GetMetadata<IEndpointSummaryMetadata>() is null
                || e.Endpoint.Metadata.GetMetadata<ITagsMetadata>() is null)
            .Select(e => e.ToString()).ToList();
        Assert.Empty(problems);
        Assert.Equal(endpoints.Count, endpoints.Select(e => e.Name).Distinct(StringComparer.Ordinal).Count());
    }

    private static bool Allowed(Permission permission, string caller) => permission switch
    {
        Permission.Anonymous => true,
        Permission.Authenticated => caller != Anonymous,
        _ when caller == Anonymous => false,
        _ when caller == ReadOnlyKey => ReadOnlyKeyPermissions.Contains(PermissionTable.Name(permission)),
        _ => PermissionTable.For(caller).Contains(permission),
    };

    [Fact]
    public async Task Every_endpoint_allows_or_denies_every_role_as_the_permission_table_says()
    {
        var failures = new List<string>();
        var calls = 0;
        var documented = await EndpointCatalog.DocumentedStatusesAsync(api);
        // A platform analyst: a person of a tenant of their own, granted the role once.
        var (analystTenant, _) = await TestApi.AnalystAsync(api);
        foreach (var endpoint in EndpointCatalog.All(api))
        {
            // Fresh tokens per endpoint too: an allowed sign-out revokes the token that made it.
            var op = await TestApi.OperatorAsync(api);
            var analyst = await TestApi.SignInAsync(api, analystTenant.OwnerEmail, analystTenant.OwnerPassword, asAnalyst: true);
            // A fresh tenant per endpoint: allowed calls may sign out or delete the tenant.
            var tenant = await TestApi.SignUpAsync(api);
            var callers = new Dictionary<string, string?>
            {
                [Anonymous] = null,
                [Roles.Owner] = tenant.Owner.AccessToken,
                [Roles.PlatformOperator] = op.AccessToken,
                [Roles.PlatformAnalyst] = analyst.AccessToken,
                [ReadOnlyKey] = await ApiKeysTests.CreateKeyAsync(api, tenant.Owner.AccessToken, ReadOnlyKeyPermissions),
            };
            foreach (var role in new[] { Roles.Viewer, Roles.Engineer, Roles.Admin })
            {
                callers[role] = (await TestApi.AddMemberAsync(api, tenant, role)).Tokens.AccessToken;
            }
            // The owner goes last: an allowed owner call may delete the tenant everyone else is in.
            foreach (var (caller, bearer) in callers.OrderBy(c => c.Key == Roles.Owner))
            {
                var url = EndpointCatalog.Url(endpoint, name => name == "version" ? "1" : Guid.NewGuid().ToString());
                using var client = api.CreateClient(bearer);
                var body = endpoint.Method is "POST" or "PUT" or "PATCH" ? "{}" : null;
                using var response = await TestApi.Send(client, new HttpMethod(endpoint.Method), url, body);
                calls++;
                var status = (int)response.StatusCode;
                if (!documented(endpoint, status))
                {
                    failures.Add($"{endpoint} as {caller}: answered {status}, which its OpenAPI operation does not list");
                }
                var expectAllowed = Allowed(endpoint.Permission!.Value, caller);
                var denied = status is 401 or 403;
                if (expectAllowed && denied)
                {
                    failures.Add($"{endpoint} as {caller}: expected allowed, got {status}");
                }
                else if (!expectAllowed && status != (caller == Anonymous ? 401 : 403))
                {
                    failures.Add($"{endpoint} as {caller}: expected {(caller == Anonymous ? 401 : 403)}, got {status}");
                }
                else if (status >= 500)
                {
                    failures.Add($"{endpoint} as {caller}: server error {status}");
                }
                else if (status == 403 && !(await response.Content.ReadAsStringAsync()).Contains($"\"requiredPermission\":\"{PermissionTable.Name(endpoint.Permission!.Value)}\"", StringComparison.Ordinal))
                {
                    failures.Add($"{endpoint} as {caller}: the 403 does not name the missing permission {PermissionTable.Name(endpoint.Permission!.Value)}");
                }
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {calls} calls broke the table:\n{string.Join('\n', failures)}");
        Assert.True(calls >= 30 * 8, $"only {calls} calls were made");
    }

    [Fact]
    public async Task Every_route_with_an_id_answers_404_to_another_tenant_and_changes_nothing()
    {
        var a = await TestApi.SignUpAsync(api);
        var b = await TestApi.SignUpAsync(api);
        var viewer = await TestApi.AddMemberAsync(api, a, Roles.Viewer);
        await TestApi.InviteAsync(api, a.Owner.AccessToken, TestApi.UniqueEmail("pending"), Roles.Engineer);
        var invitationId = await TestApi.ScalarAsync<Guid>(api, "select id from invitations where tenant_id = @t and accepted_at is null", ("t", a.Id));
        var keySecret = await ApiKeysTests.CreateKeyAsync(api, a.Owner.AccessToken, ReadOnlyKeyPermissions);
        var apiKeyId = Guid.ParseExact(keySecret.Split('_')[2], "N");
        using var created = await TestApi.CreateFlowsheetAsync(api, a.Owner.AccessToken, "secret-design");
        var flowsheetId = (await created.ReadJsonAsync()).GetProperty("id").GetGuid();
        string runId;
        using (var ownerClient = api.CreateClient(a.Owner.AccessToken))
        using (var run = await TestApi.Send(ownerClient, HttpMethod.Post, "/api/v1/runs", new { flowsheetId }))
        {
            var json = await run.ReadJsonAsync();
            Assert.True(run.IsSuccessStatusCode, $"could not submit a run in tenant A: {(int)run.StatusCode} {json}");
            runId = json.GetProperty("id").GetString()!;
        }
        var ids = new Dictionary<string, string>
        {
            ["flowsheetId"] = flowsheetId.ToString(),
            ["version"] = "1",
            ["userId"] = viewer.UserId.ToString(),
            ["invitationId"] = invitationId.ToString(),
            ["apiKeyId"] = apiKeyId.ToString(),
            ["tenantId"] = a.Id.ToString(),
            ["runId"] = runId,
        };
        var catalog = EndpointCatalog.All(api);
        if (catalog.Any(e => e.Name == "studies.create"))
        {
            using var ownerClient = api.CreateClient(a.Owner.AccessToken);
            using var study = await TestApi.Send(ownerClient, HttpMethod.Post, "/api/v1/studies", new
            {
                flowsheetId,
                name = "sweep-study",
                parameters = new[] { new { path = "$.units[1].spec.temperature.value", values = StudyTemperatures } },
            });
            var json = await study.ReadJsonAsync();
            Assert.True(study.IsSuccessStatusCode, $"could not start a study in tenant A: {(int)study.StatusCode} {json}");
            ids["studyId"] = json.GetProperty("id").GetString()!;
        }
        if (catalog.Any(e => e.Name == "billing.invoices.get"))
        {
            using var ownerClient = api.CreateClient(a.Owner.AccessToken);
            using var change = await TestApi.Send(ownerClient, HttpMethod.Put, "/api/v1/billing/subscription", new { plan = "enterprise" });
            var json = await change.ReadJsonAsync();
            Assert.True(change.IsSuccessStatusCode, $"could not change tenant A's plan: {(int)change.StatusCode} {json}");
            ids["invoiceId"] = json.GetProperty("invoice").GetProperty("id").GetString()!;
        }
        if (catalog.Any(e => e.Name == "webhooks.create"))
        {
            // Disabled, so the dispatcher leaves its test delivery alone and the tenant snapshot holds still.
            using var ownerClient = api.CreateClient(a.Owner.AccessToken);
            using var webhook = await TestApi.Send(ownerClient, HttpMethod.Post, "/api/v1/webhooks",
                new { url = "http://127.0.0.1:9/sweep", events = SweepWebhookEvents, enabled = false });
            var json = await webhook.ReadJsonAsync();
            Assert.True(webhook.IsSuccessStatusCode, $"could not register a webhook in tenant A: {(int)webhook.StatusCode} {json}");
            ids["webhookId"] = json.GetProperty("webhook").GetProperty("id").GetString()!;
            using var test = await TestApi.Send(ownerClient, HttpMethod.Post, $"/api/v1/webhooks/{ids["webhookId"]}/test");
            ids["deliveryId"] = (await test.ReadJsonAsync()).GetProperty("id").GetString()!;
        }
        var bodies = new Dictionary<string, object>
        {
            ["flowsheets.update"] = new { name = "stolen", content = TestApi.SampleFlowsheet() },
            ["team.members.role"] = new { role = "owner" },
            ["platform.tenants.update"] = new { plan = "enterprise" },
        };
        var before = await TestApi.TenantSnapshotAsync(api, a.Id);
        var swept = new List<string>();
        var failures = new List<string>();
        var documented = await EndpointCatalog.DocumentedStatusesAsync(api);
        foreach (var endpoint in catalog.Where(e => e.Parameters.Count > 0))
        {
            var missing = endpoint.Parameters.Where(p => !ids.ContainsKey(p)).ToList();
            Assert.True(missing.Count == 0, $"{endpoint}: the sweep has no tenant-A value for {string.Join(", ", missing)}; add one");
            using var client = api.CreateClient(b.Owner.AccessToken);
            using var response = await TestApi.Send(client, new HttpMethod(endpoint.Method), EndpointCatalog.Url(endpoint, p => ids[p]),
                bodies.GetValueOrDefault(endpoint.Name) ?? (endpoint.Method is "POST" or "PUT" or "PATCH" ? new { } : null),
                new Dictionary<string, string> { ["If-Match"] = "\"v1\"" });
            swept.Add(endpoint.ToString());
            // Platform routes are for operators: a tenant's owner is refused before any lookup.
            var expected = endpoint.Permission is Permission.PlatformTenants or Permission.PlatformAudit or Permission.PlatformAnalysts
                ? HttpStatusCode.Forbidden : HttpStatusCode.NotFound;
            if (response.StatusCode != expected)
            {
                failures.Add($"{endpoint}: expected {(int)expected}, got {(int)response.StatusCode}");
            }
            if (!documented(endpoint, (int)response.StatusCode))
            {
                failures.Add($"{endpoint}: answered {(int)response.StatusCode}, which its OpenAPI operation does not list");
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.True(swept.Count >= 15, $"only {swept.Count} routes with ids were swept");
        Assert.Equal(before, await TestApi.TenantSnapshotAsync(api, a.Id));
        // A's data is still there and still A's (the snapshot compared the rows, this checks it is not empty).
        Assert.Contains("secret-design", before, StringComparison.Ordinal);
    }
}
