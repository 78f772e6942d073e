using DeepSim.Engine.Components;

namespace DeepSim.Engine.Tests;

public class ComponentContractTests
{
    [Fact]
    public void Component_keeps_its_constants_in_SI_units()
    {
        var water = new Component { Name = "Water", MolarMass = 0.018015, CriticalTemperatureK = 647.096, CriticalPressurePa = 22.064e6, AcentricFactor = 0.3443 };
        Assert.Equal(647.096, water.CriticalTemperatureK);
        Assert.Equal("Water", water.Name);
    }
}
