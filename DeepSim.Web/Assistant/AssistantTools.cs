using System.Security.Claims;
using DeepSim.Web.Services;
using ModelContextProtocol.Client;

namespace DeepSim.Web.Assistant;

/// <summary>
/// Which of the MCP server's tools the assistant may offer the model for this person. The Api checks every call
/// (McpGate) whatever is offered; this only keeps the model from planning with tools the person's role would be refused.
/// A tool not listed here is never offered (a new tool on the Api is off in the panel until it is mapped).
/// </summary>
public static class AssistantTools
{
    /// <summary>Tool name → the permission the Api's gate requires for it (null: any signed-in person).</summary>
    public static readonly IReadOnlyDictionary<string, string?> Permissions = new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        ["search_components"] = null,
        ["list_flowsheets"] = "flowsheets.read",
        ["get_flowsheet"] = "flowsheets.read",
        ["validate_flowsheet"] = "flowsheets.read",
        ["create_flowsheet"] = "flowsheets.write",
        ["update_flowsheet"] = "flowsheets.write",
        ["edit_flowsheet"] = "flowsheets.write",
        ["run_flowsheet"] = "runs.execute",
        ["get_run_result"] = "flowsheets.read",
        ["explain_run"] = "flowsheets.read",
        ["run_study"] = "runs.execute",
        ["get_study"] = "flowsheets.read",
        ["get_usage"] = "tenant.read",
    };

    /// <summary>Tools whose result is a stored flowsheet version the panel offers to accept or undo.</summary>
    public static readonly IReadOnlySet<string> Changing = new HashSet<string>(StringComparer.Ordinal)
    {
        "create_flowsheet", "update_flowsheet", "edit_flowsheet",
    };

    /// <summary>Whether the tool may be offered: mapped, permitted to this person, and not marked destructive.</summary>
    public static bool Permitted(ClaimsPrincipal user, string name, bool destructive) =>
        !destructive && Permissions.TryGetValue(name, out var permission) && (permission is null ? user.Identity?.IsAuthenticated == true : user.Can(permission));

    public static IReadOnlyList<McpClientTool> For(ClaimsPrincipal user, IEnumerable<McpClientTool> tools) =>
        tools.Where(t => Permitted(user, t.Name, t.ProtocolTool.Annotations?.DestructiveHint == true)).ToList();
}
