using DeepSim.AppHost.Hosting;
using DeepSim.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace DeepSim.AppHost.LocalServers;

/// <summary>The local PostgreSQL server: the Debian binary run under DCP, data under the state folder.</summary>
public sealed class LocalPostgresResource(string name, string workingDirectory, ParameterResource ownerPassword)
    : ExecutableResource(name, "bash", workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public EndpointReference Endpoint => new(this, EndpointName);

    /// <summary>The owner role on its maintenance database: what the server itself is reached as.</summary>
    public ReferenceExpression ConnectionStringExpression => DeepSimPostgres.ConnectionString(
        Endpoint.Property(EndpointProperty.Host), Endpoint.Property(EndpointProperty.Port), "postgres", DeepSimPostgres.OwnerRole, ownerPassword);
}

/// <summary>
/// The PostgreSQL part of the graph: the server, the application role's database, the platform role's (the operator
/// endpoints only), the owner's string.
/// </summary>
public sealed record DeepSimPostgres(
    IResourceBuilder<IResourceWithConnectionString> Server,
    IResourceBuilder<IResourceWithConnectionString> Database,
    IResourceBuilder<IResourceWithConnectionString> PlatformDatabase,
    ReferenceExpression OwnerConnectionString)
{
    public const string OwnerRole = "deepsim_owner";
    public const string AppRole = "deepsim_app";
    public const string PlatformRole = "deepsim_platform";
    private const string InitSuffix = "-init";

    internal static ReferenceExpression ConnectionString(
        EndpointReferenceExpression host, EndpointReferenceExpression port, string database, string role, ParameterResource password)
        => ReferenceExpression.Create($"Host={host};Port={port};Database={database};Username={role};Password={password}");

    internal static IResourceBuilder<LocalPostgresResource> AddLocal(
        IDistributedApplicationBuilder builder, string name, string databaseName,
        IResourceBuilder<ParameterResource> ownerPassword, IResourceBuilder<ParameterResource> appPassword,
        IResourceBuilder<ParameterResource> platformPassword)
    {
        var binDirectory = Path.GetDirectoryName(builder.RequireBinary(
            name, "postgresql", "/usr/lib/postgresql/15/bin/postgres", "/usr/lib/postgresql/16/bin/postgres", "/usr/lib/postgresql/17/bin/postgres"))!;
        builder.RequireBinary("psql", "postgresql-client", "/usr/bin/psql");
        var state = Path.Combine(builder.StateDirectory(), name);
        var port = builder.ChoosePort(name, 55432);

        var init = builder.AddExecutable(name + InitSuffix, "bash", state, LocalMachine.Script("postgres-init.sh"), state, binDirectory)
            .WithEnvironment("DEEPSIM_OWNER_PASSWORD", ownerPassword)
            .WithEnvironment("DEEPSIM_APP_PASSWORD", appPassword)
            .WithEnvironment("DEEPSIM_PLATFORM_PASSWORD", platformPassword)
            .WithEnvironment("DEEPSIM_DATABASE", databaseName);
        Directory.CreateDirectory(state);

        var healthKey = name + "-health";
        var server = new LocalPostgresResource(name, state, ownerPassword.Resource);
        var appDatabase = ConnectionString(server.Endpoint.Property(EndpointProperty.Host), server.Endpoint.Property(EndpointProperty.Port),
            databaseName, AppRole, appPassword.Resource);
        // Healthy means what the Api needs: the application role logs in to its database and runs a query.
        builder.Services.AddHealthChecks().AddAsyncCheck(healthKey, async ct =>
        {
            var connectionString = new NpgsqlConnectionStringBuilder(await appDatabase.GetValueAsync(ct)) { Pooling = false, Timeout = 3 };
            try
            {
                await using var connection = new NpgsqlConnection(connectionString.ConnectionString);
                await connection.OpenAsync(ct);
                await using var command = new NpgsqlCommand("select 1", connection);
                await command.ExecuteScalarAsync(ct);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("the application role cannot query its database", ex);
            }
        });
        return builder.AddResource(server)
            .WithArgs(LocalMachine.Script("postgres-run.sh"), state, binDirectory, port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithLocalEndpoint(LocalPostgresResource.EndpointName, port, "tcp")
            .WaitForCompletion(init)
            .WithHealthCheck(healthKey)
            .WithRestartOnCrash()
            .WithIconName("Database");
    }
}

public static class PostgresResourceExtensions
{
    /// <summary>
    /// PostgreSQL with DeepSim's three login roles (an owner for migrations, an application role without BYPASSRLS, a
    /// platform role that may only run the operator functions) and its database. Run mode: the Debian server under DCP after an init step. Publish mode: a PostgreSQL container
    /// that applies the same roles script on first start.
    /// </summary>
    public static DeepSimPostgres AddDeepSimPostgres(this IDistributedApplicationBuilder builder, string name, string databaseName)
    {
        var ownerPassword = builder.AddSecret($"{name}-owner-password");
        var appPassword = builder.AddSecret($"{name}-app-password");
        var platformPassword = builder.AddSecret($"{name}-platform-password");
        IResourceBuilder<IResourceWithConnectionString> server;
        EndpointReference endpoint;
        if (builder.ExecutionContext.IsPublishMode)
        {
            var container = builder.AddPostgres(name)
                .WithInitFiles(Path.Combine(builder.AppHostDirectory, "scripts", "initdb"))
                .WithEnvironment("DEEPSIM_OWNER_PASSWORD", ownerPassword)
                .WithEnvironment("DEEPSIM_APP_PASSWORD", appPassword)
                .WithEnvironment("DEEPSIM_PLATFORM_PASSWORD", platformPassword)
                .WithEnvironment("DEEPSIM_DATABASE", databaseName)
                .WithDataVolume();
            endpoint = container.Resource.PrimaryEndpoint;
            server = container;
        }
        else
        {
            var local = DeepSimPostgres.AddLocal(builder, name, databaseName, ownerPassword, appPassword, platformPassword);
            endpoint = local.Resource.Endpoint;
            server = local;
        }
        var host = endpoint.Property(EndpointProperty.Host);
        var port = endpoint.Property(EndpointProperty.Port);
        var database = builder.AddConnectionString(databaseName,
            DeepSimPostgres.ConnectionString(host, port, databaseName, DeepSimPostgres.AppRole, appPassword.Resource));
        var platformDatabase = builder.AddConnectionString(ResourceNames.PlatformDatabase,
            DeepSimPostgres.ConnectionString(host, port, databaseName, DeepSimPostgres.PlatformRole, platformPassword.Resource));
        return new DeepSimPostgres(server, database, platformDatabase,
            DeepSimPostgres.ConnectionString(host, port, databaseName, DeepSimPostgres.OwnerRole, ownerPassword.Resource));
    }
}
