using System.Text.Json.Nodes;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Solver;

namespace DeepSim.Engine.Tests.Examples;

/// <summary>Locates the repository's examples/ folder from the test binaries and reads flowsheets from it.</summary>
internal static class ExampleFiles
{
    public static string Directory { get; } = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepSim.sln")))
        {
            dir = dir.Parent;
        }
        return dir is null
            ? throw new InvalidOperationException("DeepSim.sln not found above " + AppContext.BaseDirectory)
            : Path.Combine(dir.FullName, "examples");
    }

    public static string Text(string name) => File.ReadAllText(Path.Combine(Directory, name + ".json"));

    public static JsonObject Json(string name) => JsonNode.Parse(Text(name))!.AsObject();

    public static Flowsheet Read(string json)
    {
        var r = FlowsheetReader.Read(json, DefaultThermoCatalog.Instance);
        Assert.True(r.IsValid, string.Join("\n", r.Errors));
        return r.Flowsheet!;
    }

    public static SolveResult Solve(string json) => FlowsheetSolver.Solve(Read(json));

    public static int StreamIndex(SolveResult r, string id) => r.Flowsheet.Streams.Select((s, i) => (s, i)).Single(x => x.s.Id == id).i;

    public static int UnitIndex(SolveResult r, string id) => r.Flowsheet.Units.Select((u, i) => (u, i)).Single(x => x.u.Id == id).i;

    /// <summary>Asserts that the reader refuses <paramref name="flowsheet"/> with an error at <paramref name="path"/> saying <paramref name="fragment"/>.</summary>
    public static void AssertRejected(JsonObject flowsheet, string path, string fragment)
    {
        var r = FlowsheetReader.Read(flowsheet.ToJsonString(), DefaultThermoCatalog.Instance);
        Assert.False(r.IsValid);
        Assert.True(r.Errors.Any(e => e.Path == path && e.Message.Contains(fragment, StringComparison.OrdinalIgnoreCase)),
            $"expected '{fragment}' at {path}; got:\n" + string.Join("\n", r.Errors));
    }
}
