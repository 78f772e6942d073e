using DeepSim.ServiceDefaults;
using MudBlazor.Services;

namespace DeepSim.Web;

public static class WebServiceExtensions
{
    public static IHostApplicationBuilder AddWebServices(this IHostApplicationBuilder builder)
    {
        builder.Configuration.GetRequiredServiceUri(ResourceNames.Api);
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddHttpClient<ApiStatus>(client => client.BaseAddress = new Uri($"http://{ResourceNames.Api}"));
        builder.Services.AddHealthChecks().AddServiceCheck(ResourceNames.Api);
        return builder;
    }
}
