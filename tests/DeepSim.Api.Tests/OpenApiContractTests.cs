using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;

namespace DeepSim.Api.Tests;

/// <summary>The OpenAPI document tells a client how to authenticate and what the Api really sends and accepts.</summary>
[Collection(ApiTests.Name)]
public sealed class OpenApiContractTests(ApiFixture api)
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    private async Task<JsonElement> DocumentAsync()
    {
        using var anonymous = api.CreateClient();
        using var response = await TestApi.Send(anonymous, HttpMethod.Get, "/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadJsonAsync();
    }

    private static string ContractPath()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepSim.sln")))
        {
            dir = dir.Parent;
        }
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("DeepSim.sln not found above " + AppContext.BaseDirectory),
            "contracts", "DeepSim.Api.json");
    }

    /// <summary>
    /// The document as a contract: parsed (formatting and property order do not count), without <c>servers</c>, which the
    /// served document fills from the request's host while the build-time one has none.
    /// </summary>
    private static JsonNode Normalised(string json)
    {
        var node = JsonNode.Parse(json)!;
        node.AsObject().Remove("servers");
        return Sorted(node)!;
    }

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Sorted).ToArray()),
        _ => node?.DeepClone(),
    };

    /// <summary>The paths where two documents differ, first few only, to say what changed.</summary>
    private static void Differences(JsonNode? a, JsonNode? b, string path, List<string> found)
    {
        if (found.Count >= 10 || JsonNode.DeepEquals(a, b))
        {
            return;
        }
        if (a is JsonObject x && b is JsonObject y)
        {
            foreach (var key in x.Select(p => p.Key).Union(y.Select(p => p.Key), StringComparer.Ordinal))
            {
                Differences(x[key], y[key], path + "." + key, found);
            }
        }
        else if (a is JsonArray l && b is JsonArray r && l.Count == r.Count)
        {
            for (var i = 0; i < l.Count; i++)
            {
                Differences(l[i], r[i], $"{path}[{i}]", found);
            }
        }
        else
        {
            var difference = $"{path}: committed {a?.ToJsonString() ?? "(absent)"}, served {b?.ToJsonString() ?? "(absent)"}";
            found.Add(difference.Length > 400 ? difference[..400] + "…" : difference);
        }
    }

    [Fact]
    public async Task The_committed_contract_is_the_document_the_Api_serves()
    {
        using var anonymous = api.CreateClient();
        using var response = await TestApi.Send(anonymous, HttpMethod.Get, "/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var served = Normalised((await response.ReadJsonAsync()).GetRawText());
        var committed = Normalised(await File.ReadAllTextAsync(ContractPath()));
        var differences = new List<string>();
        Differences(committed, served, "$", differences);
        Assert.True(differences.Count == 0,
            "contracts/DeepSim.Api.json is not the document the Api serves: build DeepSim.Api (it writes the file), run scripts/generate-api-client.sh and commit both.\n"
            + string.Join("\n", differences));
        // The comparison sees a change: the served document has operations the committed one must list too.
        Assert.True(committed["paths"]!.AsObject().ContainsKey("/api/v1/catalog/components"));
    }

    [Fact]
    public async Task Document_defines_bearer_and_api_key_schemes()
    {
        var schemes = (await DocumentAsync()).GetProperty("components").GetProperty("securitySchemes");
        var bearer = schemes.GetProperty("bearer");
        Assert.Equal("http", bearer.GetProperty("type").GetString());
        Assert.Equal("bearer", bearer.GetProperty("scheme").GetString());
        Assert.Equal("JWT", bearer.GetProperty("bearerFormat").GetString());
        // An API key travels as "Authorization: Bearer dsk_…", the header DeepSimAuthenticationHandler reads.
        var apiKey = schemes.GetProperty("apiKey");
        Assert.Equal("http", apiKey.GetProperty("type").GetString());
        Assert.Equal("bearer", apiKey.GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task Operations_that_require_authorization_have_a_security_requirement_and_anonymous_ones_none()
    {
        var paths = (await DocumentAsync()).GetProperty("paths");
        var failures = new List<string>();
        var endpoints = EndpointCatalog.All(api);
        foreach (var endpoint in endpoints)
        {
            var path = System.Text.RegularExpressions.Regex.Replace(endpoint.Template, @"\{([^}:?]+)[^}]*\}", "{$1}");
            if (!paths.TryGetProperty(path, out var item) || !item.TryGetProperty(endpoint.Method.ToLowerInvariant(), out var operation))
            {
                failures.Add($"{endpoint}: not in the document");
                continue;
            }
            // The fallback policy closes every endpoint that does not allow anonymous callers.
            var anonymous = endpoint.Endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            var names = operation.TryGetProperty("security", out var security)
                ? security.EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name)).ToHashSet()
                : [];
            if (anonymous && names.Count > 0)
            {
                failures.Add($"{endpoint}: anonymous but has security {string.Join(",", names)}");
            }
            if (!anonymous && !(names.Contains("bearer") && names.Contains("apiKey")))
            {
                failures.Add($"{endpoint}: requires authorization but has security [{string.Join(",", names)}]");
            }
        }
        Assert.True(endpoints.Count(e => e.Endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null) >= 2, "expected anonymous endpoints (sign-up, sign-in)");
        Assert.Empty(failures);
        // Nothing outside the Api's own operations (the document itself, health) asks for credentials.
        foreach (var item in paths.EnumerateObject().Where(p => !p.Name.StartsWith("/api/v1", StringComparison.Ordinal)))
        {
            foreach (var method in Methods.Where(m => item.Value.TryGetProperty(m, out _)))
            {
                Assert.False(item.Value.GetProperty(method).TryGetProperty("security", out var security) && security.GetArrayLength() > 0,
                    $"{method} {item.Name} has security");
            }
        }
        // An anonymous operation says so ("security": []), which a linter tells apart from one that forgot.
        var signIn = paths.GetProperty("/api/v1/auth/signin").GetProperty("post");
        Assert.Equal(JsonValueKind.Array, signIn.GetProperty("security").ValueKind);
        Assert.Equal(0, signIn.GetProperty("security").GetArrayLength());
    }

    private static string? ProblemSchema(JsonElement operation, string status) =>
        operation.GetProperty("responses").TryGetProperty(status, out var response)
        && response.TryGetProperty("content", out var content) && content.TryGetProperty("application/problem+json", out var problem)
            ? problem.GetProperty("schema").GetProperty("$ref").GetString()
            : null;

    [Fact]
    public async Task Every_operation_documents_the_refusals_its_pipeline_can_give_as_problems()
    {
        var paths = (await DocumentAsync()).GetProperty("paths");
        var failures = new List<string>();
        var endpoints = EndpointCatalog.All(api);
        foreach (var endpoint in endpoints)
        {
            var operation = paths.GetProperty(EndpointCatalog.DocumentPath(endpoint)).GetProperty(endpoint.Method.ToLowerInvariant());
            var anonymous = endpoint.Endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            var expected = new List<string> { "400", "503" };
            if (!anonymous)
            {
                expected.AddRange(["401", "403", "429"]);
            }
            if (endpoint.Parameters.Count > 0)
            {
                expected.Add("404");
            }
            foreach (var status in expected)
            {
                var schema = ProblemSchema(operation, status);
                if (schema is null || !schema.EndsWith("ProblemDetails", StringComparison.Ordinal))
                {
                    failures.Add($"{endpoint}: {status} is not documented as a problem ({schema ?? "absent"})");
                }
            }
            // Validation problems carry errors keyed by field path: the 400 says so.
            if (ProblemSchema(operation, "400") is { } bad && !bad.EndsWith("HttpValidationProblemDetails", StringComparison.Ordinal)
                && endpoint.Name != "flowsheets.validate")
            {
                failures.Add($"{endpoint}: its 400 is {bad}, not a validation problem");
            }
            if (!operation.GetProperty("responses").EnumerateObject().Any(r => r.Name.StartsWith('2')))
            {
                failures.Add($"{endpoint}: no success response");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // Spot checks of what only some operations give: 402 while restricted (writes), 412/428 (If-Match), 415 (a JSON body).
        var update = paths.GetProperty("/api/v1/flowsheets/{flowsheetId}").GetProperty("put");
        foreach (var status in new[] { "402", "412", "415", "428" })
        {
            Assert.NotNull(ProblemSchema(update, status));
        }
        Assert.Null(ProblemSchema(paths.GetProperty("/api/v1/flowsheets/{flowsheetId}").GetProperty("get"), "402"));
    }

    [Fact]
    public async Task Run_submission_documents_its_typed_body_its_idempotency_header_and_its_202()
    {
        var document = await DocumentAsync();
        var submit = document.GetProperty("paths").GetProperty("/api/v1/runs").GetProperty("post");
        var reference = submit.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString()!;
        var schema = document.GetProperty("components").GetProperty("schemas").GetProperty(reference.Split('/')[^1]);
        Assert.Equal("uuid", schema.GetProperty("properties").GetProperty("flowsheetId").GetProperty("format").GetString());
        Assert.Equal(["flowsheetId"], schema.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains("integer", schema.GetProperty("properties").GetProperty("version").GetProperty("type").EnumerateArray().Select(t => t.GetString()));
        Assert.False(schema.GetProperty("additionalProperties").GetBoolean());
        Assert.Contains(submit.GetProperty("parameters").EnumerateArray(),
            p => p.GetProperty("name").GetString() == "Idempotency-Key" && p.GetProperty("in").GetString() == "header");
        Assert.EndsWith("RunSubmitted", submit.GetProperty("responses").GetProperty("202").GetProperty("content").GetProperty("application/json")
            .GetProperty("schema").GetProperty("$ref").GetString(), StringComparison.Ordinal);
        Assert.NotNull(ProblemSchema(submit, "422"));
    }

    [Fact]
    public async Task No_schema_types_a_value_as_integer_or_string()
    {
        var unions = new List<string>();
        Walk(await DocumentAsync(), "$", unions);
        Assert.Empty(unions);
    }

    private static void Walk(JsonElement element, string path, List<string> unions)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            if (element.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.Array)
            {
                var types = type.EnumerateArray().Select(t => t.GetString()).ToList();
                if (types.Contains("string") && (types.Contains("integer") || types.Contains("number")))
                {
                    unions.Add($"{path}: [{string.Join(",", types)}]");
                }
            }
            foreach (var property in element.EnumerateObject())
            {
                Walk(property.Value, path + "." + property.Name, unions);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in element.EnumerateArray())
            {
                Walk(item, $"{path}[{i++}]", unions);
            }
        }
    }

    [Fact]
    public async Task Problem_schemas_permit_trace_id_and_extension_members()
    {
        var schemas = (await DocumentAsync()).GetProperty("components").GetProperty("schemas");
        var problems = schemas.EnumerateObject().Where(s => s.Name.EndsWith("ProblemDetails", StringComparison.Ordinal)).ToList();
        // Operations declare only validation problems so far; every problem schema there is must carry traceId.
        Assert.NotEmpty(problems);
        foreach (var problem in problems)
        {
            Assert.Equal("string", problem.Value.GetProperty("properties").GetProperty("traceId").GetProperty("type").GetString());
            Assert.False(problem.Value.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind == JsonValueKind.False,
                $"{problem.Name} forbids extension members");
        }
    }
}
