namespace DeepSim.Engine.Thermo;

/// <summary>The scalar part of a flash written into caller buffers (no per-call allocation on success).</summary>
public readonly record struct FlashSummary(
    bool Converged,
    PhaseState State,
    double TemperatureK,
    double PressurePa,
    double VaporFraction,
    double EnthalpyJPerMol,
    double EntropyJPerMolK,
    int Iterations,
    string? FailureReason);

/// <summary>
/// A PT flash that writes the phase compositions into caller-supplied spans, for hot loops that flash millions of
/// times (implemented by every built-in package). Same semantics as <see cref="IPropertyPackage.FlashPT"/>.
/// </summary>
public interface IBufferedFlash
{
    /// <summary>
    /// Writes x and y (length = component count; z in both for a single phase) and returns the rest. With two liquids
    /// (State LiquidLiquid or ThreePhase) x is the lighter one; the heavier liquid's composition and fraction are only in
    /// the <see cref="IPropertyPackage.FlashPT"/> result.
    /// </summary>
    FlashSummary FlashPT(double temperatureK, double pressurePa, ReadOnlySpan<double> z, Span<double> liquidComposition, Span<double> vaporComposition);
}
