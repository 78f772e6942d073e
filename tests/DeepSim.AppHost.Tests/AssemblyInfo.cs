[assembly: CollectionBehavior(DisableTestParallelization = true)]
// The AppHost runs Debian binaries under DCP: these tests are Linux-only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace DeepSim.AppHost.Tests;

[CollectionDefinition(Name)]
public sealed class PlatformGroup : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}
