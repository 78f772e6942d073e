using DeepSim.Web.Units;
using Microsoft.Kiota.Abstractions;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Routing;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;

namespace DeepSim.Web.Components.Designer;

/// <summary>
/// The flowsheet editor: palette, canvas, property panel, JSON view and problems list, all views of one
/// <see cref="DesignerState"/>. The page supplies the document and wires saving, validation and component search
/// to the Api; unsaved changes are guarded by a navigation lock.
/// </summary>
public sealed partial class FlowsheetDesigner
{
    /// <summary>Validation waits this long after the last edit, so typing a number does not call the Api per key.</summary>
    public const int ValidationDebounceMilliseconds = 400;

    private DesignerState state = new();
    private string? loadedJson;
    private DesignerCanvas? canvas;
    private DesignerSelection? selection;
    private string? armedType;
    private bool jsonView;
    private string jsonText = "";
    private bool jsonEdited;
    private string? jsonError;
    private string? message;
    private bool saving;
    private bool validating;
    private string? validationError;
    private IReadOnlyList<ValidationIssue> issues = [];
    private Dictionary<string, int> unitIssueCounts = [];
    private HashSet<string> streamsWithIssues = [];
    private CancellationTokenSource? validation;
    private string issuesShape = "";

    [Inject] private IJSRuntime JS { get; set; } = default!;

    /// <summary>The flowsheet JSON to edit (null or empty: a new, empty flowsheet). A different value reloads the designer.</summary>
    [Parameter] public string? InitialJson { get; set; }

    /// <summary>Called with the document JSON on Save; when it completes without throwing the designer counts as saved.</summary>
    [Parameter] public EventCallback<string> OnSave { get; set; }

    /// <summary>Checks the document (the Api's validate endpoint): issues by JSON path. Called ~400 ms after the last edit.</summary>
    [Parameter] public Func<string, CancellationToken, Task<IReadOnlyList<ValidationIssue>>>? Validate { get; set; }

    /// <summary>Finds database components by name, formula or CAS for the component picker.</summary>
    [Parameter] public Func<string, CancellationToken, Task<IReadOnlyList<ComponentChoice>>>? SearchComponents { get; set; }

    /// <summary>Solved streams by id, shown on hover and in the panel.</summary>
    [Parameter] public IReadOnlyDictionary<string, StreamSummary>? StreamResults { get; set; }

    [Parameter] public UnitSystem DisplayUnits { get; set; } = UnitSystem.Metric;

    /// <summary>Links a spec value to a new study of it (by JSON path); null offers none.</summary>
    [Parameter] public Func<string, string>? StudyHref { get; set; }

    public DesignerState State => state;

    public bool IsDirty => state.IsDirty;

    public IReadOnlyList<ValidationIssue> Issues => issues;

    protected override void OnParametersSet()
    {
        if (InitialJson == loadedJson)
        {
            return;
        }
        loadedJson = InitialJson;
        if (InitialJson is not null && InitialJson == state.ToJson())
        {
            return; // the page handed back what it saved: nothing to reload, keep the history
        }
        state.Changed -= OnStateChanged;
        try
        {
            state = new DesignerState(InitialJson);
        }
        catch (ArgumentException ex)
        {
            state = new DesignerState();
            message = ex.Message;
        }
        state.Changed += OnStateChanged;
        selection = null;
        jsonText = state.ToJson();
        jsonEdited = false;
        ScheduleValidation();
    }

    private void OnStateChanged()
    {
        if (selection is { Kind: SelectionKind.Unit } u && state.Unit(u.Id) is null || selection is { Kind: SelectionKind.Stream } s && state.Stream(s.Id) is null)
        {
            selection = null;
        }
        if (!jsonEdited)
        {
            jsonText = state.ToJson();
        }
        if (issues.Count > 0 && Shape() != issuesShape)
        {
            // Issues name units and streams by index: once those move, they would point at the wrong ones.
            SetIssues([]);
        }
        ScheduleValidation();
        _ = InvokeAsync(StateHasChanged);
    }

    private void Select(DesignerSelection? next)
    {
        selection = next;
        message = null;
    }

    private void Arm(string type)
    {
        armedType = armedType == type ? null : type;
        message = null;
    }

    private void ShowMessage(string text) => message = text;

    private void DeleteSelection()
    {
        switch (selection)
        {
            case { Kind: SelectionKind.Unit } u:
                state.RemoveUnit(u.Id);
                break;
            case { Kind: SelectionKind.Stream } s:
                state.RemoveStream(s.Id);
                break;
        }
        selection = null;
    }

    private async Task AutoLayoutAsync()
    {
        state.AutoLayout();
        await Task.Yield();
        canvas?.Fit();
    }

    private async Task OnKeyDown(KeyboardEventArgs e)
    {
        var ctrl = e.CtrlKey || e.MetaKey;
        switch (e.Key)
        {
            case "Delete" or "Backspace":
                DeleteSelection();
                break;
            case "z" or "Z" when ctrl && !e.ShiftKey:
                state.Undo();
                break;
            case "y" or "Y" when ctrl:
            case "z" or "Z" when ctrl && e.ShiftKey:
                state.Redo();
                break;
            case "Escape":
                armedType = null;
                if (canvas is not null)
                {
                    await canvas.CancelAsync();
                }
                break;
        }
    }

    private void ToggleJson(bool on)
    {
        jsonView = on;
        jsonText = state.ToJson();
        jsonEdited = false;
        jsonError = null;
    }

    private void ApplyJson()
    {
        if (state.TryLoad(jsonText, out var error))
        {
            jsonEdited = false;
            jsonError = null;
            jsonText = state.ToJson();
        }
        else
        {
            jsonError = error;
        }
    }

    private void RevertJson()
    {
        jsonText = state.ToJson();
        jsonEdited = false;
        jsonError = null;
    }

    private async Task SaveAsync()
    {
        if (jsonView && jsonEdited)
        {
            ApplyJson();
            if (jsonError is not null)
            {
                return;
            }
        }
        saving = true;
        try
        {
            var json = state.ToJson();
            await OnSave.InvokeAsync(json);
            if (state.ToJson() == json)
            {
                state.MarkSaved();
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or ApiException or InvalidOperationException or TaskCanceledException)
        {
            // The document stays dirty, so nothing is lost; the page may show its own message too.
            message = $"Not saved: {ex.Message}";
        }
        finally
        {
            saving = false;
        }
    }

    private async Task ConfirmLeaveAsync(LocationChangingContext context)
    {
        if (!state.IsDirty)
        {
            return;
        }
        var leave = await JS.InvokeAsync<bool>("confirm", "This flowsheet has unsaved changes. Leave without saving?");
        if (!leave)
        {
            context.PreventNavigation();
        }
    }

    // ---- Validation ------------------------------------------------------------------------------------------

    private void ScheduleValidation()
    {
        if (Validate is null)
        {
            return;
        }
        validation?.Cancel();
        validation?.Dispose();
        validation = new CancellationTokenSource();
        _ = ValidateAsync(state.ToJson(), validation.Token);
    }

    private async Task ValidateAsync(string json, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(ValidationDebounceMilliseconds, cancellationToken);
            await InvokeAsync(() =>
            {
                validating = true;
                StateHasChanged();
            });
            var found = await Validate!(json, cancellationToken);
            await InvokeAsync(() =>
            {
                validating = false;
                if (cancellationToken.IsCancellationRequested || json != state.ToJson())
                {
                    return; // a newer edit is on its way to the validator
                }
                validationError = null;
                SetIssues(found);
                StateHasChanged();
            });
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is HttpRequestException or ApiException)
        {
            await InvokeAsync(() =>
            {
                validating = false;
                validationError = $"The flowsheet could not be checked: {ex.Message}";
                StateHasChanged();
            });
        }
    }

    /// <summary>Sets the issues and the per-unit and per-stream lookups the canvas marks them with.</summary>
    internal void SetIssues(IReadOnlyList<ValidationIssue> found)
    {
        issues = found;
        issuesShape = Shape();
        unitIssueCounts = [];
        streamsWithIssues = [];
        foreach (var issue in found)
        {
            var at = IssueLocation.Parse(issue.Path);
            if (at.Scope == IssueScope.Unit && state.Units.FirstOrDefault(u => u.Index == at.Index) is { } unit)
            {
                unitIssueCounts[unit.Id] = unitIssueCounts.GetValueOrDefault(unit.Id) + 1;
            }
            else if (at.Scope == IssueScope.Stream && state.Streams.FirstOrDefault(s => s.Index == at.Index) is { } stream)
            {
                streamsWithIssues.Add(stream.Id);
            }
        }
    }

    /// <summary>The unit and stream ids in document order: what validation paths' indices refer to.</summary>
    private string Shape() => string.Join(",", state.Units.Select(u => u.Id)) + "|" + string.Join(",", state.Streams.Select(s => s.Id));

    private (string Label, DesignerSelection? Selection) Target(ValidationIssue issue)
    {
        var at = IssueLocation.Parse(issue.Path);
        return at.Scope switch
        {
            IssueScope.Unit when state.Units.FirstOrDefault(u => u.Index == at.Index) is { } u =>
                (at.Field is null ? u.Id : $"{u.Id} · {at.Field}", new DesignerSelection(SelectionKind.Unit, u.Id)),
            IssueScope.Stream when state.Streams.FirstOrDefault(s => s.Index == at.Index) is { } s =>
                (at.Field is null ? s.Id : $"{s.Id} · {at.Field}", new DesignerSelection(SelectionKind.Stream, s.Id)),
            _ => (at.Field is null ? "Flowsheet" : $"Flowsheet · {at.Field}", null),
        };
    }

    public void Dispose()
    {
        state.Changed -= OnStateChanged;
        validation?.Cancel();
        validation?.Dispose();
    }
}
