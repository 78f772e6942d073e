using BenchmarkDotNet.Running;
using DeepSim.Engine.Benchmarks;

// dotnet run -c Release --project bench/DeepSim.Engine.Benchmarks -- --filter '*' [--job short]
// dotnet run -c Release --project bench/DeepSim.Engine.Benchmarks -- --min-of-batches   (quick, robust to a busy machine)
if (args.Length > 0 && args[0] == "--min-of-batches")
{
    MinOfBatches.Run();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(FlashBenchmarks).Assembly).Run(args);
