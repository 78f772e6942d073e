using DeepSim.ServiceDefaults;
using DeepSim.Web;
using DeepSim.Web.Account;
using DeepSim.Web.Components;
using DeepSim.Web.Flowsheets;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddWebServices();

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
app.MapDefaultEndpoints();
app.Run();
