using DeepSim.AppHost.Hosting;
using DeepSim.ServiceDefaults;

namespace DeepSim.AppHost.Tests;

/// <summary>The launcher run in-process with a graph whose service cannot start.</summary>
public class CrashedServiceTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_crashed_service_shows_exited_with_its_exit_code_and_last_lines()
    {
        using var folder = new TempDirectory();
        var builder = LauncherGraphTests.CreateBuilder(folder.Path, new Dictionary<string, string?> { ["DeepSim:Ports:simulation"] = "0" });
        // No reference to the Api: the worker must refuse to start and name the missing setting.
        var simulation = builder.AddProject(ResourceNames.Simulation, "DeepSim.Simulation").Resource;
        using var output = new StringWriter();
        var application = builder.Build(output, output);
        using var stop = new CancellationTokenSource(Budget);
        var run = application.RunAsync(stop.Token);
        try
        {
            var deadline = DateTime.UtcNow + Budget;
            while (simulation.State != ResourceState.Exited && DateTime.UtcNow < deadline && !run.IsCompleted)
            {
                await Task.Delay(200);
            }

            Assert.Equal(ResourceState.Exited, simulation.State);
            Assert.NotEqual(0, simulation.ExitCode);
            Assert.Contains(simulation.Logs.Snapshot(), line => line.Contains("services:api:http:0", StringComparison.Ordinal));
            Assert.Contains($"{ResourceNames.Simulation,-15} Exited with code {simulation.ExitCode}", output.ToString(), StringComparison.Ordinal);
            var state = StateDocument.Read(application.StateFilePath)!;
            Assert.Equal(simulation.ExitCode, state.Resources.Single(r => r.Name == ResourceNames.Simulation).ExitCode);
            Assert.False(state.AllHealthy);
        }
        finally
        {
            await stop.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}
