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

/// <summary>
/// A bunit context with MudBlazor's services and loose JS interop (MudBlazor and Plotly call JS after render), disposed
/// asynchronously: MudBlazor's services only implement IAsyncDisposable, which xunit 2 calls only through IAsyncLifetime.
/// </summary>
public abstract class ResultsComponentTest : IAsyncLifetime
{
    protected BunitContext Context { get; } = new();

    protected ResultsComponentTest()
    {
        Context.Services.AddMudServices();
        Context.JSInterop.Mode = JSRuntimeMode.Loose;
    }

    protected IRenderedComponent<T> Render<T>(Action<ComponentParameterCollectionBuilder<T>> parameters)
        where T : Microsoft.AspNetCore.Components.IComponent => Context.Render(parameters);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Context.DisposeAsync();
}
