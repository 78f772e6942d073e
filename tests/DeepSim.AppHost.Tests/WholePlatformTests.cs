namespace DeepSim.AppHost.Tests;

/// <summary>Tests that start the whole platform run one at a time: on two cores, two graphs at once only race each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WholePlatformTests
{
    public const string Name = "Launcher";
}
