using DeepSim.Engine.Components;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Solver;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.Tests.Thermo;

/// <summary>
/// Vapour–liquid–liquid equilibrium: published mutual solubilities and heterogeneous azeotropes, the identities every
/// multiphase answer must satisfy (equal fugacities in every phase pair, a Gibbs energy below every two-phase
/// candidate, closed balances), and the flashes built on the PT flash (PH, PS, PVF, TVF) across three phases.
/// </summary>
public class ThreePhaseFlashTests
{
    private const double OneAtm = 101325;

    private static Component C(string name) => ComponentDatabase.Default.Find(name) ?? throw new InvalidOperationException(name);

    private static IPropertyPackage Package(string model, params string[] names) => PropertyPackages.Create(model, [.. names.Select(C)]);

    // ---- published data ----

    [Theory]
    [InlineData("nrtl")]
    [InlineData("uniquac")]
    public void Water_and_1_butanol_split_into_the_published_liquids(string model)
    {
        // Mutual solubilities at 25 °C: 7.4 g 1-butanol per 100 g of the aqueous phase (x_BuOH = 0.019) and 20.1 wt %
        // water in the butanol-rich phase (x_water = 0.51) (CRC Handbook of Chemistry and Physics, "Aqueous solubility
        // and Henry's law constants of organic compounds"; Sørensen and Arlt, DECHEMA Chemistry Data Series V/1). The
        // packages use DECHEMA parameters fitted to VLE at 1 atm, not to LLE: they place the organic side within ±0.15 in
        // mole fraction (UNIQUAC: 0.38) but the dilute butanol of the aqueous side only within a factor of 4 (NRTL 0.0055, UNIQUAC 0.0099;
        // LLE-fitted parameters, which the databank does not hold, do better). The bounds say exactly that much.
        var p = Package(model, "water", "1-butanol");
        double[] z = [0.7, 0.3];
        var r = p.FlashPT(298.15, OneAtm, z);
        Assert.True(r.Converged, r.FailureReason);
        Assert.Equal(PhaseState.LiquidLiquid, r.State);
        Assert.Equal(0, r.VaporFraction);
        var aqueous = r.SecondLiquidComposition; // the denser liquid is the water-rich one
        var organic = r.LiquidComposition;
        Assert.InRange(aqueous[1], 0.019 / 4, 0.019 * 4);
        Assert.InRange(organic[0], 0.51 - 0.15, 0.51 + 0.15);

        // The lever rule closes: z = (1 − β2) x_light + β2 x_heavy.
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(z[i], ((1 - r.SecondLiquidFraction) * organic[i]) + (r.SecondLiquidFraction * aqueous[i]), 1e-12);
        }

        // Outside the gap the same pair is one liquid.
        var miscible = p.FlashPT(298.15, OneAtm, [0.05, 0.95]);
        Assert.True(miscible.Converged, miscible.FailureReason);
        Assert.Equal(PhaseState.Liquid, miscible.State);
    }

    [Theory]
    [InlineData("nrtl")]
    [InlineData("uniquac")]
    public void Water_and_1_butanol_boil_at_the_published_heterogeneous_azeotrope(string model)
    {
        // 1-Butanol–water heteroazeotrope at 1 atm: 92.7 °C, 57.5 wt % butanol in the vapour, so y_water = 0.753
        // (CRC Handbook, "Azeotropic data for binary mixtures"). Any feed inside the liquid–liquid gap boils there. The
        // DECHEMA fits reproduce their own VLE to about 0.5 K; with the LLE they were not fitted to, within 1 K and 0.03.
        var p = Package(model, "water", "1-butanol");
        foreach (var water in new[] { 0.7, 0.9 })
        {
            var bubble = p.FlashPVF(OneAtm, 0, [water, 1 - water]);
            Assert.True(bubble.Converged, bubble.FailureReason);
            Assert.Equal(PhaseState.LiquidLiquid, bubble.State);
            Assert.Equal(273.15 + 92.7, bubble.TemperatureK, 1.0);
            Assert.Equal(0.753, bubble.VaporComposition[0], 0.03);
        }
    }

    [Fact]
    public void Water_and_n_hexane_under_Peng_Robinson_boil_at_the_published_heterogeneous_azeotrope()
    {
        // n-Hexane–water heteroazeotrope at 1 atm: 61.6 °C with 5.6 wt % water in the vapour, y_water = 0.221 (CRC
        // Handbook, "Azeotropic data for binary mixtures"). The databank has no kij for the pair (0 is used): PR still
        // gets the boiling point within 1.5 K, since each liquid is nearly pure, and y within 0.03.
        var p = Package("peng-robinson", "water", "n-hexane");
        var bubble = p.FlashPVF(OneAtm, 0, [0.5, 0.5]);
        Assert.True(bubble.Converged, bubble.FailureReason);
        Assert.Equal(PhaseState.LiquidLiquid, bubble.State);
        Assert.Equal(273.15 + 61.6, bubble.TemperatureK, 1.5);
        Assert.Equal(0.221, bubble.VaporComposition[0], 0.03);
        Assert.True(bubble.SecondLiquidComposition[0] > 0.999, "the heavier liquid is water");
    }

    // ---- identities ----

    public static TheoryData<string, string[], double[], double, double, PhaseState> ThreePhaseCases => new()
    {
        { "peng-robinson", ["water", "n-hexane", "methane"], [0.5, 0.3, 0.2], 300, 10e5, PhaseState.ThreePhase },
        { "srk", ["water", "n-hexane", "methane"], [0.5, 0.3, 0.2], 300, 10e5, PhaseState.ThreePhase },
        { "peng-robinson", ["water", "n-hexane", "methane"], [0.62, 0.37, 0.01], 330, OneAtm, PhaseState.ThreePhase },
        { "peng-robinson", ["water", "toluene", "nitrogen"], [0.4, 0.4, 0.2], 320, 2e5, PhaseState.ThreePhase },
        { "peng-robinson", ["water", "n-hexane"], [0.5, 0.5], 300, OneAtm, PhaseState.LiquidLiquid },
        { "nrtl", ["water", "1-butanol"], [0.7, 0.3], 330, OneAtm, PhaseState.LiquidLiquid },
        { "uniquac", ["water", "1-butanol", "nitrogen"], [0.6, 0.3, 0.1], 330, OneAtm, PhaseState.ThreePhase },
    };

    [Theory]
    [MemberData(nameof(ThreePhaseCases))]
    public void Every_phase_pair_has_equal_fugacities_and_the_balances_close(string model, string[] names, double[] z, double temperatureK, double pressurePa, PhaseState expected)
    {
        var p = Package(model, names);
        var r = p.FlashPT(temperatureK, pressurePa, z);
        Assert.True(r.Converged, r.FailureReason);
        Assert.Equal(expected, r.State);
        var phases = PhasesOf(r);
        var lnF = phases.Select(ph => LnFugacities(p, ph.Kind, temperatureK, pressurePa, ph.X)).ToArray();
        for (var a = 0; a < phases.Count; a++)
        {
            for (var b = a + 1; b < phases.Count; b++)
            {
                for (var i = 0; i < z.Length; i++)
                {
                    Assert.Equal(lnF[a][i], lnF[b][i], 1e-10);
                }
            }
        }

        for (var i = 0; i < z.Length; i++)
        {
            Assert.Equal(z[i], phases.Sum(ph => ph.Beta * ph.X[i]), 1e-12);
        }

        Assert.Equal(1, phases.Sum(ph => ph.Beta), 1e-12);
        Assert.All(phases, ph => Assert.InRange(ph.Beta, 0, 1));
    }

    [Theory]
    [MemberData(nameof(ThreePhaseCases))]
    public void The_answer_has_a_lower_Gibbs_energy_than_every_two_phase_candidate(string model, string[] names, double[] z, double temperatureK, double pressurePa, PhaseState expected)
    {
        _ = expected;
        var p = Package(model, names);
        var r = p.FlashPT(temperatureK, pressurePa, z);
        Assert.True(r.Converged, r.FailureReason);
        var phases = PhasesOf(r);
        var g = GibbsOverRT(p, temperatureK, pressurePa, phases);

        // Candidates: the feed as one liquid or one vapour, and every answer made by merging two of the phases into one
        // (of either kind) — among them the silent "one liquid" answer a two-phase flash gives a water/oil feed.
        var candidates = new List<List<(Phase Kind, double Beta, double[] X)>>
        {
            new() { (Phase.Liquid, 1, z) },
            new() { (Phase.Vapor, 1, z) },
        };
        for (var a = 0; a < phases.Count; a++)
        {
            for (var b = a + 1; b < phases.Count; b++)
            {
                var beta = phases[a].Beta + phases[b].Beta;
                var merged = z.Select((_, i) => ((phases[a].Beta * phases[a].X[i]) + (phases[b].Beta * phases[b].X[i])) / beta).ToArray();
                foreach (var kind in new[] { Phase.Liquid, Phase.Vapor })
                {
                    var candidate = phases.Where((_, k) => k != a && k != b).ToList();
                    candidate.Add((kind, beta, merged));
                    candidates.Add(candidate);
                }
            }
        }

        foreach (var candidate in candidates)
        {
            Assert.True(g < GibbsOverRT(p, temperatureK, pressurePa, candidate) - 1e-9, $"a candidate of {candidate.Count} phases is not above the answer");
        }
    }

    [Fact]
    public void Hydrocarbons_stay_two_phase_and_skip_the_liquid_trials()
    {
        // A near-ideal liquid never passes the γ∞ screen, so the answer and its cost are the two-phase flash's.
        var p = Package("peng-robinson", "methane", "ethane", "propane", "n-butane", "n-pentane");
        var r = p.FlashPT(250, 2e6, [0.5, 0.2, 0.15, 0.1, 0.05]);
        Assert.True(r.Converged, r.FailureReason);
        Assert.Equal(PhaseState.TwoPhase, r.State);
        Assert.Equal(0, r.SecondLiquidFraction);
        Assert.Empty(r.SecondLiquidComposition);
    }

    // ---- flashes built on the PT flash ----

    [Theory]
    [InlineData("peng-robinson", 300)]
    [InlineData("peng-robinson", 330)]
    [InlineData("srk", 310)]
    public void PH_and_PS_invert_a_three_phase_PT_flash(string model, double temperatureK)
    {
        var p = Package(model, "water", "n-hexane", "methane");
        double[] z = [0.62, 0.37, 0.01];
        var pt = p.FlashPT(temperatureK, OneAtm, z);
        Assert.True(pt.Converged, pt.FailureReason);
        Assert.Equal(PhaseState.ThreePhase, pt.State);
        var ph = p.FlashPH(OneAtm, pt.EnthalpyJPerMol, z);
        Assert.True(ph.Converged, ph.FailureReason);
        Assert.Equal(temperatureK, ph.TemperatureK, 1e-6);
        Assert.Equal(PhaseState.ThreePhase, ph.State);
        var ps = p.FlashPS(OneAtm, pt.EntropyJPerMolK, z);
        Assert.True(ps.Converged, ps.FailureReason);
        Assert.Equal(temperatureK, ps.TemperatureK, 1e-6);
    }

    [Fact]
    public void A_binary_between_its_heterogeneous_bubble_point_and_full_boiling_is_three_phase_at_one_temperature()
    {
        // At fixed P a binary's vapour and two liquids coexist at one temperature only; an enthalpy or a vapour fraction
        // inside the jump there is that three-phase state, with the proportions the balances fix.
        var p = Package("nrtl", "water", "1-butanol");
        double[] z = [0.7, 0.3];
        var bubble = p.FlashPVF(OneAtm, 0, z);
        Assert.True(bubble.Converged, bubble.FailureReason);
        var half = p.FlashPVF(OneAtm, 0.05, z);
        Assert.True(half.Converged, half.FailureReason);
        Assert.Equal(PhaseState.ThreePhase, half.State);
        Assert.Equal(0.05, half.VaporFraction, 1e-9);
        Assert.Equal(bubble.TemperatureK, half.TemperatureK, 1e-6);

        var target = 0.5 * (bubble.EnthalpyJPerMol + half.EnthalpyJPerMol);
        var ph = p.FlashPH(OneAtm, target, z);
        Assert.True(ph.Converged, ph.FailureReason);
        Assert.Equal(PhaseState.ThreePhase, ph.State);
        Assert.Equal(target, ph.EnthalpyJPerMol, 1e-6 * Math.Abs(target));
        Assert.Equal(bubble.TemperatureK, ph.TemperatureK, 1e-6);
        Assert.InRange(ph.VaporFraction, 0, 0.05);
    }

    [Fact]
    public void A_ternary_bubble_point_dew_point_and_vapour_fraction_across_three_phases()
    {
        var p = Package("peng-robinson", "water", "n-hexane", "methane");
        double[] z = [0.62, 0.37, 0.01];
        var mid = p.FlashPVF(OneAtm, 0.3, z);
        Assert.True(mid.Converged, mid.FailureReason);
        Assert.Equal(PhaseState.ThreePhase, mid.State);
        Assert.Equal(0.3, mid.VaporFraction, 1e-9);
        var check = p.FlashPT(mid.TemperatureK, OneAtm, z);
        Assert.Equal(0.3, check.VaporFraction, 1e-7);

        var dew = p.FlashPVF(OneAtm, 1, z);
        Assert.True(dew.Converged, dew.FailureReason);
        Assert.True(dew.LiquidComposition[0] > 0.99, "water condenses first from this vapour");
        var above = p.FlashPT(dew.TemperatureK + 0.01, OneAtm, z);
        var below = p.FlashPT(dew.TemperatureK - 0.01, OneAtm, z);
        Assert.Equal(PhaseState.Vapor, above.State);
        Assert.True(below.VaporFraction < 1, "below the dew point a liquid forms");
    }

    // ---- the separator ----

    [Fact]
    public void A_three_phase_separator_parts_gas_oil_and_water_and_a_flash_drum_keeps_both_liquids_together()
    {
        static string Flowsheet(bool threePhase) => $$"""
        {
          "name": "separator",
          "components": ["water", "n-hexane", "methane"],
          "propertyPackage": "peng-robinson",
          "units": [
            { "id": "FEED", "type": "feed", "spec": { "temperature": { "value": 30, "unit": "C" }, "pressure": { "value": 10, "unit": "bar" },
              "molarFlow": { "value": 100, "unit": "kmol/h" }, "moleFractions": { "water": 0.5, "n-hexane": 0.3, "methane": 0.2 } } },
            { "id": "SEP", "type": "{{(threePhase ? "threePhaseSeparator" : "flash")}}", "spec": { "duty": 0 } },
            { "id": "GAS", "type": "product" }, { "id": "WATER", "type": "product" }{{(threePhase ? """, { "id": "OIL", "type": "product" }""" : "")}}
          ],
          "streams": [
            { "id": "S1", "from": "FEED.out", "to": "SEP.in" },
            { "id": "G", "from": "SEP.vapor", "to": "GAS.in" },
            { "id": "W", "from": "SEP.{{(threePhase ? "heavy" : "liquid")}}", "to": "WATER.in" }{{(threePhase ? """, { "id": "O", "from": "SEP.light", "to": "OIL.in" }""" : "")}}
          ]
        }
        """;
        var result = Solve(Flowsheet(threePhase: true));
        var gas = Stream(result, "G");
        var oil = Stream(result, "O");
        var water = Stream(result, "W");
        Assert.True(water.MoleFractions[0] > 0.9999, "the heavy outlet is water");
        Assert.True(oil.MoleFractions[1] > 0.9, "the light outlet is the hexane-rich liquid");
        Assert.True(gas.MoleFractions[2] > 0.9, "the vapour is methane-rich");
        Assert.Equal(PhaseState.Liquid, water.State);
        Assert.Equal(50.0 / 3.6, water.ComponentMolarFlows[0] + oil.ComponentMolarFlows[0] + gas.ComponentMolarFlows[0], 1e-9);

        var drum = Solve(Flowsheet(threePhase: false));
        var liquid = Stream(drum, "W");
        Assert.Equal(PhaseState.LiquidLiquid, liquid.State);
        Assert.Equal(water.TotalMolarFlow + oil.TotalMolarFlow, liquid.TotalMolarFlow, 1e-9);
        Assert.Equal(water.EnthalpyFlow + oil.EnthalpyFlow, liquid.EnthalpyFlow, 1e-6 * Math.Abs(liquid.EnthalpyFlow));
    }

    [Fact]
    public void A_lone_aqueous_liquid_leaves_by_the_heavy_outlet_and_a_lone_oil_by_the_light()
    {
        static string Feed(int water, int hexane) => $$"""
        {
          "name": "one liquid",
          "components": ["water", "n-hexane"],
          "propertyPackage": "peng-robinson",
          "units": [
            { "id": "FEED", "type": "feed", "spec": { "temperature": { "value": 25, "unit": "C" }, "pressure": { "value": 1, "unit": "bar" },
              "molarFlow": { "value": 10, "unit": "kmol/h" }, "moleFractions": { "water": {{water}}, "n-hexane": {{hexane}} } } },
            { "id": "SEP", "type": "threePhaseSeparator", "spec": { "temperature": { "value": 25, "unit": "C" } } },
            { "id": "GAS", "type": "product" }, { "id": "OIL", "type": "product" }, { "id": "WATER", "type": "product" }
          ],
          "streams": [
            { "id": "S1", "from": "FEED.out", "to": "SEP.in" },
            { "id": "G", "from": "SEP.vapor", "to": "GAS.in" },
            { "id": "O", "from": "SEP.light", "to": "OIL.in" },
            { "id": "W", "from": "SEP.heavy", "to": "WATER.in" }
          ]
        }
        """;
        var aqueous = Solve(Feed(1, 0));
        Assert.True(Stream(aqueous, "O").IsEmpty);
        Assert.Equal(10 / 3.6, Stream(aqueous, "W").TotalMolarFlow, 1e-9);
        var oil = Solve(Feed(0, 1));
        Assert.True(Stream(oil, "W").IsEmpty);
        Assert.Equal(10 / 3.6, Stream(oil, "O").TotalMolarFlow, 1e-9);
    }

    // ---- helpers ----

    private static SolveResult Solve(string json)
    {
        var read = FlowsheetReader.Read(json, DefaultThermoCatalog.Instance);
        Assert.True(read.Flowsheet is not null, string.Join("; ", read.Errors.Select(e => $"{e.Path}: {e.Message}")));
        var result = FlowsheetSolver.Solve(read.Flowsheet!);
        Assert.True(result.Converged, result.FailureReason);
        return result;
    }

    private static DeepSim.Engine.Streams.MaterialStream Stream(SolveResult result, string id)
    {
        var index = result.Flowsheet.Streams.ToList().FindIndex(s => s.Id == id);
        return result.Streams[index] ?? throw new InvalidOperationException(id);
    }

    private static List<(Phase Kind, double Beta, double[] X)> PhasesOf(FlashResult r)
    {
        var phases = new List<(Phase Kind, double Beta, double[] X)>();
        var heavy = r.SecondLiquidFraction;
        if (r.State is PhaseState.TwoPhase or PhaseState.ThreePhase)
        {
            phases.Add((Phase.Vapor, r.VaporFraction, r.VaporComposition));
        }

        phases.Add((Phase.Liquid, 1 - r.VaporFraction - heavy, r.LiquidComposition));
        if (heavy > 0)
        {
            phases.Add((Phase.Liquid, heavy, r.SecondLiquidComposition));
        }

        return phases;
    }

    private static double[] LnFugacities(IPropertyPackage p, Phase kind, double t, double pressure, double[] x)
    {
        var lnPhi = new double[x.Length];
        ((IFugacityModel)p).LnFugacityCoefficients(kind, t, pressure, x, lnPhi);
        return [.. x.Select((xi, i) => Math.Log(xi) + lnPhi[i])];
    }

    // G/RT relative to the pure ideal gases at T and P: Σ phases β Σᵢ xᵢ ln(xᵢ φᵢ) (φ of the liquid of a γ–φ package is γ Psat/P).
    private static double GibbsOverRT(IPropertyPackage p, double t, double pressure, IEnumerable<(Phase Kind, double Beta, double[] X)> phases)
    {
        double g = 0;
        foreach (var (kind, beta, x) in phases)
        {
            var lnF = LnFugacities(p, kind, t, pressure, x);
            for (var i = 0; i < x.Length; i++)
            {
                g += x[i] > 0 ? beta * x[i] * lnF[i] : 0;
            }
        }

        return g;
    }
}
