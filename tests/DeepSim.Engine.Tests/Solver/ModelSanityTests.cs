using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSim.Engine.Components;
using DeepSim.Engine.Solver;
using DeepSim.Engine.Tests.Examples;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.Tests.Solver;

/// <summary>Every model-sanity warning code: a flowsheet that triggers it and one that does not.</summary>
public class ModelSanityTests
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    // FEED → DRUM (flash at T, P) → V and L products.
    private static string FlashSheet(string package, string[] components, double[] fractions, double temperatureK, double pressurePa)
    {
        var names = string.Join(", ", components.Select(c => $"\"{c}\""));
        var x = string.Join(", ", components.Select((c, i) => string.Create(Inv, $"\"{c}\": {fractions[i]}")));
        return string.Create(Inv, $$"""
        {
          "components": [{{names}}],
          "propertyPackage": "{{package}}",
          "units": [
            { "id": "FEED", "type": "feed", "spec": { "temperature": { "value": {{temperatureK}}, "unit": "K" }, "pressure": { "value": {{pressurePa}}, "unit": "Pa" },
                "molarFlow": { "value": 1, "unit": "mol/s" }, "moleFractions": { {{x}} } } },
            { "id": "DRUM", "type": "flash", "spec": { "temperature": { "value": {{temperatureK}}, "unit": "K" }, "pressure": { "value": {{pressurePa}}, "unit": "Pa" } } },
            { "id": "VAPOR", "type": "product" },
            { "id": "LIQUID", "type": "product" }
          ],
          "streams": [
            { "id": "S1", "from": "FEED.out", "to": "DRUM.in" },
            { "id": "V", "from": "DRUM.vapor", "to": "VAPOR.in" },
            { "id": "L", "from": "DRUM.liquid", "to": "LIQUID.in" }
          ]
        }
        """);
    }

    // FEED (at T) → HEATER (to outlet T) → OUT.
    private static string HeaterSheet(string package, double feedK, double outletK, double feedMolPerS = 1)
    {
        return string.Create(Inv, $$"""
        {
          "components": ["benzene", "toluene"],
          "propertyPackage": "{{package}}",
          "units": [
            { "id": "FEED", "type": "feed", "spec": { "temperature": { "value": {{feedK}}, "unit": "K" }, "pressure": { "value": 1, "unit": "bar" },
                "molarFlow": { "value": {{feedMolPerS}}, "unit": "mol/s" }, "moleFractions": { "benzene": 0.5, "toluene": 0.5 } } },
            { "id": "HEATER", "type": "heater", "spec": { "outletTemperature": { "value": {{outletK}}, "unit": "K" } } },
            { "id": "OUT", "type": "product" }
          ],
          "streams": [
            { "id": "S1", "from": "FEED.out", "to": "HEATER.in" },
            { "id": "S2", "from": "HEATER.out", "to": "OUT.in" }
          ]
        }
        """);
    }

    private static SolveResult Solve(string json)
    {
        var r = ExampleFiles.Solve(json);
        Assert.True(r.Converged, r.FailureReason);
        return r;
    }

    private static ModelWarning[] Coded(SolveResult r, string code) => [.. r.Warnings.Where(w => w.Code == code)];

    private static void AssertActionable(ModelWarning w)
    {
        Assert.Matches("^[a-z]+(-[a-z]+)+$", w.Code);
        Assert.True(w.UnitId is not null || w.StreamId is not null, "a warning names its unit or stream");
        Assert.EndsWith(".", w.Message, StringComparison.Ordinal);
        Assert.Contains(w.StreamId ?? w.UnitId!, w.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Polar_liquid_under_the_ideal_package_is_flagged_with_activity_models_to_use()
    {
        var r = Solve(FlashSheet("ideal", ["methanol", "water"], [0.3, 0.7], 300, 101325));
        var w = Assert.Single(Coded(r, ModelWarningCodes.PolarMixtureIdealModel));
        AssertActionable(w);
        Assert.Equal("S1", w.StreamId);
        Assert.Contains("nrtl", w.Message, StringComparison.Ordinal);
        Assert.Contains("Methanol", w.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Polar_liquid_under_a_cubic_is_flagged_too()
    {
        var r = Solve(FlashSheet("peng-robinson", ["methanol", "water"], [0.3, 0.7], 300, 101325));
        Assert.Contains("cubic peng-robinson", Assert.Single(Coded(r, ModelWarningCodes.PolarMixtureIdealModel)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Polar_liquid_under_nrtl_is_not_flagged()
    {
        var r = Solve(FlashSheet("nrtl", ["methanol", "water"], [0.3, 0.7], 300, 101325));
        Assert.Empty(Coded(r, ModelWarningCodes.PolarMixtureIdealModel));
    }

    [Fact]
    public void Hydrocarbon_liquid_under_peng_robinson_is_not_flagged()
    {
        var r = Solve(FlashSheet("peng-robinson", ["n-hexane", "n-heptane"], [0.5, 0.5], 300, 101325));
        Assert.DoesNotContain(r.Warnings, w => w.Code != ModelWarningCodes.EmptyStream);
    }

    [Fact]
    public void Polar_vapour_under_the_ideal_package_is_not_flagged()
    {
        // Steam with methane at 500 K and 1 bar is an ideal gas: the rule is about liquids.
        var r = Solve(FlashSheet("ideal", ["water", "methane"], [0.5, 0.5], 500, 1e5));
        Assert.Equal(1, r.Streams[ExampleFiles.StreamIndex(r, "S1")]!.VaporFraction);
        Assert.Empty(Coded(r, ModelWarningCodes.PolarMixtureIdealModel));
    }

    [Fact]
    public void Liquid_ammonia_with_supercritical_hydrogen_under_peng_robinson_is_not_flagged_as_polar()
    {
        // Hydrogen is above its Tc: an activity model has nothing to offer for it, so only condensable partners count.
        var r = Solve(FlashSheet("peng-robinson", ["ammonia", "hydrogen"], [0.5, 0.5], 250, 100e5));
        Assert.True(r.Streams[ExampleFiles.StreamIndex(r, "L")]!.TotalMolarFlow > 0, "ammonia condenses");
        Assert.Empty(Coded(r, ModelWarningCodes.PolarMixtureIdealModel));
    }

    [Fact]
    public void Vapour_pressure_below_its_fitted_range_is_flagged_naming_component_range_and_temperature()
    {
        // Benzene's ChemSep vapour pressure starts at 272.04 K (its triple point is 278.7 K).
        var r = Solve(FlashSheet("ideal", ["benzene", "toluene"], [0.5, 0.5], 265, 101325));
        var w = Assert.Single(Coded(r, ModelWarningCodes.CorrelationOutOfRange));
        AssertActionable(w);
        Assert.Contains("Benzene's vapour pressure", w.Message, StringComparison.Ordinal);
        Assert.Contains("265.0 K", w.Message, StringComparison.Ordinal);
        Assert.Contains("272.0–562.2 K", w.Message, StringComparison.Ordinal);
        Assert.Contains("below", w.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Vapour_pressure_inside_its_range_and_a_cubic_that_does_not_use_it_are_not_flagged()
    {
        Assert.Empty(Coded(Solve(FlashSheet("ideal", ["benzene", "toluene"], [0.5, 0.5], 300, 101325)), ModelWarningCodes.CorrelationOutOfRange));
        Assert.Empty(Coded(Solve(FlashSheet("peng-robinson", ["benzene", "toluene"], [0.5, 0.5], 265, 101325)), ModelWarningCodes.CorrelationOutOfRange));
    }

    [Fact]
    public void Ideal_gas_heat_capacity_above_its_range_is_flagged_once_per_component()
    {
        var r = Solve(HeaterSheet("peng-robinson", 400, 1600));
        var warnings = Coded(r, ModelWarningCodes.CorrelationOutOfRange);
        Assert.Equal(2, warnings.Length);
        Assert.All(warnings, w => Assert.Equal("S2", w.StreamId));
        Assert.Contains(warnings, w => w.Message.Contains("Toluene's ideal-gas heat capacity", StringComparison.Ordinal) && w.Message.Contains("above the 150.0–1500.0 K", StringComparison.Ordinal));
        Assert.Empty(Coded(Solve(HeaterSheet("peng-robinson", 400, 1000)), ModelWarningCodes.CorrelationOutOfRange));
    }

    private static string ReactorSheet(double conversion) => string.Create(Inv, $$"""
        {
          "components": ["nitrogen", "hydrogen", "ammonia"],
          "propertyPackage": "peng-robinson",
          "units": [
            { "id": "FEED", "type": "feed", "spec": { "temperature": { "value": 700, "unit": "K" }, "pressure": { "value": 1, "unit": "bar" },
                "molarFlow": { "value": 1, "unit": "mol/s" }, "moleFractions": { "nitrogen": 0.25, "hydrogen": 0.75 } } },
            { "id": "R1", "type": "conversionReactor", "spec": { "mode": "isothermal",
                "reactions": [ { "stoichiometry": { "nitrogen": -1, "hydrogen": -3, "ammonia": 2 }, "keyComponent": "nitrogen", "conversion": {{conversion}} } ] } },
            { "id": "OUT", "type": "product" }
          ],
          "streams": [
            { "id": "S1", "from": "FEED.out", "to": "R1.in" },
            { "id": "S2", "from": "R1.out", "to": "OUT.in" }
          ]
        }
        """);

    [Fact]
    public void Conversion_beyond_equilibrium_is_a_coded_warning_on_the_reactor()
    {
        // At 700 K and 1 bar ammonia's equilibrium conversion is well below 1 %.
        var r = Solve(ReactorSheet(0.5));
        var w = Assert.Single(Coded(r, ModelWarningCodes.ConversionBeyondEquilibrium));
        AssertActionable(w);
        Assert.Equal("R1", w.UnitId);
        Assert.Equal("S2", w.StreamId);
        Assert.Contains("lower its conversion", w.Message, StringComparison.Ordinal);
        Assert.Contains(r.Units[1]!.Notes, n => n.Contains("beyond chemical equilibrium", StringComparison.Ordinal));
    }

    [Fact]
    public void Conversion_short_of_equilibrium_is_not_flagged()
    {
        var r = Solve(ReactorSheet(1e-5));
        Assert.Equal(0, r.Units[1]!.Details["reactions[0].beyondEquilibrium"]);
        Assert.Empty(Coded(r, ModelWarningCodes.ConversionBeyondEquilibrium));
    }

    [Fact]
    public void A_missing_kij_for_a_pair_that_matters_is_flagged_where_the_pair_meets()
    {
        // ChemSep's pr.ipd has no hydrogen/ammonia pair.
        var r = Solve(FlashSheet("peng-robinson", ["hydrogen", "ammonia"], [0.6, 0.4], 300, 50e5));
        var w = Assert.Single(Coded(r, ModelWarningCodes.MissingKij));
        AssertActionable(w);
        Assert.Contains("Hydrogen/Ammonia", w.Message, StringComparison.Ordinal);
        Assert.Contains("propertyPackage.kij", w.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_kij_is_not_flagged_when_given_by_the_user_or_for_a_hydrocarbon_pair()
    {
        var json = JsonNode.Parse(FlashSheet("peng-robinson", ["hydrogen", "ammonia"], [0.6, 0.4], 300, 50e5))!.AsObject();
        json["propertyPackage"] = JsonNode.Parse("""{ "name": "peng-robinson", "kij": [ { "components": ["hydrogen", "ammonia"], "value": 0.1 } ] }""");
        Assert.Empty(Coded(Solve(json.ToJsonString()), ModelWarningCodes.MissingKij));
        var hydrocarbons = Solve(FlashSheet("peng-robinson", ["n-hexane", "2-methylpentane"], [0.5, 0.5], 300, 101325));
        Assert.Contains(((ICubicPropertyPackage)hydrocarbons.Flowsheet.Package).InteractionParameters, p => p.Source == KijSource.Default);
        Assert.Empty(Coded(hydrocarbons, ModelWarningCodes.MissingKij));
    }

    [Fact]
    public void A_missing_kij_is_not_flagged_for_a_pair_that_never_meets_above_one_percent()
    {
        var r = Solve(FlashSheet("peng-robinson", ["hydrogen", "ammonia"], [0.995, 0.005], 300, 50e5));
        Assert.Empty(Coded(r, ModelWarningCodes.MissingKij));
    }

    [Fact]
    public void Which_kij_matter_follows_polarity_and_hydrocarbon_rules()
    {
        var db = ComponentDatabase.Default;
        Component C(string name) => db.Find(name)!;
        Assert.True(ModelSanity.KijMatters(C("carbon dioxide"), C("n-octane")));
        Assert.True(ModelSanity.KijMatters(C("hydrogen"), C("ammonia")));
        Assert.True(ModelSanity.KijMatters(C("water"), C("methanol")));
        Assert.False(ModelSanity.KijMatters(C("methane"), C("n-octane")));
        Assert.False(ModelSanity.KijMatters(C("nitrogen"), C("hydrogen")));
        Assert.True(ComponentPolarity.IsPolar(C("acetone")));
        Assert.True(ComponentPolarity.IsPolar(C("acetic acid")));
        Assert.False(ComponentPolarity.IsPolar(C("toluene")));
        Assert.False(ComponentPolarity.IsPolar(C("carbon dioxide")));
        Assert.True(ComponentPolarity.IsHydrocarbon(C("cyclohexane")));
        Assert.False(ComponentPolarity.IsHydrocarbon(C("hydrogen")));
        Assert.False(ComponentPolarity.IsHydrocarbon(C("chloroform")));
        Assert.True(ComponentPolarity.IsHydrocarbon(C("chloroform") with { Formula = "" }), "a user component without a formula counts as a pseudo-component");
        Assert.True(double.IsNaN(ComponentPolarity.DipoleMomentDebye(C("water") with { Cas = "" })));
    }

    [Fact]
    public void Missing_activity_parameters_for_a_pair_that_meets_are_a_coded_warning()
    {
        // nrtl.ipd has no methanol/propylene carbonate pair, and ChemSep gives propylene carbonate a group outside the
        // published UNIFAC tables, so it cannot be estimated either (README: the pair is then ideal).
        var r = Solve(FlashSheet("nrtl", ["methanol", "propylene carbonate"], [0.5, 0.5], 300, 101325));
        var w = Assert.Single(Coded(r, ModelWarningCodes.MissingBinaryParameters));
        AssertActionable(w);
        Assert.Contains("Methanol/Propylene carbonate", w.Message, StringComparison.Ordinal);

        // nrtl.ipd has no water/benzene pair either, but both have UNIFAC groups: estimated, so not missing.
        Assert.Empty(Coded(Solve(FlashSheet("nrtl", ["water", "benzene"], [0.5, 0.5], 300, 101325)), ModelWarningCodes.MissingBinaryParameters));
        Assert.Empty(Coded(Solve(FlashSheet("nrtl", ["methanol", "water"], [0.3, 0.7], 300, 101325)), ModelWarningCodes.MissingBinaryParameters));
    }

    [Fact]
    public void An_empty_flash_outlet_is_flagged_with_the_reason()
    {
        var r = Solve(FlashSheet("ideal", ["benzene", "toluene"], [0.5, 0.5], 450, 101325));
        var w = Assert.Single(Coded(r, ModelWarningCodes.EmptyStream));
        AssertActionable(w);
        Assert.Equal("L", w.StreamId);
        Assert.Equal("DRUM", w.UnitId);
        Assert.Contains("all vapour", w.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_phase_flash_has_no_empty_stream()
    {
        var r = Solve(FlashSheet("ideal", ["benzene", "toluene"], [0.5, 0.5], 368, 101325));
        Assert.Empty(Coded(r, ModelWarningCodes.EmptyStream));
    }

    [Fact]
    public void A_feed_set_to_zero_is_not_flagged_but_the_empty_streams_it_leaves_downstream_are()
    {
        var r = ExampleFiles.Solve(HeaterSheet("peng-robinson", 300, 350, feedMolPerS: 0));
        var w = Assert.Single(Coded(r, ModelWarningCodes.EmptyStream));
        Assert.Equal("S2", w.StreamId);
        Assert.Equal("HEATER", w.UnitId);
    }

    [Fact]
    public void A_clean_flowsheet_has_no_warnings_and_writes_an_empty_list()
    {
        var r = Solve(FlashSheet("nrtl", ["methanol", "water"], [0.3, 0.7], 353.15, 101325));
        Assert.Empty(r.Warnings);
        Assert.Empty(Json(r)["warnings"]!.AsArray());
    }

    [Fact]
    public void Warnings_are_written_at_the_top_of_the_result_json()
    {
        var r = Solve(FlashSheet("ideal", ["methanol", "water"], [0.3, 0.7], 300, 101325));
        var written = Json(r)["warnings"]!.AsArray();
        Assert.Equal(r.Warnings.Count, written.Count);
        var polar = written.Single(w => (string)w!["code"]! == ModelWarningCodes.PolarMixtureIdealModel)!;
        Assert.Equal("S1", (string?)polar["stream"]);
        Assert.Null(polar["unit"]);
        Assert.Equal(r.Warnings.Single(w => w.Code == ModelWarningCodes.PolarMixtureIdealModel).Message, (string?)polar["message"]);
    }

    [Fact]
    public void A_flowsheet_that_does_not_converge_still_gets_its_warnings()
    {
        // The reactor's outlet goes on to a heater whose pressure drop exceeds its inlet pressure: the heater fails.
        var json = JsonNode.Parse(ReactorSheet(0.5))!.AsObject();
        json["units"]!.AsArray().Insert(2, JsonNode.Parse("""{ "id": "HEATER", "type": "heater", "spec": { "outletTemperature": { "value": 400, "unit": "K" }, "pressureDrop": { "value": 2, "unit": "bar" } } }"""));
        json["streams"]!.AsArray()[1]!["to"] = "HEATER.in";
        json["streams"]!.AsArray().Add(JsonNode.Parse("""{ "id": "S3", "from": "HEATER.out", "to": "OUT.in" }"""));
        var r = ExampleFiles.Solve(json.ToJsonString());
        Assert.False(r.Converged);
        Assert.Equal("R1", Assert.Single(Coded(r, ModelWarningCodes.ConversionBeyondEquilibrium)).UnitId);
    }

    // What each example is expected to be warned about (checked by hand: every one is a real finding).
    private static readonly Dictionary<string, string> ExpectedExampleWarnings = new(StringComparer.Ordinal)
    {
        ["absorber"] = "",
        ["ammonia-equilibrium-reactor"] = "missing-kij Hydrogen/Ammonia",
        ["ammonia-synthesis-loop"] = "conversion-beyond-equilibrium REACTOR; missing-kij Hydrogen/Ammonia",
        ["benzene-toluene-column"] = "",
        ["benzene-toluene-flash"] = "",
        ["benzene-toluene-shortcut-column"] = "",
        ["design-spec-heater-duty"] = "",
        ["ethylene-hydrogenation-reactors"] = "",
        ["feed-effluent-exchanger"] = "",
        ["gas-plant-three-recycles"] = "missing-kij Nitrogen/2-methylpentane; missing-kij Carbon dioxide/2-methylpentane; missing-kij Carbon dioxide/N-octane; missing-kij Hydrogen sulfide/N-butane",
        ["methanol-water-nrtl-flash"] = "",
        ["natural-gas-flash"] = "",
        ["steam-heater-if97"] = "",
        ["three-phase-separator"] = "",
        ["two-stage-compression"] = "empty-stream D1",
        ["water-gas-shift-equilibrium"] = "",
        ["water-toluene-unifac-decanter"] = "empty-stream OFFGAS",
    };

    public static TheoryData<string> ExampleNames => new(ExpectedExampleWarnings.Keys);

    [Theory]
    [MemberData(nameof(ExampleNames))]
    public void Every_example_gets_exactly_its_expected_warnings(string example)
    {
        var expected = ExpectedExampleWarnings[example];
        var r = ExampleFiles.Solve(ExampleFiles.Text(example));
        Assert.True(r.Converged, r.FailureReason);
        string Key(ModelWarning w) => w.Code switch
        {
            ModelWarningCodes.MissingKij => $"{w.Code} {w.Message[(w.Message.IndexOf("kij for ", StringComparison.Ordinal) + 8)..w.Message.IndexOf(" (", StringComparison.Ordinal)]}",
            ModelWarningCodes.ConversionBeyondEquilibrium => $"{w.Code} {w.UnitId}",
            _ => $"{w.Code} {w.StreamId}",
        };
        Assert.Equal(expected, string.Join("; ", r.Warnings.Select(Key)));
        Assert.All(r.Warnings, AssertActionable);
    }

    [Fact]
    public void Every_example_is_listed_with_its_expected_warnings()
    {
        var listed = ExpectedExampleWarnings.Keys.Order(StringComparer.Ordinal);
        var files = Directory.GetFiles(ExampleFiles.Directory, "*.json").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
        Assert.Equal(files, listed);
    }

    [Fact]
    public void Every_code_is_documented_in_the_warnings_table()
    {
        var codes = typeof(ModelWarningCodes).GetFields().Select(f => (string)f.GetRawConstantValue()!).Order(StringComparer.Ordinal);
        var doc = File.ReadAllLines(Path.Combine(ExampleFiles.Directory, "..", "docs", "warnings.md"));
        var documented = doc.Where(l => l.StartsWith("| `", StringComparison.Ordinal)).Select(l => l.Split('`')[1]).Order(StringComparer.Ordinal);
        Assert.Equal(codes, documented);
    }

    private static JsonObject Json(SolveResult r)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            SolveResultJson.Write(r, w);
        }
        return JsonNode.Parse(ms.ToArray())!.AsObject();
    }
}
