using Aspire.Hosting.Testing;
using DeepSim.AppHost.LocalServers;

namespace DeepSim.AppHost.Tests;

public sealed class GraphTests
{
    [Theory]
    [InlineData("postgres", "postgresql")]
    [InlineData("redis", "redis-server")]
    [InlineData("clickhouse", "clickhouse-server")]
    public async Task A_missing_server_binary_stops_the_apphost_naming_the_debian_package(string server, string debianPackage)
    {
        using var state = new TempStateDirectory("deepsim-apphost-graph-");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DeepSim_AppHost>(
                Repo.Arguments(state.Path, $"--DeepSim:Binaries:{server}=/nonexistent/{server}"), timeout.Token);
            await using var app = await builder.BuildAsync(timeout.Token);
        });
        var missing = Assert.IsType<MissingServerBinaryException>(Unwrap(error));
        Assert.Equal(debianPackage, missing.DebianPackage);
        Assert.Contains($"'{debianPackage}'", missing.Message, StringComparison.Ordinal);
        Assert.Contains($"/nonexistent/{server}", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_port_setting_names_its_configuration_key()
    {
        using var state = new TempStateDirectory("deepsim-apphost-graph-");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DeepSim_AppHost>(
                [.. Repo.Arguments(state.Path), "--DeepSim:Ports:api=http"], timeout.Token);
            await using var app = await builder.BuildAsync(timeout.Token);
        });
        Assert.Contains("DeepSim:Ports:api", Unwrap(error).Message, StringComparison.Ordinal);
    }

    private static Exception Unwrap(Exception error)
    {
        while (error is AggregateException or System.Reflection.TargetInvocationException && error.InnerException is not null)
        {
            error = error.InnerException!;
        }
        return error;
    }
}
