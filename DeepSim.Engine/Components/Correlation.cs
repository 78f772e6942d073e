namespace DeepSim.Engine.Components;

// Placeholder signature so dependent code compiles; the components work replaces this file.
public sealed class Correlation
{
    public double Evaluate(double temperatureK) => throw new NotImplementedException();
}
