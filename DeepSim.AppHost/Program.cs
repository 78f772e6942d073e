using DeepSim.AppHost.Hosting;
using DeepSim.AppHost.LocalServers;
using DeepSim.ServiceDefaults;

// The resource graph and nothing else. Run mode: servers are the machine's Debian binaries under DCP; publish mode:
// the same names as containers (the Add… extensions choose).
var builder = DistributedApplication.CreateBuilder(args);
builder.UseDeepSimDefaults();

var postgres = builder.AddDeepSimPostgres(ResourceNames.Postgres, ResourceNames.Database);
var redis = builder.AddDeepSimRedis(ResourceNames.Redis);
var clickhouse = builder.AddDeepSimClickHouse(ResourceNames.ClickHouse);
var kafka = builder.AddKafkaIfConfigured(ResourceNames.Kafka);
var mail = builder.AddDeepSimMailCatcher(ResourceNames.Mail);

var serviceToken = builder.AddSecret("auth-service-token");
var operatorPassword = builder.AddSecret("operator-password");
var operatorEmail = builder.Configuration["DeepSim:OperatorEmail"] ?? "operator@deepsim.local";

// Schema first, with the owner role; the Api itself only ever gets the application role.
var migrations = builder.AddProject<Projects.DeepSim_Api>(ResourceNames.ApiMigrations)
    .WithArgs("migrate")
    .WithEnvironment($"ConnectionStrings__{ResourceNames.Database}", postgres.OwnerConnectionString)
    .WaitFor(postgres.Server);

var api = builder.AddDeepSimService<Projects.DeepSim_Api>(ResourceNames.Api, 5051)
    .WithReference(postgres.Database).WaitFor(postgres.Server)
    .WithReference(postgres.PlatformDatabase)
    .WithReference(redis).WaitFor(redis)
    .WithOptionalReference(kafka)
    .WithOptionalReference(mail)
    .WaitForCompletion(migrations)
    .WithEnvironment("Auth__ServiceToken", serviceToken)
    .WithEnvironment("Setup__OperatorEmail", operatorEmail)
    .WithEnvironment("Setup__OperatorPassword", operatorPassword);

builder.AddDeepSimService<Projects.DeepSim_Simulation>(ResourceNames.Simulation, 5052)
    .WithReference(api).WaitFor(api)
    .WithEnvironment("Auth__ServiceToken", serviceToken);

var analytics = builder.AddDeepSimService<Projects.DeepSim_Analytics>(ResourceNames.Analytics, 5053)
    .WithReference(clickhouse).WaitFor(clickhouse)
    .WithReference(api).WaitFor(api)
    .WithOptionalReference(kafka)
    .WithEnvironment("Auth__ServiceToken", serviceToken);

var web = builder.AddDeepSimService<Projects.DeepSim_Web>(ResourceNames.Web, 5050)
    .WithReference(redis).WaitFor(redis)
    .WithReference(api).WaitFor(api)
    // The usage page; not waited for: while Analytics is down that page says so and the rest of the app works.
    .WithReference(analytics)
    // The designer's assistant: an OpenAI-compatible model (Assistant:Endpoint, ApiKey, Model); without one the panel says so.
    .WithSectionIfConfigured(builder.Configuration, "Assistant");

// Links in mail (invitations) and Stripe's way back point at the web app.
api.WithEnvironment("Mail__WebUrl", web.GetEndpoint("http"))
    .WithSectionIfConfigured(builder.Configuration, "Stripe");

// Local runs only (never a publish): webhooks may target this machine (a receiver on localhost) over plain http.
if (builder.ExecutionContext.IsRunMode)
{
    api.WithEnvironment("Webhooks__AllowPrivateTargets", "true").WithEnvironment("Webhooks__AllowHttp", "true");
}

builder.Build().Run();
