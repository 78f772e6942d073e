using System.Reflection;
using System.Text.Json;
using DeepSim.Api.Auth;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace DeepSim.Api.Tests;

/// <summary>Text PostgreSQL cannot store (NUL, lone surrogates) and absurd paging, sent to every endpoint: 400s, never 500s.</summary>
[Collection(ApiTests.Name)]
public sealed class BadInputTests(ApiFixture api)
{
    // JSON-escaped, so the body itself is valid JSON and only the decoded text is bad.
    private static readonly (string Label, string Json)[] BadJsonStrings = [("NUL", "\"a\\u0000b\""), ("lone surrogate", "\"a\\ud800b\"")];

    [Fact]
    public async Task Nul_and_lone_surrogates_in_any_body_field_or_query_parameter_are_400s_keyed_by_the_field_and_change_nothing()
    {
        var tenant = await TestApi.SignUpAsync(api);
        var op = await TestApi.OperatorAsync(api);
        // Refused requests are audited (that is the point of the audit), so the audit log is the one table that grows.
        var before = await TestApi.TenantSnapshotAsync(api, tenant.Id, includeAudit: false);
        var failures = new List<string>();
        var calls = 0;
        var invalidUtf8 = new List<(ApiEndpoint Endpoint, string? Bearer, string Url, string? Body)>();
        foreach (var endpoint in EndpointCatalog.All(api))
        {
            var bearer = endpoint.Permission == Permission.Anonymous ? null : OperatorOnly(endpoint.Permission) ? op.AccessToken : tenant.Owner.AccessToken;
            using var client = api.CreateClient(bearer);
            var url = EndpointCatalog.Url(endpoint, name => name == "version" ? "1" : Guid.NewGuid().ToString());
            foreach (var (field, body) in BadBodies(endpoint))
            {
                calls++;
                using var response = await TestApi.Send(client, new HttpMethod(endpoint.Method), url, body, IfMatch);
                await Expect400(response, $"{endpoint} body {field}", field, failures);
            }
            foreach (var (name, isText) in QueryParameters(endpoint))
            {
                var body = endpoint.Method is "POST" or "PUT" or "PATCH" ? "{}" : null;
                calls++;
                using (var response = await TestApi.Send(client, new HttpMethod(endpoint.Method), $"{url}?{name}=a%00b", body, IfMatch))
                {
                    if (isText)
                    {
                        await Expect400(response, $"{endpoint} ?{name}=NUL", "query." + name, failures);
                    }
                    else if ((int)response.StatusCode >= 500)
                    {
                        failures.Add($"{endpoint} ?{name}=NUL: server error {(int)response.StatusCode}");
                    }
                }
                // Invalid UTF-8 (an encoded lone surrogate) decodes to U+FFFD, which is storable: such a call is not refused,
                // so it runs after the snapshot check, and must simply not crash.
                invalidUtf8.Add((endpoint, bearer, $"{url}?{name}=a%ED%A0%80b", body));
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {calls} calls failed:\n{string.Join('\n', failures)}");
        Assert.True(calls >= 40, $"only {calls} calls were made");
        Assert.Equal(before, await TestApi.TenantSnapshotAsync(api, tenant.Id, includeAudit: false));
        Assert.True(await TestApi.ScalarAsync<long>(api,
            "select count(*) from audit_log where tenant_id = @t and status_code = 400 and details->>'refused' is not null", ("t", tenant.Id)) > 0);
        foreach (var (endpoint, bearer, url, body) in invalidUtf8)
        {
            using var client = api.CreateClient(bearer);
            using var response = await TestApi.Send(client, new HttpMethod(endpoint.Method), url, body, IfMatch);
            Assert.True((int)response.StatusCode < 500, $"{endpoint} {url}: server error {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task Sign_in_with_a_nul_in_the_email_is_a_400_naming_email()
    {
        using var client = api.CreateClient();
        using var response = await TestApi.Send(client, HttpMethod.Post, "/api/v1/auth/signin", "{\"email\":\"a\\u0000@example.test\",\"password\":\"x\"}");
        var failures = new List<string>();
        await Expect400(response, "sign-in", "email", failures);
        Assert.Empty(failures);
    }

    [Fact]
    public async Task A_lone_surrogate_deep_in_flowsheet_content_is_a_400_naming_its_path()
    {
        var tenant = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient(tenant.Owner.AccessToken);
        using var response = await TestApi.Send(client, HttpMethod.Post, "/api/v1/flowsheets",
            "{\"name\":\"ok\",\"content\":{\"units\":[{},{},{\"name\":\"x\\udc00\"}]}}");
        var failures = new List<string>();
        await Expect400(response, "flowsheets.create", "content.units[2].name", failures);
        Assert.Empty(failures);
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from flowsheets where tenant_id = @t", ("t", tenant.Id)));
    }

    [Theory]
    [InlineData("2147483647", "100")]
    [InlineData("2147483647", "2147483647")]
    [InlineData("21474837", "100")]
    public async Task Paging_far_beyond_the_end_on_every_list_endpoint_is_an_empty_page_not_a_500(string page, string pageSize)
    {
        var tenant = await TestApi.SignUpAsync(api);
        var op = await TestApi.OperatorAsync(api);
        var failures = new List<string>();
        string webhookId;
        var lists = EndpointCatalog.All(api).Where(e => e.Method == "GET" && QueryParameters(e).Any(p => p.Name == "page")).ToList();
        // Lists under a resource need one that exists (any other id is a 404).
        using (var owner = api.CreateClient(tenant.Owner.AccessToken))
        using (var webhook = await TestApi.Send(owner, HttpMethod.Post, "/api/v1/webhooks", new { url = "http://127.0.0.1:9/paging", events = PagingWebhookEvents, enabled = false }))
        {
            webhookId = (await webhook.ReadJsonAsync()).GetProperty("webhook").GetProperty("id").GetString()!;
        }
        Assert.True(lists.Count >= 6, $"only {lists.Count} list endpoints found");
        foreach (var endpoint in lists)
        {
            var bearer = OperatorOnly(endpoint.Permission) ? op.AccessToken : tenant.Owner.AccessToken;
            using var client = api.CreateClient(bearer);
            var url = EndpointCatalog.Url(endpoint, name => name == "webhookId" ? webhookId : Guid.NewGuid().ToString());
            using var response = await TestApi.Send(client, HttpMethod.Get, $"{url}?page={page}&pageSize={pageSize}");
            var json = await response.ReadJsonAsync();
            // Clamped, not refused: no list holds that many rows, so the page is simply empty.
            if ((int)response.StatusCode != 200 || json.GetProperty("items").GetArrayLength() != 0)
            {
                failures.Add($"{endpoint}: {(int)response.StatusCode} {json}");
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    private static readonly string[] PagingWebhookEvents = ["run.completed"];

    private static readonly Dictionary<string, string> IfMatch = new() { ["If-Match"] = "\"v1\"" };

    private static async Task Expect400(HttpResponseMessage response, string what, string field, List<string> failures)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        if (status != 400)
        {
            failures.Add($"{what}: expected 400 naming {field}, got {status} {text}");
            return;
        }
        using var json = JsonDocument.Parse(text);
        if (!json.RootElement.TryGetProperty("errors", out var errors) || !errors.TryGetProperty(field, out _))
        {
            failures.Add($"{what}: 400 without an error for {field}: {text}");
        }
    }

    /// <summary>One body per string field of the endpoint's request type (and per bad kind of string), the field path it should name.</summary>
    private static IEnumerable<(string Field, string Body)> BadBodies(ApiEndpoint endpoint)
    {
        var type = endpoint.Endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
        if (type is null)
        {
            yield break;
        }
        foreach (var (_, bad) in BadJsonStrings)
        {
            var content = "{\"units\":[{},{},{\"name\":" + bad + "}]}";
            if (type == typeof(JsonElement))
            {
                yield return ("units[2].name", content);
                continue;
            }
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var name = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
                var valueType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
                if (valueType == typeof(string))
                {
                    yield return (name, $"{{\"{name}\":{bad}}}");
                }
                else if (valueType == typeof(JsonElement))
                {
                    yield return ($"{name}.units[2].name", $"{{\"{name}\":{content}}}");
                }
                else if (valueType == typeof(string[]) || valueType.IsGenericType && valueType.GetGenericArguments() is [var item] && item == typeof(string))
                {
                    yield return ($"{name}[1]", $"{{\"{name}\":[\"ok\",{bad}]}}");
                }
            }
        }
    }

    /// <summary>The handler's parameters bound from the query string: simple types not in the route and not from the body.</summary>
    private static IEnumerable<(string Name, bool IsText)> QueryParameters(ApiEndpoint endpoint)
    {
        var method = endpoint.Endpoint.Metadata.GetMetadata<MethodInfo>();
        foreach (var parameter in method?.GetParameters() ?? [])
        {
            var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
            var simple = type == typeof(string) || type.IsPrimitive || type.IsEnum || type == typeof(Guid) || type == typeof(DateTimeOffset) || type == typeof(DateOnly);
            if (!simple || parameter.GetCustomAttribute<FromBodyAttribute>() is not null || parameter.GetCustomAttribute<FromHeaderAttribute>() is not null
                || endpoint.Parameters.Contains(parameter.Name!, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }
            yield return (parameter.GetCustomAttribute<FromQueryAttribute>()?.Name ?? parameter.Name!, type == typeof(string));
        }
    }

    /// <summary>A permission the platform operator holds and a tenant owner does not: its endpoints are called as the operator.</summary>
    private static bool OperatorOnly(Permission? permission) =>
        permission is { } p && PermissionTable.For(Roles.PlatformOperator).Contains(p) && !PermissionTable.For(Roles.Owner).Contains(p);
}
