using System.Globalization;
using DeepSim.Web.Units;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;

namespace DeepSim.Web.Components.Designer;

/// <summary>
/// The drawing: units with their ports (inlets left, outlets right), streams with arrowheads and labels, on a grid.
/// Screen = world × zoom + pan. Click-driven so browser tests can drive it: click a palette item then the canvas to
/// place; click an outlet then an inlet (either order) to connect, or drag from one to the other; drag a unit to
/// move it (one undo step on release); drag the background to pan; the wheel zooms about the pointer.
/// </summary>
public sealed partial class DesignerCanvas : IAsyncDisposable
{
    private const double MinZoom = 0.25;
    private const double MaxZoom = 3;
    private const double ZoomStep = 1.2;
    /// <summary>A pointer that moves less than this (px) between down and up clicked rather than dragged.</summary>
    private const double DragThreshold = 3;

    private ElementReference svg;
    private IJSObjectReference? module;
    private bool disposed;
    private (double Left, double Top, double Width, double Height) rect = (0, 0, 900, 560);
    private double zoom = 1;
    private double panX;
    private double panY;
    private UnitDrag? drag;
    private Pan? pan;
    private PortRef? pendingPort;
    private PortRef? portDragFrom;
    private (double X, double Y)? pointerWorld;
    private bool downOnItem;
    private bool suppressClick;
    private bool skipRender;

    private sealed class UnitDrag(string id, double startX, double startY, double originX, double originY)
    {
        public string Id => id;
        public double StartX => startX;
        public double StartY => startY;
        public double OriginX => originX;
        public double OriginY => originY;
        public double X { get; set; }
        public double Y { get; set; }
        public bool Moved { get; set; }
    }

    private sealed record Pan(double StartX, double StartY, double OriginX, double OriginY)
    {
        public bool Moved { get; set; }
    }

    private sealed record UnitLayout(UnitView View, IReadOnlyList<string> Inlets, IReadOnlyList<string> Outlets)
    {
        /// <summary>The any-named ports that set a mixer's or splitter's height.</summary>
        public int VariablePorts => View.Type == "mixer" ? Inlets.Count : View.Type == "splitter" ? Outlets.Count : 0;

        public (double Width, double Height) Size => CanvasGeometry.Size(View.Type, VariablePorts);
    }

    [Inject] private IJSRuntime JS { get; set; } = default!;

    [Parameter, EditorRequired] public DesignerState State { get; set; } = default!;

    [Parameter] public DesignerSelection? Selection { get; set; }

    [Parameter] public EventCallback<DesignerSelection?> SelectionChanged { get; set; }

    /// <summary>The palette's unit type waiting to be placed by a click on the canvas.</summary>
    [Parameter] public string? ArmedType { get; set; }

    [Parameter] public EventCallback<string?> ArmedTypeChanged { get; set; }

    /// <summary>A refused action's reason (a port already connected…), for the designer to show.</summary>
    [Parameter] public EventCallback<string> OnMessage { get; set; }

    [Parameter] public IReadOnlyDictionary<string, int>? UnitIssueCounts { get; set; }

    [Parameter] public IReadOnlySet<string>? StreamsWithIssues { get; set; }

    [Parameter] public IReadOnlyDictionary<string, StreamSummary>? StreamResults { get; set; }

    [Parameter] public UnitSystem DisplayUnits { get; set; } = UnitSystem.Metric;

    public double Zoom => zoom;

    /// <summary>A port waiting for its other end (after a click on it), or null.</summary>
    public PortRef? PendingPort => pendingPort;

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }
        try
        {
            var loaded = await JS.InvokeAsync<IJSObjectReference?>("import", "./designer.js");
            if (loaded is null)
            {
                return;
            }
            if (disposed)
            {
                // The person left the designer while its script loaded (a link clicked at once): its svg is gone.
                await loaded.DisposeAsync();
                return;
            }
            module = loaded;
            await module.InvokeVoidAsync("init", svg);
            await RefreshRect();
            Fit();
            StateHasChanged();
        }
        catch (JSDisconnectedException)
        {
            // The circuit went away while loading: nothing to draw any more.
        }
        catch (Exception ex) when (disposed && ex is JSException or ObjectDisposedException)
        {
            // The canvas left the page between two of these calls (its module may be disposed already): nothing to set up.
        }
    }

    public void ZoomIn() => ZoomAbout(ZoomStep, rect.Width / 2, rect.Height / 2);

    public void ZoomOut() => ZoomAbout(1 / ZoomStep, rect.Width / 2, rect.Height / 2);

    /// <summary>Zooms and pans so every unit is in view (at most 1.5×).</summary>
    public void Fit()
    {
        if (State.Units.Count == 0)
        {
            zoom = 1;
            panX = panY = 0;
            StateHasChanged();
            return;
        }
        const double Margin = 40;
        var minX = State.Units.Min(u => u.X) - Margin;
        var minY = State.Units.Min(u => u.Y) - Margin;
        var maxX = State.Units.Max(u => u.X + CanvasGeometry.Size(u.Type, 3).Width) + Margin;
        var maxY = State.Units.Max(u => u.Y + CanvasGeometry.Size(u.Type, 3).Height + 20) + Margin;
        zoom = Math.Clamp(Math.Min(rect.Width / (maxX - minX), rect.Height / (maxY - minY)), MinZoom, 1.5);
        panX = (rect.Width - (maxX - minX) * zoom) / 2 - minX * zoom;
        panY = (rect.Height - (maxY - minY) * zoom) / 2 - minY * zoom;
        StateHasChanged();
    }

    /// <summary>Drops a pending connection or a palette choice (Escape).</summary>
    public async Task CancelAsync()
    {
        pendingPort = null;
        portDragFrom = null;
        if (ArmedType is not null)
        {
            await ArmedTypeChanged.InvokeAsync(null);
        }
        StateHasChanged();
    }

    private Dictionary<string, UnitLayout> Layout()
    {
        var result = new Dictionary<string, UnitLayout>(StringComparer.Ordinal);
        foreach (var u in State.Units)
        {
            var view = drag is { } d && d.Id == u.Id ? u with { X = d.X, Y = d.Y } : u;
            var (inlets, outlets) = State.Ports(u.Id);
            result.TryAdd(u.Id, new UnitLayout(view, inlets, outlets));
        }
        return result;
    }

    private static (double X, double Y) PortPoint(UnitLayout unit, string port, bool outlet)
    {
        var ports = outlet ? unit.Outlets : unit.Inlets;
        var k = Math.Max(0, ports.ToList().IndexOf(port));
        return CanvasGeometry.Port(unit.View, unit.Size, k, Math.Max(ports.Count, 1), outlet);
    }

    private (double X, double Y) ToWorld(double clientX, double clientY) =>
        ((clientX - rect.Left - panX) / zoom, (clientY - rect.Top - panY) / zoom);

    private async Task RefreshRect()
    {
        if (module is null || disposed)
        {
            return;
        }
        try
        {
            var r = await module.InvokeAsync<CanvasRect?>("rect", svg);
            if (r is { Width: > 0, Height: > 0 })
            {
                rect = (r.Left, r.Top, r.Width, r.Height);
            }
        }
        catch (JSDisconnectedException)
        {
        }
        catch (Exception ex) when (disposed && ex is JSException or ObjectDisposedException)
        {
            // The canvas left the page while asking for its position.
        }
    }

    private sealed record CanvasRect(double Left, double Top, double Width, double Height);

    private async Task Select(DesignerSelection? selection)
    {
        if (selection != Selection)
        {
            await SelectionChanged.InvokeAsync(selection);
        }
    }

    // ---- Background: pan, place, deselect --------------------------------------------------------------------

    private async Task OnCanvasPointerDown(PointerEventArgs e)
    {
        // State first, awaits after: the pointerup may be handled while this handler awaits.
        downOnItem = false;
        portDragFrom = null;
        if (e.Button == 0)
        {
            pan = new Pan(e.ClientX, e.ClientY, panX, panY);
            await Capture(e.PointerId);
        }
        await RefreshRect();
    }

    private async Task OnCanvasClick(MouseEventArgs e)
    {
        if (downOnItem || suppressClick)
        {
            downOnItem = false;
            suppressClick = false;
            return;
        }
        if (ArmedType is { } type)
        {
            await RefreshRect();
            var (x, y) = ToWorld(e.ClientX, e.ClientY);
            var (w, h) = CanvasGeometry.Size(type);
            var id = State.AddUnit(type, x - w / 2, y - h / 2);
            await ArmedTypeChanged.InvokeAsync(null);
            await Select(new DesignerSelection(SelectionKind.Unit, id));
            return;
        }
        pendingPort = null;
        await Select(null);
    }

    private async Task OnDrop(DragEventArgs e)
    {
        if (ArmedType is null)
        {
            return;
        }
        downOnItem = false;
        suppressClick = false;
        await OnCanvasClick(e);
    }

    private void OnWheel(WheelEventArgs e)
    {
        if (e.DeltaY == 0)
        {
            return;
        }
        ZoomAbout(e.DeltaY < 0 ? ZoomStep : 1 / ZoomStep, e.ClientX - rect.Left, e.ClientY - rect.Top);
    }

    private void ZoomAbout(double factor, double screenX, double screenY)
    {
        var next = Math.Clamp(zoom * factor, MinZoom, MaxZoom);
        panX = screenX - (screenX - panX) * (next / zoom);
        panY = screenY - (screenY - panY) * (next / zoom);
        zoom = next;
        StateHasChanged();
    }

    private void OnPointerMove(PointerEventArgs e)
    {
        if (drag is { } d)
        {
            var dx = (e.ClientX - d.StartX) / zoom;
            var dy = (e.ClientY - d.StartY) / zoom;
            d.Moved |= Math.Abs(e.ClientX - d.StartX) + Math.Abs(e.ClientY - d.StartY) > DragThreshold;
            d.X = d.OriginX + dx;
            d.Y = d.OriginY + dy;
        }
        else if (pan is { } p)
        {
            p.Moved |= Math.Abs(e.ClientX - p.StartX) + Math.Abs(e.ClientY - p.StartY) > DragThreshold;
            panX = p.OriginX + e.ClientX - p.StartX;
            panY = p.OriginY + e.ClientY - p.StartY;
        }
        else if (pendingPort is not null || portDragFrom is not null)
        {
            pointerWorld = ToWorld(e.ClientX, e.ClientY);
        }
        else
        {
            skipRender = true; // nothing follows the pointer
        }
    }

    protected override bool ShouldRender()
    {
        var render = !skipRender;
        skipRender = false;
        return render;
    }

    private void OnPointerUp(PointerEventArgs e)
    {
        if (drag is { } d)
        {
            drag = null;
            if (d.Moved)
            {
                State.MoveUnit(d.Id, d.X, d.Y);
                suppressClick = true;
            }
        }
        if (pan is { } p)
        {
            pan = null;
            suppressClick |= p.Moved;
        }
        portDragFrom = null;
    }

    // ---- Units -----------------------------------------------------------------------------------------------

    private async Task OnUnitPointerDown(PointerEventArgs e, UnitView unit)
    {
        downOnItem = true;
        portDragFrom = null;
        if (e.Button == 0)
        {
            drag = new UnitDrag(unit.Id, e.ClientX, e.ClientY, unit.X, unit.Y) { X = unit.X, Y = unit.Y };
        }
        await Select(new DesignerSelection(SelectionKind.Unit, unit.Id));
        if (drag is not null)
        {
            await Capture(e.PointerId);
        }
    }

    private void OnItemPointerDown()
    {
        downOnItem = true;
        portDragFrom = null;
    }

    // ---- Ports -----------------------------------------------------------------------------------------------

    private void OnPortPointerDown(PointerEventArgs e, PortRef port)
    {
        downOnItem = true;
        portDragFrom = port;
        pointerWorld = ToWorld(e.ClientX, e.ClientY);
    }

    private async Task OnPortPointerUp(PortRef port)
    {
        if (portDragFrom is { } from && from != port)
        {
            portDragFrom = null;
            suppressClick = true;
            await ConnectAsync(from, port);
        }
    }

    private async Task OnPortClick(PortRef port)
    {
        if (pendingPort is null || pendingPort == port)
        {
            pendingPort = pendingPort == port ? null : port;
            return;
        }
        var from = pendingPort;
        pendingPort = null;
        if (from.Outlet == port.Outlet)
        {
            pendingPort = port; // two outlets (or inlets): start again from the one clicked last
            return;
        }
        await ConnectAsync(from, port);
    }

    private async Task ConnectAsync(PortRef a, PortRef b)
    {
        if (a.Outlet == b.Outlet)
        {
            await OnMessage.InvokeAsync($"Connect an outlet (right side) to an inlet (left side): {a.End} and {b.End} are both {(a.Outlet ? "outlets" : "inlets")}.");
            return;
        }
        var (outlet, inlet) = a.Outlet ? (a, b) : (b, a);
        if (State.TryConnect(outlet.End, inlet.End, out var result))
        {
            await Select(new DesignerSelection(SelectionKind.Stream, result!));
        }
        else
        {
            await OnMessage.InvokeAsync(result ?? "Cannot connect these ports.");
        }
    }

    private async Task Capture(long pointerId)
    {
        if (module is null || disposed)
        {
            return;
        }
        try
        {
            await module.InvokeVoidAsync("capture", svg, pointerId);
        }
        catch (JSDisconnectedException)
        {
        }
        catch (Exception ex) when (disposed && ex is JSException or ObjectDisposedException)
        {
            // The canvas left the page mid-drag.
        }
    }

    private string StreamTitle(StreamView s)
    {
        var head = $"{s.Id}: {s.FromUnit}.{s.FromPort} → {s.ToUnit}.{s.ToPort}";
        if (StreamResults?.GetValueOrDefault(s.Id) is not { } r)
        {
            return head;
        }
        return head + "\n" + StreamSummaryText.Format(r, DisplayUnits);
    }

    public async ValueTask DisposeAsync()
    {
        disposed = true;
        if (module is not null)
        {
            try
            {
                await module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
            }
        }
    }
}

/// <summary>A stream's solved state in a line: T, P, vapour fraction, flow in the chosen unit system.</summary>
public static class StreamSummaryText
{
    public static string Format(StreamSummary r, UnitSystem system)
    {
        var parts = new List<string>();
        Add(r.TemperatureK, Dimension.Temperature, "T");
        Add(r.PressurePa, Dimension.Pressure, "P");
        if (r.VaporFraction is { } vf)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"VF {vf:0.###}"));
        }
        Add(r.MolarFlowMolPerS, Dimension.MolarFlow, "F");
        return string.Join(" · ", parts);

        void Add(double? si, Dimension dimension, string symbol)
        {
            if (si is { } v)
            {
                var unit = Quantities.In(system, dimension);
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{symbol} {unit.FromSi(v):0.###} {unit.Label}"));
            }
        }
    }
}
