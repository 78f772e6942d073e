using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Solver;
using DeepSim.Engine.Tests.Examples;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.Tests.Thermo;

/// <summary>The γ–φ packages through the flowsheet reader, the solver and the result JSON.</summary>
public class ActivityFlowsheetTests
{
    private static JsonObject Details(SolveResult result)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            SolveResultJson.Write(result, w);
        }

        return JsonNode.Parse(ms.ToArray())!["propertyPackageDetails"]!.AsObject();
    }

    [Fact]
    public void Methanol_water_example_splits_into_phases_in_equilibrium_by_gamma_phi()
    {
        var r = ExampleFiles.Solve(ExampleFiles.Text("methanol-water-nrtl-flash"));
        Assert.True(r.Converged, r.FailureReason);
        var v = r.Streams[ExampleFiles.StreamIndex(r, "V")]!;
        var l = r.Streams[ExampleFiles.StreamIndex(r, "L")]!;
        Assert.True(v.TotalMolarFlow > 0 && l.TotalMolarFlow > 0, "80 °C lies between the feed's bubble (≈ 78 °C) and dew points");
        var package = (IFugacityModel)r.Flowsheet.Package;
        var lnPhiL = new double[2];
        package.LnFugacityCoefficients(Phase.Liquid, 353.15, 101325, l.MoleFractions, lnPhiL);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(v.MoleFractions[i], l.MoleFractions[i] * Math.Exp(lnPhiL[i]), 1e-8);
        }

        var details = Details(r);
        Assert.Equal("nrtl", details["activityModel"]!.GetValue<string>());
        var pair = Assert.Single(details["binaryParameters"]!.AsArray())!;
        Assert.Equal("chemsep", pair["source"]!.GetValue<string>());
        Assert.Equal(-189.0469, pair["a12"]!.GetValue<double>()); // nrtl.ipd, Methanol/Water p61 1/1a
        Assert.Empty(details["missingPairs"]!.AsArray());
        Assert.Empty(details["warnings"]!.AsArray());

        // As the example's description says, the same flowsheet under Raoult's law leaves the feed all liquid.
        var json = ExampleFiles.Json("methanol-water-nrtl-flash");
        json["propertyPackage"] = "ideal";
        var ideal = ExampleFiles.Solve(json.ToJsonString());
        Assert.True(ideal.Converged, ideal.FailureReason);
        Assert.Equal(0, ideal.Streams[ExampleFiles.StreamIndex(ideal, "V")]!.TotalMolarFlow, 1e-12);
    }

    [Fact]
    public void A_pair_without_parameters_is_reported_as_missing_with_a_warning()
    {
        const string flowsheet = """
        {
          "components": ["methanol", "water", "propylene carbonate"],
          "propertyPackage": "wilson",
          "units": [
            { "id": "F", "type": "feed", "spec": { "temperature": 300, "pressure": 101325, "molarFlow": 1, "moleFractions": { "methanol": 0.5, "water": 0.49, "propylene carbonate": 0.01 } } },
            { "id": "P", "type": "product" }
          ],
          "streams": [ { "id": "S1", "from": "F.out", "to": "P.in" } ]
        }
        """;
        var read = FlowsheetReader.Read(flowsheet, DefaultThermoCatalog.Instance);
        Assert.True(read.IsValid, string.Join("\n", read.Errors));
        var details = Details(FlowsheetSolver.Solve(read.Flowsheet!));
        var missing = details["missingPairs"]!.AsArray().Select(p => $"{p![0]}/{p[1]}").ToArray();
        // Propylene carbonate has no original-UNIFAC groups either, so neither pair can be estimated.
        Assert.Equal(["Methanol/Propylene carbonate", "Water/Propylene carbonate"], missing);
        Assert.Contains("treated as ideal", Assert.Single(details["warnings"]!.AsArray())!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_reader_rejects_cubic_options_on_an_activity_package()
    {
        const string flowsheet = """
        {
          "components": ["methanol", "water"],
          "propertyPackage": { "name": "uniquac", "kij": [ { "components": ["methanol", "water"], "value": 0.1 } ] },
          "units": [ { "id": "F", "type": "feed", "spec": { "temperature": 300, "pressure": 101325, "molarFlow": 1, "moleFractions": { "methanol": 0.5, "water": 0.5 } } },
                     { "id": "P", "type": "product" } ],
          "streams": [ { "id": "S1", "from": "F.out", "to": "P.in" } ]
        }
        """;
        var read = FlowsheetReader.Read(flowsheet, DefaultThermoCatalog.Instance);
        Assert.False(read.IsValid);
        Assert.Contains(read.Errors, e => e.Path == "$.propertyPackage" && e.Message.Contains("cubic", StringComparison.Ordinal));
    }
}
