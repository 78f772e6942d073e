using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.UnitOperations.Columns;

public enum CondenserKind
{
    /// <summary>No condenser: the top stage's vapour leaves as the overhead product (absorber, stripper).</summary>
    None,

    /// <summary>Total condenser (stage 1): the distillate and the reflux are liquid at the condensate's bubble point.</summary>
    Total,

    /// <summary>Partial condenser (stage 1, an equilibrium stage): the distillate is its vapour.</summary>
    Partial,
}

/// <summary>The quantities a column can be specified by; each one replaces the condenser's or the reboiler's energy balance.</summary>
public enum ColumnSpecKind
{
    RefluxRatio,
    BoilupRatio,
    DistillateRate,
    BottomsRate,
    DistillateMoleFraction,
    BottomsMoleFraction,
    DistillateRecovery,
    BottomsRecovery,
    CondenserDuty,
    ReboilerDuty,
}

/// <summary>One column specification in SI (a duty in W, heat added: a condenser's is negative); Component for the per-component kinds.</summary>
public readonly record struct ColumnSpec(ColumnSpecKind Kind, double Value, int Component = -1);

/// <summary>A feed and the stage (1 = top) it enters, both phases together.</summary>
public sealed record ColumnFeed(int Stage, MaterialStream Stream);

/// <summary>A product drawn from a stage's liquid or vapour at a fixed molar flow, mol/s.</summary>
public sealed record ColumnSideDraw(int Stage, Phase Phase, double MolarFlow);

/// <summary>
/// A column's configuration. Stages count from the top and include the condenser (stage 1) and the kettle reboiler
/// (stage N) when there are any. One specification is needed for each of the condenser and the reboiler.
/// </summary>
public sealed class ColumnDesign
{
    public required int Stages { get; init; }

    public required CondenserKind Condenser { get; init; }

    public required bool Reboiler { get; init; }

    /// <summary>Stage pressures, Pa, top first (one per stage).</summary>
    public required double[] StagePressuresPa { get; init; }

    public IReadOnlyList<ColumnSpec> Specs { get; init; } = [];

    public IReadOnlyList<ColumnSideDraw> SideDraws { get; init; } = [];

    /// <summary>Murphree vapour efficiency of the trays (not the condenser, the reboiler or the bottom stage, which are equilibrium stages).</summary>
    public double MurphreeEfficiency { get; init; } = 1;

    public int MaxIterations { get; init; } = ColumnSolver.DefaultMaxIterations;

    /// <summary>The number of specifications this configuration needs: one per condenser and one per reboiler.</summary>
    public int SpecsNeeded => (Condenser == CondenserKind.None ? 0 : 1) + (Reboiler ? 1 : 0);
}

/// <summary>The largest scaled residual of each kind of MESH equation, and where it is.</summary>
public readonly record struct MeshResiduals(double Mass, double Equilibrium, double Summation, double Energy, double Specification)
{
    public double Largest => Math.Max(Math.Max(Math.Max(Mass, Equilibrium), Math.Max(Summation, Energy)), Specification);
}

/// <summary>
/// The outcome of a column solve. Stage arrays are indexed from 0 (stage 1, the top). On failure the profile is the
/// last Newton iterate and <see cref="FailureReason"/> says why.
/// </summary>
public sealed class ColumnSolution
{
    public required bool Converged { get; init; }

    public string? FailureReason { get; init; }

    public int Iterations { get; init; }

    public required double[] TemperatureK { get; init; }

    public required double[] PressurePa { get; init; }

    /// <summary>Liquid flowing from each stage to the one below (the bottoms, for the last stage), mol/s.</summary>
    public required double[] LiquidMolarFlow { get; init; }

    /// <summary>Vapour flowing from each stage to the one above (the overhead product, for stage 1), mol/s.</summary>
    public required double[] VaporMolarFlow { get; init; }

    public required double[][] LiquidComposition { get; init; }

    public required double[][] VaporComposition { get; init; }

    public required double[][] KValues { get; init; }

    /// <summary>Heat added at the condenser, W (negative), 0 without one.</summary>
    public double CondenserDutyW { get; init; }

    /// <summary>Heat added at the reboiler, W, 0 without one.</summary>
    public double ReboilerDutyW { get; init; }

    public required double[] DistillateFlows { get; init; }

    public required double[] BottomsFlows { get; init; }

    /// <summary>Component flows of each side draw, in the design's order.</summary>
    public required double[][] SideDrawFlows { get; init; }

    public MeshResiduals Residuals { get; init; }
}
