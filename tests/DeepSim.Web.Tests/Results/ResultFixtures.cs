using Bunit;
using DeepSim.Web.Components.Results;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace DeepSim.Web.Tests.Results;

internal static class ResultFixtures
{
    public static string Json(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Results", "Fixtures", name + ".json"));

    public static RunResultView Load(string name) => RunResultView.Parse(Json(name));
}

/// <summary>A bunit context with MudBlazor's services and loose JS interop (MudBlazor and Plotly call JS after render).</summary>
public abstract class ResultsComponentTest : BunitContext
{
    protected ResultsComponentTest()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }
}
