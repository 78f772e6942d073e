using System.Text.Json.Nodes;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Tests.Examples;

namespace DeepSim.Engine.Tests.Flowsheets;

/// <summary>The published JSON Schema and the engine's reader must describe the same format.</summary>
public class SchemaConsistencyTests
{
    private static JsonObject Schema() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(ExampleFiles.Directory, "..", "docs", "flowsheet.schema.json")))!.AsObject();

    private static IEnumerable<string> SchemaUnitTypes() =>
        Schema()["$defs"]!["unit"]!["oneOf"]!.AsArray().SelectMany(u =>
        {
            var type = u!["properties"]!["type"]!;
            return type["const"] is { } c ? [c.GetValue<string>()] : type["enum"]!.AsArray().Select(e => e!.GetValue<string>());
        });

    [Fact]
    public void Schema_lists_exactly_the_unit_types_the_reader_accepts()
    {
        var r = FlowsheetReader.Read("""{ "components": ["water"], "propertyPackage": "ideal", "units": [ { "id": "X", "type": "?" } ], "streams": [] }""", DefaultThermoCatalog.Instance);
        var message = r.Errors.Single(e => e.Path == "$.units[0].type").Message;
        var accepted = message[(message.IndexOf("accepted: ", StringComparison.Ordinal) + "accepted: ".Length)..].Split(", ");
        Assert.Equal(accepted.Order(StringComparer.Ordinal), SchemaUnitTypes().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Schema_lists_the_reader_property_packages_and_solver_methods()
    {
        var schema = Schema();
        var packages = schema["properties"]!["propertyPackage"]!["oneOf"]![0]!["enum"]!.AsArray().Select(e => e!.GetValue<string>());
        Assert.Equal(DefaultThermoCatalog.Instance.PackageNames.Order(StringComparer.Ordinal), packages.Order(StringComparer.Ordinal));
        var solver = schema["properties"]!["solver"]!["properties"]!.AsObject();
        Assert.Equal(SolverOptions.DefaultTolerance, solver["tolerance"]!["default"]!.GetValue<double>());
        Assert.Equal(SolverOptions.DefaultMaxIterations, solver["maxIterations"]!["default"]!.GetValue<int>());
        Assert.Equal(SolverOptions.DefaultWegsteinMinQ, solver["wegsteinMinQ"]!["default"]!.GetValue<double>());
        Assert.Equal(SolverOptions.DefaultTimeLimitSeconds, solver["timeLimitSeconds"]!["default"]!.GetValue<double>());
        Assert.Equal("auto", solver["method"]!["default"]!.GetValue<string>());
        Assert.Equal(ConvergenceMethod.Auto, new SolverOptions().Method);
        Assert.Equal(["auto", "broyden", "direct", "wegstein"], solver["method"]!["enum"]!.AsArray().Select(e => e!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Schema_temperature_units_are_all_accepted_by_the_engine()
    {
        var units = Schema()["$defs"]!["temperature"]!["oneOf"]![1]!["properties"]!["unit"]!["enum"]!.AsArray().Select(e => e!.GetValue<string>());
        Assert.All(units, u => Assert.True(Units.TryToSi(Dimension.Temperature, 1, u, out _), u));
        var pressures = Schema()["$defs"]!["pressure"]!["oneOf"]![1]!["properties"]!["unit"]!["enum"]!.AsArray().Select(e => e!.GetValue<string>());
        Assert.Equal(Units.Accepted(Dimension.Pressure).Order(StringComparer.Ordinal), pressures.Select(p => p.ToLowerInvariant()).Order(StringComparer.Ordinal));
    }
}
