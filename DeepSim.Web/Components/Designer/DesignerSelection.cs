namespace DeepSim.Web.Components.Designer;

public enum SelectionKind
{
    Unit,
    Stream,
}

/// <summary>What is selected on the canvas; null (no selection) means the flowsheet itself.</summary>
public sealed record DesignerSelection(SelectionKind Kind, string Id);

/// <summary>A port as "UNIT.port" with its direction.</summary>
public sealed record PortRef(string Unit, string Port, bool Outlet)
{
    public string End => $"{Unit}.{Port}";
}
