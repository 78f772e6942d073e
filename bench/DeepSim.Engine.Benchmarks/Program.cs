using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/DeepSim.Engine.Benchmarks -- --filter '*' [--job short]
BenchmarkSwitcher.FromAssembly(typeof(DeepSim.Engine.Benchmarks.FlashBenchmarks).Assembly).Run(args);
