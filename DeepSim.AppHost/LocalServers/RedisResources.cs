using DeepSim.AppHost.Hosting;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace DeepSim.AppHost.LocalServers;

/// <summary>The local Redis server: the Debian binary under DCP, with a password, in memory only.</summary>
public sealed class LocalRedisResource(string name, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, "redis-server", workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public EndpointReference Endpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Endpoint.Property(EndpointProperty.Host)}:{Endpoint.Property(EndpointProperty.Port)},password={password}");
}

public static class RedisResourceExtensions
{
    /// <summary>Redis with a password. Run mode: the Debian server after an init step that writes its config; publish mode: a Redis container.</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddDeepSimRedis(this IDistributedApplicationBuilder builder, string name)
    {
        var password = builder.AddSecret($"{name}-password");
        if (builder.ExecutionContext.IsPublishMode)
        {
            return builder.AddRedis(name, password: password);
        }

        var binary = builder.RequireBinary(name, "redis-server", "/usr/bin/redis-server");
        var state = Path.Combine(builder.StateDirectory(), name);
        Directory.CreateDirectory(state);
        var port = builder.ChoosePort(name, 56379);
        var init = builder.AddExecutable(name + "-init", "bash", state, LocalMachine.Script("redis-init.sh"), state)
            .WithEnvironment("DEEPSIM_REDIS_PASSWORD", password);

        var server = new LocalRedisResource(name, state, password.Resource);
        var healthKey = name + "-health";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthKey, async ct =>
        {
            var options = ConfigurationOptions.Parse(await server.ConnectionStringExpression.GetValueAsync(ct) ?? "");
            options.AbortOnConnectFail = true;
            options.ConnectTimeout = 2000;
            try
            {
                await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
                await connection.GetDatabase().PingAsync();
                return HealthCheckResult.Healthy();
            }
            catch (RedisException ex)
            {
                return HealthCheckResult.Unhealthy("Redis does not answer PING with the password", ex);
            }
        });
        return builder.AddResource(server)
            .WithCommand(binary)
            .WithArgs(Path.Combine(state, "redis.conf"), "--port", port.ToString(CultureInfo.InvariantCulture))
            .WithLocalEndpoint(LocalRedisResource.EndpointName, port, "tcp")
            .WaitForCompletion(init)
            .WithHealthCheck(healthKey)
            .WithRestartOnCrash()
            .WithIconName("Memory");
    }
}
