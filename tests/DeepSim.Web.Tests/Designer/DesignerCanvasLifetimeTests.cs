using Bunit;
using DeepSim.Web.Components.Designer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.JSInterop;
using MudBlazor;
using MudBlazor.Services;

namespace DeepSim.Web.Tests.Designer;

/// <summary>
/// The canvas loads its script module after its first render. A person who leaves the designer at once (a link clicked
/// while the module loads) must not have the module set up on the svg that is gone: in the browser that call throws,
/// and an exception there ends the whole circuit (seen in CI as a study page that never came alive).
/// </summary>
public class DesignerCanvasLifetimeTests : BunitContext, IAsyncLifetime
{
    private readonly ScriptLoader js = new();

    public DesignerCanvasLifetimeTests()
    {
        Services.AddMudServices();
        // Every call answered with its default, as bunit's loose mode would; the module import waits for the test.
        Services.AddSingleton<IJSRuntime>(js);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    [Fact]
    public async Task A_designer_left_while_its_script_loads_disposes_the_module_without_setting_it_up()
    {
        Render<MudPopoverProvider>();
        var cut = Render<FlowsheetDesigner>();
        Assert.NotNull(cut.Find("[data-testid=designer-canvas]"));
        Assert.Equal(["./designer.js"], js.Imports);

        await DisposeComponentsAsync();
        var module = new RecordingModule();
        js.Module.SetResult(module);

        await module.Disposed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(module.Calls);
    }

    [Fact]
    public void A_designer_that_stays_sets_its_module_up_on_the_canvas()
    {
        Render<MudPopoverProvider>();
        var cut = Render<FlowsheetDesigner>();
        var module = new RecordingModule();
        js.Module.SetResult(module);

        cut.WaitForAssertion(() => Assert.Contains("init", module.Calls), TimeSpan.FromSeconds(10));
        Assert.False(module.Disposed.Task.IsCompleted);
    }

    /// <summary>A JS runtime whose module imports complete when the test says (<see cref="Module"/>); every other call gets its default.</summary>
    private sealed class ScriptLoader : JsCalls
    {
        private readonly List<string> imports = [];

        public TaskCompletionSource<IJSObjectReference> Module { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<string> Imports
        {
            get
            {
                lock (imports)
                {
                    return [.. imports];
                }
            }
        }

        public override ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args)
        {
            if (identifier != "import")
            {
                return ValueTask.FromResult(default(TValue)!);
            }
            lock (imports)
            {
                imports.Add(args?[0] as string ?? "");
            }
            return new ValueTask<TValue>(Module.Task.ContinueWith(t => (TValue)t.Result, TaskScheduler.Default));
        }

    }

    /// <summary>A module that records the functions called on it.</summary>
    private sealed class RecordingModule : JsCalls, IJSObjectReference
    {
        private readonly List<string> calls = [];

        public IReadOnlyList<string> Calls
        {
            get
            {
                lock (calls)
                {
                    return [.. calls];
                }
            }
        }

        public TaskCompletionSource Disposed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args)
        {
            lock (calls)
            {
                calls.Add(identifier);
            }
            return ValueTask.FromResult(default(TValue)!);
        }


        public ValueTask DisposeAsync()
        {
            Disposed.TrySetResult();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>The JS interop surface both fakes share: function calls are theirs to answer; nothing else is used here.</summary>
    private abstract class JsCalls : IJSRuntime
    {
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => InvokeAsync<TValue>(identifier, CancellationToken.None, args);

        public abstract ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args);

        public ValueTask<IJSObjectReference> InvokeConstructorAsync(string identifier, object?[]? args) => throw new NotSupportedException();

        public ValueTask<IJSObjectReference> InvokeConstructorAsync(string identifier, CancellationToken cancellationToken, object?[]? args) =>
            throw new NotSupportedException();

        public ValueTask<TValue> GetValueAsync<TValue>(string identifier) => throw new NotSupportedException();

        public ValueTask<TValue> GetValueAsync<TValue>(string identifier, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask SetValueAsync<TValue>(string identifier, TValue value) => throw new NotSupportedException();

        public ValueTask SetValueAsync<TValue>(string identifier, TValue value, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
