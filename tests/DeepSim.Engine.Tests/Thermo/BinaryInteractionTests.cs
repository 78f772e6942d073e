using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSim.Engine.Components;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Solver;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.Tests.Thermo;

/// <summary>kᵢⱼ from the bundled ChemSep/DECHEMA databank, switched off, or overridden; and where each is reported.</summary>
public class BinaryInteractionTests
{
    private static readonly ComponentDatabase Db = ComponentDatabase.Default;
    private static readonly Component[] Co2Propane = [C("carbon dioxide"), C("propane")];
    private static readonly double[] Equimolar = [0.5, 0.5];

    // First-listed DECHEMA entries for CO2/propane (T = 277.59–344.26 K, DECHEMA p. 589) in pr.ipd and srk.ipd.
    private const double PrCo2Propane = 0.1315;
    private const double SrkCo2Propane = 0.1389;

    // Bubble pressure at 300 K of an equimolar CO2/propane liquid.
    private const double BubbleTemperatureK = 300;

    private static Component C(string name) => Db.Find(name) ?? throw new InvalidOperationException(name);

    private static double BubblePressure(string package, PropertyPackageOptions options)
    {
        var r = PropertyPackages.Create(package, Co2Propane, options).FlashTVF(BubbleTemperatureK, 0, Equimolar);
        Assert.True(r.Converged, r.FailureReason);
        return r.PressurePa;
    }

    [Theory]
    [InlineData("peng-robinson", PrCo2Propane)]
    [InlineData("srk", SrkCo2Propane)]
    public void Databank_kij_is_the_models_own_and_reported_as_chemsep(string package, double expected)
    {
        var pkg = (ICubicPropertyPackage)PropertyPackages.Create(package, Co2Propane, PropertyPackageOptions.Default);
        var p = Assert.Single(pkg.InteractionParameters);
        Assert.Equal((0, 1, expected, KijSource.ChemSep), (p.I, p.J, p.Value, p.Source));
        Assert.Equal("chemsep", p.SourceName);
    }

    [Theory]
    [InlineData("peng-robinson", PrCo2Propane)]
    [InlineData("srk", SrkCo2Propane)]
    public void Databank_kij_raises_the_bubble_pressure_and_an_equal_user_value_reproduces_it(string package, double databankValue)
    {
        var withDatabank = BubblePressure(package, PropertyPackageOptions.Default);
        var none = BubblePressure(package, new PropertyPackageOptions { UseDatabankKij = false });
        var sameAsUser = BubblePressure(package, new PropertyPackageOptions { UseDatabankKij = false, KijOverrides = new Dictionary<(int I, int J), double> { [(1, 0)] = databankValue } });
        var half = BubblePressure(package, new PropertyPackageOptions { KijOverrides = new Dictionary<(int I, int J), double> { [(0, 1)] = databankValue / 2 } });

        // A positive kij weakens the CO2–propane attraction, a positive deviation from the kij = 0 mixture: the bubble
        // pressure rises. kij ≈ 0.13 moves it by about 29 % here (4.18 vs 3.23 MPa), far above the 1e-9 solve tolerance.
        Assert.True(withDatabank > 1.2 * none, $"databank {withDatabank} Pa vs none {none} Pa");
        Assert.Equal(withDatabank, sameAsUser, withDatabank * 1e-9);
        Assert.InRange(half, none * 1.001, withDatabank / 1.001);
    }

    [Fact]
    public void Sources_say_none_user_and_default()
    {
        // Toluene/propane is not tabulated in pr.ipd: 0 from the databank's absence ("default").
        Assert.Null(Db.BinaryInteractionPR(C("toluene").Cas, C("propane").Cas));
        Component[] three = [C("carbon dioxide"), C("propane"), C("toluene")];
        var standard = (ICubicPropertyPackage)PropertyPackages.Create("peng-robinson", three, new PropertyPackageOptions { KijOverrides = new Dictionary<(int I, int J), double> { [(2, 0)] = 0.05 } });
        var byPair = standard.InteractionParameters.ToDictionary(p => (p.I, p.J));
        Assert.Equal(3, byPair.Count);
        Assert.Equal((PrCo2Propane, KijSource.ChemSep), (byPair[(0, 1)].Value, byPair[(0, 1)].Source));
        Assert.Equal((0.05, KijSource.User), (byPair[(0, 2)].Value, byPair[(0, 2)].Source));
        Assert.Equal((0.0, KijSource.Default), (byPair[(1, 2)].Value, byPair[(1, 2)].Source));

        var off = (ICubicPropertyPackage)PropertyPackages.Create("peng-robinson", three, new PropertyPackageOptions { UseDatabankKij = false });
        Assert.All(off.InteractionParameters, p => Assert.Equal((0.0, KijSource.None), (p.Value, p.Source)));
    }

    [Fact]
    public void Options_a_package_does_not_take_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => PropertyPackages.Create("srk", Co2Propane, new PropertyPackageOptions { Constants = CubicConstants.Rounded1976 }));
        Assert.Throws<ArgumentException>(() => PropertyPackages.Create("srk", Co2Propane, new PropertyPackageOptions { Kappa1978 = true }));
        Assert.Throws<ArgumentException>(() => PropertyPackages.Create("ideal", Co2Propane, new PropertyPackageOptions { Kappa1978 = true }));
    }

    private const string Flowsheet = """
    {
      "name": "kij",
      "components": ["carbon dioxide", "propane", "toluene"],
      "propertyPackage": { "name": "peng-robinson" },
      "units": [
        { "id": "F", "type": "feed", "spec": { "temperature": 300, "pressure": 5e6, "molarFlow": 1, "moleFractions": { "carbon dioxide": 0.3, "propane": 0.4, "toluene": 0.3 } } },
        { "id": "P", "type": "product" }
      ],
      "streams": [ { "id": "S1", "from": "F.out", "to": "P.in" } ]
    }
    """;

    private static JsonObject SolveToJson(Action<JsonObject> edit)
    {
        var doc = JsonNode.Parse(Flowsheet)!.AsObject();
        edit(doc["propertyPackage"]!.AsObject());
        var read = FlowsheetReader.Read(doc.ToJsonString(), DefaultThermoCatalog.Instance);
        Assert.True(read.IsValid, string.Join("\n", read.Errors));
        var result = FlowsheetSolver.Solve(read.Flowsheet!);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            SolveResultJson.Write(result, w);
        }

        return JsonNode.Parse(ms.ToArray())!["propertyPackageDetails"]!.AsObject();
    }

    private static Dictionary<string, (double Value, string Source)> Kij(JsonObject details)
        => details["kij"]!.AsArray().ToDictionary(
            k => $"{k!["components"]![0]}/{k["components"]![1]}",
            k => (k!["value"]!.GetValue<double>(), k["source"]!.GetValue<string>()));

    [Fact]
    public void The_result_reports_constants_and_each_kij_with_its_source()
    {
        var details = SolveToJson(_ => { });
        Assert.Equal("peng-robinson", details["name"]!.GetValue<string>());
        Assert.Equal("exact", details["constants"]!.GetValue<string>());
        Assert.Equal("1976", details["kappa"]!.GetValue<string>());
        Assert.Equal(CubicEquationOfState.PengRobinson.OmegaA, details["omegaA"]!.GetValue<double>());
        var kij = Kij(details);
        Assert.Equal((PrCo2Propane, "chemsep"), kij["Carbon dioxide/Propane"]);
        Assert.Equal((0.0, "default"), kij["Propane/Toluene"]);
    }

    [Fact]
    public void A_flowsheet_override_wins_and_kij_none_zeroes_the_rest()
    {
        var overridden = Kij(SolveToJson(p => p["kij"] = JsonNode.Parse("""[ { "components": ["propane", "carbon dioxide"], "value": 0.02 } ]""")));
        Assert.Equal((0.02, "user"), overridden["Carbon dioxide/Propane"]);

        var none = Kij(SolveToJson(p => p["kij"] = "none"));
        Assert.All(none.Values, v => Assert.Equal((0.0, "none"), v));

        var noneButOne = Kij(SolveToJson(p =>
        {
            p["kijDefaults"] = "none";
            p["kij"] = JsonNode.Parse("""[ { "components": ["toluene", "carbon dioxide"], "value": 0.07 } ]""");
        }));
        Assert.Equal((0.07, "user"), noneButOne["Carbon dioxide/Toluene"]);
        Assert.Equal((0.0, "none"), noneButOne["Carbon dioxide/Propane"]);
    }

    [Fact]
    public void Flowsheet_options_select_the_rounded_constants_and_1978_kappa()
    {
        var details = SolveToJson(p =>
        {
            p["constants"] = "rounded-1976";
            p["kappa"] = "1978";
        });
        Assert.Equal("rounded-1976", details["constants"]!.GetValue<string>());
        Assert.Equal("1978", details["kappa"]!.GetValue<string>());
        Assert.Equal(0.45724, details["omegaA"]!.GetValue<double>());

        var srk = SolveToJson(p =>
        {
            p["name"] = "srk";
            p["volumeTranslation"] = "peneloux";
        });
        Assert.Equal("srk", srk["name"]!.GetValue<string>());
        Assert.Equal("peneloux", srk["volumeTranslation"]!.GetValue<string>());
        Assert.Equal((SrkCo2Propane, "chemsep"), Kij(srk)["Carbon dioxide/Propane"]);
    }

    [Fact]
    public void Bad_package_options_are_reader_errors()
    {
        var doc = JsonNode.Parse(Flowsheet)!.AsObject();
        doc["propertyPackage"]!["constants"] = "rounded";
        var r = FlowsheetReader.Read(doc.ToJsonString(), DefaultThermoCatalog.Instance);
        Assert.Contains(r.Errors, e => e.Path == "$.propertyPackage.constants");

        doc = JsonNode.Parse(Flowsheet)!.AsObject();
        doc["propertyPackage"] = JsonNode.Parse("""{ "name": "srk", "constants": "rounded-1976" }""");
        r = FlowsheetReader.Read(doc.ToJsonString(), DefaultThermoCatalog.Instance);
        Assert.Contains(r.Errors, e => e.Path == "$.propertyPackage" && e.Message.Contains("rounded", StringComparison.Ordinal));
    }
}
