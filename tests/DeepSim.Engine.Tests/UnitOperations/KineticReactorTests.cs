using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations;
using DeepSim.Engine.UnitOperations.Reactions;
using static DeepSim.Engine.Tests.UnitOperations.UnitTestKit;

namespace DeepSim.Engine.Tests.UnitOperations;

public class KineticReactorTests
{
    private const double R = StandardGibbs.GasConstant;

    private static readonly Lazy<IPropertyPackage> Xylenes = new(() => Create("ideal", "o-xylene", "m-xylene"));

    private static readonly Lazy<IPropertyPackage> Butanes = new(() => Create("ideal", "n-butane", "isobutane", "propane"));

    private static readonly Lazy<IPropertyPackage> Pentanes = new(() => Create("ideal", "n-pentane", "isopentane", "neopentane"));

    private static readonly Lazy<IPropertyPackage> Hydrogenation = new(() => Create("ideal", "ethylene", "hydrogen", "ethane", "nitrogen"));

    private static KineticReaction FirstOrder(double[] nu, int reactant, double k, double activationJPerMol = 0)
    {
        var orders = new double[nu.Length];
        orders[reactant] = 1;
        return new KineticReaction(nu, new RateLaw(k, activationJPerMol, orders));
    }

    [Fact]
    public void Isothermal_liquid_cstr_first_order_conversion_is_k_tau_over_one_plus_k_tau()
    {
        // A → B with k = k0 exp(−Ea/RT): the closed form holds with τ the outlet volumetric residence time.
        const double k0 = 50, ea = 20_000, t = 350, volume = 2.0;
        var feed = Stream(Xylenes.Value, t, 101325, 10, 0);
        var unit = new StirredTankReactor("R", P(("volume", volume)), [FirstOrder([-1, 1], 0, k0, ea)], Phase.Liquid, RateBasis.Concentration, adiabatic: false);
        var r = Balanced(Run(unit, Xylenes.Value, ("in", feed)), feed);
        var outlet = r.Outlets["out"];
        var c = Xylenes.Value.Components;
        var q = (outlet.ComponentMolarFlows[0] / c[0].LiquidDensity!.Evaluate(t)) + (outlet.ComponentMolarFlows[1] / c[1].LiquidDensity!.Evaluate(t));
        var kTau = k0 * Math.Exp(-ea / (R * t)) * volume / q;
        Assert.Equal(kTau / (1 + kTau), 1 - (outlet.ComponentMolarFlows[0] / 10), 1e-9);
        Assert.Equal(volume / q, r.Details["residenceTimeS"], 1e-9 * volume / q);
        Assert.Equal(t, outlet.TemperatureK, 1e-9);
    }

    [Fact]
    public void Isothermal_gas_pfr_first_order_conversion_is_one_minus_exp_minus_k_tau()
    {
        // n-butane → isobutane in an ideal gas: no change in moles, so the volumetric flow is constant along the tube.
        const double k = 0.8, t = 500, p = 2e5, volume = 0.5;
        var feed = Stream(Butanes.Value, t, p, 4, 0, 1);
        var unit = new PlugFlowReactor("R", P(("volume", volume)), [FirstOrder([-1, 1, 0], 0, k)], Phase.Vapor, RateBasis.Concentration, adiabatic: false);
        var r = Balanced(Run(unit, Butanes.Value, ("in", feed)), feed);
        var tau = volume / (5 * R * t / p);
        Assert.Equal(1 - Math.Exp(-k * tau), 1 - (r.Outlets["out"].ComponentMolarFlows[0] / 4), 1e-6);
        Assert.Equal(tau, r.Details["spaceTimeS"], 1e-9 * tau);
    }

    [Fact]
    public void Series_reactions_match_their_closed_forms_in_a_cstr_and_a_pfr()
    {
        // A → B → C among the pentane isomers (ideal gas, constant moles, so constant volumetric flow).
        const double k1 = 1.2, k2 = 0.5, t = 500, p = 2e5, volume = 0.3;
        var feed = Stream(Pentanes.Value, t, p, 2, 0, 0);
        KineticReaction[] reactions = [FirstOrder([-1, 1, 0], 0, k1), FirstOrder([0, -1, 1], 1, k2)];
        var tau = volume / (2 * R * t / p);
        var cstr = Balanced(Run(new StirredTankReactor("R", P(("volume", volume)), reactions, Phase.Vapor, RateBasis.Concentration, adiabatic: false), Pentanes.Value, ("in", feed)), feed).Outlets["out"];
        Assert.Equal(2 / (1 + (k1 * tau)), cstr.ComponentMolarFlows[0], 1e-10);
        Assert.Equal(2 * k1 * tau / ((1 + (k1 * tau)) * (1 + (k2 * tau))), cstr.ComponentMolarFlows[1], 1e-10);
        var pfr = Balanced(Run(new PlugFlowReactor("R", P(("volume", volume)), reactions, Phase.Vapor, RateBasis.Concentration, adiabatic: false), Pentanes.Value, ("in", feed)), feed).Outlets["out"];
        Assert.Equal(2 * Math.Exp(-k1 * tau), pfr.ComponentMolarFlows[0], 1e-7);
        Assert.Equal(2 * k1 / (k2 - k1) * (Math.Exp(-k1 * tau) - Math.Exp(-k2 * tau)), pfr.ComponentMolarFlows[1], 1e-7);
    }

    [Fact]
    public void Partial_pressure_basis_uses_pascals()
    {
        // r = k p_A: in a CSTR ξ = V k y_A P, so X = kVP/F / (1 + kVP/F) with F the (constant) total flow.
        const double k = 1e-6, t = 500, p = 2e5, volume = 0.1;
        var feed = Stream(Butanes.Value, t, p, 1, 0, 0);
        var unit = new StirredTankReactor("R", P(("volume", volume)), [FirstOrder([-1, 1, 0], 0, k)], Phase.Vapor, RateBasis.PartialPressure, adiabatic: false);
        var r = Balanced(Run(unit, Butanes.Value, ("in", feed)), feed);
        var a = k * volume * p / 1;
        Assert.Equal(a / (1 + a), 1 - r.Outlets["out"].ComponentMolarFlows[0], 1e-10);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Adiabatic_hydrogenation_heats_up_and_its_energy_balance_closes(bool plugFlow)
    {
        // C2H4 + H2 → C2H6, ΔH ≈ −137 kJ/mol, diluted in nitrogen; second order in concentrations.
        var package = Hydrogenation.Value;
        var feed = Stream(package, 500, 5e5, 1, 1.2, 0, 8);
        var law = new RateLaw(10, 30_000, [1, 1, 0, 0]);
        KineticReaction[] reactions = [new([-1, -1, 1, 0], law)];
        KineticReactor unit = plugFlow
            ? new PlugFlowReactor("R", P(("volume", 0.2)), reactions, Phase.Vapor, RateBasis.Concentration, adiabatic: true)
            : new StirredTankReactor("R", P(("volume", 0.2)), reactions, Phase.Vapor, RateBasis.Concentration, adiabatic: true);
        var r = Balanced(Run(unit, package, ("in", feed)), feed);
        var outlet = r.Outlets["out"];
        var extent = r.Details["reactions[0].extentMolPerS"];
        Assert.InRange(extent, 0.05, 0.99);
        Assert.Equal(0, r.DutyW);
        // Independent estimate of the rise: −ΔH ξ / Σ F Cp, with Cp of the outlet gas at the mean temperature (±3 %).
        var thermo = StandardGibbs.TryCreate(package.Components, out _)!;
        var mean = (feed.TemperatureK + outlet.TemperatureK) / 2;
        var cp = outlet.ComponentMolarFlows.Select((f, i) => f * package.Components[i].IdealGasHeatCapacity!.Evaluate(mean)).Sum();
        var rise = -thermo.ReactionEnthalpy([-1, -1, 1, 0], feed.TemperatureK) * extent / cp;
        Assert.Equal(rise, outlet.TemperatureK - feed.TemperatureK, 0.03 * rise);
        Assert.Equal(outlet.TemperatureK, r.Details["temperatureK"], 1e-6);
    }

    [Fact]
    public void Conversion_reactor_beyond_equilibrium_is_flagged_and_one_short_of_it_is_not()
    {
        var package = Create("ideal", "nitrogen", "hydrogen", "ammonia");
        var feed = Stream(package, 700, 1e5, 1, 3, 0);
        Reaction[] reactions = [new([-1, -3, 2], 0)];
        var beyond = Balanced(Run(new ConversionReactor("R", P(("reactions[0].conversion", 0.5)), reactions, adiabatic: false), package, ("in", feed)), feed);
        Assert.Equal(1, beyond.Details["reactions[0].beyondEquilibrium"]);
        Assert.True(beyond.Details["reactions[0].quotientOverK"] > 1);
        Assert.Contains(beyond.Notes, n => n.Contains("beyond chemical equilibrium", StringComparison.Ordinal));
        var short_ = Balanced(Run(new ConversionReactor("R", P(("reactions[0].conversion", 0.001)), reactions, adiabatic: false), package, ("in", feed)), feed);
        Assert.Equal(0, short_.Details["reactions[0].beyondEquilibrium"]);
        Assert.Empty(short_.Notes);
    }

    [Fact]
    public void A_pfr_is_never_beyond_equilibrium_for_an_irreversible_law_short_of_it_but_is_flagged_past_it()
    {
        // An irreversible rate ignores K: a long enough tube runs N2 + 3 H2 → 2 NH3 past equilibrium at 700 K and 1 bar.
        var package = Create("ideal", "nitrogen", "hydrogen", "ammonia");
        var feed = Stream(package, 700, 1e5, 1, 3, 0);
        KineticReaction[] reactions = [FirstOrder([-1, -3, 2], 0, 1.0)];
        var r = Balanced(Run(new PlugFlowReactor("R", P(("volume", 1.0)), reactions, Phase.Vapor, RateBasis.Concentration, adiabatic: false), package, ("in", feed)), feed);
        Assert.Equal(1, r.Details["reactions[0].beyondEquilibrium"]);
        Assert.NotEmpty(r.Notes);
    }

    [Fact]
    public void Liquid_concentrations_without_a_liquid_density_are_a_failure_with_a_reason()
    {
        var db = Engine.Components.ComponentDatabase.Default;
        var package = PropertyPackages.Create("ideal", [db.Find("o-xylene")!, db.Find("m-xylene")! with { Name = "no-density", LiquidDensity = null }]);
        var feed = Stream(package, 350, 101325, 1, 0);
        var unit = new PlugFlowReactor("R", P(("volume", 1)), [FirstOrder([-1, 1], 0, 1)], Phase.Liquid, RateBasis.Concentration, adiabatic: false);
        Refused(Run(unit, package, ("in", feed)), "liquid density for 'no-density'");
    }

    [Fact]
    public void Adiabatic_liquid_cstr_closes_its_energy_balance()
    {
        // Xylene isomerisation is nearly thermoneutral: the outlet temperature stays within a few kelvin of the inlet.
        var feed = Stream(Xylenes.Value, 350, 101325, 10, 0);
        var unit = new StirredTankReactor("R", P(("volume", 2.0)), [FirstOrder([-1, 1], 0, 0.05)], Phase.Liquid, RateBasis.Concentration, adiabatic: true);
        var r = Balanced(Run(unit, Xylenes.Value, ("in", feed)), feed);
        Assert.InRange(r.Outlets["out"].TemperatureK, 340, 360);
        Assert.True(r.Details["reactions[0].extentMolPerS"] > 1);
    }

    [Fact]
    public void Zero_volume_is_a_failure_with_a_reason()
    {
        var feed = Stream(Butanes.Value, 500, 2e5, 1, 0, 0);
        var unit = new StirredTankReactor("R", P(("volume", 0)), [FirstOrder([-1, 1, 0], 0, 1)], Phase.Vapor, RateBasis.Concentration, adiabatic: false);
        Refused(Run(unit, Butanes.Value, ("in", feed)), "volume");
    }
}
