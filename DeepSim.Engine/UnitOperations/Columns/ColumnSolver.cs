using System.Globalization;
using DeepSim.Engine.Numerics;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.UnitOperations.Columns;

/// <summary>
/// A rigorous equilibrium-stage column solved simultaneously (Naphtali and Sandholm, AIChE J. 17 (1971) 148): per
/// stage the unknowns are the component liquid flows l_i, vapour flows v_i and the temperature, and the equations
/// the component balances (M), equilibrium with Murphree efficiency (E) and the energy balance (H); the summations
/// (S) follow from E on flow variables. The condenser and reboiler duties are extra unknowns, closed by one
/// specification each. Newton's method on this system: the Jacobian blocks come from finite differences by stage
/// (a stage's K-values and enthalpies depend only on its own unknowns), the block-tridiagonal system is solved by
/// the block Thomas algorithm and the two border columns (the duties; a total condenser's reflux ratio) by a Schur
/// complement.
/// </summary>
public static class ColumnSolver
{
    /// <summary>Newton converges in 5–20 steps from the initial profile; beyond this it is not going to.</summary>
    public const int DefaultMaxIterations = 100;

    /// <summary>
    /// Largest scaled residual accepted: flows are relative to the total feed, energies to the total feed times
    /// <see cref="EnergyScaleJPerMol"/>. At 1e-10 the component balances close far inside 1e-9.
    /// </summary>
    public const double Tolerance = 1e-10;

    /// <summary>Energy residuals are scaled by the feed times this, an order below typical latent heats (2–4e4 J/mol).</summary>
    public const double EnergyScaleJPerMol = 1e4;

    /// <summary>Temperatures are carried in units of this so that all unknowns are of order one.</summary>
    public const double TemperatureScaleK = 100;

    /// <summary>A Newton step moves no stage temperature by more than this: K-values are exponential in T.</summary>
    public const double MaxTemperatureStepK = 20;

    /// <summary>A step that would make a flow negative takes it to this fraction of its value instead.</summary>
    public const double FlowCutFraction = 0.1;

    /// <summary>Halvings of a step that raises the residual norm before the step is taken anyway.</summary>
    public const int MaxLineSearchHalvings = 6;

    /// <summary>Relative finite-difference step: √(machine ε) for one-sided differences of smooth functions.</summary>
    public const double DifferenceStep = 1.5e-8;

    /// <summary>Absolute floor of a flow's difference step (scaled units), so trace and zero flows still move.</summary>
    public const double DifferenceFloor = 1e-10;

    /// <summary>Successive-substitution passes of the bubble-point initialisation (Wang and Henke's method).</summary>
    public const int InitialisationSweeps = 4;

    /// <summary>Passes of y = Kx/ΣKx giving the incipient vapour a total condenser's K-values are evaluated with.</summary>
    public const int CondenserVaporPasses = 3;

    public static ColumnSolution Solve(IPropertyPackage package, ColumnDesign design, IReadOnlyList<ColumnFeed> feeds)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(design);
        ArgumentNullException.ThrowIfNull(feeds);
        return new MeshSystem(package, design, feeds).Solve();
    }

    internal static string Num(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
