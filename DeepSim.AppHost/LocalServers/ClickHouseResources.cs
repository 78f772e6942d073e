using DeepSim.AppHost.Hosting;
using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DeepSim.AppHost.LocalServers;

/// <summary>ClickHouse's HTTP interface as DeepSim's services read it (<c>Host=…;Port=…;Protocol=http;…</c>).</summary>
public interface IClickHouseResource : IResourceWithConnectionString
{
    public const string Database = "deepsim";
    public const string User = "default";

    EndpointReference HttpEndpoint { get; }

    ParameterResource Password { get; }

    ReferenceExpression IResourceWithConnectionString.ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={HttpEndpoint.Property(EndpointProperty.Host)};Port={HttpEndpoint.Property(EndpointProperty.Port)};Protocol=http;Database={Database};Username={User};Password={Password}");
}

/// <summary>The local ClickHouse server (Debian's clickhouse-server 18.16) under DCP, configured by its init step.</summary>
public sealed class LocalClickHouseResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IClickHouseResource
{
    public EndpointReference HttpEndpoint => new(this, "http");

    public ParameterResource Password => password;
}

/// <summary>ClickHouse in publish mode: the official image, same user, password and database.</summary>
public sealed class ClickHouseContainerResource(string name, ParameterResource password) : ContainerResource(name), IClickHouseResource
{
    public EndpointReference HttpEndpoint => new(this, "http");

    public ParameterResource Password => password;
}

public static class ClickHouseResourceExtensions
{
    private const string ContainerImage = "clickhouse/clickhouse-server";
    private const string ContainerTag = "24.8";

    public static IResourceBuilder<IClickHouseResource> AddDeepSimClickHouse(this IDistributedApplicationBuilder builder, string name)
    {
        var password = builder.AddSecret($"{name}-password");
        if (builder.ExecutionContext.IsPublishMode)
        {
            return builder.AddResource(new ClickHouseContainerResource(name, password.Resource))
                .WithImage(ContainerImage, ContainerTag)
                .WithHttpEndpoint(targetPort: 8123, name: "http")
                .WithEnvironment("CLICKHOUSE_USER", IClickHouseResource.User)
                .WithEnvironment("CLICKHOUSE_PASSWORD", password)
                .WithEnvironment("CLICKHOUSE_DB", IClickHouseResource.Database)
                .WithVolume($"{name}-data", "/var/lib/clickhouse");
        }

        var binary = builder.RequireBinary(name, "clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server");
        var state = Path.Combine(builder.StateDirectory(), name);
        Directory.CreateDirectory(state);
        var httpPort = builder.ChoosePort(name, 58123);
        var tcpPort = builder.ChoosePort(name + "-native", 59000);
        var invariant = CultureInfo.InvariantCulture;
        var init = builder.AddExecutable(name + "-init", "bash", state,
                LocalMachine.Script("clickhouse-init.sh"), state, httpPort.ToString(invariant), tcpPort.ToString(invariant))
            .WithEnvironment("DEEPSIM_CLICKHOUSE_PASSWORD", password);

        var server = new LocalClickHouseResource(name, binary, state, password.Resource);
        var healthKey = name + "-health";
        var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        // Healthy once the server answers a query with the password. Analytics creates its own database and tables at
        // start (its ClickHouse migrations), so the probe does no schema work.
        builder.Services.AddHealthChecks().AddAsyncCheck(healthKey, async ct =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(string.Create(invariant, $"http://127.0.0.1:{httpPort}/")))
            {
                Content = new StringContent("SELECT 1"),
            };
            request.Headers.Add("X-ClickHouse-User", IClickHouseResource.User);
            request.Headers.Add("X-ClickHouse-Key", await password.Resource.GetValueAsync(ct));
            request.Headers.ConnectionClose = true;
            try
            {
                using var response = await client.SendAsync(request, ct);
                return response.IsSuccessStatusCode
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy($"ClickHouse answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
            }
            catch (HttpRequestException ex)
            {
                return HealthCheckResult.Unhealthy("ClickHouse does not answer over HTTP", ex);
            }
            catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
            {
                return HealthCheckResult.Unhealthy("ClickHouse did not answer within 3 s", ex);
            }
        });
        return builder.AddResource(server)
            .WithArgs($"--config-file={Path.Combine(state, "config.xml")}", $"--pid-file={Path.Combine(state, "clickhouse.pid")}")
            .WithLocalEndpoint("http", httpPort, "http")
            .WithLocalEndpoint("native", tcpPort, "tcp")
            .WaitForCompletion(init)
            .WithHealthCheck(healthKey)
            .WithRestartOnCrash()
            .WithIconName("DatabaseSearch");
    }
}
