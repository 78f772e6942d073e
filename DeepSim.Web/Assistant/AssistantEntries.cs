namespace DeepSim.Web.Assistant;

public enum EntryKind
{
    User,
    Assistant,
    Tool,
    Error,
}

/// <summary>One line of the conversation as the panel shows it; a tool entry changes while its call runs.</summary>
public sealed class ChatEntry(EntryKind kind, string text)
{
    public EntryKind Kind { get; } = kind;
    public string Text { get; set; } = text;
    public string? Tool { get; init; }
    /// <summary>The call's arguments as the model sent them (JSON), shown folded.</summary>
    public string? Arguments { get; init; }
    /// <summary>The tool's answer (JSON text), shown folded.</summary>
    public string? Result { get; set; }
    public bool Running { get; set; }
    public bool Failed { get; set; }
    /// <summary>A flowsheet version the call stored, for the person to accept or undo.</summary>
    public FlowsheetChange? Change { get; set; }
}

public enum ChangeState
{
    Proposed,
    Accepted,
    Undone,
    /// <summary>A later change in the conversation replaced this one before it was decided.</summary>
    Superseded,
}

/// <summary>
/// A flowsheet version a tool stored: <see cref="Content"/> is its document (JSON), <see cref="Changes"/> the tool's
/// sentences (edit_flowsheet). The open flowsheet's changes are accepted into the designer or undone; another one
/// (create_flowsheet) is a link.
/// </summary>
public sealed class FlowsheetChange(Guid flowsheetId, string name, int version, string content, IReadOnlyList<string> changes)
{
    public Guid FlowsheetId { get; } = flowsheetId;
    public string Name { get; } = name;
    public int Version { get; } = version;
    public string Content { get; } = content;
    public IReadOnlyList<string> Changes { get; } = changes;
    public ChangeState State { get; set; } = ChangeState.Proposed;
    public string? Note { get; set; }
}
