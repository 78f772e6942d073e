using System.Globalization;
using System.Text;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Solver;

namespace DeepSim.Simulation.Cli;

/// <summary>`deepsim simulate FILE [--format table|json|csv]`: solves a flowsheet file with no servers.</summary>
public static class SimulateCommand
{
    public const int ExitConverged = 0;
    public const int ExitInvalidInput = 2;
    public const int ExitNotConverged = 3;

    private const string Usage = "usage: deepsim simulate FILE [--format table|json|csv]";

    /// <summary>Runs the command; <paramref name="args"/> are the arguments after "simulate". Returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        string? file = null;
        var format = "table";
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a is "--format" or "-f")
            {
                if (i + 1 >= args.Length)
                {
                    stderr.WriteLine("simulate: --format needs a value (table, json or csv)");
                    stderr.WriteLine(Usage);
                    return ExitInvalidInput;
                }
                format = args[++i];
            }
            else if (a.StartsWith("--format=", StringComparison.Ordinal))
            {
                format = a["--format=".Length..];
            }
            else if (a is "--help" or "-h")
            {
                stdout.WriteLine(Usage);
                stdout.WriteLine("Exit codes: 0 converged, 2 invalid input (each error with its JSON path), 3 not converged (with the convergence report).");
                return ExitConverged;
            }
            else if (a.StartsWith('-'))
            {
                stderr.WriteLine($"simulate: unknown option '{a}'");
                stderr.WriteLine(Usage);
                return ExitInvalidInput;
            }
            else if (file is null)
            {
                file = a;
            }
            else
            {
                stderr.WriteLine($"simulate: unexpected argument '{a}' (one flowsheet file at a time)");
                stderr.WriteLine(Usage);
                return ExitInvalidInput;
            }
        }
        if (format is not ("table" or "json" or "csv"))
        {
            stderr.WriteLine($"simulate: unknown format '{format}'; accepted: table, json, csv");
            return ExitInvalidInput;
        }
        if (file is null)
        {
            stderr.WriteLine("simulate: no flowsheet file given");
            stderr.WriteLine(Usage);
            return ExitInvalidInput;
        }
        string json;
        try
        {
            json = File.ReadAllText(file, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            stderr.WriteLine($"simulate: cannot read '{file}': {ex.Message}");
            return ExitInvalidInput;
        }
        var read = FlowsheetReader.Read(json, DefaultThermoCatalog.Instance);
        if (!read.IsValid)
        {
            stderr.WriteLine($"{file}: {read.Errors.Count} error(s); nothing was solved:");
            foreach (var error in read.Errors)
            {
                stderr.WriteLine($"  {error.Path}: {error.Message}");
            }
            return ExitInvalidInput;
        }
        var result = FlowsheetSolver.Solve(read.Flowsheet!);
        switch (format)
        {
            case "json":
                ResultWriter.WriteJson(result, stdout);
                break;
            case "csv":
                ResultWriter.WriteCsv(result, stdout);
                break;
            default:
                ResultWriter.WriteTable(result, stdout);
                break;
        }
        if (!result.Converged)
        {
            stderr.WriteLine($"not converged: {result.FailureReason}");
            ResultWriter.WriteConvergenceReport(result, stderr);
            return ExitNotConverged;
        }
        return ExitConverged;
    }

    internal static string R(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";
}
