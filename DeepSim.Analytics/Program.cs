using DeepSim.Analytics;
using DeepSim.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddAnalyticsServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
