using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSim.Api.Auth;
using DeepSim.Api.Catalog;
using DeepSim.Engine.Components;
using DeepSim.Engine.Flowsheets;

namespace DeepSim.Api.Tests;

/// <summary>The catalog the web palette is drawn from, and validation of a flowsheet that is not stored.</summary>
[Collection(ApiTests.Name)]
public sealed class CatalogTests(ApiFixture api)
{
    private const string Components = "/api/v1/catalog/components";
    private static readonly string[] SearchedFields = ["name", "formula", "cas"];

    private async Task<JsonElement> GetAsync(string bearer, string url)
    {
        using var client = api.CreateClient(bearer);
        using var response = await TestApi.Send(client, HttpMethod.Get, url);
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {json}");
        return json;
    }

    private static List<string> Names(JsonElement page) =>
        page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!).ToList();

    [Fact]
    public async Task Components_are_found_by_name_formula_and_cas_number_case_insensitively()
    {
        var tenant = await TestApi.SignUpAsync(api);
        foreach (var query in new[] { "benzene", "BENZENE", "C6H6", "c6h6", "71-43-2" })
        {
            var page = await GetAsync(tenant.Owner.AccessToken, $"{Components}?search={Uri.EscapeDataString(query)}");
            var first = page.GetProperty("items")[0];
            // The exact match comes first: "C6H6" is benzene's formula and a prefix of phenol's (C6H6O).
            Assert.True(first.GetProperty("name").GetString() == "Benzene", $"{query}: {page}");
            Assert.Equal("71-43-2", first.GetProperty("cas").GetString());
            Assert.Equal("C6H6", first.GetProperty("formula").GetString());
            Assert.Equal(0.07811184, first.GetProperty("molarMassKgPerMol").GetDouble(), 8);
            Assert.Equal(353.24, first.GetProperty("normalBoilingPointK").GetDouble(), 6);
            Assert.Equal(562.05, first.GetProperty("criticalTemperatureK").GetDouble(), 6);
            Assert.Equal(4895000.0, first.GetProperty("criticalPressurePa").GetDouble(), 3);
            Assert.Equal(0.209, first.GetProperty("acentricFactor").GetDouble(), 6);
        }
        var byFormula = Names(await GetAsync(tenant.Owner.AccessToken, $"{Components}?search=C6H6"));
        Assert.Contains("Phenol", byFormula);
        Assert.Empty(Names(await GetAsync(tenant.Owner.AccessToken, $"{Components}?search=no-such-compound-xyz")));
    }

    [Fact]
    public async Task Exact_matches_come_before_prefix_matches_and_prefix_before_contains()
    {
        var tenant = await TestApi.SignUpAsync(api);
        var page = await GetAsync(tenant.Owner.AccessToken, $"{Components}?search=METHANE&pageSize=100");
        var items = page.GetProperty("items").EnumerateArray().ToList();
        int Rank(JsonElement item)
        {
            var fields = SearchedFields.Select(f => item.GetProperty(f).GetString()!).ToList();
            return fields.Any(f => f.Equals("methane", StringComparison.OrdinalIgnoreCase)) ? 0
                : fields.Any(f => f.StartsWith("methane", StringComparison.OrdinalIgnoreCase)) ? 1
                : fields.Any(f => f.Contains("methane", StringComparison.OrdinalIgnoreCase)) ? 2
                : 3;
        }
        var ranks = items.Select(Rank).ToList();
        Assert.DoesNotContain(3, ranks);
        // Methane itself, then names starting with it (methane-diol), then names containing it (nitromethane).
        Assert.Equal("Methane", items[0].GetProperty("name").GetString());
        Assert.Equal(ranks.Order().ToList(), ranks);
        Assert.Equal([0, 1, 2], ranks.Distinct().ToList());
        Assert.Equal(items.Count, page.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Components_page_through_the_whole_database_and_clamp_an_oversized_page()
    {
        var tenant = await TestApi.SignUpAsync(api);
        // 558 entries, two of them a second data set under a name already listed, which a flowsheet cannot select.
        Assert.Equal(558, ComponentDatabase.Default.All.Count);
        var names = ComponentDatabase.Default.All.Select(c => c.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count();
        Assert.Equal(556, names);
        var first = await GetAsync(tenant.Owner.AccessToken, $"{Components}?pageSize=100");
        Assert.Equal(names, first.GetProperty("total").GetInt64());
        var all = new List<string>();
        for (var page = 1; page <= 6; page++)
        {
            all.AddRange(Names(await GetAsync(tenant.Owner.AccessToken, $"{Components}?page={page}&pageSize=100")));
        }
        Assert.Equal(names, all.Count);
        Assert.Equal(names, all.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Empty(Names(await GetAsync(tenant.Owner.AccessToken, $"{Components}?page=7&pageSize=100")));
        var second = await GetAsync(tenant.Owner.AccessToken, $"{Components}?page=2&pageSize=10");
        Assert.Equal(all.Skip(10).Take(10).ToList(), Names(second));
        Assert.Equal(2, second.GetProperty("pageNumber").GetInt32());
        var clamped = await GetAsync(tenant.Owner.AccessToken, $"{Components}?pageSize=100000&page=0");
        Assert.Equal(100, clamped.GetProperty("pageSize").GetInt32());
        Assert.Equal(1, clamped.GetProperty("pageNumber").GetInt32());
        Assert.Equal(all.Take(100).ToList(), Names(clamped));
        // A default page is the list endpoints' default size.
        Assert.Equal(20, Names(await GetAsync(tenant.Owner.AccessToken, Components)).Count);
    }

    [Fact]
    public async Task A_page_or_page_size_that_is_not_a_number_is_a_validation_problem_at_the_parameter()
    {
        var tenant = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient(tenant.Owner.AccessToken);
        foreach (var (query, field) in new[] { ("page=abc", "query.page"), ("pageSize=1.5", "query.pageSize"), ("search=x&page=9999999999", "query.page") })
        {
            using var response = await TestApi.Send(client, HttpMethod.Get, $"{Components}?{query}");
            var json = await response.ReadJsonAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{query}: {(int)response.StatusCode} {json}");
            Assert.Equal("https://deepsim.dev/problems/validation", json.GetProperty("type").GetString());
            Assert.True(json.GetProperty("errors").TryGetProperty(field, out _), $"{query}: {json}");
        }
        // The same on the other lists: the binder is shared.
        using var flowsheets = await TestApi.Send(client, HttpMethod.Get, "/api/v1/flowsheets?pageSize=ten");
        Assert.True((await flowsheets.ReadJsonAsync()).GetProperty("errors").TryGetProperty("query.pageSize", out _));
    }

    [Fact]
    public async Task A_name_the_database_lists_twice_is_offered_once_with_the_data_the_engine_resolves_it_to()
    {
        var tenant = await TestApi.SignUpAsync(api);
        var items = (await GetAsync(tenant.Owner.AccessToken, $"{Components}?search=65-85-0")).GetProperty("items").EnumerateArray().ToList();
        var benzoic = Assert.Single(items);
        Assert.Equal(ComponentDatabase.Default.Find("Benzoic acid")!.MolarMass, benzoic.GetProperty("molarMassKgPerMol").GetDouble());
        Assert.Equal(2, ComponentDatabase.Default.All.Count(c => c.Cas == "65-85-0"));
    }

    [Fact]
    public void A_compound_without_a_normal_boiling_point_has_null_not_nan()
    {
        var item = CatalogEndpoints.ToItem(new Component { Name = "x", MolarMass = 0.01, CriticalTemperatureK = 300, CriticalPressurePa = 1e6, AcentricFactor = 0.1 });
        Assert.Null(item.NormalBoilingPointK);
    }

    [Fact]
    public async Task Catalog_and_validate_refuse_anonymous_callers_with_401()
    {
        using var anonymous = api.CreateClient();
        foreach (var url in new[] { Components, Components + "?search=benzene", "/api/v1/catalog/unit-types", "/api/v1/catalog/property-packages" })
        {
            using var response = await TestApi.Send(anonymous, HttpMethod.Get, url);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"GET {url}: {(int)response.StatusCode}");
        }
        using var validate = await TestApi.Send(anonymous, HttpMethod.Post, "/api/v1/flowsheets/validate", TestApi.SampleFlowsheetJson);
        Assert.Equal(HttpStatusCode.Unauthorized, validate.StatusCode);
    }

    [Fact]
    public async Task Every_role_an_operator_and_a_read_only_api_key_may_read_the_catalog()
    {
        var tenant = await TestApi.SignUpAsync(api);
        var bearers = new List<string>
        {
            tenant.Owner.AccessToken,
            (await TestApi.AddMemberAsync(api, tenant, Roles.Viewer)).Tokens.AccessToken,
            (await TestApi.OperatorAsync(api)).AccessToken,
            await ApiKeysTests.CreateKeyAsync(api, tenant.Owner.AccessToken, ["flowsheets.read"]),
        };
        foreach (var bearer in bearers)
        {
            Assert.NotEmpty(Names(await GetAsync(bearer, Components + "?search=water")));
        }
    }

    [Fact]
    public async Task Unit_types_are_the_engine_readers_with_their_ports()
    {
        var tenant = await TestApi.SignUpAsync(api);
        var types = (await GetAsync(tenant.Owner.AccessToken, "/api/v1/catalog/unit-types")).EnumerateArray().ToDictionary(
            t => t.GetProperty("type").GetString()!,
            t => (Inlets: t.GetProperty("inlets").EnumerateArray().Select(p => p.GetString()!).ToList(),
                  Outlets: t.GetProperty("outlets").EnumerateArray().Select(p => p.GetString()!).ToList()));
        Assert.Equal(["in"], types["flash"].Inlets);
        Assert.Equal(["vapor", "liquid"], types["flash"].Outlets);
        Assert.Equal(["*"], types["mixer"].Inlets);
        Assert.Equal(["out"], types["mixer"].Outlets);
        Assert.Empty(types["feed"].Inlets);
        Assert.Equal(["hotIn", "coldIn"], types["heatExchanger"].Inlets);
        Assert.Equal(FlowsheetReader.UnitTypeNames, types.Keys.ToList());
        Assert.Equal(20, types.Count);
        Assert.Equal(["vapor", "light", "heavy"], types["threePhaseSeparator"].Outlets);
        Assert.Equal(["in"], types["equilibriumReactor"].Inlets);
        Assert.Equal(["out"], types["pfr"].Outlets);
    }

    [Fact]
    public void The_engine_lists_the_unit_types_its_reader_names_when_it_refuses_one()
    {
        var result = FlowsheetReader.Read("""{ "components": ["water"], "propertyPackage": "ideal", "units": [ { "id": "X", "type": "?" } ], "streams": [] }""",
            DefaultThermoCatalog.Instance);
        var message = result.Errors.Single(e => e.Path == "$.units[0].type").Message;
        var accepted = message[(message.IndexOf("accepted: ", StringComparison.Ordinal) + "accepted: ".Length)..].Split(", ");
        Assert.Equal(accepted, FlowsheetReader.UnitTypeNames);
        Assert.Null(FlowsheetReader.PortsOf("Flash"));
        Assert.Equal(["vapor", "liquid"], FlowsheetReader.PortsOf("flash")!.Outlets);
    }

    [Fact]
    public async Task Property_packages_are_the_engines_with_their_options()
    {
        var tenant = await TestApi.SignUpAsync(api);
        var packages = (await GetAsync(tenant.Owner.AccessToken, "/api/v1/catalog/property-packages")).EnumerateArray().ToList();
        Assert.Equal(DefaultThermoCatalog.Instance.PackageNames, packages.Select(p => p.GetProperty("name").GetString()!).ToList());
        var pr = packages.Single(p => p.GetProperty("name").GetString() == "peng-robinson");
        var constants = pr.GetProperty("options").EnumerateArray().Single(o => o.GetProperty("key").GetString() == "constants");
        Assert.Equal(["exact", "rounded-1976"], constants.GetProperty("values").EnumerateArray().Select(v => v.GetString()!).ToList());
        Assert.Equal("exact", constants.GetProperty("default").GetString());
        Assert.Equal(0, packages.Single(p => p.GetProperty("name").GetString() == "ideal").GetProperty("options").GetArrayLength());
    }

    private static readonly string[] OptionKeys = ["constants", "kappa", "kij", "kijDefaults", "volumeTranslation"];

    private static IReadOnlyList<FlowsheetError> ReadWithPackage(JsonObject package)
    {
        var document = JsonNode.Parse(TestApi.SampleFlowsheetJson)!.AsObject();
        document["propertyPackage"] = package;
        return FlowsheetReader.Read(document.ToJsonString(), DefaultThermoCatalog.Instance).Errors;
    }

    private static JsonNode PairList() => JsonNode.Parse("""[ { "components": ["benzene", "toluene"], "value": 0.01 } ]""")!;

    [Fact]
    public void The_package_table_describes_exactly_the_engines_packages_and_every_option_value_it_lists_is_accepted()
    {
        Assert.Equal(DefaultThermoCatalog.Instance.PackageNames.Order(StringComparer.Ordinal), PropertyPackageCatalog.DescribedNames.Order(StringComparer.Ordinal));
        var failures = new List<string>();
        foreach (var package in PropertyPackageCatalog.All)
        {
            foreach (var option in package.Options)
            {
                Assert.Equal(option.Default, option.Values[0]);
                var values = option.Values.Select(v => (JsonNode)JsonValue.Create(v)).ToList();
                if (option.AcceptsPairList)
                {
                    values.Add(PairList());
                }
                foreach (var value in values)
                {
                    var errors = ReadWithPackage(new JsonObject { ["name"] = package.Name, [option.Key] = value.DeepClone() });
                    if (errors.Count > 0)
                    {
                        failures.Add($"{package.Name} {option.Key}={value.ToJsonString()}: {string.Join("; ", errors.Select(e => $"{e.Path} {e.Message}"))}");
                    }
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void Options_the_table_does_not_list_for_a_package_are_refused_by_the_engine()
    {
        // kijDefaults and kij "none" are accepted (and change nothing) even where the table lists no kij options, so the
        // refusals checked are the ones the engine makes: a non-default constants, kappa or volumeTranslation, a kij override list.
        var nonDefault = new Dictionary<string, JsonNode>
        {
            ["constants"] = JsonValue.Create("rounded-1976"),
            ["kappa"] = JsonValue.Create("1978"),
            ["volumeTranslation"] = JsonValue.Create("peneloux"),
            ["kij"] = PairList(),
        };
        var failures = new List<string>();
        var checkedCount = 0;
        foreach (var package in PropertyPackageCatalog.All)
        {
            foreach (var key in OptionKeys.Where(k => nonDefault.ContainsKey(k) && package.Options.All(o => o.Key != k)))
            {
                checkedCount++;
                if (ReadWithPackage(new JsonObject { ["name"] = package.Name, [key] = nonDefault[key].DeepClone() }).Count == 0)
                {
                    failures.Add($"{package.Name} accepts {key}, which the table does not list for it");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.True(checkedCount >= 15, $"only {checkedCount} refusals checked");
    }

    private const string Validate = "/api/v1/flowsheets/validate";

    internal static string ExampleFile(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepSim.sln")))
        {
            dir = dir.Parent;
        }
        return File.ReadAllText(Path.Combine(dir?.FullName ?? throw new InvalidOperationException("DeepSim.sln not found above " + AppContext.BaseDirectory), "examples", name));
    }

    private static async Task<JsonElement> ValidateAsync(HttpClient client, string body)
    {
        using var response = await TestApi.Send(client, HttpMethod.Post, Validate, body);
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"validate: {(int)response.StatusCode} {json}");
        return json;
    }

    private static List<(string Path, string Message)> Errors(JsonElement result) =>
        result.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("path").GetString()!, e.GetProperty("message").GetString()!)).ToList();

    [Fact]
    public async Task A_viewer_validates_the_example_flowsheet_as_valid_and_nothing_is_stored_or_audited()
    {
        var tenant = await TestApi.SignUpAsync(api);
        var viewer = await TestApi.AddMemberAsync(api, tenant, Roles.Viewer);
        var before = await TestApi.TenantSnapshotAsync(api, tenant.Id);
        using var client = api.CreateClient(viewer.Tokens.AccessToken);
        var result = await ValidateAsync(client, ExampleFile("benzene-toluene-flash.json"));
        Assert.True(result.GetProperty("valid").GetBoolean(), result.ToString());
        Assert.Empty(Errors(result));
        var invalid = await ValidateAsync(client, "{}");
        Assert.False(invalid.GetProperty("valid").GetBoolean());
        // No flowsheet, version, outbox event or audit row: validation computes an answer and changes nothing.
        Assert.Equal(before, await TestApi.TenantSnapshotAsync(api, tenant.Id));
    }

    [Fact]
    public async Task A_bad_spec_is_reported_with_the_engines_error_at_its_path()
    {
        var tenant = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient(tenant.Owner.AccessToken);
        var document = JsonNode.Parse(ExampleFile("benzene-toluene-flash.json"))!.AsObject();
        document["units"]![1]!["spec"]!["temperature"] = "hot";
        document["units"]![2]!["spec"] = new JsonObject { ["pressure"] = 1 };
        var text = document.ToJsonString();
        var result = await ValidateAsync(client, text);
        Assert.False(result.GetProperty("valid").GetBoolean());
        var engine = FlowsheetReader.Read(text, DefaultThermoCatalog.Instance).Errors.Select(e => (e.Path, e.Message)).ToList();
        Assert.NotEmpty(engine);
        Assert.Equal(engine, Errors(result));
        Assert.Contains(Errors(result), e => e.Path == "$.units[1].spec.temperature");
    }

    [Fact]
    public async Task A_body_that_is_not_an_object_or_too_large_is_invalid_at_the_root_and_broken_json_is_a_400()
    {
        var tenant = await TestApi.SignUpAsync(api);
        using var client = api.CreateClient(tenant.Owner.AccessToken);
        foreach (var body in new[] { "[1,2]", "\"flowsheet\"", "42", "null" })
        {
            var result = await ValidateAsync(client, body);
            Assert.False(result.GetProperty("valid").GetBoolean());
            Assert.Equal([("$", "must be a JSON object")], Errors(result));
        }
        var huge = JsonNode.Parse(TestApi.SampleFlowsheetJson)!.AsObject();
        huge["description"] = new string('x', 4 * 1024 * 1024 + 1);
        var tooLarge = await ValidateAsync(client, huge.ToJsonString());
        Assert.False(tooLarge.GetProperty("valid").GetBoolean());
        Assert.Equal("$", Errors(tooLarge).Single().Path);
        Assert.Contains("at most", Errors(tooLarge).Single().Message, StringComparison.Ordinal);
        using var broken = await TestApi.Send(client, HttpMethod.Post, Validate, "{ \"units\": [");
        var problem = await broken.ReadJsonAsync();
        Assert.True(broken.StatusCode == HttpStatusCode.BadRequest, $"{(int)broken.StatusCode} {problem}");
        Assert.Equal("https://deepsim.dev/problems/bad-request", problem.GetProperty("type").GetString());
        using var nul = await TestApi.Send(client, HttpMethod.Post, Validate, "{ \"name\": \"a\\u0000b\" }");
        var nulProblem = await nul.ReadJsonAsync();
        Assert.True(nul.StatusCode == HttpStatusCode.BadRequest, $"{(int)nul.StatusCode} {nulProblem}");
        Assert.True(nulProblem.GetProperty("errors").TryGetProperty("name", out _), nulProblem.ToString());
    }
}
