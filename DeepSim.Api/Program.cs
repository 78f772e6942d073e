using DeepSim.Api;
using DeepSim.Api.Data;
using DeepSim.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
if (args is ["migrate", ..])
{
    return await DatabaseMigrator.RunCommandAsync(builder.Configuration);
}
builder.AddServiceDefaults();
builder.AddApiServices();

var app = builder.Build();
app.MapApiEndpoints();
app.MapDefaultEndpoints();
await app.RunAsync();
return 0;
