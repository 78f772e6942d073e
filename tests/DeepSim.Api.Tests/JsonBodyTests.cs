using System.Net;
using System.Text.Json;

namespace DeepSim.Api.Tests;

[Collection(ApiTests.Name)]
public sealed class JsonBodyTests(ApiFixture api)
{
    private const string ProblemJson = "application/problem+json";
    private const string ValidationType = "https://deepsim.dev/problems/validation";
    private const string BadRequestType = "https://deepsim.dev/problems/bad-request";
    private const string ServiceToken = "test-service-token-0123456789abcdef";
    private static readonly double[] Temperatures = [90.0, 95.0];

    /// <summary>Asserts a 400 problem (validation unless another type is given) whose only error is at <paramref name="field"/>, and returns its messages.</summary>
    internal static async Task<string[]> SingleFieldErrorAsync(HttpResponseMessage response, string field, string type = ValidationType)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400, got {response.StatusCode}: {text}");
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        // Clients see field paths, never the Api's .NET type names.
        Assert.DoesNotContain("DeepSim", text, StringComparison.Ordinal);
        var json = JsonDocument.Parse(text).RootElement;
        Assert.Equal(type, json.GetProperty("type").GetString());
        var errors = json.GetProperty("errors").EnumerateObject().ToList();
        Assert.True(errors.Count == 1 && errors[0].Name == field, $"expected one error at '{field}': {text}");
        return errors[0].Value.EnumerateArray().Select(m => m.GetString()!).ToArray();
    }

    [Fact]
    public async Task An_unknown_top_level_field_is_rejected_by_name_and_nothing_is_stored()
    {
        var a = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient(a.Owner.AccessToken);
        using var response = await TestApi.Send(client, HttpMethod.Post, "/api/v1/flowsheets",
            new { name = "typo", descripton = "misspelt", content = TestApi.SampleFlowsheet() });
        Assert.Equal(["is not a known field"], await SingleFieldErrorAsync(response, "descripton"));
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from flowsheets where tenant_id = @t", ("t", a.Id)));
    }

    [Fact]
    public async Task An_unknown_nested_field_is_rejected_with_its_path()
    {
        var a = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient(a.Owner.AccessToken);
        using var response = await TestApi.Send(client, HttpMethod.Post, "/api/v1/studies", new
        {
            flowsheetId = Guid.NewGuid(),
            parameters = new object[]
            {
                new { path = "$.units[1].spec.temperature.value", values = Temperatures },
                new { path = "$.units[1].spec.pressure.value", from = 1.0, to = 2.0, stpes = 3 },
            },
        });
        Assert.Equal(["is not a known field"], await SingleFieldErrorAsync(response, "parameters[1].stpes"));
    }

    [Fact]
    public async Task A_number_sent_as_a_string_is_rejected_at_its_field()
    {
        // The OpenAPI document types numbers as numbers; the binder holds clients to it.
        var a = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient(a.Owner.AccessToken);
        using var response = await TestApi.Send(client, HttpMethod.Post, "/api/v1/studies", new
        {
            flowsheetId = Guid.NewGuid(),
            version = "1",
            parameters = new object[] { new { path = "$.units[1].spec.temperature.value", values = Temperatures } },
        });
        var messages = await SingleFieldErrorAsync(response, "version");
        Assert.StartsWith("has a value of the wrong type", messages.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Free_form_content_keeps_fields_the_request_type_does_not_have()
    {
        var a = await TestApi.SignUpAsync(api);
        // The flowsheet document's own fields (components, units, streams...) are not fields of the request record.
        using var response = await TestApi.CreateFlowsheetAsync(api, a.Owner.AccessToken, "free-form");
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{response.StatusCode} {json}");
        Assert.Equal(TestApi.SampleFlowsheet().GetProperty("units").GetArrayLength(), json.GetProperty("content").GetProperty("units").GetArrayLength());
        using var client = api.CreateClient(a.Owner.AccessToken);
        using var imported = await TestApi.Send(client, HttpMethod.Post, "/api/v1/flowsheets/import?name=imported", TestApi.SampleFlowsheet());
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
    }

    [Fact]
    public async Task Malformed_json_is_a_problem_with_its_line_and_position()
    {
        var a = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient(a.Owner.AccessToken);
        using (var truncated = await TestApi.Send(client, HttpMethod.Post, "/api/v1/api-keys", """{"name": "k", "permissions": ["flowsheets.read" """))
        {
            // The body ends where the array's second element would start: that is where the reader stopped.
            var messages = await SingleFieldErrorAsync(truncated, "permissions[1]", BadRequestType);
            Assert.StartsWith("is not valid JSON (line 1, byte ", Assert.Single(messages), StringComparison.Ordinal);
        }
        using (var broken = await TestApi.Send(client, HttpMethod.Post, "/api/v1/api-keys", "{\n  \"name\": \"k\",\n  \"permissions\": }"))
        {
            var messages = await SingleFieldErrorAsync(broken, "permissions", BadRequestType);
            Assert.StartsWith("is not valid JSON (line 3, byte ", Assert.Single(messages), StringComparison.Ordinal);
        }
        using (var wrongType = await TestApi.Send(client, HttpMethod.Post, "/api/v1/api-keys", """{"name": 5, "permissions": ["flowsheets.read"]}"""))
        {
            var messages = await SingleFieldErrorAsync(wrongType, "name");
            Assert.StartsWith("has a value of the wrong type", Assert.Single(messages), StringComparison.Ordinal);
        }
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from api_keys where tenant_id = @t", ("t", a.Id)));
    }

    [Fact]
    public async Task Internal_worker_requests_with_an_unknown_field_are_rejected()
    {
        using var client = api.CreateClient(ServiceToken);
        using var response = await TestApi.Send(client, HttpMethod.Post, "/internal/v1/runs/claim-batch", new { workerId = "json-test", waitSeconds = 0, max = 1, wiatSeconds = 5 });
        Assert.Equal(["is not a known field"], await SingleFieldErrorAsync(response, "wiatSeconds"));
    }
}
