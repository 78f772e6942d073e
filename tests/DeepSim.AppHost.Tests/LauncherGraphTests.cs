using DeepSim.AppHost.Hosting;
using DeepSim.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace DeepSim.AppHost.Tests;

/// <summary>The launcher's graph, options and injected environment, checked without starting services.</summary>
public class LauncherGraphTests
{
    private static readonly TimeSpan StartBudget = TimeSpan.FromSeconds(120);

    internal static DistributedApplicationBuilder CreateBuilder(string stateDirectory, IDictionary<string, string?>? settings = null, IReadOnlyDictionary<string, string>? inherited = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["DeepSim:StateDirectory"] = stateDirectory,
            ["DeepSim:DashboardPort"] = "0",
            ["DeepSim:Ports:postgres"] = "0",
            ["DeepSim:Ports:redis"] = "0",
            ["DeepSim:Ports:clickhouse"] = "0",
            ["DeepSim:Ports:clickhouse-tcp"] = "0",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return new DistributedApplicationBuilder(configuration, AppHostOptions.FromConfiguration(configuration), inherited ?? new Dictionary<string, string>());
    }

    [Fact]
    public void Command_line_switches_set_the_state_folder_dashboard_port_and_service_ports()
    {
        var configuration = new ConfigurationBuilder()
            .AddCommandLine(["--state-dir", "/tmp/somewhere", "--dashboard-port", "19999", "--DeepSim:Ports:api=6001"], AppHostOptions.SwitchMappings.ToDictionary())
            .Build();

        var options = AppHostOptions.FromConfiguration(configuration);

        Assert.Equal("/tmp/somewhere", options.StateDirectory);
        Assert.Equal(19999, options.DashboardPort);
        Assert.Equal(6001, options.PreferredServicePort(ResourceNames.Api));
        Assert.Equal(5050, options.PreferredServicePort(ResourceNames.Web));
        Assert.Equal(Path.Combine(TestProcesses.RepositoryRoot, ".deepsim"), AppHostOptions.FromConfiguration(new ConfigurationBuilder().Build()).StateDirectory);
    }

    [Fact]
    public void A_bad_port_names_its_configuration_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["DeepSim:Ports:redis"] = "sixty" }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => AppHostOptions.FromConfiguration(configuration));

        Assert.Contains("DeepSim:Ports:redis", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_build_configuration_is_read_from_the_output_folder()
    {
        Assert.Equal("Release", AppHostOptions.DetectBuildConfiguration("/repo/DeepSim.AppHost/bin/Release/net10.0/"));
        Assert.Equal("Debug", AppHostOptions.DetectBuildConfiguration("/repo/DeepSim.AppHost/bin/Debug/net10.0"));
    }

    [Fact]
    public void Dependents_stop_before_what_they_depend_on()
    {
        using var folder = new TempDirectory();
        var builder = CreateBuilder(folder.Path);
        var postgres = builder.AddPostgres(ResourceNames.Postgres).AddDatabase(ResourceNames.Database);
        var redis = builder.AddRedis(ResourceNames.Redis);
        var clickhouse = builder.AddClickHouse(ResourceNames.ClickHouse);
        var migrations = builder.AddProjectCommand(AppHostResourceNames.ApiMigrations, "DeepSim.Api", "migrate").WithReference(postgres, ReferenceRole.Owner).WaitFor(postgres);
        var api = builder.AddProject(ResourceNames.Api, "DeepSim.Api").WithReference(postgres).WaitFor(postgres).WithReference(redis).WaitFor(redis).WaitForCompletion(migrations);
        builder.AddProject(ResourceNames.Analytics, "DeepSim.Analytics").WithReference(clickhouse).WaitFor(clickhouse).WithReference(api).WaitFor(api);
        builder.AddProject(ResourceNames.Web, "DeepSim.Web").WithReference(api).WaitFor(api);

        var order = DistributedApplication.StopOrder(builder.Resources).SelectMany((level, index) => level.Select(r => (r.Name, index))).ToDictionary(x => x.Name, x => x.index);

        Assert.True(order[ResourceNames.Web] < order[ResourceNames.Api]);
        Assert.True(order[ResourceNames.Analytics] < order[ResourceNames.Api]);
        Assert.True(order[ResourceNames.Analytics] < order[ResourceNames.ClickHouse]);
        Assert.True(order[ResourceNames.Api] < order[ResourceNames.Redis]);
        Assert.True(order[ResourceNames.Api] < order[AppHostResourceNames.ApiMigrations]);
        Assert.True(order[ResourceNames.Api] < order[ResourceNames.Database]);
        Assert.True(order[ResourceNames.Database] < order[ResourceNames.Postgres]);
    }

    [Fact]
    public void A_cycle_in_the_graph_is_refused()
    {
        using var folder = new TempDirectory();
        var builder = CreateBuilder(folder.Path);
        var a = builder.AddProject("a", "DeepSim.Web");
        var b = builder.AddProject("b", "DeepSim.Web").WithReference(a);
        a.WithReference(b);

        Assert.Throws<InvalidOperationException>(() => DistributedApplication.StopOrder(builder.Resources));
    }

    [Fact]
    public async Task Services_resolve_connection_strings_and_service_urls_from_the_injected_variables_alone()
    {
        using var folder = new TempDirectory();
        using var timeout = new CancellationTokenSource(StartBudget);
        var inherited = new Dictionary<string, string>
        {
            ["ConnectionStrings__leftover"] = "Host=elsewhere",
            ["services__other__http__0"] = "http://elsewhere",
            ["ASPNETCORE_URLS"] = "http://0.0.0.0:1",
            ["PATH"] = "/usr/bin",
        };
        var builder = CreateBuilder(folder.Path, new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = "127.0.0.1:9092",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4317",
            ["DeepSim:Ports:api"] = "0",
            ["DeepSim:Ports:web"] = "0",
        }, inherited);
        var postgres = builder.AddPostgres(ResourceNames.Postgres).AddDatabase(ResourceNames.Database);
        var redis = builder.AddRedis(ResourceNames.Redis);
        var kafka = builder.AddKafka(ResourceNames.Kafka);
        var token = builder.AddParameter("auth-service-token");
        var migrations = builder.AddProjectCommand(AppHostResourceNames.ApiMigrations, "DeepSim.Api", "migrate").WithReference(postgres, ReferenceRole.Owner);
        var api = builder.AddProject(ResourceNames.Api, "DeepSim.Api").WithReference(postgres).WithReference(redis).WithReference(kafka).WithEnvironment("Auth__ServiceToken", token);
        var web = builder.AddProject(ResourceNames.Web, "DeepSim.Web").WithReference(api);
        var context = builder.Context;
        await postgres.Resource.Parent.StartAsync(context, timeout.Token);
        await redis.Resource.StartAsync(context, timeout.Token);
        try
        {
            api.Resource.AssignEndpoint(context);
            web.Resource.AssignEndpoint(context);

            var apiConfiguration = AsServiceConfiguration(EnvironmentBuilder.Build(api.Resource, context));
            var migrationsConfiguration = AsServiceConfiguration(EnvironmentBuilder.Build(migrations.Resource, context));
            var webConfiguration = AsServiceConfiguration(EnvironmentBuilder.Build(web.Resource, context));

            var server = postgres.Resource.Parent.Server!;
            Assert.Equal(server.AppConnectionString, apiConfiguration.GetConnectionString(ResourceNames.Database));
            Assert.Equal(server.OwnerConnectionString, migrationsConfiguration.GetConnectionString(ResourceNames.Database));
            Assert.Equal(server.OwnerRole, new NpgsqlConnectionStringBuilder(migrationsConfiguration.GetConnectionString(ResourceNames.Database)).Username);
            Assert.Equal(redis.Resource.Server!.ConnectionString, apiConfiguration.GetConnectionString(ResourceNames.Redis));
            Assert.Equal("127.0.0.1:9092", apiConfiguration.GetConnectionString(ResourceNames.Kafka));
            Assert.Equal(api.Resource.HttpUrl, webConfiguration["services:api:http:0"]);
            Assert.Equal(web.Resource.HttpUrl, webConfiguration["ASPNETCORE_URLS"]);
            Assert.Equal("http://127.0.0.1:4317", apiConfiguration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
            Assert.Equal(ResourceNames.Web, webConfiguration["OTEL_SERVICE_NAME"]);
            Assert.Equal("Development", webConfiguration["ASPNETCORE_ENVIRONMENT"]);
            Assert.Equal(context.Secrets.GetOrCreate("auth-service-token"), apiConfiguration["Auth:ServiceToken"]);
            // The migration step serves nothing; inherited wiring never leaks into a child.
            Assert.Null(migrationsConfiguration["ASPNETCORE_URLS"]);
            Assert.Null(webConfiguration.GetConnectionString("leftover"));
            Assert.Null(webConfiguration["services:other:http:0"]);
            Assert.Null(webConfiguration.GetConnectionString(ResourceNames.Database));

            // And the strings are real: the app role reaches the database and Redis answers.
            Assert.True(await Servers.PostgresServer.ProbeAsync(apiConfiguration.GetConnectionString(ResourceNames.Database)!, timeout.Token));
            Assert.True(await Servers.RedisServer.ProbeAsync(apiConfiguration.GetConnectionString(ResourceNames.Redis)!, timeout.Token));
        }
        finally
        {
            await redis.Resource.StopAsync();
            await postgres.Resource.Parent.StopAsync();
        }
    }

    [Fact]
    public void Without_a_bootstrap_server_kafka_is_not_configured_and_injects_nothing()
    {
        using var folder = new TempDirectory();
        var builder = CreateBuilder(folder.Path, new Dictionary<string, string?> { ["DeepSim:Ports:api"] = "0" });
        var kafka = builder.AddKafka(ResourceNames.Kafka);
        var api = builder.AddProject(ResourceNames.Api, "DeepSim.Api").WithReference(kafka);
        api.Resource.AssignEndpoint(builder.Context);

        var environment = EnvironmentBuilder.Build(api.Resource, builder.Context);

        Assert.False(kafka.Resource.IsConfigured);
        Assert.DoesNotContain(environment.Keys, k => k.StartsWith("ConnectionStrings__", StringComparison.Ordinal));
    }

    /// <summary>How a service sees the variables: the environment-variable provider maps <c>__</c> to <c>:</c>.</summary>
    private static IConfiguration AsServiceConfiguration(IReadOnlyDictionary<string, string?> environment)
        => new ConfigurationBuilder()
            .AddInMemoryCollection(environment.Where(e => e.Value is not null).Select(e => KeyValuePair.Create(e.Key.Replace("__", ":", StringComparison.Ordinal), e.Value)))
            .Build();
}
