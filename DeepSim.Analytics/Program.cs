using DeepSim.Analytics;

var builder = WebApplication.CreateBuilder(args);
var app = builder.BuildAnalytics();
app.Run();
