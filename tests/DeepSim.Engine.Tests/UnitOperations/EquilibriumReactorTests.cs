using DeepSim.Engine.Components;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations;
using DeepSim.Engine.UnitOperations.Reactions;
using static DeepSim.Engine.Tests.UnitOperations.UnitTestKit;

namespace DeepSim.Engine.Tests.UnitOperations;

public class EquilibriumReactorTests
{
    /// <summary>Q/K of the equilibrium outlet must be 1 to this (the brief's figure).</summary>
    private const double EquilibriumRelative = 1e-8;

    /// <summary>Element amounts must be conserved to this relative error.</summary>
    private const double ElementRelative = 1e-10;

    // ½ N2 + 3/2 H2 = NH3 over (nitrogen, hydrogen, ammonia).
    private static readonly double[] AmmoniaHalf = [-0.5, -1.5, 1];

    // N2 + 3 H2 = 2 NH3.
    private static readonly double[] AmmoniaFull = [-1, -3, 2];

    // CO + H2O = CO2 + H2 over (carbon monoxide, water, carbon dioxide, hydrogen).
    private static readonly double[] Shift = [-1, -1, 1, 1];

    private static readonly Lazy<IPropertyPackage> IdealAmmonia = new(() => Create("ideal", "nitrogen", "hydrogen", "ammonia"));

    private static readonly Lazy<IPropertyPackage> IdealShift = new(() => Create("ideal", "carbon monoxide", "water", "carbon dioxide", "hydrogen"));

    private static StandardGibbs Thermo(params string[] names) =>
        StandardGibbs.TryCreate([.. names.Select(n => ComponentDatabase.Default.Find(n)!)], out _)!;

    // NIST-JANAF Thermochemical Tables (Chase, 4th ed. 1998), NH3(g): ΔfG° = −16.367, 27.190 and 61.910 kJ/mol, i.e.
    // log10 Kf = 2.867 at 298.15 K, −2.029 at 700 K and −3.234 at 1000 K. ChemSep's ΔHf and Cp fit differ slightly from JANAF's (ΔfH°: JANAF, Chase 1998, −45.90 kJ/mol; CODATA −45.94; per the NIST WebBook)
    // own functions: 0.03 in log10 K (7 % in K) covers that at 700–1000 K, where the Cp integral matters most.
    [Theory]
    [InlineData(298.15, 2.867)]
    [InlineData(700, -2.029)]
    [InlineData(1000, -3.234)]
    public void Ammonia_formation_constant_matches_JANAF(double temperatureK, double log10K)
    {
        var thermo = Thermo("nitrogen", "hydrogen", "ammonia");
        Assert.Equal(log10K, thermo.LnK(AmmoniaHalf, temperatureK) / Math.Log(10), 0.03);
    }

    // Zumdahl & Zumdahl, Chemistry (8th ed.), ch. 13 exercise: Kp of N2 + 3 H2 = 2 NH3 is 4.34e-3 at 300 °C, 1.45e-5 at
    // 500 °C and 2.25e-6 at 600 °C (atm⁻², converted here to the 1 bar standard state by 1.01325⁻²). Compared per mole
    // of ammonia (half the log) with the same 0.03 as the JANAF check: the textbook's values sit 0.01–0.03 below ours.
    [Theory]
    [InlineData(573.15, 4.34e-3)]
    [InlineData(773.15, 1.45e-5)]
    [InlineData(873.15, 2.25e-6)]
    public void Ammonia_synthesis_constant_matches_the_textbook_table(double temperatureK, double kpPerAtm2)
    {
        var thermo = Thermo("nitrogen", "hydrogen", "ammonia");
        var publishedPerMolAmmonia = Math.Log10(kpPerAtm2 / (1.01325 * 1.01325)) / 2;
        Assert.Equal(publishedPerMolAmmonia, thermo.LnK(AmmoniaHalf, temperatureK) / Math.Log(10), 0.03);
        Assert.Equal(2 * thermo.LnK(AmmoniaHalf, temperatureK), thermo.LnK(AmmoniaFull, temperatureK), 1e-12);
    }

    // Water-gas shift: from the JANAF ΔfG°(298.15 K) of CO (−137.163), H2O(g) (−228.582) and CO2 (−394.389 kJ/mol;
    // the CRC Handbook's −137.2, −228.6, −394.4 agree), ΔG° = −28.644 kJ/mol and K = 1.04e5, to 3 % (ChemSep's ΔGf
    // round-off). The shift's K passes through 1 near 1100 K (the usual textbook figure, 820–830 °C): |log10 K| < 0.05.
    [Fact]
    public void Water_gas_shift_constant_is_1e5_at_room_temperature_and_1_near_1100_K()
    {
        var thermo = Thermo("carbon monoxide", "water", "carbon dioxide", "hydrogen");
        Assert.Equal(1.04e5, Math.Exp(thermo.LnK(Shift, 298.15)), 0.03 * 1.04e5);
        Assert.InRange(thermo.LnK(Shift, 1100) / Math.Log(10), -0.05, 0.05);
        Assert.True(thermo.LnK(Shift, 600) > thermo.LnK(Shift, 900), "exothermic: K falls with temperature");
    }

    [Fact]
    public void Gibbs_helmholtz_slope_of_ln_K_is_the_reaction_enthalpy()
    {
        // d ln K / dT = ΔH°/(R T²): an independent check that the Cp integrals of H and S belong together.
        var thermo = Thermo("nitrogen", "hydrogen", "ammonia");
        const double t = 750, h = 0.01;
        var slope = (thermo.LnK(AmmoniaHalf, t + h) - thermo.LnK(AmmoniaHalf, t - h)) / (2 * h);
        var expected = thermo.ReactionEnthalpy(AmmoniaHalf, t) / (StandardGibbs.GasConstant * t * t);
        Assert.Equal(expected, slope, Math.Abs(expected) * 1e-6);
    }

    [Theory]
    [InlineData("ideal")]
    [InlineData("peng-robinson")]
    public void Isothermal_ammonia_equilibrium_satisfies_K_and_conserves_elements(string packageName)
    {
        var package = packageName == "ideal" ? IdealAmmonia.Value : Ammonia;
        var feed = Stream(package, 723.15, 200e5, 25, 75, 0);
        var unit = new EquilibriumReactor("R", P(), [new EquilibriumReaction(AmmoniaFull, null)], adiabatic: false);
        var r = Balanced(Run(unit, package, ("in", feed)), feed);
        var outlet = r.Outlets["out"];
        Assert.Equal(723.15, outlet.TemperatureK, 1e-9);
        var lnK = Thermo("nitrogen", "hydrogen", "ammonia").LnK(AmmoniaFull, 723.15);
        var q = Math.Exp(ChemicalEquilibrium.LnQuotientOverK(package, Phase.Vapor, 723.15, 200e5, outlet.MoleFractions, AmmoniaFull, lnK));
        Assert.Equal(1, q, EquilibriumRelative);
        AssertElementsConserved(feed.ComponentMolarFlows, outlet.ComponentMolarFlows, [[2, 0], [0, 2], [1, 3]]);
        // Larson & Dodge (J. Am. Chem. Soc. 45, 2918, 1923) measured 16.4 % ammonia at 450 °C and 100 atm and 35.5 % at
        // 300 atm from a 1:3 feed: 200 bar must lie between (a sanity band, not the precision check).
        Assert.InRange(outlet.MoleFractions[2], 0.164, 0.355);
        Assert.Equal(r.Details["reactions[0].extentMolPerS"], outlet.ComponentMolarFlows[2] / 2, 1e-9);
    }

    [Fact]
    public void Peng_robinson_fugacities_shift_ammonia_equilibrium_from_the_ideal_gas_one()
    {
        var ideal = Run(new EquilibriumReactor("R", P(), [new EquilibriumReaction(AmmoniaFull, null)], adiabatic: false), IdealAmmonia.Value, ("in", Stream(IdealAmmonia.Value, 723.15, 300e5, 25, 75, 0)));
        var real = Run(new EquilibriumReactor("R", P(), [new EquilibriumReaction(AmmoniaFull, null)], adiabatic: false), Ammonia, ("in", Stream(Ammonia, 723.15, 300e5, 25, 75, 0)));
        // φ(NH3) < 1 and φ(H2) > 1 at 300 bar make Kφ = Π φ^ν < 1, which favours ammonia: the non-ideal yield is higher.
        Assert.True(real.Outlets["out"].MoleFractions[2] > ideal.Outlets["out"].MoleFractions[2] + 1e-3);
    }

    [Theory]
    [InlineData("ideal", 700, 1e5)]
    [InlineData("ideal", 400, 1e5)]
    [InlineData("ideal", 1200, 1e5)]
    [InlineData("ideal", 723.15, 200e5)]
    [InlineData("peng-robinson", 723.15, 200e5)]
    public void Gibbs_minimisation_agrees_with_the_reaction_constant_for_ammonia(string packageName, double temperatureK, double pressurePa)
    {
        var package = packageName == "ideal" ? IdealAmmonia.Value : Ammonia;
        var feed = Stream(package, temperatureK, pressurePa, 25, 75, 0);
        var byK = Balanced(Run(new EquilibriumReactor("R", P(), [new EquilibriumReaction(AmmoniaFull, null)], adiabatic: false), package, ("in", feed)), feed);
        var byG = Balanced(Run(GibbsReactor(package, adiabatic: false), package, ("in", feed)), feed);
        AssertSameComposition(byK.Outlets["out"].MoleFractions, byG.Outlets["out"].MoleFractions);
        AssertElementsConserved(feed.ComponentMolarFlows, byG.Outlets["out"].ComponentMolarFlows, [[2, 0], [0, 2], [1, 3]]);
        Assert.InRange(byG.Details["gibbsStationarityResidual"], 0, ChemicalEquilibrium.LnResidualTolerance);
    }

    [Fact]
    public void Gibbs_minimisation_with_an_inert_converges_quadratically_close_to_the_minimum()
    {
        // Regression: near the minimum the line search once read π times the element balances' round-off as an uphill
        // slope and crawled; the reduced potentials make it take the full RAND step (here ~10 iterations).
        var package = Create("peng-robinson", "nitrogen", "hydrogen", "ammonia", "argon");
        double[] feed = [23.82, 70.98, 1.67, 3.53];
        var g = new double[4];
        StandardGibbs.Create(package.Components).ReducedGibbs(723.15, g);
        var r = ChemicalEquilibrium.MinimiseGibbs(package, 723.15, 150e5, feed, [true, true, true, false], new int[,] { { 0, 2, 0 }, { 2, 0, 0 }, { 3, 1, 0 }, { 0, 0, 1 } }, g);
        Assert.True(r.Succeeded, r.Failure);
        Assert.InRange(r.Iterations, 1, 30);
        Assert.Equal(3.53, r.Flows![3]);
        var y = r.Flows.Select(f => f / r.Flows.Sum()).ToArray();
        var lnK = Thermo("nitrogen", "hydrogen", "ammonia", "argon").LnK([-1, -3, 2, 0], 723.15);
        Assert.Equal(0, ChemicalEquilibrium.LnQuotientOverK(package, Phase.Vapor, 723.15, 150e5, y, [-1, -3, 2, 0], lnK), 1e-9);
    }

    [Theory]
    [InlineData(600)]
    [InlineData(900)]
    [InlineData(1100)]
    public void Gibbs_minimisation_agrees_with_the_reaction_constant_for_the_water_gas_shift(double temperatureK)
    {
        var package = IdealShift.Value;
        var feed = Stream(package, temperatureK, 10e5, 1, 2, 0.1, 0.2);
        var byK = Balanced(Run(new EquilibriumReactor("R", P(), [new EquilibriumReaction(Shift, null)], adiabatic: false), package, ("in", feed)), feed);
        var byG = Balanced(Run(GibbsReactor(package, adiabatic: false), package, ("in", feed)), feed);
        AssertSameComposition(byK.Outlets["out"].MoleFractions, byG.Outlets["out"].MoleFractions);
        // C, H, O over (CO, H2O, CO2, H2).
        AssertElementsConserved(feed.ComponentMolarFlows, byG.Outlets["out"].ComponentMolarFlows, [[1, 0, 1], [0, 2, 1], [1, 0, 2], [0, 2, 0]]);
        var y = byK.Outlets["out"].MoleFractions;
        Assert.Equal(Math.Exp(Thermo("carbon monoxide", "water", "carbon dioxide", "hydrogen").LnK(Shift, temperatureK)), y[2] * y[3] / (y[0] * y[1]), EquilibriumRelative * 10);
    }

    [Theory]
    [InlineData(700)]
    [InlineData(900)]
    [InlineData(1200)]
    public void Two_reactions_and_Gibbs_minimisation_agree_for_shift_with_methanation(double temperatureK)
    {
        // CO + H2O = CO2 + H2 and CO + 3 H2 = CH4 + H2O over (CO, H2O, CO2, H2, CH4): methane dominates cold, vanishes hot.
        var package = Create("ideal", "carbon monoxide", "water", "carbon dioxide", "hydrogen", "methane");
        var feed = Stream(package, temperatureK, 20e5, 1, 1.5, 0.2, 3, 0);
        EquilibriumReaction[] reactions = [new([-1, -1, 1, 1, 0], null), new([-1, 1, 0, -3, 1], null)];
        var byK = Balanced(Run(new EquilibriumReactor("R", P(), reactions, adiabatic: false), package, ("in", feed)), feed);
        var byG = Balanced(Run(GibbsReactor(package, adiabatic: false), package, ("in", feed)), feed);
        AssertSameComposition(byK.Outlets["out"].MoleFractions, byG.Outlets["out"].MoleFractions);
        Assert.Equal(1, byK.Details["reactions[0].quotientOverK"], EquilibriumRelative);
        Assert.Equal(1, byK.Details["reactions[1].quotientOverK"], EquilibriumRelative);
        // C, H, O over (CO, H2O, CO2, H2, CH4).
        AssertElementsConserved(feed.ComponentMolarFlows, byG.Outlets["out"].ComponentMolarFlows, [[1, 0, 1], [0, 2, 1], [1, 0, 2], [0, 2, 0], [1, 4, 0]]);
    }

    [Fact]
    public void Adiabatic_ammonia_equilibrium_heats_up_closes_its_energy_balance_and_sits_at_K_of_its_outlet_temperature()
    {
        var feed = Stream(Ammonia, 673.15, 200e5, 24, 72, 4);
        var r = Balanced(Run(new EquilibriumReactor("R", P(), [new EquilibriumReaction(AmmoniaFull, null)], adiabatic: true), Ammonia, ("in", feed)), feed);
        var outlet = r.Outlets["out"];
        Assert.Equal(0, r.DutyW);
        Assert.True(outlet.TemperatureK > feed.TemperatureK + 20, "ammonia synthesis is exothermic");
        Assert.Equal(1, r.Details["reactions[0].quotientOverK"], 1e-7);
        var lnK = Thermo("nitrogen", "hydrogen", "ammonia").LnK(AmmoniaFull, outlet.TemperatureK);
        Assert.Equal(0, ChemicalEquilibrium.LnQuotientOverK(Ammonia, Phase.Vapor, outlet.TemperatureK, outlet.PressurePa, outlet.MoleFractions, AmmoniaFull, lnK), 1e-6);
        var gibbs = Balanced(Run(GibbsReactor(Ammonia, adiabatic: true), Ammonia, ("in", feed)), feed);
        Assert.Equal(outlet.TemperatureK, gibbs.Outlets["out"].TemperatureK, 1e-4);
    }

    [Fact]
    public void User_ln_K_replaces_the_formation_data_one()
    {
        // ln K = 0 for the shift: equal products and reactants from an equimolar CO/H2O feed.
        var package = IdealShift.Value;
        var feed = Stream(package, 800, 1e5, 1, 1, 0, 0);
        var unit = new EquilibriumReactor("R", P(), [new EquilibriumReaction(Shift, new LnKCorrelation(0, 0, 0, 0))], adiabatic: false);
        var y = Balanced(Run(unit, package, ("in", feed)), feed).Outlets["out"].MoleFractions;
        Assert.Equal(0.25, y[0], 1e-10);
        Assert.Equal(0.25, y[2], 1e-10);
    }

    [Fact]
    public void A_reaction_that_cannot_proceed_either_way_is_a_failure_with_a_reason()
    {
        // No hydrogen to go forward, no ammonia to go back.
        var feed = Stream(IdealAmmonia.Value, 700, 1e5, 1, 0, 0);
        var r = Run(new EquilibriumReactor("R", P(), [new EquilibriumReaction(AmmoniaFull, null)], adiabatic: false), IdealAmmonia.Value, ("in", feed));
        Refused(r, "cannot proceed");
    }

    [Fact]
    public void Linearly_dependent_reactions_are_a_failure_with_a_reason()
    {
        var feed = Stream(IdealAmmonia.Value, 700, 1e5, 1, 3, 0);
        var unit = new EquilibriumReactor("R", P(), [new EquilibriumReaction(AmmoniaFull, null), new EquilibriumReaction(AmmoniaHalf, null)], adiabatic: false);
        Refused(Run(unit, IdealAmmonia.Value, ("in", feed)), "linearly dependent");
    }

    [Fact]
    public void Only_reacting_components_need_formation_data()
    {
        // A user-defined inert with no Gibbs energy of formation: the shift still equilibrates around it; a reaction
        // that involves it (stoichiometry not checked here, the reader does that) is refused, naming it.
        var db = ComponentDatabase.Default;
        var inert = db.Find("argon")! with { Name = "tracer", FormationGibbsEnergy = double.NaN };
        var package = PropertyPackages.Create("ideal", [db.Find("carbon monoxide")!, db.Find("water")!, db.Find("carbon dioxide")!, db.Find("hydrogen")!, inert]);
        var feed = Stream(package, 900, 1e5, 1, 1, 0, 0, 0.5);
        double[] shift = [-1, -1, 1, 1, 0];
        var r = Balanced(Run(new EquilibriumReactor("R", P(), [new EquilibriumReaction(shift, null)], adiabatic: false), package, ("in", feed)), feed);
        Assert.Equal(1, r.Details["reactions[0].quotientOverK"], 1e-8);
        Assert.Equal(0.5, r.Outlets["out"].ComponentMolarFlows[4]);
        var reacting = new EquilibriumReactor("R", P(), [new EquilibriumReaction([-1, -1, 1, 0, 1], null)], adiabatic: false);
        Refused(Run(reacting, package, ("in", feed)), "'tracer' has no");
    }

    [Fact]
    public void Element_formulas_are_read_from_hill_formulas()
    {
        Assert.Equal(new Dictionary<string, int> { ["H"] = 3, ["N"] = 1 }, ElementFormula.TryParse("H3N"));
        Assert.Equal(new Dictionary<string, int> { ["C"] = 2, ["H"] = 6, ["O"] = 1 }, ElementFormula.TryParse("C2H6O"));
        Assert.Equal(new Dictionary<string, int> { ["Ar"] = 1 }, ElementFormula.TryParse("Ar"));
        Assert.Null(ElementFormula.TryParse(""));
        Assert.Null(ElementFormula.TryParse("(CH3)2O"));
    }

    /// <summary>A Gibbs reactor over every component of the package, elements from the formulas.</summary>
    internal static EquilibriumReactor GibbsReactor(IPropertyPackage package, bool adiabatic)
    {
        var formulas = package.Components.Select(c => ElementFormula.TryParse(c.Formula)!).ToArray();
        var symbols = formulas.SelectMany(f => f.Keys).Distinct().Order(StringComparer.Ordinal).ToArray();
        var a = new int[formulas.Length, symbols.Length];
        for (var i = 0; i < formulas.Length; i++)
        {
            for (var k = 0; k < symbols.Length; k++)
            {
                a[i, k] = formulas[i].GetValueOrDefault(symbols[k]);
            }
        }
        return new EquilibriumReactor("G", P(), [.. Enumerable.Repeat(true, formulas.Length)], a, symbols, adiabatic);
    }

    private static void AssertSameComposition(double[] expected, double[] actual)
    {
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-6);
        }
    }

    private static void AssertElementsConserved(double[] feed, double[] outlet, int[][] elementsOfComponent)
    {
        for (var k = 0; k < elementsOfComponent[0].Length; k++)
        {
            double a = 0, b = 0;
            for (var i = 0; i < feed.Length; i++)
            {
                a += elementsOfComponent[i][k] * feed[i];
                b += elementsOfComponent[i][k] * outlet[i];
            }
            Assert.Equal(a, b, ElementRelative * a);
        }
    }
}
