using DeepSim.LoadBench;

// Loopback-only load benchmark of the run queue (see LoadBenchmark); bounded in runs and time.
return await LoadBenchmark.RunAsync(args);
