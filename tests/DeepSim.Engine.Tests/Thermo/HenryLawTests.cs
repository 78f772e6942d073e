using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSim.Engine.Components;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.Tests.Thermo;

/// <summary>
/// Gases dissolved in an aqueous liquid by Henry's law under the γ–φ packages (fᵢ = xᵢHᵢ, constants of Sander 2015),
/// against published solubilities, and the consistency of their enthalpy and reporting.
/// </summary>
public class HenryLawTests
{
    private const double OneAtm = 101325;

    private static Component C(string name) => ComponentDatabase.Default.Find(name) ?? throw new InvalidOperationException(name);

    private static IActivityPropertyPackage Package(string model, params string[] names) => (IActivityPropertyPackage)PropertyPackages.Create(model, [.. names.Select(C)]);

    public static TheoryData<string> Models => new(["nrtl", "wilson", "uniquac"]);

    [Theory]
    [MemberData(nameof(Models))]
    public void Oxygen_and_nitrogen_of_air_dissolve_in_water_as_published(string model)
    {
        // Air-saturated water at 25 °C and 1 atm holds 8.26 mg/L of O2 (APHA Standard Methods 4500-O, at p_O2 = 0.2095
        // (101325 − 3169) Pa = 20 564 Pa) and ≈ 13.4 mg/L of N2 + Ar reported as N2 (Weiss 1970, 0.7808 of dry air). Sander's
        // constants carry two significant digits, so 5 % for O2; N2 within 10 % (Weiss' value includes argon's share).
        var p = Package(model, "water", "nitrogen", "oxygen");
        var r = p.FlashPT(298.15, OneAtm, [0.5, 0.395, 0.105]);
        Assert.True(r.Converged, r.FailureReason);
        Assert.Equal(PhaseState.TwoPhase, r.State);
        var x = r.LiquidComposition;
        var y = r.VaporComposition;
        const double WaterMolPerM3 = 55_345;
        var oxygenMgPerL = x[2] * WaterMolPerM3 * 32.0 * (20_564 / (y[2] * OneAtm)); // scaled to the published partial pressure
        Assert.Equal(8.26, oxygenMgPerL, 8.26 * 0.05);
        var nitrogenMgPerL = x[1] * WaterMolPerM3 * 28.0 * (0.7808 * (OneAtm - 3169) / (y[1] * OneAtm));
        Assert.Equal(13.4, nitrogenMgPerL, 13.4 * 0.10);

        // The vapour carries water at about its vapour pressure (3.17 kPa), the liquid is nearly pure water.
        Assert.Equal(3169 / OneAtm, y[0], 0.002);
        Assert.True(x[0] > 0.9999);
    }

    [Fact]
    public void Carbon_dioxide_solubility_at_one_atmosphere_and_its_fall_with_temperature()
    {
        // CO2 in water at 1 atm partial pressure: x = 6.1e-4 at 25 °C and 3.6e-4 at 50 °C (Carroll, Slupsky and Mather,
        // J. Phys. Chem. Ref. Data 20 (1991) 1201, their Henry's-law fit). Within 5 % at 25 °C (Sander's two digits) and
        // 10 % at 50 °C (his van 't Hoff slope is a 25 °C value).
        var p = Package("nrtl", "water", "carbon dioxide");
        foreach (var (t, expected, tolerance) in new[] { (298.15, 6.1e-4, 0.05), (323.15, 3.6e-4, 0.10) })
        {
            var r = p.FlashPT(t, 2 * OneAtm, [0.5, 0.5]);
            Assert.True(r.Converged, r.FailureReason);
            var perAtm = r.LiquidComposition[1] * OneAtm / (r.VaporComposition[1] * 2 * OneAtm);
            Assert.Equal(expected, perAtm, expected * tolerance);
        }
    }

    [Fact]
    public void A_dissolved_gas_keeps_H_S_and_K_from_one_Gibbs_energy()
    {
        // PH and PS invert PT through the two-phase region with the gas dissolved by Henry's law, and the liquid's
        // partial enthalpy of the gas lies R·B below its ideal-gas enthalpy (the heat given out on dissolving).
        var p = Package("nrtl", "water", "methane");
        double[] z = [0.9, 0.1];
        foreach (var t in new[] { 300.0, 340.0, 365.0 })
        {
            var pt = p.FlashPT(t, OneAtm, z);
            Assert.True(pt.Converged, pt.FailureReason);
            Assert.Equal(PhaseState.TwoPhase, pt.State);
            var ph = p.FlashPH(OneAtm, pt.EnthalpyJPerMol, z);
            Assert.True(ph.Converged, ph.FailureReason);
            Assert.Equal(t, ph.TemperatureK, 1e-6);
            var ps = p.FlashPS(OneAtm, pt.EntropyJPerMolK, z);
            Assert.True(ps.Converged, ps.FailureReason);
            Assert.Equal(t, ps.TemperatureK, 1e-6);
        }

        const double Dilute = 1e-6;
        var liquid = p.Enthalpy(Phase.Liquid, 300, OneAtm, [1 - Dilute, Dilute]);
        var water = p.Enthalpy(Phase.Liquid, 300, OneAtm, [1.0, 0.0]);
        var gas = p.Enthalpy(Phase.Vapor, 300, OneAtm, [0.0, 1.0]);
        var partial = ((liquid - water) / Dilute) + water;
        Assert.Equal(gas - (FlashSettings.GasConstant * 1600), partial, 1.0);
    }

    [Fact]
    public void Henry_components_are_reported_and_their_pairs_are_not_missing()
    {
        var p = Package("nrtl", "water", "ethanol", "nitrogen");
        Assert.Equal(["Nitrogen"], p.HenryComponents.Select(Title));
        Assert.All(p.Parameters.Where(q => q.I == 2 || q.J == 2), q => Assert.Equal(ActivityParameterSource.Henry, q.Source));
        Assert.DoesNotContain(p.Warnings, w => w.Contains("itrogen", StringComparison.Ordinal));
        Assert.Equal(ActivityParameterSource.ChemSep, p.Parameters.Single(q => q.I == 0 && q.J == 1).Source);

        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            PropertyPackageReport.Write(w, p, ["water", "ethanol", "nitrogen"]);
            w.WriteEndObject();
        }

        var details = JsonNode.Parse(ms.ToArray())!["propertyPackageDetails"]!;
        Assert.Single(details["henryComponents"]!.AsArray());
        Assert.DoesNotContain(details["missingPairs"]!.AsArray(), pair => pair!.ToJsonString().Contains("nitrogen", StringComparison.Ordinal));

        // Without water there is no solvent the constants are for: the gas keeps its (extrapolated) vapour pressure.
        Assert.Empty(Package("nrtl", "ethanol", "nitrogen").HenryComponents);
    }

    [Fact]
    public void A_flowsheet_can_switch_Henry_s_law_off_and_only_a_gamma_phi_package_takes_the_switch()
    {
        static string Flowsheet(string package) => $$"""
        {
          "name": "aerated water",
          "components": ["water", "nitrogen"],
          "propertyPackage": {{package}},
          "units": [
            { "id": "FEED", "type": "feed", "spec": { "temperature": { "value": 25, "unit": "C" }, "pressure": { "value": 1, "unit": "atm" },
              "molarFlow": { "value": 1, "unit": "kmol/h" }, "moleFractions": { "water": 0.9, "nitrogen": 0.1 } } },
            { "id": "OUT", "type": "product" }
          ],
          "streams": [ { "id": "S", "from": "FEED.out", "to": "OUT.in" } ]
        }
        """;
        var on = FlowsheetReader.Read(Flowsheet("\"nrtl\""), DefaultThermoCatalog.Instance);
        Assert.True(on.IsValid, string.Join("; ", on.Errors));
        Assert.Equal(["Nitrogen"], ((IActivityPropertyPackage)on.Flowsheet!.Package).HenryComponents.Select(Title));

        var off = FlowsheetReader.Read(Flowsheet("""{ "name": "nrtl", "henry": "none" }"""), DefaultThermoCatalog.Instance);
        Assert.True(off.IsValid, string.Join("; ", off.Errors));
        Assert.Empty(((IActivityPropertyPackage)off.Flowsheet!.Package).HenryComponents);

        var cubic = FlowsheetReader.Read(Flowsheet("""{ "name": "peng-robinson", "henry": "none" }"""), DefaultThermoCatalog.Instance);
        var error = Assert.Single(cubic.Errors);
        Assert.Equal("$.propertyPackage", error.Path);
        Assert.Contains("Henry", error.Message, StringComparison.Ordinal);

        var bad = FlowsheetReader.Read(Flowsheet("""{ "name": "nrtl", "henry": "off" }"""), DefaultThermoCatalog.Instance);
        Assert.Contains(bad.Errors, e => e.Path == "$.propertyPackage.henry");
    }

    private static string Title(string name) => name[..1].ToUpperInvariant() + name[1..].ToLowerInvariant();
}
