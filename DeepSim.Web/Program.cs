using DeepSim.ServiceDefaults;
using DeepSim.Web;
using DeepSim.Web.Account;
using DeepSim.Web.Analytics;
using DeepSim.Web.Assistant;
using DeepSim.Web.Components;
using DeepSim.Web.Flowsheets;

var builder = WebApplication.CreateBuilder(args);
// The AppHost runs the app from its build output outside Development: without this, package assets (MudBlazor's,
// blazor.web.js) are 404 there. A published app has them in wwwroot and no manifest, so this does nothing.
builder.WebHost.UseStaticWebAssets();
builder.AddServiceDefaults();
builder.AddWebServices();
builder.AddAssistant();

var app = builder.Build();
app.UseExceptionHandler("/error", createScopeForErrors: true);
app.UseStatusCodePagesWithReExecute("/not-found");
app.UseStaticFiles();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.MapAccountEndpoints();
app.MapDownloadEndpoints();
app.MapPlatformAnalyticsDownloads();
app.MapDefaultEndpoints();
app.Run();
