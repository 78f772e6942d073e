namespace DeepSim.ServiceDefaults;

/// <summary>The ActivitySource and Meter name DeepSim's own code emits under.</summary>
public static class TelemetrySources
{
    public const string Name = "DeepSim";
}
