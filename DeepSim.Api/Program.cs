using DeepSim.Api;
using DeepSim.Api.Data;
using DeepSim.Api.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
if (args is ["migrate", ..])
{
    return await DatabaseMigrator.RunCommandAsync(builder.Configuration);
}
if (BuildTimeDocument.IsGenerating)
{
    builder.Configuration.AddInMemoryCollection(BuildTimeDocument.PlaceholderSettings);
    // The document tool starts the host briefly: its background services' retries against the placeholders are noise.
    builder.Logging.ClearProviders();
}
var app = builder.BuildApi();
await app.RunAsync();
return 0;
