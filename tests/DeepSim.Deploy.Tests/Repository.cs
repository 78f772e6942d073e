using System.Reflection;

namespace DeepSim.Deploy.Tests;

/// <summary>Where the checkout and the AppHost's build output are, found from this test assembly's own location.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot(AppContext.BaseDirectory);

    /// <summary>Debug or Release: the AppHost was built in the same configuration as this assembly (it is a ProjectReference).</summary>
    public static string BuildConfiguration { get; } =
        typeof(Repository).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    public static string KubernetesFolder => Path.Combine(Root, "deploy", "kubernetes");

    public static string AppHostAssembly
    {
        get
        {
            var path = Path.Combine(Root, "DeepSim.AppHost", "bin", BuildConfiguration, "net10.0", "DeepSim.AppHost.dll");
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException($"{path} is not built: build tests/DeepSim.Deploy.Tests (it builds the AppHost first).", path);
        }
    }

    private static string FindRoot(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DeepSim.sln")))
            {
                return directory.FullName;
            }
        }
        throw new DirectoryNotFoundException($"No DeepSim.sln above {start}.");
    }
}
