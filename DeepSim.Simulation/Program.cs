using DeepSim.ServiceDefaults;
using DeepSim.Simulation;
using DeepSim.Simulation.Cli;

if (args.Length > 0 && args[0] == "simulate")
{
    return SimulateCommand.Run(args[1..], Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddSimulationServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
return 0;
