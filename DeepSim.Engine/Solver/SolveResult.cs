using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Streams;
using DeepSim.Engine.UnitOperations;

namespace DeepSim.Engine.Solver;

/// <summary>One iteration of a recycle block: the largest relative residual of each tear stream.</summary>
public sealed record IterationRecord(int Iteration, string Method, IReadOnlyList<double> TearResiduals);

/// <summary>How one calculation block went.</summary>
public sealed record BlockReport(IReadOnlyList<string> Units, IReadOnlyList<string> TearStreams, bool Converged, int Iterations, IReadOnlyList<IterationRecord> History);

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

    /// <summary>Flowsheet-wide mass balance (feeds − products) / feeds; NaN when not converged.</summary>
    public double OverallMassBalanceRelative { get; init; } = double.NaN;
}
