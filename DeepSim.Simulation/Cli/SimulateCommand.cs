using System.Globalization;
using System.Text;
using System.Text.Json;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Solver;

namespace DeepSim.Simulation.Cli;

/// <summary>
/// `deepsim simulate FILE... [--format table|json|csv]`: solves flowsheet files with no servers, one after the other.
/// With several files each result is headed by its file (table and CSV: a <c># FILE</c> line; JSON: an array of
/// <c>{"file", "result"}</c>); an unreadable or invalid file is reported and the others are still solved. The exit code
/// is the worst: 2 when any file was invalid, else 3 when any did not converge, else 0.
/// </summary>
public static class SimulateCommand
{
    public const int ExitConverged = 0;
    public const int ExitInvalidInput = 2;
    public const int ExitNotConverged = 3;

    private const string Usage = "usage: deepsim simulate FILE... [--format table|json|csv]";

    /// <summary>Runs the command; <paramref name="args"/> are the arguments after "simulate". Returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var files = new List<string>();
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
            else
            {
                files.Add(a);
            }
        }
        if (format is not ("table" or "json" or "csv"))
        {
            stderr.WriteLine($"simulate: unknown format '{format}'; accepted: table, json, csv");
            return ExitInvalidInput;
        }
        if (files.Count == 0)
        {
            stderr.WriteLine("simulate: no flowsheet file given");
            stderr.WriteLine(Usage);
            return ExitInvalidInput;
        }
        var several = files.Count > 1;
        var exit = ExitConverged;
        if (several && format == "json")
        {
            stdout.WriteLine("[");
        }
        for (var n = 0; n < files.Count; n++)
        {
            if (several && format != "json")
            {
                stdout.WriteLine((n > 0 ? Environment.NewLine : "") + "# " + files[n]);
            }
            var code = SolveOne(files[n], format, several ? (n == 0 ? "" : ",") : null, stdout, stderr);
            // Invalid input outranks a non-converged solve, which outranks success.
            exit = exit == ExitInvalidInput || code == ExitInvalidInput ? ExitInvalidInput : Math.Max(exit, code);
        }
        if (several && format == "json")
        {
            stdout.WriteLine("]");
        }
        return exit;
    }

    /// <summary>
    /// Reads, checks and solves one file and writes its result; <paramref name="jsonSeparator"/> is null for a lone file,
    /// else what goes before its array element. Returns the file's exit code.
    /// </summary>
    private static int SolveOne(string file, string format, string? jsonSeparator, TextWriter stdout, TextWriter stderr)
    {
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
            case "json" when jsonSeparator is not null:
                stdout.Write(jsonSeparator + "{\"file\": " + JsonSerializer.Serialize(file) + ", \"result\": ");
                ResultWriter.WriteJson(result, stdout);
                stdout.WriteLine("}");
                break;
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
            stderr.WriteLine($"{file}: not converged: {result.FailureReason}");
            ResultWriter.WriteConvergenceReport(result, stderr);
            return ExitNotConverged;
        }
        return ExitConverged;
    }

    internal static string R(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";
}
