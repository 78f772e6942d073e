using DeepSim.Analytics;
using DeepSim.Analytics.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
if (BuildTimeDocument.IsGenerating)
{
    builder.Configuration.AddInMemoryCollection(BuildTimeDocument.PlaceholderSettings);
    builder.Logging.ClearProviders();
}
var app = builder.BuildAnalytics();
app.Run();
