using DeepSim.Engine.Components;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations;

namespace DeepSim.Engine.Flowsheets;

/// <summary>One validation error at its JSON path (e.g. <c>$.units[2].spec.outletTemperature</c>).</summary>
public sealed record FlowsheetError(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>A tear-stream starting value from the file (used only if the solver tears this stream).</summary>
public sealed record StreamGuess(double TemperatureK, double PressurePa, double[] ComponentMolarFlows);

/// <summary>A stream: from one unit's outlet port to another unit's inlet port.</summary>
public sealed record StreamConnection(string Id, int FromUnit, string FromPort, int ToUnit, string ToPort, StreamGuess? InitialGuess);

public enum ConvergenceMethod
{
    /// <summary>Wegstein for a block with one tear stream (Broyden if Wegstein stalls), Broyden for several tears.</summary>
    Auto,
    Wegstein,
    DirectSubstitution,
    /// <summary>Broyden's quasi-Newton method on all tear variables of a block at once.</summary>
    Broyden,
}

/// <summary>Solver settings; defaults apply where the file says nothing.</summary>
public sealed record SolverOptions
{
    /// <summary>Default relative tolerance on every tear variable: far below engineering accuracy, above flash noise.</summary>
    public const double DefaultTolerance = 1e-8;

    public const int DefaultMaxIterations = 100;

    /// <summary>Wegstein q bounds: q in [-5, 0] accelerates (never damps below direct substitution) without overshooting wildly.</summary>
    public const double DefaultWegsteinMinQ = -5;

    public const double DefaultWegsteinMaxQ = 0;

    public const double DefaultTimeLimitSeconds = 30;

    public const int DefaultDesignSpecMaxIterations = 60;

    public double Tolerance { get; init; } = DefaultTolerance;

    public int MaxIterations { get; init; } = DefaultMaxIterations;

    public ConvergenceMethod Method { get; init; } = ConvergenceMethod.Auto;

    public double WegsteinMinQ { get; init; } = DefaultWegsteinMinQ;

    public double WegsteinMaxQ { get; init; } = DefaultWegsteinMaxQ;

    public double TimeLimitSeconds { get; init; } = DefaultTimeLimitSeconds;

    public int DesignSpecMaxIterations { get; init; } = DefaultDesignSpecMaxIterations;
}

public enum TargetKind
{
    Stream,
    Unit,
}

/// <summary>"Vary a unit parameter within [min, max] so that a stream or unit property equals a target" (all SI).</summary>
public sealed record DesignSpecification
{
    public required string Id { get; init; }

    public required int VaryUnit { get; init; }

    public required string VaryParameter { get; init; }

    public required double Minimum { get; init; }

    public required double Maximum { get; init; }

    public required TargetKind TargetKind { get; init; }

    /// <summary>Stream index or unit index.</summary>
    public required int TargetIndex { get; init; }

    /// <summary>temperature, pressure, vaporFraction, molarFlow, massFlow, moleFraction, componentMolarFlow (stream); duty, power (unit).</summary>
    public required string TargetProperty { get; init; }

    public int TargetComponent { get; init; } = -1;

    public required double TargetValue { get; init; }

    /// <summary>Absolute tolerance on the target, SI.</summary>
    public required double Tolerance { get; init; }
}

/// <summary>A validated flowsheet ready to solve. Immutable: solves never change it, so it may be solved concurrently.</summary>
public sealed class Flowsheet
{
    public string Name { get; init; } = "";

    public required IPropertyPackage Package { get; init; }

    public IReadOnlyList<Component> Components => Package.Components;

    public required IReadOnlyList<UnitOperation> Units { get; init; }

    public required IReadOnlyList<StreamConnection> Streams { get; init; }

    public IReadOnlyList<DesignSpecification> DesignSpecifications { get; init; } = [];

    public SolverOptions Options { get; init; } = new();
}
