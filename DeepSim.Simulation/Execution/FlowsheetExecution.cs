using System.Diagnostics;
using System.Text;
using System.Text.Json;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Solver;

namespace DeepSim.Simulation.Execution;

/// <summary>How one execution of a flowsheet document ended.</summary>
public enum ExecutionStatus
{
    /// <summary>Solved: converged or not, the result says which.</summary>
    Solved,
    /// <summary>The document is not a valid flowsheet; nothing was solved.</summary>
    Invalid,
    /// <summary>Stopped on request before a result.</summary>
    Cancelled,
}

/// <summary>The outcome: the engine's result JSON when solved, the validation errors when invalid.</summary>
public sealed record ExecutionOutcome(ExecutionStatus Status, bool Converged, string? FailureReason, string? ResultJson, double SolverSeconds);

/// <summary>Parse, validate, solve and serialise one flowsheet document with the engine (the worker's unit of work).</summary>
public static class FlowsheetExecution
{
    public static ExecutionOutcome Execute(string flowsheetJson, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(flowsheetJson);
        var clock = Stopwatch.StartNew();
        var read = FlowsheetReader.Read(flowsheetJson, DefaultThermoCatalog.Instance);
        if (!read.IsValid)
        {
            var reason = new StringBuilder("invalid flowsheet: ");
            reason.AppendJoin("; ", read.Errors.Select(e => $"{e.Path}: {e.Message}"));
            return new ExecutionOutcome(ExecutionStatus.Invalid, false, reason.ToString(), null, clock.Elapsed.TotalSeconds);
        }
        var result = FlowsheetSolver.Solve(read.Flowsheet!, cancellation);
        // The engine reports a cancelled solve as a time limit; a requested stop is not a result.
        if (cancellation.IsCancellationRequested)
        {
            return new ExecutionOutcome(ExecutionStatus.Cancelled, false, "cancelled", null, clock.Elapsed.TotalSeconds);
        }
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            SolveResultJson.Write(result, writer);
        }
        return new ExecutionOutcome(ExecutionStatus.Solved, result.Converged, result.FailureReason,
            Encoding.UTF8.GetString(buffer.ToArray()), clock.Elapsed.TotalSeconds);
    }
}
