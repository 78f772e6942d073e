using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Streams;
using DeepSim.Engine.UnitOperations;

namespace DeepSim.Engine.Solver;

/// <summary>One iteration of a recycle block: the largest relative residual of each tear stream.</summary>
public sealed record IterationRecord(int Iteration, string Method, IReadOnlyList<double> TearResiduals);

/// <summary>How one calculation block went; <paramref name="Notes"/> records what the solver did on its own (a discarded guess).</summary>
public sealed record BlockReport(IReadOnlyList<string> Units, IReadOnlyList<string> TearStreams, bool Converged, int Iterations, IReadOnlyList<IterationRecord> History)
{
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>How the tears were converged: <c>wegstein</c>, <c>broyden</c>, <c>direct</c>, or a sequence such as <c>wegstein, then broyden</c> when the automatic method switched.</summary>
    public string Method { get; init; } = "";
}

/// <summary>One component over the whole flowsheet, mol/s: fed, made by reactions (negative when consumed), leaving with the products.</summary>
public sealed record ComponentBalance(string Component, double InMolPerS, double GeneratedMolPerS, double OutMolPerS, double Relative);

/// <summary>The flowsheet-wide balances: per component (feeds + reactions vs products) and energy (feeds + duties + work vs products).</summary>
public sealed record SolveBalance
{
    /// <summary>
    /// Largest |in + generated − out| per component, relative to that component's throughput (or to 1e-6 of the
    /// total feed for traces). Engineering balances need ~1e-3; 1e-5 is far tighter, yet above what the default
    /// 1e-8 tear tolerance leaves in a slowly contracting loop (ammonia's argon: ~20 × 1e-8 × a 19-fold recycle).
    /// </summary>
    public const double ComponentTolerance = 1e-5;

    /// <summary>|H in + duty + work − H out| relative to the largest of those terms: same reasoning as the component tolerance.</summary>
    public const double EnergyTolerance = 1e-5;

    /// <summary>A component's balance is judged against at least this fraction of the total feed, so ppm traces do not divide by ~0.</summary>
    public const double TraceFraction = 1e-6;

    public static SolveBalance None { get; } = new() { Components = [], EnergyInW = double.NaN, DutyAndWorkW = double.NaN, EnergyOutW = double.NaN, EnergyRelative = double.NaN };

    public required IReadOnlyList<ComponentBalance> Components { get; init; }

    /// <summary>Enthalpy flow of every feed, W.</summary>
    public required double EnergyInW { get; init; }

    /// <summary>Sum of every unit's duty and shaft power, W.</summary>
    public required double DutyAndWorkW { get; init; }

    /// <summary>Enthalpy flow into every product, W.</summary>
    public required double EnergyOutW { get; init; }

    /// <summary>(in + duty + work − out) / the largest term.</summary>
    public required double EnergyRelative { get; init; }

    /// <summary>Whether every figure is computed (every stream was reached).</summary>
    public bool IsComplete => Components.Count > 0;
}

/// <summary>How one design specification went.</summary>
public sealed record DesignSpecReport(string Id, bool Converged, int Iterations, double VariedValue, double AchievedValue, double TargetValue, string? FailureReason);

/// <summary>The outcome of a solve: converged with every stream and unit, or not converged with a reason and the report.</summary>
public sealed class SolveResult
{
    public required Flowsheet Flowsheet { get; init; }

    public required bool Converged { get; init; }

    public string? FailureReason { get; init; }

    /// <summary>Stream states by stream index (null where the solve never reached them).</summary>
    public required IReadOnlyList<MaterialStream?> Streams { get; init; }

    /// <summary>Unit results by unit index (null where the solve never reached them).</summary>
    public required IReadOnlyList<UnitResult?> Units { get; init; }

    /// <summary>The block report of the final flowsheet solve.</summary>
    public required IReadOnlyList<BlockReport> Blocks { get; init; }

    public IReadOnlyList<DesignSpecReport> DesignSpecs { get; init; } = [];

    /// <summary>Unit parameters as finally used (a design specification may have changed some), by unit index.</summary>
    public required IReadOnlyList<IReadOnlyDictionary<string, double>> Parameters { get; init; }

    /// <summary>Flowsheet-wide mass balance (feeds + reactions − products) / feeds; NaN when some stream was never reached.</summary>
    public double OverallMassBalanceRelative { get; init; } = double.NaN;

    /// <summary>Flowsheet-wide component and energy balances (reported whether converged or not, when every stream was reached).</summary>
    public SolveBalance Balance { get; init; } = SolveBalance.None;

    /// <summary>Recycle iterations over every flowsheet solve of this run (design-specification evaluations included).</summary>
    public int Iterations { get; init; }

    /// <summary>Flowsheet solves performed (1 without design specifications).</summary>
    public int FlowsheetSolves { get; init; } = 1;

    /// <summary>Model-sanity warnings about the final state (<see cref="ModelSanity"/>), whether converged or not.</summary>
    public IReadOnlyList<ModelWarning> Warnings { get; init; } = [];

    /// <summary>Wall time of the whole solve, s (not deterministic, unlike everything else).</summary>
    public double SolveTimeSeconds { get; init; }
}
