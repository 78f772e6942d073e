using DeepSim.Simulation.Cli;

if (args.Length > 0 && args[0] == "simulate")
{
    return SimulateCommand.Run(args[1..], Console.Out, Console.Error);
}

var app = WebApplication.CreateBuilder(args).Build();
app.Run();
return 0;
