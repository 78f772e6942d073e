using DeepSim.Api;
using DeepSim.Api.Data;

var builder = WebApplication.CreateBuilder(args);
if (args is ["migrate", ..])
{
    return await DatabaseMigrator.RunCommandAsync(builder.Configuration);
}
var app = builder.BuildApi();
await app.RunAsync();
return 0;
