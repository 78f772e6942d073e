using DeepSim.ServiceDefaults;
using DeepSim.Web;
using DeepSim.Web.Components;

var builder = WebApplication.CreateBuilder(args);
// The AppHost runs the app from its build output outside Development: without this, package assets (MudBlazor's,
// blazor.web.js) are 404 there. A published app has them in wwwroot and no manifest, so this does nothing.
builder.WebHost.UseStaticWebAssets();
builder.AddServiceDefaults();
builder.AddWebServices();

var app = builder.Build();
// A request no endpoint answers (a mistyped address) gets the app's not-found page, in the layout, with status 404.
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.MapStaticAssets();
app.UseAntiforgery();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.MapDefaultEndpoints();
app.Run();
