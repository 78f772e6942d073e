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
}
var app = builder.BuildApi();
await app.RunAsync();
return 0;
