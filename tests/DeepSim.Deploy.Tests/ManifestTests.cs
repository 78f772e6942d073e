using System.Reflection;
using System.Text.Json.Nodes;
using DeepSim.ServiceDefaults;

namespace DeepSim.Deploy.Tests;

/// <summary>The AppHost's published manifest: what azd deploys, and what deploy/kubernetes mirrors.</summary>
[Collection(PublishedManifestsDefinition.Name)]
public sealed class ManifestTests(PublishedManifests published)
{
    private static readonly string[] Servers = [ResourceNames.Postgres, ResourceNames.Redis, ResourceNames.ClickHouse];

    private static readonly string[] Services =
        [ResourceNames.ApiMigrations, ResourceNames.Api, ResourceNames.Simulation, ResourceNames.Analytics, ResourceNames.Web];

    private static readonly string[] HttpServices = [ResourceNames.Api, ResourceNames.Simulation, ResourceNames.Analytics, ResourceNames.Web];

    private static readonly string[] SecretParameters =
    [
        "postgres-owner-password", "postgres-app-password", "postgres-platform-password", "redis-password", "clickhouse-password",
        "auth-service-token", "operator-password",
    ];

    [Fact]
    public void The_manifest_publishes_and_names_every_resource_and_binding()
    {
        var manifest = published.Default;
        var expectedType = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ResourceNames.Database] = "value.v0",
            [ResourceNames.PlatformDatabase] = "value.v0",
        };
        foreach (var server in Servers)
        {
            expectedType[server] = "container.v0";
        }
        foreach (var service in Services)
        {
            expectedType[service] = "project.v0";
        }
        // Every constant but Kafka (optional) and the mail catcher (run mode only: a deployment configures its SMTP relay)
        // is a resource; a new constant without a resource fails here.
        var constants = typeof(ResourceNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(field => field.IsLiteral).Select(field => (string)field.GetRawConstantValue()!).ToList();
        Assert.Equal(constants.Where(name => name is not ResourceNames.Kafka and not ResourceNames.Mail).Order(), expectedType.Keys.Order());
        foreach (var (name, type) in expectedType)
        {
            Assert.True(manifest.TypeOf(name) == type, $"{name} is {manifest.TypeOf(name) ?? "missing"}, expected {type}");
        }

        foreach (var service in HttpServices)
        {
            var http = manifest.Resource(service)["bindings"]?["http"];
            Assert.True(http is not null, $"{service} has no http binding");
            Assert.Equal("http", http["scheme"]?.GetValue<string>());
        }
        AssertBinding(manifest.Resource(ResourceNames.Postgres), "tcp", "tcp", 5432);
        AssertBinding(manifest.Resource(ResourceNames.Redis), "tcp", "redis", 6379);
        AssertBinding(manifest.Resource(ResourceNames.ClickHouse), "http", "http", 8123);

        foreach (var parameter in SecretParameters)
        {
            Assert.Equal("parameter.v0", manifest.TypeOf(parameter));
            var input = manifest.Resource(parameter)["inputs"]?["value"];
            Assert.True(input?["secret"]?.GetValue<bool>() == true, $"{parameter} is not secret");
            Assert.True(input?["default"]?["generate"] is JsonObject, $"{parameter} has no generated default: azd would prompt for it");
        }
    }

    [Fact]
    public void Workers_get_no_database_string_and_no_signing_key()
    {
        var manifest = published.WithKafka;
        var env = manifest.Env(ResourceNames.Simulation);
        Assert.NotEmpty(env);
        Assert.DoesNotContain($"ConnectionStrings__{ResourceNames.Database}", env.Keys);
        // Nor under another name: no value, resolved, reaches PostgreSQL or its passwords (the signing keys live there).
        string[] forbidden =
        [
            ResourceNames.Postgres, ResourceNames.Database, ResourceNames.PlatformDatabase,
            "postgres-owner-password", "postgres-app-password", "postgres-platform-password",
        ];
        foreach (var (key, value) in env)
        {
            var referenced = manifest.ReferencedResources(value);
            Assert.True(!referenced.Overlaps(forbidden), $"simulation's {key} refers to {string.Join(", ", referenced.Intersect(forbidden))}");
        }
        Assert.Equal("{api.bindings.http.url}", env["services__api__http__0"]);
        Assert.Equal("{auth-service-token.value}", env["Auth__ServiceToken"]);
    }

    [Fact]
    public void The_api_gets_the_application_role_and_only_the_migrations_get_the_owner()
    {
        var manifest = published.Default;
        var key = $"ConnectionStrings__{ResourceNames.Database}";
        Assert.Equal("deepsim_app", manifest.PostgresUser(manifest.Env(ResourceNames.Api)[key]));
        Assert.Equal("deepsim_owner", manifest.PostgresUser(manifest.Env(ResourceNames.ApiMigrations)[key]));
        Assert.Contains("{postgres-owner-password.value}", manifest.Resolve(manifest.Env(ResourceNames.ApiMigrations)[key]), StringComparison.Ordinal);
        // The operator endpoints' role comes as a string of its own, to the Api alone, with a password of its own.
        var platformKey = $"ConnectionStrings__{ResourceNames.PlatformDatabase}";
        Assert.Equal("deepsim_platform", manifest.PostgresUser(manifest.Env(ResourceNames.Api)[platformKey]));
        Assert.Contains("{postgres-platform-password.value}", manifest.Resolve(manifest.Env(ResourceNames.Api)[platformKey]), StringComparison.Ordinal);
        foreach (var service in manifest.ProjectNames.Where(name => name != ResourceNames.Api))
        {
            Assert.DoesNotContain(platformKey, manifest.Env(service).Keys);
        }

        // The owner's password goes nowhere else; the migrations get nothing but their one string.
        foreach (var service in manifest.ProjectNames.Where(name => name != ResourceNames.ApiMigrations))
        {
            foreach (var (name, value) in manifest.Env(service))
            {
                Assert.False(manifest.ReferencedResources(value).Contains("postgres-owner-password"), $"{service}'s {name} carries the owner password");
            }
        }
        Assert.Equal(["migrate"], manifest.Resource(ResourceNames.ApiMigrations)["args"]!.AsArray().Select(arg => arg!.GetValue<string>()));
        Assert.Equal(manifest.Resource(ResourceNames.Api)["path"]?.GetValue<string>(), manifest.Resource(ResourceNames.ApiMigrations)["path"]?.GetValue<string>());
        Assert.DoesNotContain(manifest.Env(ResourceNames.ApiMigrations).Keys, name => name.StartsWith("Auth__", StringComparison.Ordinal));
    }

    [Fact]
    public void Kafka_appears_only_when_a_bootstrap_server_is_configured()
    {
        var kafkaSetting = $"ConnectionStrings__{ResourceNames.Kafka}";
        string[] consumers = [ResourceNames.Api, ResourceNames.Analytics];

        Assert.DoesNotContain(ResourceNames.Kafka, published.Default.Names);
        foreach (var project in published.Default.ProjectNames)
        {
            Assert.DoesNotContain(kafkaSetting, published.Default.Env(project).Keys);
        }

        var withKafka = published.WithKafka;
        Assert.Contains(ResourceNames.Kafka, withKafka.Names);
        Assert.Equal($"{{{ResourceNames.Kafka}.value}}", withKafka.Resource(ResourceNames.Kafka)["connectionString"]?.GetValue<string>());
        foreach (var project in withKafka.ProjectNames)
        {
            var env = withKafka.Env(project);
            if (consumers.Contains(project))
            {
                Assert.True(env.TryGetValue(kafkaSetting, out var value), $"{project} has no {kafkaSetting}");
                Assert.Equal($"{{{ResourceNames.Kafka}.connectionString}}", value);
            }
            else
            {
                Assert.DoesNotContain(kafkaSetting, env.Keys);
            }
        }
    }

    private static void AssertBinding(JsonObject resource, string name, string scheme, int targetPort)
    {
        var binding = resource["bindings"]?[name];
        Assert.True(binding is not null, $"no {name} binding");
        Assert.Equal(scheme, binding["scheme"]?.GetValue<string>());
        Assert.Equal(targetPort, binding["targetPort"]?.GetValue<int>());
    }
}
