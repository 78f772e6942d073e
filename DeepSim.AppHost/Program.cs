using DeepSim.AppHost.Hosting;
using DeepSim.ServiceDefaults;

// The resource graph, Aspire-shaped: servers, then services, with what each references and waits for.
var builder = DistributedApplication.CreateBuilder(args);

var postgres = builder.AddPostgres(ResourceNames.Postgres).AddDatabase(ResourceNames.Database);
var redis = builder.AddRedis(ResourceNames.Redis);
var clickhouse = builder.AddClickHouse(ResourceNames.ClickHouse);
var kafka = builder.AddKafka(ResourceNames.Kafka);

var signingKey = builder.AddParameter("auth-signing-key", secret: true);
var serviceToken = builder.AddParameter("auth-service-token", secret: true);
// The first platform operator, created once by the Api from configuration: never a built-in password.
var operatorEmail = builder.Configuration["DeepSim:OperatorEmail"] ?? "operator@deepsim.local";
var operatorPassword = builder.AddParameter("operator-password", secret: true);

// Schema first: the Api's migration step runs once with the owner role; the Api itself gets the app role only.
var migrations = builder.AddProjectCommand(AppHostResourceNames.ApiMigrations, "DeepSim.Api", "migrate")
    .WithReference(postgres, ReferenceRole.Owner).WaitFor(postgres);

var api = builder.AddProject(ResourceNames.Api, "DeepSim.Api")
    .WithReference(postgres).WaitFor(postgres)
    .WithReference(redis).WaitFor(redis)
    .WithReference(kafka)
    .WaitForCompletion(migrations)
    .WithEnvironment("Auth__SigningKey", signingKey)
    .WithEnvironment("Auth__ServiceToken", serviceToken)
    .WithEnvironment("Setup__OperatorEmail", operatorEmail)
    .WithEnvironment("Setup__OperatorPassword", operatorPassword);

builder.AddProject(ResourceNames.Simulation, "DeepSim.Simulation")
    .WithReference(api).WaitFor(api)
    .WithEnvironment("Auth__ServiceToken", serviceToken);

builder.AddProject(ResourceNames.Analytics, "DeepSim.Analytics")
    .WithReference(clickhouse).WaitFor(clickhouse)
    .WithReference(api).WaitFor(api)
    .WithReference(kafka)
    .WithEnvironment("Auth__ServiceToken", serviceToken);

builder.AddProject(ResourceNames.Web, "DeepSim.Web")
    .WithReference(api).WaitFor(api);

await builder.Build().RunAsync();
