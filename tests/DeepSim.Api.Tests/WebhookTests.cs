using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeepSim.Api.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DeepSim.Api.Tests;

/// <summary>
/// Customer webhooks against a real receiver (Kestrel on 127.0.0.1, a random port): a completed or failed run (through
/// the worker endpoints, as a worker reports it) arrives signed; a failing receiver is retried and every attempt logged;
/// a delivery can be replayed; private and loopback targets are refused when not allowed; only admins manage webhooks,
/// and only their own tenant's.
/// </summary>
[Collection(ApiTests.Name)]
public sealed class WebhookTests(ApiFixture api) : IAsyncLifetime
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);
    private const string ServiceToken = "test-service-token-0123456789abcdef";
    private static readonly string[] RunCompleted = ["run.completed"];
    private static readonly string[] UnknownEvent = ["run.completed", "run.exploded"];
    private static readonly string[] FailedAndStudy = ["run.failed", "study.completed"];
    private static readonly double[] StudyTemperatures = [91.5, 97.5];
    private Receiver? receiver;

    public async Task InitializeAsync() => receiver = await Receiver.StartAsync();

    public async Task DisposeAsync()
    {
        if (receiver is not null)
        {
            await receiver.DisposeAsync();
        }
    }

    private static async Task<(Guid Id, string Secret)> CreateWebhookAsync(HttpClient client, string url, params string[] events)
    {
        using var response = await TestApi.Send(client, HttpMethod.Post, "/api/v1/webhooks", new { url, events });
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"webhook create failed: {response.StatusCode} {json}");
        return (json.GetProperty("webhook").GetProperty("id").GetGuid(), json.GetProperty("secret").GetString()!);
    }

    /// <summary>Checks the signature header the way a receiver would (docs/webhooks.md); returns the timestamp.</summary>
    private static long VerifySignature(Received request, string secret)
    {
        var header = request.Headers[WebhookSignature.SignatureHeader];
        var parts = header.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        var t = long.Parse(parts["t"], CultureInfo.InvariantCulture);
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(parts["t"] + "." + request.Body)));
        Assert.Equal(expected, parts["v1"]);
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - t, -5, 300);
        return t;
    }

    private async Task<Guid> SubmitRunAsync(TestTenant tenant)
    {
        using var client = api.CreateClient(tenant.Owner.AccessToken);
        using var created = await TestApi.CreateFlowsheetAsync(api, tenant.Owner.AccessToken, "wh-" + Guid.NewGuid().ToString("N")[..8]);
        var flowsheet = (await created.ReadJsonAsync()).GetProperty("id").GetGuid();
        using var submitted = await TestApi.Send(client, HttpMethod.Post, "/api/v1/runs", new { flowsheetId = flowsheet });
        var json = await submitted.ReadJsonAsync();
        Assert.True(submitted.StatusCode == HttpStatusCode.Accepted, $"submit failed: {submitted.StatusCode} {json}");
        return json.GetProperty("id").GetGuid();
    }

    /// <summary>Claims queued runs as a worker would; hands back every claimed run but <paramref name="runId"/>.</summary>
    private async Task<int> ClaimAsync(Guid runId)
    {
        using var worker = api.CreateClient(ServiceToken);
        for (var tries = 0; tries < 20; tries++)
        {
            using var response = await TestApi.Send(worker, HttpMethod.Post, "/internal/v1/runs/claim-batch", new { workerId = "webhook-test", waitSeconds = 1, max = 100 });
            if (response.StatusCode == HttpStatusCode.NoContent)
            {
                continue;
            }
            var claimed = await response.ReadJsonAsync();
            int? mine = null;
            foreach (var run in claimed.EnumerateArray())
            {
                var id = run.GetProperty("runId").GetGuid();
                var attempt = run.GetProperty("attempt").GetInt32();
                if (id == runId)
                {
                    mine = attempt;
                    continue;
                }
                using var released = await TestApi.Send(worker, HttpMethod.Post, $"/internal/v1/runs/{id}/report",
                    new { workerId = "webhook-test", attempt, outcome = "released", reason = "not this test's run", retryable = true });
            }
            if (mine is { } found)
            {
                return found;
            }
        }
        throw new InvalidOperationException($"run {runId} was never claimed");
    }

    private async Task CompleteRunAsync(Guid runId)
    {
        var attempt = await ClaimAsync(runId);
        using var worker = api.CreateClient(ServiceToken);
        // Not converged, so the result cache keeps nothing of this made-up result.
        using var response = await TestApi.Send(worker, HttpMethod.Post, "/internal/v1/runs/complete-batch", new
        {
            workerId = "webhook-test",
            results = new[] { new { runId, attempt, converged = false, failureReason = "webhook test", solverSeconds = 0.25, result = new { streams = Array.Empty<object>() } } },
        });
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK && json.GetProperty("results")[0].GetProperty("accepted").GetBoolean(), $"complete failed: {json}");
    }

    private async Task FailRunAsync(Guid runId)
    {
        var attempt = await ClaimAsync(runId);
        using var worker = api.CreateClient(ServiceToken);
        using var response = await TestApi.Send(worker, HttpMethod.Post, $"/internal/v1/runs/{runId}/report",
            new { workerId = "webhook-test", attempt, outcome = "failed", reason = "the solver crashed (webhook test)", retryable = false });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<JsonElement> WaitForDeliveryAsync(HttpClient client, Guid webhookId, Func<JsonElement, bool> done, string what)
    {
        JsonElement last = default;
        await TestApi.WaitUntilAsync(async () =>
        {
            using var response = await client.GetAsync(new Uri($"/api/v1/webhooks/{webhookId}/deliveries", UriKind.Relative));
            last = await response.ReadJsonAsync();
            return last.GetProperty("items").EnumerateArray().Any(done);
        }, Budget, what);
        return last.GetProperty("items").EnumerateArray().First(done);
    }

    [Fact]
    public async Task A_completed_and_a_failed_run_arrive_signed_once_each_and_the_delivery_log_shows_them()
    {
        var tenant = await TestApi.SignUpAsync(api);
        using var owner = api.CreateClient(tenant.Owner.AccessToken);
        var (webhookId, secret) = await CreateWebhookAsync(owner, receiver!.Url("/hooks/runs"), "run.completed", "run.failed");
        Assert.StartsWith(WebhookSignature.SecretPrefix, secret, StringComparison.Ordinal);

        var completed = await SubmitRunAsync(tenant);
        await CompleteRunAsync(completed);
        var arrived = await receiver.WaitForAsync(r => r.Body.Contains(completed.ToString(), StringComparison.Ordinal), Budget);
        VerifySignature(arrived, secret);
        Assert.Equal("/hooks/runs", arrived.Path);
        Assert.Equal("run.completed", arrived.Headers[WebhookSignature.EventHeader]);
        Assert.StartsWith("application/json", arrived.Headers["Content-Type"], StringComparison.Ordinal);
        using (var body = JsonDocument.Parse(arrived.Body))
        {
            var root = body.RootElement;
            Assert.Equal("run.completed", root.GetProperty("type").GetString());
            Assert.Equal(tenant.Id, root.GetProperty("tenantId").GetGuid());
            var data = root.GetProperty("data");
            Assert.Equal(completed, data.GetProperty("runId").GetGuid());
            Assert.Equal("completed", data.GetProperty("status").GetString());
            Assert.False(data.GetProperty("converged").GetBoolean());
            Assert.Equal(0.25, data.GetProperty("solverSeconds").GetDouble());
        }

        var failed = await SubmitRunAsync(tenant);
        await FailRunAsync(failed);
        var failure = await receiver.WaitForAsync(r => r.Body.Contains(failed.ToString(), StringComparison.Ordinal), Budget);
        VerifySignature(failure, secret);
        Assert.Equal("run.failed", failure.Headers[WebhookSignature.EventHeader]);
        Assert.Contains("the solver crashed", failure.Body, StringComparison.Ordinal);

        var delivery = await WaitForDeliveryAsync(owner, webhookId,
            d => d.GetProperty("eventType").GetString() == "run.completed" && d.GetProperty("status").GetString() == "succeeded", "the delivery marked succeeded");
        Assert.Equal(arrived.Headers[WebhookSignature.DeliveryHeader], delivery.GetProperty("id").GetGuid().ToString());
        var log = delivery.GetProperty("attemptLog");
        Assert.Equal(1, log.GetArrayLength());
        Assert.Equal(200, log[0].GetProperty("statusCode").GetInt32());
        Assert.Equal(completed, delivery.GetProperty("payload").GetProperty("data").GetProperty("runId").GetGuid());

        // Exactly once per event and endpoint: more dispatcher passes add nothing.
        await Task.Delay(1000);
        Assert.Equal(1, receiver.Count(r => r.Body.Contains(completed.ToString(), StringComparison.Ordinal)));
        Assert.Equal(2L, await TestApi.ScalarAsync<long>(api, "select count(*) from webhook_deliveries where endpoint_id = @w", ("w", webhookId)));
    }

    [Fact]
    public async Task A_study_is_delivered_once_when_its_last_run_has_ended()
    {
        var tenant = await TestApi.SignUpAsync(api);
        using var owner = api.CreateClient(tenant.Owner.AccessToken);
        var (webhookId, secret) = await CreateWebhookAsync(owner, receiver!.Url("/hooks/studies"), "study.completed");
        using var created = await TestApi.CreateFlowsheetAsync(api, tenant.Owner.AccessToken, "wh-study-" + Guid.NewGuid().ToString("N")[..8]);
        var flowsheet = (await created.ReadJsonAsync()).GetProperty("id").GetGuid();
        using var study = await TestApi.Send(owner, HttpMethod.Post, "/api/v1/studies", new
        {
            flowsheetId = flowsheet, name = "webhook study",
            parameters = new[] { new { path = "$.units[1].spec.temperature.value", values = StudyTemperatures } },
        });
        var studyJson = await study.ReadJsonAsync();
        Assert.True(study.StatusCode == HttpStatusCode.Created, $"study create: {study.StatusCode} {studyJson}");
        var studyId = studyJson.GetProperty("id").GetGuid();
        await using var db = await api.OpenOwnerAsync();
        var runs = new List<Guid>();
        await using (var select = new NpgsqlCommand("select id from runs where study_id = @s order by study_point", db))
        {
            select.Parameters.AddWithValue("s", studyId);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                runs.Add(reader.GetGuid(0));
            }
        }
        Assert.Equal(2, runs.Count);

        await CompleteRunAsync(runs[0]);
        await Task.Delay(1000);
        Assert.Equal(0, receiver.Count(r => r.Path == "/hooks/studies" && r.Body.Contains(studyId.ToString(), StringComparison.Ordinal)));

        await FailRunAsync(runs[1]);
        var arrived = await receiver.WaitForAsync(r => r.Path == "/hooks/studies" && r.Body.Contains(studyId.ToString(), StringComparison.Ordinal), Budget);
        VerifySignature(arrived, secret);
        Assert.Equal("study.completed", arrived.Headers[WebhookSignature.EventHeader]);
        using (var body = JsonDocument.Parse(arrived.Body))
        {
            var data = body.RootElement.GetProperty("data");
            Assert.Equal(studyId, data.GetProperty("studyId").GetGuid());
            Assert.Equal(2, data.GetProperty("total").GetInt32());
            Assert.Equal(1, data.GetProperty("completed").GetInt32());
            Assert.Equal(1, data.GetProperty("failed").GetInt32());
        }
        await Task.Delay(1000);
        Assert.Equal(1, receiver.Count(r => r.Path == "/hooks/studies"));
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from webhook_deliveries where endpoint_id = @w", ("w", webhookId)));
    }

    [Fact]
    public async Task A_receiver_failing_twice_is_retried_with_every_attempt_logged_and_a_replay_sends_it_again()
    {
        var tenant = await TestApi.SignUpAsync(api);
        using var owner = api.CreateClient(tenant.Owner.AccessToken);
        var path = "/hooks/flaky-" + Guid.NewGuid().ToString("N")[..8];
        receiver!.AnswerWith(path, 500, 500);
        var (webhookId, secret) = await CreateWebhookAsync(owner, receiver.Url(path), "run.completed");

        using var test = await TestApi.Send(owner, HttpMethod.Post, $"/api/v1/webhooks/{webhookId}/test");
        Assert.Equal(HttpStatusCode.Accepted, test.StatusCode);
        var deliveryId = (await test.ReadJsonAsync()).GetProperty("id").GetGuid();

        var delivery = await WaitForDeliveryAsync(owner, webhookId, d => d.GetProperty("status").GetString() == "succeeded", "the third attempt to succeed");
        Assert.Equal(deliveryId, delivery.GetProperty("id").GetGuid());
        Assert.Equal(3, delivery.GetProperty("attempts").GetInt32());
        var log = delivery.GetProperty("attemptLog").EnumerateArray().ToList();
        Assert.Equal([500, 500, 200], log.Select(a => a.GetProperty("statusCode").GetInt32()));
        Assert.Equal([1, 2, 3], log.Select(a => a.GetProperty("number").GetInt32()));
        Assert.Equal("HTTP 500", log[0].GetProperty("error").GetString());
        Assert.Contains("flaky", log[0].GetProperty("responseBody").GetString()!, StringComparison.Ordinal);
        var sent = receiver.All(r => r.Path == path);
        Assert.Equal(3, sent.Count);
        Assert.All(sent, r => VerifySignature(r, secret));
        Assert.All(sent, r => Assert.Equal(deliveryId.ToString(), r.Headers[WebhookSignature.DeliveryHeader]));
        Assert.Equal("webhook.test", sent[0].Headers[WebhookSignature.EventHeader]);

        using var replay = await TestApi.Send(owner, HttpMethod.Post, $"/api/v1/webhooks/{webhookId}/deliveries/{deliveryId}/replay");
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        await receiver.WaitForAsync(r => r.Path == path, Budget, count: 4);
        var replayed = await WaitForDeliveryAsync(owner, webhookId,
            d => d.GetProperty("status").GetString() == "succeeded" && d.GetProperty("attemptLog").GetArrayLength() == 4, "the replay logged");
        Assert.Equal(1, replayed.GetProperty("replays").GetInt32());
        Assert.Equal(sent[0].Body, receiver.All(r => r.Path == path)[3].Body);
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api,
            "select count(*) from audit_log where tenant_id = @t and action = 'webhooks.deliveries.replay' and outcome = 'success' and target = @d",
            ("t", tenant.Id), ("d", deliveryId.ToString())));
    }

    [Fact]
    public async Task A_receiver_that_never_answers_2xx_fails_the_delivery_after_the_configured_attempts()
    {
        var tenant = await TestApi.SignUpAsync(api);
        using var owner = api.CreateClient(tenant.Owner.AccessToken);
        var path = "/hooks/down-" + Guid.NewGuid().ToString("N")[..8];
        receiver!.AnswerWith(path, 503, 503, 503, 503, 503, 503);
        var (webhookId, _) = await CreateWebhookAsync(owner, receiver.Url(path), "study.completed");
        using var test = await TestApi.Send(owner, HttpMethod.Post, $"/api/v1/webhooks/{webhookId}/test");
        var delivery = await WaitForDeliveryAsync(owner, webhookId, d => d.GetProperty("status").GetString() == "failed", "the delivery to fail");
        // ApiFixture sets Webhooks:MaxAttempts = 4.
        Assert.Equal(4, delivery.GetProperty("attemptLog").GetArrayLength());
        Assert.Equal(503, delivery.GetProperty("lastStatusCode").GetInt32());
        await Task.Delay(800);
        Assert.Equal(4, receiver.Count(r => r.Path == path));
    }

    [Fact]
    public async Task Redirects_are_not_followed()
    {
        var tenant = await TestApi.SignUpAsync(api);
        using var owner = api.CreateClient(tenant.Owner.AccessToken);
        var path = "/hooks/moved-" + Guid.NewGuid().ToString("N")[..8];
        receiver!.AnswerWith(path, 302, 302, 302, 302);
        var (webhookId, _) = await CreateWebhookAsync(owner, receiver.Url(path), "run.completed");
        using var test = await TestApi.Send(owner, HttpMethod.Post, $"/api/v1/webhooks/{webhookId}/test");
        var delivery = await WaitForDeliveryAsync(owner, webhookId, d => d.GetProperty("status").GetString() == "failed", "the redirected delivery to fail");
        Assert.Equal(302, delivery.GetProperty("lastStatusCode").GetInt32());
        Assert.Contains("redirects are not followed", delivery.GetProperty("lastError").GetString()!, StringComparison.Ordinal);
        Assert.Equal(0, receiver.Count(r => r.Path == path + "/redirected"));
    }

    [Fact]
    public async Task Several_api_replicas_send_each_delivery_once()
    {
        // Two more Api hosts on the same database: three dispatchers claim from the same deliveries.
        await using var second = api.CreateFactory(new Dictionary<string, string?>());
        await using var third = api.CreateFactory(new Dictionary<string, string?>());
        using (second.CreateClient())
        using (third.CreateClient())
        {
        }
        var tenant = await TestApi.SignUpAsync(api);
        using var owner = api.CreateClient(tenant.Owner.AccessToken);
        var path = "/hooks/replicas-" + Guid.NewGuid().ToString("N")[..8];
        var (webhookId, _) = await CreateWebhookAsync(owner, receiver!.Url(path), "run.completed");
        var ids = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            using var test = await TestApi.Send(owner, HttpMethod.Post, $"/api/v1/webhooks/{webhookId}/test");
            ids.Add((await test.ReadJsonAsync()).GetProperty("id").GetString()!);
        }
        await receiver.WaitForAsync(r => r.Path == path, Budget, count: ids.Count);
        await TestApi.WaitUntilAsync(async () => await TestApi.ScalarAsync<long>(api,
            "select count(*) from webhook_deliveries where endpoint_id = @w and status = 'succeeded'", ("w", webhookId)) == ids.Count, Budget, "all marked succeeded");
        await Task.Delay(1000);
        var received = receiver.All(r => r.Path == path).Select(r => r.Headers[WebhookSignature.DeliveryHeader]).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), received.Order(StringComparer.Ordinal));
        Assert.Equal((long)ids.Count, await TestApi.ScalarAsync<long>(api,
            "select count(*) from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id where d.endpoint_id = @w", ("w", webhookId)));
    }

    [Fact]
    public async Task Private_loopback_and_metadata_targets_are_refused_at_registration_and_at_connect_when_not_allowed()
    {
        await using var strict = api.CreateFactory(new Dictionary<string, string?>
        {
            ["Webhooks:AllowPrivateTargets"] = "false",
            ["Webhooks:AllowHttp"] = "false",
        });
        var tenant = await TestApi.SignUpAsync(api);
        using var client = strict.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tenant.Owner.AccessToken);
        foreach (var (url, says) in new[]
        {
            ("https://127.0.0.1/hook", "loopback"),
            ("https://169.254.169.254/latest/meta-data/", "link-local"),
            ("https://10.0.0.1/hook", "private"),
            ("https://192.168.1.20/hook", "private"),
            ("https://100.64.0.1/hook", "CGNAT"),
            ("https://localhost:8443/hook", "loopback"),
            ("https://[::1]/hook", "loopback"),
            ("https://[fd00::1]/hook", "unique-local"),
            ("https://0.0.0.0/hook", "unspecified"),
            ("http://203.0.113.9/hook", "https"),
            ("ftp://example.com/hook", "https"),
            ("/relative/hook", "absolute"),
        })
        {
            using var response = await TestApi.Send(client, HttpMethod.Post, "/api/v1/webhooks", new { url, events = RunCompleted });
            var json = await response.ReadJsonAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{url}: {response.StatusCode} {json}");
            Assert.Contains(says, json.GetProperty("errors").GetProperty("url")[0].GetString()!, StringComparison.Ordinal);
        }
        using (var badEvents = await TestApi.Send(client, HttpMethod.Post, "/api/v1/webhooks", new { url = "https://203.0.113.9/", events = UnknownEvent }))
        {
            var json = await badEvents.ReadJsonAsync();
            Assert.Equal(HttpStatusCode.BadRequest, badEvents.StatusCode);
            Assert.True(json.GetProperty("errors").TryGetProperty("events[1]", out _), json.ToString());
        }
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from webhook_endpoints where tenant_id = @t", ("t", tenant.Id)));

        // At delivery time the connected address is what counts (a name may resolve elsewhere by then): the client refuses it.
        using var http = WebhookDispatcher.CreateClient(new WebhookSettings { AllowPrivateTargets = false, TimeoutMilliseconds = 5000 });
        var path = "/hooks/never-" + Guid.NewGuid().ToString("N")[..8];
        foreach (var url in new[] { receiver!.Url(path), receiver.Url(path).Replace("127.0.0.1", "localhost", StringComparison.Ordinal) })
        {
            var error = await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync(new Uri(url), new StringContent("{}")));
            Assert.IsType<WebhookTargetRefusedException>(error.InnerException);
        }
        Assert.Equal(0, receiver.Count(r => r.Path == path));

        Assert.Null(WebhookTargets.NonPublicReason(IPAddress.Parse("93.184.216.34")));
        Assert.Null(WebhookTargets.NonPublicReason(IPAddress.Parse("2606:4700::1111")));
        Assert.Contains("private", WebhookTargets.NonPublicReason(IPAddress.Parse("::ffff:10.1.2.3")), StringComparison.Ordinal);
        Assert.Contains("private", WebhookTargets.NonPublicReason(IPAddress.Parse("172.20.0.1")), StringComparison.Ordinal);
        Assert.Null(WebhookTargets.NonPublicReason(IPAddress.Parse("172.32.0.1")));
        Assert.Contains("multicast", WebhookTargets.NonPublicReason(IPAddress.Parse("239.1.1.1")), StringComparison.Ordinal);
        Assert.Contains("link-local", WebhookTargets.NonPublicReason(IPAddress.Parse("fe80::1")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Viewers_and_engineers_cannot_manage_webhooks_and_the_refusal_is_audited()
    {
        var tenant = await TestApi.SignUpAsync(api);
        using var owner = api.CreateClient(tenant.Owner.AccessToken);
        var (webhookId, _) = await CreateWebhookAsync(owner, receiver!.Url("/hooks/roles"), "run.completed");
        foreach (var role in new[] { "viewer", "engineer" })
        {
            var member = await TestApi.AddMemberAsync(api, tenant, role);
            using var client = api.CreateClient(member.Tokens.AccessToken);
            using var create = await TestApi.Send(client, HttpMethod.Post, "/api/v1/webhooks", new { url = receiver.Url("/hooks/x"), events = RunCompleted });
            Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
            using var list = await client.GetAsync(new Uri("/api/v1/webhooks", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
            using var rotate = await TestApi.Send(client, HttpMethod.Post, $"/api/v1/webhooks/{webhookId}/rotate-secret");
            Assert.Equal(HttpStatusCode.Forbidden, rotate.StatusCode);
            Assert.Equal(1L, await TestApi.ScalarAsync<long>(api,
                "select count(*) from audit_log where tenant_id = @t and action = 'webhooks.create' and outcome = 'denied' and status_code = 403 and actor_user_id = @u",
                ("t", tenant.Id), ("u", member.UserId)));
        }
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from webhook_endpoints where tenant_id = @t", ("t", tenant.Id)));
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api,
            "select count(*) from audit_log where tenant_id = @t and action = 'webhooks.create' and outcome = 'success' and target = @w",
            ("t", tenant.Id), ("w", webhookId.ToString())));
    }

    [Fact]
    public async Task Another_tenant_sees_none_of_the_endpoints_and_the_application_role_cannot_read_a_secret()
    {
        var a = await TestApi.SignUpAsync(api);
        var b = await TestApi.SignUpAsync(api);
        using var ownerA = api.CreateClient(a.Owner.AccessToken);
        using var ownerB = api.CreateClient(b.Owner.AccessToken);
        var (webhookId, secret) = await CreateWebhookAsync(ownerA, receiver!.Url("/hooks/a"), "run.completed");
        using var test = await TestApi.Send(ownerA, HttpMethod.Post, $"/api/v1/webhooks/{webhookId}/test");
        var deliveryId = (await test.ReadJsonAsync()).GetProperty("id").GetGuid();
        await WaitForDeliveryAsync(ownerA, webhookId, d => d.GetProperty("status").GetString() == "succeeded", "A's test delivery");

        using (var list = await ownerB.GetAsync(new Uri("/api/v1/webhooks", UriKind.Relative)))
        {
            Assert.Equal(0, (await list.ReadJsonAsync()).GetArrayLength());
        }
        foreach (var (method, url) in new[]
        {
            (HttpMethod.Get, $"/api/v1/webhooks/{webhookId}"),
            (HttpMethod.Delete, $"/api/v1/webhooks/{webhookId}"),
            (HttpMethod.Post, $"/api/v1/webhooks/{webhookId}/rotate-secret"),
            (HttpMethod.Post, $"/api/v1/webhooks/{webhookId}/test"),
            (HttpMethod.Get, $"/api/v1/webhooks/{webhookId}/deliveries"),
            (HttpMethod.Get, $"/api/v1/webhooks/{webhookId}/deliveries/{deliveryId}"),
            (HttpMethod.Post, $"/api/v1/webhooks/{webhookId}/deliveries/{deliveryId}/replay"),
        })
        {
            using var response = await TestApi.Send(ownerB, method, url);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {url}: {response.StatusCode}");
        }
        using (var patch = await TestApi.Send(ownerB, HttpMethod.Patch, $"/api/v1/webhooks/{webhookId}", new { enabled = false }))
        {
            Assert.Equal(HttpStatusCode.NotFound, patch.StatusCode);
        }
        using (var get = await ownerA.GetAsync(new Uri($"/api/v1/webhooks/{webhookId}", UriKind.Relative)))
        {
            var json = await get.ReadJsonAsync();
            Assert.True(json.GetProperty("enabled").GetBoolean());
            Assert.DoesNotContain(secret, json.ToString(), StringComparison.Ordinal);
        }

        // The secret is written by the application but never readable by it.
        await using var connection = await api.OpenAppAsync();
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await using var set = new NpgsqlCommand($"select set_config('app.tenant_id', '{a.Id}', true)", connection, tx);
            await set.ExecuteScalarAsync();
            await using var read = new NpgsqlCommand("select secret from webhook_endpoints", connection, tx);
            var denied = await Assert.ThrowsAsync<PostgresException>(() => read.ExecuteScalarAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
        }

        // Rotation: the answer has the new secret, and the next delivery is signed with it.
        using var rotated = await TestApi.Send(ownerA, HttpMethod.Post, $"/api/v1/webhooks/{webhookId}/rotate-secret");
        var newSecret = (await rotated.ReadJsonAsync()).GetProperty("secret").GetString()!;
        Assert.NotEqual(secret, newSecret);
        using var again = await TestApi.Send(ownerA, HttpMethod.Post, $"/api/v1/webhooks/{webhookId}/test");
        var secondId = (await again.ReadJsonAsync()).GetProperty("id").GetGuid().ToString();
        var second = await receiver.WaitForAsync(r => r.Headers.GetValueOrDefault(WebhookSignature.DeliveryHeader) == secondId, Budget);
        VerifySignature(second, newSecret);

        using var deleted = await TestApi.Send(ownerA, HttpMethod.Delete, $"/api/v1/webhooks/{webhookId}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from webhook_deliveries where endpoint_id = @w", ("w", webhookId)));
    }

    [Fact]
    public async Task Updates_validate_with_field_paths_and_a_disabled_endpoint_gets_no_deliveries()
    {
        var tenant = await TestApi.SignUpAsync(api);
        using var owner = api.CreateClient(tenant.Owner.AccessToken);
        var (webhookId, _) = await CreateWebhookAsync(owner, receiver!.Url("/hooks/upd"), "run.completed");
        using (var bad = await TestApi.Send(owner, HttpMethod.Patch, $"/api/v1/webhooks/{webhookId}", new { events = Array.Empty<string>(), url = "not a url" }))
        {
            var json = await bad.ReadJsonAsync();
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.True(json.GetProperty("errors").TryGetProperty("events", out _), json.ToString());
            Assert.True(json.GetProperty("errors").TryGetProperty("url", out _), json.ToString());
        }
        using (var ok = await TestApi.Send(owner, HttpMethod.Patch, $"/api/v1/webhooks/{webhookId}", new { events = FailedAndStudy, enabled = false }))
        {
            var json = await ok.ReadJsonAsync();
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal(["run.failed", "study.completed"], json.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
            Assert.False(json.GetProperty("enabled").GetBoolean());
            Assert.Equal(receiver.Url("/hooks/upd"), json.GetProperty("url").GetString());
        }
        var run = await SubmitRunAsync(tenant);
        await FailRunAsync(run);
        await Task.Delay(1000);
        Assert.Equal(0, receiver.Count(r => r.Body.Contains(run.ToString(), StringComparison.Ordinal)));
    }

    /// <summary>A request the receiver got.</summary>
    private sealed record Received(string Path, Dictionary<string, string> Headers, string Body);

    /// <summary>A webhook receiver: Kestrel on 127.0.0.1 (random port), answering per path from a script, then 200.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly ConcurrentQueue<Received> received = new();
        private readonly ConcurrentDictionary<string, ConcurrentQueue<int>> scripts = new(StringComparer.Ordinal);
        private WebApplication app = null!;
        private string root = "";

        public static async Task<Receiver> StartAsync()
        {
            var receiver = new Receiver();
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            app.MapPost("/{**path}", async (HttpContext context) =>
            {
                using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
                var body = await reader.ReadToEndAsync();
                var path = context.Request.Path.ToString();
                receiver.received.Enqueue(new Received(path,
                    context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body));
                var status = receiver.scripts.TryGetValue(path, out var script) && script.TryDequeue(out var scripted) ? scripted : 200;
                context.Response.StatusCode = status;
                if (status is >= 300 and < 400)
                {
                    context.Response.Headers.Location = path + "/redirected";
                }
                await context.Response.WriteAsync(status == 200 ? "ok" : "flaky receiver says " + status);
            });
            await app.StartAsync();
            receiver.app = app;
            receiver.root = app.Urls.Single().TrimEnd('/');
            return receiver;
        }

        public string Url(string path) => root + path;

        /// <summary>The next answers on <paramref name="path"/>; after them, 200.</summary>
        public void AnswerWith(string path, params int[] statuses) => scripts[path] = new ConcurrentQueue<int>(statuses);

        public List<Received> All(Func<Received, bool> match) => received.Where(match).ToList();

        public int Count(Func<Received, bool> match) => received.Count(match);

        public async Task<Received> WaitForAsync(Func<Received, bool> match, TimeSpan budget, int count = 1)
        {
            await TestApi.WaitUntilAsync(() => Task.FromResult(received.Count(match) >= count), budget, "a webhook at the receiver");
            return received.Where(match).ElementAt(count - 1);
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
