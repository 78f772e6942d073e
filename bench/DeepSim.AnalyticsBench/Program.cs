using DeepSim.AnalyticsBench;

// Loopback-only benchmark of the analytics pipeline (see AnalyticsBenchmark); bounded in rows and time.
return await AnalyticsBenchmark.RunAsync(args);
