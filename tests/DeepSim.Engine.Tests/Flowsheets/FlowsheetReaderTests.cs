using System.Text.Json.Nodes;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.UnitOperations;

namespace DeepSim.Engine.Tests.Flowsheets;

public class FlowsheetReaderTests
{
    private const string Base = """
    {
      "name": "t",
      "components": ["benzene", "toluene"],
      "propertyPackage": "ideal",
      "units": [
        { "id": "F", "type": "feed", "spec": { "temperature": 300, "pressure": 101325, "molarFlow": 10, "moleFractions": { "benzene": 0.5, "toluene": 0.5 } } },
        { "id": "H", "type": "heater", "spec": { "outletTemperature": { "value": 95, "unit": "C" } } },
        { "id": "D", "type": "flash", "spec": { "duty": 0 } },
        { "id": "V", "type": "product" },
        { "id": "L", "type": "product" }
      ],
      "streams": [
        { "id": "S1", "from": "F.out", "to": "H.in" },
        { "id": "S2", "from": "H.out", "to": "D.in" },
        { "id": "S3", "from": "D.vapor", "to": "V.in" },
        { "id": "S4", "from": "D.liquid", "to": "L.in" }
      ]
    }
    """;

    private static JsonObject Doc() => JsonNode.Parse(Base)!.AsObject();

    private static FlowsheetReadResult Read(JsonNode doc) => FlowsheetReader.Read(doc.ToJsonString(), DefaultThermoCatalog.Instance);

    private static FlowsheetError Single(FlowsheetReadResult r)
    {
        Assert.False(r.IsValid);
        Assert.Null(r.Flowsheet);
        return Assert.Single(r.Errors);
    }

    private static void HasError(FlowsheetReadResult r, string path, string fragment)
    {
        Assert.False(r.IsValid);
        Assert.True(r.Errors.Any(e => e.Path == path && e.Message.Contains(fragment, StringComparison.OrdinalIgnoreCase)),
            $"expected an error at {path} containing '{fragment}'; got:\n{string.Join("\n", r.Errors)}");
    }

    private static JsonObject Spec(JsonObject doc, int unit) => doc["units"]![unit]!["spec"]!.AsObject();

    [Fact]
    public void A_valid_flowsheet_reads_with_SI_values()
    {
        var r = Read(Doc());
        Assert.True(r.IsValid, string.Join("\n", r.Errors));
        var f = r.Flowsheet!;
        Assert.Equal(5, f.Units.Count);
        Assert.Equal(4, f.Streams.Count);
        Assert.Equal(368.15, f.Units[1].Parameters["outletTemperature"], 12);
        Assert.Equal("ideal", f.Package.Name);
    }

    [Fact]
    public void A_unit_layout_is_accepted_and_ignored_but_a_malformed_one_is_reported()
    {
        var doc = Doc();
        doc["units"]![1]!["layout"] = new JsonObject { ["x"] = 120, ["y"] = -40.5 };
        Assert.True(Read(doc).IsValid, string.Join("\n", Read(doc).Errors));

        doc["units"]![1]!["layout"] = new JsonObject { ["x"] = "left", ["z"] = 1 };
        var r = Read(doc);
        HasError(r, "$.units[1].layout.x", "expected a number");
        HasError(r, "$.units[1].layout.z", "unknown layout field");
        doc["units"]![1]!["layout"] = 3;
        HasError(Read(doc), "$.units[1].layout", "expected an object");
    }

    [Fact]
    public void Invalid_json_is_one_error_at_the_root()
    {
        var r = FlowsheetReader.Read("{ \"components\": [", DefaultThermoCatalog.Instance);
        Assert.Equal("$", Single(r).Path);
        Assert.Contains("not valid JSON", r.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_component_is_reported_with_suggestions()
    {
        var doc = Doc();
        doc["components"]![1] = "tolune";
        var r = Read(doc);
        HasError(r, "$.components[1]", "unknown component 'tolune'");
        HasError(r, "$.components[1]", "Toluene");
    }

    [Fact]
    public void Duplicate_component_and_duplicate_ids_are_reported()
    {
        var doc = Doc();
        doc["components"]!.AsArray().Add("Benzene");
        doc["units"]![4]!["id"] = "V";
        doc["streams"]![3]!["id"] = "S1";
        var r = Read(doc);
        HasError(r, "$.components[2]", "duplicate component");
        HasError(r, "$.units[4].id", "duplicate unit id 'V'");
        HasError(r, "$.streams[3].id", "duplicate stream id 'S1'");
    }

    [Theory]
    [InlineData("units", null, "$.units", "'units' is required")]
    [InlineData("units", "[]", "$.units", "expected a non-empty array of units")]
    [InlineData("units", "{}", "$.units", "expected a non-empty array of units")]
    [InlineData("units", "[1]", "$.units[0]", "expected an object, found a number")]
    [InlineData("streams", null, "$.streams", "'streams' is required")]
    [InlineData("streams", "3", "$.streams", "expected an array of streams")]
    [InlineData("streams", "[\"S1\"]", "$.streams[0]", "expected an object, found a string")]
    public void Units_and_streams_must_be_arrays_of_objects(string key, string? json, string path, string message)
    {
        var doc = Doc();
        if (json is null)
        {
            doc.Remove(key);
        }
        else
        {
            doc[key] = JsonNode.Parse(json);
        }

        HasError(Read(doc), path, message);
    }

    [Fact]
    public void Unknown_unit_type_is_reported_with_the_close_match()
    {
        var doc = Doc();
        doc["units"]![1]!["type"] = "Heater";
        HasError(Read(doc), "$.units[1].type", "did you mean 'heater'");
    }

    [Fact]
    public void Unconnected_port_is_reported_on_its_unit()
    {
        var doc = Doc();
        doc["streams"]!.AsArray().RemoveAt(3);
        HasError(Read(doc), "$.units[2]", "unconnected port: outlet 'D.liquid'");
    }

    [Fact]
    public void Port_connected_twice_is_reported_on_the_second_stream()
    {
        var doc = Doc();
        doc["streams"]![3]!["from"] = "D.vapor";
        HasError(Read(doc), "$.streams[3].from", "connected twice");
    }

    [Fact]
    public void Port_that_does_not_exist_or_points_the_wrong_way_is_reported()
    {
        var doc = Doc();
        doc["streams"]![1]!["from"] = "H.top";
        doc["streams"]![2]!["to"] = "NOPE.in";
        var r = Read(doc);
        HasError(r, "$.streams[1].from", "no outlet port 'top'");
        HasError(r, "$.streams[2].to", "no unit with id 'NOPE'");
    }

    [Fact]
    public void Missing_specification_is_reported()
    {
        var doc = Doc();
        Spec(doc, 1).Remove("outletTemperature");
        HasError(Read(doc), "$.units[1].spec", "missing specification");
    }

    [Fact]
    public void Extra_specification_is_reported()
    {
        var doc = Doc();
        Spec(doc, 1)["duty"] = 1000;
        HasError(Read(doc), "$.units[1].spec.duty", "extra specification");
    }

    [Fact]
    public void Unknown_specification_key_is_reported_with_the_allowed_ones()
    {
        var doc = Doc();
        Spec(doc, 1)["outletTemprature"] = 350;
        HasError(Read(doc), "$.units[1].spec.outletTemprature", "unknown specification");
    }

    [Fact]
    public void Non_physical_values_are_reported()
    {
        var doc = Doc();
        Spec(doc, 0)["temperature"] = new JsonObject { ["value"] = -300, ["unit"] = "C" };
        Spec(doc, 0)["pressure"] = -5;
        Spec(doc, 0)["molarFlow"] = -1;
        var r = Read(doc);
        HasError(r, "$.units[0].spec.temperature", "non-physical");
        HasError(r, "$.units[0].spec.pressure", "non-physical");
        HasError(r, "$.units[0].spec.molarFlow", "must not be negative");
    }

    [Fact]
    public void Fractions_outside_zero_one_and_not_summing_to_one_are_reported()
    {
        var doc = Doc();
        Spec(doc, 0)["moleFractions"] = new JsonObject { ["benzene"] = 0.5, ["toluene"] = 0.4 };
        HasError(Read(doc), "$.units[0].spec.moleFractions", "sum to 0.9");
        var doc2 = Doc();
        Spec(doc2, 0)["moleFractions"] = new JsonObject { ["benzene"] = 1.5, ["toluene"] = -0.5 };
        HasError(Read(doc2), "$.units[0].spec.moleFractions.benzene", "within [0, 1]");
    }

    [Fact]
    public void Unknown_quantity_unit_is_reported_with_the_accepted_ones()
    {
        var doc = Doc();
        Spec(doc, 1)["outletTemperature"] = new JsonObject { ["value"] = 95, ["unit"] = "celsius" };
        HasError(Read(doc), "$.units[1].spec.outletTemperature.unit", "unknown temperature unit 'celsius'");
    }

    [Fact]
    public void Composition_naming_a_component_not_in_the_flowsheet_is_reported()
    {
        var doc = Doc();
        Spec(doc, 0)["moleFractions"] = new JsonObject { ["benzene"] = 0.5, ["water"] = 0.5 };
        HasError(Read(doc), "$.units[0].spec.moleFractions.water", "not a component of this flowsheet");
    }

    [Fact]
    public void Every_error_is_collected_before_anything_is_solved()
    {
        var doc = Doc();
        doc["components"]![0] = "benzen";
        doc["units"]![1]!["type"] = "boiler";
        Spec(doc, 2)["temperature"] = 300;
        doc["streams"]![3]!["to"] = "V.in";
        doc["propertyPackage"] = "unifac-dortmund"; // modified UNIFAC is not implemented
        var r = Read(doc);
        Assert.True(r.Errors.Count >= 5, string.Join("\n", r.Errors));
        HasError(r, "$.components[0]", "unknown component");
        HasError(r, "$.units[1].type", "unknown unit type");
        HasError(r, "$.units[2].spec.duty", "extra specification");
        Assert.DoesNotContain(r.Errors, e => e.Message.Contains("no unit with id", StringComparison.Ordinal));
        HasError(r, "$.streams[3].to", "connected twice");
        HasError(r, "$.propertyPackage", "unknown property package");
    }

    [Fact]
    public void Splitter_fractions_must_cover_its_outlets()
    {
        var doc = JsonNode.Parse("""
        { "components": ["benzene", "toluene"], "propertyPackage": "ideal",
          "units": [
            { "id": "F", "type": "feed", "spec": { "temperature": 300, "pressure": 101325, "molarFlow": 1, "moleFractions": { "benzene": 1 } } },
            { "id": "SP", "type": "splitter", "spec": { "fractions": { "a": 0.7, "c": 0.1 } } },
            { "id": "A", "type": "product" }, { "id": "B", "type": "product" } ],
          "streams": [
            { "id": "S0", "from": "F.out", "to": "SP.in" },
            { "id": "S1", "from": "SP.a", "to": "A.in" }, { "id": "S2", "from": "SP.b", "to": "B.in" } ] }
        """)!;
        var r = Read(doc);
        HasError(r, "$.units[1].spec.fractions.c", "not a connected outlet port");
        doc["units"]![1]!["spec"]!["fractions"] = new JsonObject { ["a"] = 0.7, ["b"] = 0.4 };
        HasError(Read(doc), "$.units[1].spec.fractions", "sum to 1.1");
        doc["units"]![1]!["spec"]!["fractions"] = new JsonObject { ["a"] = 0.7 };
        var ok = Read(doc);
        Assert.True(ok.IsValid, string.Join("\n", ok.Errors));
    }

    [Fact]
    public void User_defined_component_reads_its_constants_and_correlations()
    {
        var doc = Doc();
        doc["components"]![1] = JsonNode.Parse("""
        { "name": "MyToluene", "molarMass": { "value": 92.14, "unit": "g/mol" }, "criticalTemperature": 591.75, "criticalPressure": { "value": 41.08, "unit": "bar" },
          "acentricFactor": 0.264, "formationEnthalpy": { "value": 50.17, "unit": "kJ/mol" },
          "vaporPressure": { "equation": 101, "coefficients": [76.945, -6729.8, -8.179, 5.3017e-6, 2], "minTemperature": 178, "maxTemperature": 591.75 },
          "idealGasHeatCapacity": { "equation": 4, "coefficients": [-24.35, 0.5125, -2.765e-4, 4.911e-8], "minTemperature": 200, "maxTemperature": 1500 } }
        """);
        Spec(doc, 0)["moleFractions"] = new JsonObject { ["benzene"] = 0.5, ["MyToluene"] = 0.5 };
        var r = Read(doc);
        Assert.True(r.IsValid, string.Join("\n", r.Errors));
        var c = r.Flowsheet!.Components[1];
        Assert.Equal(0.09214, c.MolarMass, 12);
        Assert.Equal(4.108e6, c.CriticalPressurePa, 6);
        Assert.Equal(50_170, c.FormationEnthalpy, 9);
        Assert.NotNull(c.VaporPressure);
    }

    [Fact]
    public void User_defined_component_without_its_required_fields_is_reported()
    {
        var doc = Doc();
        doc["components"]![1] = JsonNode.Parse("""{ "name": "X", "molarMass": 0.1, "idealGasHeatCapacity": { "equation": 999, "coefficients": [1], "minTemperature": 200, "maxTemperature": 100 } }""");
        var r = Read(doc);
        HasError(r, "$.components[1].criticalTemperature", "required");
        HasError(r, "$.components[1].idealGasHeatCapacity.equation", "not supported");
        HasError(r, "$.components[1].idealGasHeatCapacity.maxTemperature", "below minTemperature");
    }

    [Fact]
    public void Kij_overrides_are_read_by_component_name()
    {
        var doc = Doc();
        doc["propertyPackage"] = JsonNode.Parse("""{ "name": "peng-robinson", "kij": [ { "components": ["toluene", "benzene"], "value": 0.01 } ] }""");
        var r = Read(doc);
        Assert.True(r.IsValid, string.Join("\n", r.Errors));
        Assert.Equal("peng-robinson", r.Flowsheet!.Package.Name);
        doc["propertyPackage"] = JsonNode.Parse("""{ "name": "peng-robinson", "kij": [ { "components": ["toluene", "xylene"], "value": 0.01 } ] }""");
        HasError(Read(doc), "$.propertyPackage.kij[0].components[1]", "not a component");
    }

    [Fact]
    public void Reactor_stoichiometry_must_conserve_mass_and_have_a_reactant_key()
    {
        var doc = JsonNode.Parse("""
        { "components": ["nitrogen", "hydrogen", "ammonia"], "propertyPackage": "peng-robinson",
          "units": [
            { "id": "F", "type": "feed", "spec": { "temperature": 700, "pressure": 1e7, "molarFlow": 1, "moleFractions": { "nitrogen": 0.25, "hydrogen": 0.75 } } },
            { "id": "R", "type": "conversionReactor", "spec": { "mode": "adiabatic", "outletTemperature": 800,
                "reactions": [ { "stoichiometry": { "nitrogen": -1, "hydrogen": -2, "ammonia": 2 }, "keyComponent": "nitrogen", "conversion": 0.2 },
                               { "stoichiometry": { "nitrogen": -1, "hydrogen": -3, "ammonia": 2 }, "keyComponent": "ammonia", "conversion": 1.2 } ] } },
            { "id": "P", "type": "product" } ],
          "streams": [ { "id": "S0", "from": "F.out", "to": "R.in" }, { "id": "S1", "from": "R.out", "to": "P.in" } ] }
        """)!;
        var r = Read(doc);
        HasError(r, "$.units[1].spec.reactions[0].stoichiometry", "does not conserve mass");
        HasError(r, "$.units[1].spec.reactions[1].conversion", "within [0, 1]");
        HasError(r, "$.units[1].spec.outletTemperature", "extra specification");
    }

    [Fact]
    public void Design_spec_must_vary_a_specified_parameter_within_an_ordered_interval()
    {
        var doc = Doc();
        doc["designSpecs"] = JsonNode.Parse("""
        [ { "vary": { "unit": "H", "parameter": "duty", "minimum": 0, "maximum": 1 }, "target": { "stream": "S2", "property": "vaporFraction", "value": 0.5 } },
          { "vary": { "unit": "H", "parameter": "outletTemperature", "minimum": 400, "maximum": 300 }, "target": { "stream": "S9", "property": "colour", "value": 1 } } ]
        """);
        var r = Read(doc);
        HasError(r, "$.designSpecs[0].vary.parameter", "not a specified parameter");
        HasError(r, "$.designSpecs[1].vary.maximum", "greater than minimum");
        HasError(r, "$.designSpecs[1].target.property", "unknown stream property 'colour'");
    }

    [Fact]
    public void Solver_options_are_read_and_checked()
    {
        var doc = Doc();
        doc["solver"] = JsonNode.Parse("""{ "tolerance": 1e-6, "maxIterations": 50, "method": "direct", "timeLimitSeconds": 5 }""");
        var r = Read(doc);
        Assert.True(r.IsValid, string.Join("\n", r.Errors));
        Assert.Equal(ConvergenceMethod.DirectSubstitution, r.Flowsheet!.Options.Method);
        Assert.Equal(50, r.Flowsheet.Options.MaxIterations);
        foreach (var (name, method) in new[] { ("auto", ConvergenceMethod.Auto), ("wegstein", ConvergenceMethod.Wegstein), ("broyden", ConvergenceMethod.Broyden) })
        {
            doc["solver"] = new JsonObject { ["method"] = name };
            Assert.Equal(method, Read(doc).Flowsheet!.Options.Method);
        }
        doc.Remove("solver");
        Assert.Equal(ConvergenceMethod.Auto, Read(doc).Flowsheet!.Options.Method);
        doc["solver"] = JsonNode.Parse("""{ "method": "newton", "maxIterations": 0, "wegsteinMinQ": 1 }""");
        var bad = Read(doc);
        HasError(bad, "$.solver.method", "unknown method");
        HasError(bad, "$.solver.maxIterations", "outside");
        HasError(bad, "$.solver", "Wegstein bounds");
    }

    [Fact]
    public void Mass_fractions_are_converted_to_mole_fractions()
    {
        var doc = Doc();
        Spec(doc, 0).Remove("moleFractions");
        Spec(doc, 0)["massFractions"] = new JsonObject { ["benzene"] = 0.5, ["toluene"] = 0.5 };
        var r = Read(doc);
        Assert.True(r.IsValid, string.Join("\n", r.Errors));
        var feed = Assert.IsType<Feed>(r.Flowsheet!.Units[0]);
        var mb = r.Flowsheet.Components[0].MolarMass;
        var mt = r.Flowsheet.Components[1].MolarMass;
        Assert.Equal((0.5 / mb) / (0.5 / mb + 0.5 / mt), feed.MoleFractions[0], 12);
    }
}
