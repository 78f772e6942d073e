using DeepSim.Engine.Components;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.Thermo.Steam;

namespace DeepSim.Engine.Tests.Thermo;

/// <summary>The if97 package: IF97 water behind IPropertyPackage, on the engine's ideal-gas formation reference state.</summary>
public class Iapws97PackageTests
{
    private static readonly double[] Pure = [1.0];
    private static readonly Component Water = ComponentDatabase.Default.Find("water")!;
    private static readonly IPropertyPackage Package = PropertyPackages.Create("if97", [Water]);
    private const double M = Iapws97.MolarMassKgPerMol;

    [Theory]
    [InlineData("if97")]
    [InlineData("IAPWS-IF97")]
    [InlineData("steam")]
    public void Names_and_aliases_create_the_if97_package(string name)
    {
        var p = PropertyPackages.Create(name, [Water]);
        Assert.Equal("if97", p.Name);
        Assert.IsAssignableFrom<IBufferedFlash>(p);
        Assert.IsAssignableFrom<IFugacityModel>(p);
        Assert.Contains("if97", PropertyPackages.Names);
    }

    [Fact]
    public void Only_pure_water_is_accepted()
    {
        var methanol = ComponentDatabase.Default.Find("methanol")!;
        var e = Assert.Throws<ArgumentException>(() => PropertyPackages.Create("if97", [methanol]));
        Assert.Contains("7732-18-5", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => PropertyPackages.Create("if97", [Water, methanol]));
        Assert.Contains("exactly one component", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PropertyPackages.Create("if97", [Water], new PropertyPackageOptions { PenelouxTranslation = true }));
    }

    [Fact]
    public void Reference_state_is_the_ideal_gas_formation_basis()
    {
        // At 298.15 K and 1 Pa IF97 steam is the ideal gas: H = ΔHf°(ig), S = −R ln(P/P0).
        Assert.Equal(Water.FormationEnthalpy, Package.Enthalpy(Phase.Vapor, 298.15, 1, Pure), 1e-6);
        Assert.Equal(-FlashSettings.GasConstant * Math.Log(1 / 101325.0), Package.Entropy(Phase.Vapor, 298.15, 1, Pure), 1e-6);
        // Saturated vapour at 25 °C differs from the ideal gas at its pressure only by a small negative residual.
        var ps = Iapws97.SaturationPressurePa(298.15);
        var idealGas = -FlashSettings.GasConstant * Math.Log(ps / 101325);
        Assert.InRange(Package.Entropy(Phase.Vapor, 298.15, ps, Pure) - idealGas, -0.1, 0);
        // Off the saturation line the stable phase is returned whichever phase is asked for.
        Assert.Equal(Package.Entropy(Phase.Liquid, 298.15, 101325, Pure), Package.Entropy(Phase.Vapor, 298.15, 101325, Pure));
        // Independent check: liquid water at 25 °C, 1 atm is ΔHf°(l) = −285.830 kJ/mol (CODATA), S° − S°(g) = 69.95 − 188.835 J/(mol K).
        Assert.Equal(-285830, Package.Enthalpy(Phase.Liquid, 298.15, 101325, Pure), 60.0);
        Assert.Equal(69.95 - 188.835, Package.Entropy(Phase.Liquid, 298.15, 101325, Pure), 0.2);
    }

    [Theory]
    [InlineData(300, 1e5, PhaseState.Liquid, 0)]
    [InlineData(500, 1e5, PhaseState.Vapor, 1)]
    [InlineData(700, 30e6, PhaseState.Supercritical, 1)]
    [InlineData(650, 30e6, PhaseState.Supercritical, 0)]
    [InlineData(640, 19.5e6, PhaseState.Vapor, 1)]
    [InlineData(1500, 1e6, PhaseState.Vapor, 1)]
    public void PT_flash_labels_the_phase_by_region(double t, double p, PhaseState state, double beta)
    {
        var r = Package.FlashPT(t, p, Pure);
        Assert.True(r.Converged, r.FailureReason);
        Assert.Equal(state, r.State);
        Assert.Equal(beta, r.VaporFraction);
        // Molar H is M·h_IF97 shifted by one constant: differences from the reference point are IF97's.
        var dh = Iapws97.PT(p, t).SpecificEnthalpyJPerKg - Iapws97.Region2(1, 298.15).SpecificEnthalpyJPerKg;
        Assert.Equal(M * dh, r.EnthalpyJPerMol - Package.Enthalpy(Phase.Vapor, 298.15, 1, Pure), 1e-8 * Math.Abs(M * dh));
        Span<double> x = stackalloc double[1], y = stackalloc double[1];
        var b = ((IBufferedFlash)Package).FlashPT(t, p, Pure, x, y);
        Assert.True(b.Converged);
        Assert.Equal(r.EnthalpyJPerMol, b.EnthalpyJPerMol);
        Assert.Equal(r.EntropyJPerMolK, b.EntropyJPerMolK);
        Assert.Equal(r.State, b.State);
    }

    [Fact]
    public void PT_flash_exactly_on_the_saturation_line_is_liquid()
    {
        var p = Iapws97.SaturationPressurePa(450);
        Assert.Equal(PhaseState.Liquid, Package.FlashPT(450, p, Pure).State);
    }

    [Theory]
    [InlineData(300, 1e5)]
    [InlineData(450, 5e6)]
    [InlineData(800, 1e6)]
    [InlineData(660, 25e6)]
    [InlineData(630, 20e6)]
    [InlineData(1800, 10e6)]
    public void PH_and_PS_flashes_return_the_PT_temperature(double t, double p)
    {
        var pt = Package.FlashPT(t, p, Pure);
        var ph = Package.FlashPH(p, pt.EnthalpyJPerMol, Pure);
        var ps = Package.FlashPS(p, pt.EntropyJPerMolK, Pure);
        Assert.True(ph.Converged, ph.FailureReason);
        Assert.True(ps.Converged, ps.FailureReason);
        Assert.Equal(t, ph.TemperatureK, 1e-9 * t);
        Assert.Equal(t, ps.TemperatureK, 1e-9 * t);
        Assert.Equal(pt.State, ph.State);
    }

    [Theory]
    [InlineData(1e5)]
    [InlineData(5e6)]
    [InlineData(20e6)] // the dome inside region 3
    public void PH_inside_the_dome_gives_the_PVF_quality(double p)
    {
        var pvf = Package.FlashPVF(p, 0.4, Pure);
        Assert.True(pvf.Converged, pvf.FailureReason);
        Assert.Equal(Iapws97.SaturationTemperatureK(p), pvf.TemperatureK);
        var ph = Package.FlashPH(p, pvf.EnthalpyJPerMol, Pure);
        Assert.True(ph.Converged, ph.FailureReason);
        Assert.Equal(PhaseState.TwoPhase, ph.State);
        Assert.Equal(0.4, ph.VaporFraction, 1e-9);
        Assert.Equal(pvf.TemperatureK, ph.TemperatureK);
        var ps = Package.FlashPS(p, pvf.EntropyJPerMolK, Pure);
        Assert.Equal(0.4, ps.VaporFraction, 1e-9);
    }

    [Fact]
    public void TVF_gives_the_IF97_saturation_pressure_and_the_latent_heat()
    {
        var bubble = Package.FlashTVF(373.15, 0, Pure);
        var dew = Package.FlashTVF(373.15, 1, Pure);
        Assert.True(bubble.Converged && dew.Converged);
        Assert.Equal(Iapws97.SaturationPressurePa(373.15), bubble.PressurePa);
        Assert.Equal(PhaseState.Liquid, bubble.State);
        Assert.Equal(PhaseState.Vapor, dew.State);
        // ΔHvap(100 °C) = 2256.5 kJ/kg (IAPWS-95, NIST WebBook) → 40.65 kJ/mol.
        Assert.Equal(2256.5e3 * M, dew.EnthalpyJPerMol - bubble.EnthalpyJPerMol, 0.5e3 * M);
    }

    [Fact]
    public void Fugacities_of_saturated_liquid_and_vapour_agree_and_vanish_at_low_pressure()
    {
        var f = (IFugacityModel)Package;
        Span<double> lnL = stackalloc double[1], lnV = stackalloc double[1];
        var p = Iapws97.SaturationPressurePa(450);
        f.LnFugacityCoefficients(Phase.Liquid, 450, p, Pure, lnL);
        f.LnFugacityCoefficients(Phase.Vapor, 450, p, Pure, lnV);
        // The saturation equation is consistent with g₁ = g₂ to IF97's tolerance (Δg/RT ≈ 1e-5).
        Assert.Equal(lnL[0], lnV[0], 1e-4);
        Assert.True(lnV[0] < 0);
        f.LnFugacityCoefficients(Phase.Vapor, 450, 1, Pure, lnV);
        Assert.Equal(0, lnV[0], 1e-6);
    }

    [Fact]
    public void Failures_are_values_with_a_reason()
    {
        AssertFailed(Package.FlashPT(250, 1e5, Pure), "outside IF97");
        AssertFailed(Package.FlashPT(1500, 60e6, Pure), "outside IF97");
        AssertFailed(Package.FlashPT(300, 1e5, [0.5]), "mole fraction");
        AssertFailed(Package.FlashPT(300, 1e5, [0.5, 0.5]), "1 component");
        AssertFailed(Package.FlashPH(1e5, 1e9, Pure), "above");
        AssertFailed(Package.FlashPH(1e5, -1e9, Pure), "below");
        AssertFailed(Package.FlashPS(200e6, 0, Pure), "IF97");
        AssertFailed(Package.FlashTVF(700, 0.5, Pure), "critical");
        AssertFailed(Package.FlashPVF(30e6, 0.5, Pure), "critical");
        AssertFailed(Package.FlashPVF(1e5, 1.5, Pure), "Vapour fraction");
        Assert.Throws<ArgumentOutOfRangeException>(() => Package.Enthalpy(Phase.Liquid, 200, 1e5, Pure));
    }

    [Fact]
    public void A_flowsheet_with_if97_and_another_component_is_refused_with_the_reason()
    {
        const string json = """
            {
              "name": "not water",
              "components": ["water", "methanol"],
              "propertyPackage": "if97",
              "units": [
                { "id": "FEED", "type": "feed", "spec": {
                    "temperature": { "value": 25, "unit": "C" }, "pressure": { "value": 1, "unit": "atm" },
                    "molarFlow": { "value": 1, "unit": "kmol/h" }, "moleFractions": { "water": 0.5, "methanol": 0.5 } } },
                { "id": "OUT", "type": "product" }
              ],
              "streams": [ { "id": "S1", "from": "FEED.out", "to": "OUT.in" } ]
            }
            """;
        var r = FlowsheetReader.Read(json, DefaultThermoCatalog.Instance);
        Assert.False(r.IsValid);
        var error = Assert.Single(r.Errors, e => e.Path == "$.propertyPackage");
        Assert.Contains("pure water", error.Message, StringComparison.Ordinal);
    }

    private static void AssertFailed(FlashResult r, string fragment)
    {
        Assert.False(r.Converged);
        Assert.Contains(fragment, r.FailureReason, StringComparison.Ordinal);
    }
}
