using System.Text.Json.Nodes;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations;
using DeepSim.Engine.UnitOperations.Reactions;

namespace DeepSim.Engine.Tests.Flowsheets;

/// <summary>The equilibrium reactor, CSTR and PFR specifications: what is read, and every refusal at its field path.</summary>
public class ReactorReaderTests
{
    private static FlowsheetReadResult Read(string reactorSpec, string type, string components = """["nitrogen", "hydrogen", "ammonia"]""") =>
        FlowsheetReader.Read($$"""
        { "components": {{components}}, "propertyPackage": "ideal",
          "units": [
            { "id": "F", "type": "feed", "spec": { "temperature": 700, "pressure": 1e7, "molarFlow": 1, "moleFractions": { "nitrogen": 0.25, "hydrogen": 0.75 } } },
            { "id": "R", "type": "{{type}}", "spec": {{reactorSpec}} },
            { "id": "P", "type": "product" } ],
          "streams": [ { "id": "S0", "from": "F.out", "to": "R.in" }, { "id": "S1", "from": "R.out", "to": "P.in" } ] }
        """, DefaultThermoCatalog.Instance);

    private static void HasError(FlowsheetReadResult r, string path, string fragment)
    {
        Assert.False(r.IsValid);
        Assert.Contains(r.Errors, e => e.Path == path && e.Message.Contains(fragment, StringComparison.OrdinalIgnoreCase));
    }

    private const string Synthesis = """{ "stoichiometry": { "nitrogen": -1, "hydrogen": -3, "ammonia": 2 } }""";

    [Fact]
    public void Equilibrium_reactor_with_reactions_reads_its_mode_pressure_and_ln_K()
    {
        var r = Read("""
{ "mode": "isothermal", "outletTemperature": { "value": 450, "unit": "C" }, "pressure": { "value": 200, "unit": "bar" },
            "reactions": [ { "stoichiometry": { "nitrogen": -1, "hydrogen": -3, "ammonia": 2 }, "lnK": { "A": -20, "B": 11000 } } ] }
""", "equilibriumReactor");
        Assert.True(r.IsValid, string.Join("\n", r.Errors));
        var unit = Assert.IsType<EquilibriumReactor>(r.Flowsheet!.Units[1]);
        Assert.False(unit.Adiabatic);
        Assert.False(unit.IsGibbsMinimisation);
        Assert.Equal(723.15, unit.Parameters["outletTemperature"], 1e-9);
        Assert.Equal(200e5, unit.Parameters["pressure"]);
        Assert.Equal(new LnKCorrelation(-20, 11000, 0, 0), unit.Reactions[0].LnK);
    }

    [Fact]
    public void Equilibrium_reactor_without_reactions_minimises_Gibbs_energy_over_elements_from_the_formulas()
    {
        var r = Read("""{ "mode": "adiabatic" }""", "equilibriumReactor");
        Assert.True(r.IsValid, string.Join("\n", r.Errors));
        var unit = Assert.IsType<EquilibriumReactor>(r.Flowsheet!.Units[1]);
        Assert.True(unit.IsGibbsMinimisation);
        Assert.Equal(["H", "N"], unit.ElementSymbols);
    }

    [Fact]
    public void Equilibrium_reactor_refusals_name_their_fields()
    {
        var r = Read("""
{ "mode": "adiabatic", "outletTemperature": 700, "pressure": -5, "components": ["ammonia"],
            "reactions": [ { "stoichiometry": { "nitrogen": -1, "hydrogen": -2, "ammonia": 2 } }, { "stoichiometry": { "nitrogen": -1 } },
                           { "stoichiometry": { "nitrogen": -1, "hydrogen": -3, "ammonia": 2 }, "lnK": { "A": 1, "E": 2 } } ] }
""", "equilibriumReactor");
        HasError(r, "$.units[1].spec.outletTemperature", "extra specification");
        HasError(r, "$.units[1].spec.pressure", "must be positive");
        HasError(r, "$.units[1].spec.components", "only when no 'reactions'");
        HasError(r, "$.units[1].spec.reactions[0].stoichiometry", "does not conserve mass");
        HasError(r, "$.units[1].spec.reactions[1].stoichiometry", "reactant");
        HasError(r, "$.units[1].spec.reactions[2].lnK.E", "unknown ln K coefficient");
        HasError(Read("""{ "mode": "isothermal", "components": ["ammonia", "argon"] }""", "equilibriumReactor"), "$.units[1].spec.components[1]", "not a component");
        HasError(Read("""{ "mode": "sideways" }""", "equilibriumReactor"), "$.units[1].spec.mode", "not one of");
    }

    [Fact]
    public void Gibbs_minimisation_refuses_a_component_without_an_element_formula()
    {
        // Air is a ChemSep pseudo-component with no formula.
        var r = Read("""{ "mode": "isothermal" }""", "equilibriumReactor", """["nitrogen", "hydrogen", "ammonia", "air"]""");
        HasError(r, "$.units[1].spec", "'Air' has none");
        Assert.True(Read("""{ "mode": "isothermal", "components": ["nitrogen", "hydrogen", "ammonia"] }""", "equilibriumReactor", """["nitrogen", "hydrogen", "ammonia", "air"]""").IsValid);
    }

    [Theory]
    [InlineData("cstr")]
    [InlineData("pfr")]
    public void Kinetic_reactor_reads_volume_phase_basis_and_rate_law(string type)
    {
        var r = Read("""
{ "mode": "isothermal", "volume": { "value": 250, "unit": "L" }, "phase": "vapor", "rateBasis": "partialPressure",
            "reactions": [ { "stoichiometry": { "nitrogen": -1, "hydrogen": -3, "ammonia": 2 },
                             "rate": { "preExponentialFactor": 1e-9, "activationEnergy": { "value": 80, "unit": "kJ/mol" }, "orders": { "nitrogen": 1, "hydrogen": 1.5 } } } ] }
""", type);
        Assert.True(r.IsValid, string.Join("\n", r.Errors));
        var unit = Assert.IsAssignableFrom<KineticReactor>(r.Flowsheet!.Units[1]);
        Assert.Equal(type, unit.Type);
        Assert.Equal(0.25, unit.Parameters["volume"], 1e-12);
        Assert.Equal(Phase.Vapor, unit.Phase);
        Assert.Equal(RateBasis.PartialPressure, unit.Basis);
        var law = unit.Reactions[0].Rate;
        Assert.Equal(80_000, law.ActivationEnergyJPerMol);
        Assert.Equal([1, 1.5, 0], law.Orders);
    }

    [Fact]
    public void Kinetic_reactor_refusals_name_their_fields()
    {
        var r = Read("""
{ "mode": "isothermal", "volume": -1, "phase": "liquid", "rateBasis": "partialPressure",
            "reactions": [ { "stoichiometry": { "nitrogen": -1, "hydrogen": -3, "ammonia": 2 }, "rate": { "preExponentialFactor": 1, "orders": { "benzene": 1 } } },
                           { "stoichiometry": { "nitrogen": -1, "hydrogen": -3, "ammonia": 2 }, "rate": { "preExponentialFactor": 1 } },
                           { "stoichiometry": { "nitrogen": -1, "hydrogen": -3, "ammonia": 2 } },
                           { "stoichiometry": { "nitrogen": -1, "hydrogen": -3, "ammonia": 2 }, "rate": { "preExponentialFactor": -3, "activationEnergy": -1, "orders": { "nitrogen": -1 } } } ] }
""", "cstr");
        HasError(r, "$.units[1].spec.volume", "must be positive");
        HasError(r, "$.units[1].spec.rateBasis", "vapour phase");
        HasError(r, "$.units[1].spec.reactions[0].rate.orders.benzene", "not a component");
        HasError(r, "$.units[1].spec.reactions[1].rate.orders", "'orders' is required");
        HasError(r, "$.units[1].spec.reactions[2].rate", "'rate' is required");
        HasError(r, "$.units[1].spec.reactions[3].rate.preExponentialFactor", "must be positive");
        HasError(r, "$.units[1].spec.reactions[3].rate.activationEnergy", "must not be negative");
        HasError(r, "$.units[1].spec.reactions[3].rate.orders.nitrogen", "must not be negative");
        HasError(Read("""{ "mode": "isothermal" }""", "pfr"), "$.units[1].spec.volume", "missing specification");
        HasError(Read("""{ "mode": "isothermal", "volume": 1 }""", "pfr"), "$.units[1].spec.reactions", "needs 'reactions'");
        HasError(Read("""{ "mode": "isothermal", "volume": { "value": 1, "unit": "gallon" }, "reactions": [] }""", "pfr"), "$.units[1].spec.volume.unit", "unknown volume unit");
    }

    [Fact]
    public void Reactor_volume_can_be_varied_by_a_design_spec()
    {
        var r = FlowsheetReader.Read("""
        { "components": ["n-pentane", "isopentane"], "propertyPackage": "ideal",
          "units": [
            { "id": "F", "type": "feed", "spec": { "temperature": 500, "pressure": 2e5, "molarFlow": 1, "moleFractions": { "n-pentane": 1 } } },
            { "id": "R", "type": "pfr", "spec": { "mode": "isothermal", "volume": 0.01,
                "reactions": [ { "stoichiometry": { "n-pentane": -1, "isopentane": 1 }, "rate": { "preExponentialFactor": 1, "orders": { "n-pentane": 1 } } } ] } },
            { "id": "P", "type": "product" } ],
          "streams": [ { "id": "S0", "from": "F.out", "to": "R.in" }, { "id": "S1", "from": "R.out", "to": "P.in" } ],
          "designSpecs": [ { "vary": { "unit": "R", "parameter": "volume", "minimum": 0.001, "maximum": 1 }, "target": { "stream": "S1", "property": "moleFraction", "component": "isopentane", "value": 0.5 } } ] }
        """, DefaultThermoCatalog.Instance);
        Assert.True(r.IsValid, string.Join("\n", r.Errors));
        var solved = Engine.Solver.FlowsheetSolver.Solve(r.Flowsheet!);
        Assert.True(solved.Converged, solved.FailureReason);
        // First order, constant volumetric flow Q = F R T / P: X = 1/2 at V = Q ln 2 / k.
        var q = 1 * StandardGibbs.GasConstant * 500 / 2e5;
        Assert.Equal(q * Math.Log(2), solved.Parameters[1]["volume"], 1e-6 * q);
    }
}
