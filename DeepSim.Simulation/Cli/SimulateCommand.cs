namespace DeepSim.Simulation.Cli;

/// <summary>`deepsim simulate FILE [--format table|json|csv]`: solves a flowsheet file with no servers.</summary>
public static class SimulateCommand
{
    /// <summary>Runs the command; <paramref name="args"/> are the arguments after "simulate". Returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        stderr.WriteLine("simulate: not implemented yet");
        return 1;
    }
}
