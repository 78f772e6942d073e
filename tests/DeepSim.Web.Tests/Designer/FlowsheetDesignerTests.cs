using Bunit;
using DeepSim.Web.Components.Designer;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace DeepSim.Web.Tests.Designer;

/// <summary>
/// The designer re-renders on its own (the canvas fits the view after its first render, validation answers): every
/// interaction finds its element and acts in one dispatch, so a re-render cannot fall between the two.
/// </summary>
public class FlowsheetDesignerTests : BunitContext, IAsyncLifetime
{
    // MudBlazor's services are only asynchronously disposable: dispose the context that way.
    public Task InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public FlowsheetDesignerTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    private IRenderedComponent<FlowsheetDesigner> RenderDesigner(string? json = null,
        Func<string, CancellationToken, Task<IReadOnlyList<ValidationIssue>>>? validate = null, Action<string>? saved = null)
    {
        Render<MudPopoverProvider>();
        return Render<FlowsheetDesigner>(p =>
        {
            p.Add(x => x.InitialJson, json);
            p.Add(x => x.Validate, validate);
            p.Add(x => x.OnSave, (string s) => saved?.Invoke(s));
        });
    }

    private static string TwoUnits()
    {
        var state = new DesignerState();
        state.SetComponents(["benzene", "toluene"]);
        state.AddUnit("feed", 40, 40);
        state.AddUnit("heater", 240, 40);
        return state.ToJson();
    }

    [Fact]
    public async Task Clicking_a_palette_item_then_the_canvas_places_the_unit_at_the_click()
    {
        var cut = RenderDesigner();
        await cut.InvokeAsync(() => cut.Find("[data-testid=palette-heater]").Click());
        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-canvas]").Click(new MouseEventArgs { ClientX = 300, ClientY = 200 }));

        var unit = Assert.Single(cut.Instance.State.Units);
        Assert.Equal(("HEATER1", "heater"), (unit.Id, unit.Type));
        var (w, h) = CanvasGeometry.Size("heater");
        Assert.Equal((300 - w / 2, 200 - h / 2), (unit.X, unit.Y));
        Assert.NotNull(cut.Find("[data-testid=unit-HEATER1]"));
        Assert.NotNull(cut.Find("[data-testid=field-outletTemperature]")); // the new unit is selected in the panel

        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-canvas]").Click(new MouseEventArgs { ClientX = 500, ClientY = 200 }));
        Assert.Single(cut.Instance.State.Units); // the palette choice is used once
    }

    [Fact]
    public async Task Clicking_an_outlet_then_an_inlet_connects_them_with_a_stream()
    {
        var cut = RenderDesigner(TwoUnits());
        await cut.InvokeAsync(() => cut.Find("[data-testid=port-FEED1-out]").Click());
        await cut.InvokeAsync(() => cut.Find("[data-testid=port-HEATER1-in]").Click());

        var stream = Assert.Single(cut.Instance.State.Streams);
        Assert.Equal(("S1", "FEED1", "out", "HEATER1", "in"), (stream.Id, stream.FromUnit, stream.FromPort, stream.ToUnit, stream.ToPort));
        Assert.NotNull(cut.Find("[data-testid=stream-S1]"));
    }

    [Fact]
    public async Task Dragging_from_a_port_to_a_port_connects_them()
    {
        var cut = RenderDesigner(TwoUnits());
        await cut.InvokeAsync(() => cut.Find("[data-testid=port-FEED1-out]").PointerDown());
        await cut.InvokeAsync(() => cut.Find("[data-testid=port-HEATER1-in]").PointerUp());

        Assert.Single(cut.Instance.State.Streams);
    }

    [Fact]
    public async Task Dragging_a_unit_moves_it_in_one_undo_step_and_does_not_place_or_deselect()
    {
        var cut = RenderDesigner(TwoUnits());
        var before = cut.Instance.State.ToJson();
        await cut.InvokeAsync(() => cut.Find("[data-testid=unit-HEATER1]").PointerDown(new PointerEventArgs { ClientX = 260, ClientY = 60, Button = 0 }));
        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-canvas]").PointerMove(new PointerEventArgs { ClientX = 300, ClientY = 100 }));
        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-canvas]").PointerMove(new PointerEventArgs { ClientX = 360, ClientY = 160 }));
        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-canvas]").PointerUp(new PointerEventArgs { ClientX = 360, ClientY = 160 }));
        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-canvas]").Click(new MouseEventArgs { ClientX = 360, ClientY = 160 }));

        var heater = cut.Instance.State.Unit("HEATER1")!;
        var zoom = cut.FindComponent<DesignerCanvas>().Instance.Zoom; // the pointer moved 100 px: 100/zoom in drawing units
        Assert.Equal((Math.Round(240 + 100 / zoom), Math.Round(40 + 100 / zoom)), (heater.X, heater.Y));
        Assert.Equal(2, cut.Instance.State.Units.Count);
        Assert.Equal("HEATER1", cut.Find("[data-testid=field-id]").GetAttribute("value")); // still selected
        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-undo]").Click());
        Assert.Equal(before, cut.Instance.State.ToJson());
    }

    [Fact]
    public async Task Delete_removes_the_selected_unit_and_undo_brings_it_back()
    {
        var cut = RenderDesigner(TwoUnits());
        var before = cut.Instance.State.ToJson();
        await cut.InvokeAsync(() => cut.Find("[data-testid=unit-HEATER1]").Click());
        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-canvas-host]").KeyDown(new KeyboardEventArgs { Key = "Delete" }));
        Assert.Null(cut.Instance.State.Unit("HEATER1"));
        Assert.Empty(cut.FindAll("[data-testid=unit-HEATER1]"));

        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-canvas-host]").KeyDown(new KeyboardEventArgs { Key = "z", CtrlKey = true }));
        Assert.Equal(before, cut.Instance.State.ToJson());
        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-redo]").Click());
        Assert.Null(cut.Instance.State.Unit("HEATER1"));
        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-undo]").Click());
        Assert.NotNull(cut.Find("[data-testid=unit-HEATER1]"));
    }

    [Fact]
    public async Task Bad_json_in_the_json_view_shows_an_error_and_keeps_the_drawing()
    {
        var cut = RenderDesigner(TwoUnits());
        var before = cut.Instance.State.ToJson();
        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-json-toggle]").Click());
        await cut.InvokeAsync(() => cut.Find("[data-testid=json-view] textarea").Input("{ \"units\": ["));
        await cut.InvokeAsync(() => cut.Find("[data-testid=json-apply]").Click());

        Assert.Contains("Not valid JSON", cut.Find("[data-testid=json-error]").TextContent, StringComparison.Ordinal);
        Assert.Equal(before, cut.Instance.State.ToJson());
    }

    [Fact]
    public async Task Json_applied_in_the_json_view_reloads_the_drawing()
    {
        var cut = RenderDesigner(TwoUnits());
        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-json-toggle]").Click());
        var edited = cut.Instance.State.ToJson().Replace("HEATER1", "E-101", StringComparison.Ordinal);
        await cut.InvokeAsync(() => cut.Find("[data-testid=json-view] textarea").Input(edited));
        await cut.InvokeAsync(() => cut.Find("[data-testid=json-apply]").Click());
        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-json-toggle]").Click());

        Assert.NotNull(cut.Find("[data-testid=unit-E-101]"));
    }

    [Fact]
    public async Task Validation_issues_after_an_edit_mark_the_unit_and_are_listed()
    {
        string? lastChecked = null;
        var cut = RenderDesigner(TwoUnits(), (json, _) =>
        {
            lastChecked = json;
            IReadOnlyList<ValidationIssue> found = json.Contains("E-1", StringComparison.Ordinal)
                ? [new ValidationIssue("$.units[1].spec.outletTemperature", "too hot for this heater")]
                : [];
            return Task.FromResult(found);
        });
        // The first validation may re-render at any moment: find and act in one dispatch.
        await cut.InvokeAsync(() => cut.Find("[data-testid=unit-HEATER1]").Click());
        await cut.InvokeAsync(() => cut.Find("[data-testid=field-id]").Change("E-1"));

        cut.WaitForAssertion(() => Assert.Contains("too hot for this heater", cut.Find("[data-testid=designer-problems]").TextContent, StringComparison.Ordinal), Timeout);
        cut.WaitForAssertion(() => Assert.Contains("has-issue", cut.Find("[data-testid=unit-E-1]").GetAttribute("class"), StringComparison.Ordinal), Timeout);
        Assert.Equal("too hot for this heater", cut.Find("[data-testid=issue-outletTemperature]").TextContent);
        Assert.Equal(cut.Instance.State.ToJson(), lastChecked); // the validator saw the edited document
    }

    [Fact]
    public async Task Issues_are_dropped_when_units_move_in_the_document_until_the_next_check()
    {
        var release = new TaskCompletionSource();
        var first = true;
        var cut = RenderDesigner(TwoUnits(), async (_, ct) =>
        {
            if (first)
            {
                first = false;
                return [new ValidationIssue("$.units[1].spec.outletTemperature", "about the heater")];
            }
            await release.Task.WaitAsync(ct); // the check after the edit has not answered yet
            return [];
        });
        cut.WaitForAssertion(() => Assert.Contains("has-issue", cut.Find("[data-testid=unit-HEATER1]").GetAttribute("class"), StringComparison.Ordinal), Timeout);

        await cut.InvokeAsync(() => cut.Instance.State.RemoveUnit("FEED1")); // HEATER1 is now $.units[0]

        Assert.DoesNotContain("has-issue", cut.Find("[data-testid=unit-HEATER1]").GetAttribute("class"), StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=problem]"));
        release.SetResult();
    }

    [Theory]
    [InlineData(false, "http://localhost/")]
    [InlineData(true, "http://localhost/elsewhere")]
    public async Task Leaving_with_unsaved_changes_asks_first(bool leave, string expectedUri)
    {
        var confirm = JSInterop.Setup<bool>("confirm", _ => true);
        confirm.SetResult(leave);
        var navigation = Services.GetRequiredService<NavigationManager>();
        var cut = RenderDesigner(TwoUnits());
        navigation.NavigateTo("/clean-is-free");
        Assert.Empty(confirm.Invocations); // nothing unsaved: no question
        navigation.NavigateTo("/");

        await cut.InvokeAsync(() => cut.Find("[data-testid=palette-valve]").Click());
        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-canvas]").Click(new MouseEventArgs { ClientX = 400, ClientY = 300 }));
        navigation.NavigateTo("/elsewhere");

        Assert.Single(confirm.Invocations);
        Assert.Equal(expectedUri, navigation.Uri);
    }

    [Fact]
    public async Task Save_hands_over_the_document_and_clears_the_dirty_flag()
    {
        string? saved = null;
        var cut = RenderDesigner(TwoUnits(), saved: s => saved = s);
        await cut.InvokeAsync(() => cut.Find("[data-testid=palette-valve]").Click());
        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-canvas]").Click(new MouseEventArgs { ClientX = 400, ClientY = 300 }));
        Assert.True(cut.Instance.IsDirty);
        Assert.Equal("Unsaved changes", cut.Find("[data-testid=designer-dirty]").TextContent);

        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-save]").Click());

        Assert.Equal(cut.Instance.State.ToJson(), saved);
        Assert.Contains("VALVE1", saved, StringComparison.Ordinal);
        Assert.False(cut.Instance.IsDirty);
    }

    [Fact]
    public async Task The_saved_json_handed_back_as_initial_json_keeps_the_history()
    {
        var cut = RenderDesigner(TwoUnits());
        await cut.InvokeAsync(() => cut.Instance.State.AddUnit("pump", 400, 40));
        var saved = cut.Instance.State.ToJson();

        cut.Render(p => p.Add(x => x.InitialJson, saved));

        Assert.True(cut.Instance.State.CanUndo);
        Assert.NotNull(cut.Instance.State.Unit("PUMP1"));

        cut.Render(p => p.Add(x => x.InitialJson, TwoUnits().Replace("HEATER1", "H-1", StringComparison.Ordinal)));
        Assert.False(cut.Instance.State.CanUndo); // another document: a fresh start
        Assert.NotNull(cut.Instance.State.Unit("H-1"));
    }

    [Fact]
    public async Task A_failed_save_keeps_the_changes_unsaved_and_says_why()
    {
        Render<MudPopoverProvider>();
        var cut = Render<FlowsheetDesigner>(p => p
            .Add(x => x.InitialJson, TwoUnits())
            .Add(x => x.OnSave, (string _) => throw new HttpRequestException("the Api is down")));
        await cut.InvokeAsync(() => cut.Instance.State.AddUnit("pump", 400, 40));

        await cut.InvokeAsync(() => cut.Find("[data-testid=designer-save]").Click());

        Assert.True(cut.Instance.IsDirty);
        Assert.Contains("the Api is down", cut.Find("[data-testid=designer-message]").TextContent, StringComparison.Ordinal);
    }
}
