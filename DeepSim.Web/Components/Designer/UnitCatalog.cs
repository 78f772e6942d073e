using DeepSim.Web.Units;

namespace DeepSim.Web.Components.Designer;

/// <summary>How a spec field is edited in the property panel.</summary>
public enum SpecKind
{
    /// <summary>A quantity of <see cref="SpecField.Dimension"/>: <c>{ "value": 25, "unit": "C" }</c>.</summary>
    Quantity,
    /// <summary>A plain number without a unit (ratios).</summary>
    Number,
    /// <summary>One of <see cref="SpecField.Choices"/>.</summary>
    Choice,
    /// <summary>A component name of the flowsheet (a column's keys).</summary>
    Component,
    /// <summary>Fractions by component summing to 1 (a feed's composition).</summary>
    Composition,
    /// <summary>Fractions by component, each on its own (a component separator's splits).</summary>
    ComponentFractions,
    /// <summary>Fractions by outlet port (a splitter).</summary>
    PortFractions,
    /// <summary>A conversion reactor's reactions: edited in the JSON view.</summary>
    Reactions,
}

/// <summary>
/// One key of a unit's spec. <see cref="DefaultValue"/> and <see cref="DefaultUnit"/> are what a new unit gets
/// (and the placeholder of an optional field); <see cref="Group"/> names the "exactly one of" group it belongs to.
/// </summary>
public sealed record SpecField(string Key, string Label, SpecKind Kind, Dimension? Dimension = null, double? DefaultValue = null,
    string? DefaultUnit = null, bool Optional = false, string? Group = null, IReadOnlyList<string>? Choices = null, string? DefaultChoice = null);

/// <summary>An "exactly one of" group (docs/flowsheet-format.md): the panel offers a choice of which key is given.</summary>
public sealed record SpecGroup(string Name, string Label, IReadOnlyList<string> Keys)
{
    public string DefaultKey => Keys[0];
}

/// <summary>
/// A unit type as the palette and the property panel know it. Ports are the engine's: <see cref="AnyPort"/> alone
/// means any number of named ports (a mixer's inlets, a splitter's outlets).
/// </summary>
public sealed record UnitTypeInfo(string Type, string DisplayName, string IdPrefix, IReadOnlyList<string> Inlets, IReadOnlyList<string> Outlets,
    IReadOnlyList<SpecField> Fields, IReadOnlyList<SpecGroup> Groups)
{
    public const string AnyPort = "*";

    public bool AnyInlets => Inlets is [AnyPort];

    public bool AnyOutlets => Outlets is [AnyPort];

    public SpecField? Field(string key) => Fields.FirstOrDefault(f => f.Key == key);

    public SpecGroup? GroupOf(string key) => Groups.FirstOrDefault(g => g.Keys.Contains(key));
}

/// <summary>Every unit type the engine reads (DeepSim.Engine FlowsheetReader.UnitTypes), for the palette and the property panel.</summary>
public static class UnitCatalog
{
    private const string Heat = "heat";
    private const string Outlet = "outlet";

    private static SpecField Q(string key, string label, Dimension dimension, double value, string unit, bool optional = false, string? group = null) =>
        new(key, label, SpecKind.Quantity, dimension, value, unit, optional, group);

    private static SpecField N(string key, string label, double value, bool optional = false, string? group = null) =>
        new(key, label, SpecKind.Number, null, value, null, optional, group);

    private static SpecField C(string key, string label, string[] choices, bool optional) =>
        new(key, label, SpecKind.Choice, Optional: optional, Choices: choices, DefaultChoice: choices[0]);

    private static UnitTypeInfo Simple(string type, string name, string prefix, SpecField[] fields, params SpecGroup[] groups) =>
        new(type, name, prefix, ["in"], ["out"], fields, groups);

    private static SpecField[] HeaterFields(double outletTemperatureC) =>
    [
        Q("outletTemperature", "Outlet temperature", Dimension.Temperature, outletTemperatureC, "C", group: Heat),
        Q("duty", "Duty (added)", Dimension.Power, 0, "kW", group: Heat),
        Q("outletVaporFraction", "Outlet vapour fraction", Dimension.Fraction, outletTemperatureC > 50 ? 1 : 0, "-", group: Heat),
        Q("pressureDrop", "Pressure drop", Dimension.PressureDifference, 0, "bar", optional: true),
    ];

    private static SpecField[] KineticFields() =>
    [
        C("mode", "Mode", ["isothermal", "adiabatic"], optional: false),
        N("volume", "Volume (m³)", 1),
        Q("outletTemperature", "Temperature", Dimension.Temperature, 25, "C", optional: true),
        Q("pressure", "Pressure", Dimension.Pressure, 1, "atm", optional: true),
        C("phase", "Reacting phase", ["vapor", "liquid"], optional: true),
        C("rateBasis", "Rate basis", ["concentration", "partialPressure"], optional: true),
    ];

    private static readonly SpecGroup HeaterGroup = new(Heat, "Specify", ["outletTemperature", "duty", "outletVaporFraction"]);

    public static IReadOnlyList<UnitTypeInfo> All { get; } =
    [
        new("feed", "Feed", "FEED", [], ["out"],
        [
            Q("temperature", "Temperature", Dimension.Temperature, 25, "C", group: "thermal"),
            Q("vaporFraction", "Vapour fraction", Dimension.Fraction, 0, "-", group: "thermal"),
            Q("pressure", "Pressure", Dimension.Pressure, 1, "atm"),
            Q("molarFlow", "Molar flow", Dimension.MolarFlow, 100, "kmol/h", group: "flow"),
            Q("massFlow", "Mass flow", Dimension.MassFlow, 1000, "kg/h", group: "flow"),
            new("moleFractions", "Mole fractions", SpecKind.Composition, Group: "composition"),
            new("massFractions", "Mass fractions", SpecKind.Composition, Group: "composition"),
        ],
        [
            new("thermal", "Thermal state", ["temperature", "vaporFraction"]),
            new("flow", "Flow", ["molarFlow", "massFlow"]),
            new("composition", "Composition", ["moleFractions", "massFractions"]),
        ]),
        new("product", "Product", "PROD", ["in"], [], [], []),
        new("mixer", "Mixer", "MIX", [UnitTypeInfo.AnyPort], ["out"],
            [Q("outletPressure", "Outlet pressure", Dimension.Pressure, 1, "atm", optional: true)], []),
        new("splitter", "Splitter", "SPLIT", ["in"], [UnitTypeInfo.AnyPort], [new("fractions", "Fractions by outlet", SpecKind.PortFractions)], []),
        Simple("heater", "Heater", "HEATER", HeaterFields(100), HeaterGroup),
        Simple("cooler", "Cooler", "COOLER", HeaterFields(30), HeaterGroup),
        Simple("valve", "Valve", "VALVE",
        [
            Q("outletPressure", "Outlet pressure", Dimension.Pressure, 1, "atm", group: Outlet),
            Q("pressureDrop", "Pressure drop", Dimension.PressureDifference, 1, "bar", group: Outlet),
        ], new SpecGroup(Outlet, "Specify", ["outletPressure", "pressureDrop"])),
        Simple("pump", "Pump", "PUMP",
        [
            Q("outletPressure", "Outlet pressure", Dimension.Pressure, 5, "bar", group: Outlet),
            Q("pressureIncrease", "Pressure increase", Dimension.PressureDifference, 4, "bar", group: Outlet),
            Q("efficiency", "Efficiency", Dimension.Fraction, 0.75, "-", optional: true),
            C("method", "Method", ["incompressible", "isentropic"], optional: true),
        ], new SpecGroup(Outlet, "Specify", ["outletPressure", "pressureIncrease"])),
        Simple("compressor", "Compressor", "COMP",
        [
            Q("outletPressure", "Outlet pressure", Dimension.Pressure, 5, "bar", group: Outlet),
            N("pressureRatio", "Pressure ratio", 3, group: Outlet),
            Q("pressureIncrease", "Pressure increase", Dimension.PressureDifference, 4, "bar", group: Outlet),
            Q("isentropicEfficiency", "Isentropic efficiency", Dimension.Fraction, 0.75, "-", optional: true),
        ], new SpecGroup(Outlet, "Specify", ["outletPressure", "pressureRatio", "pressureIncrease"])),
        Simple("expander", "Expander", "EXP",
        [
            Q("outletPressure", "Outlet pressure", Dimension.Pressure, 1, "atm", group: Outlet),
            N("pressureRatio", "Pressure ratio", 0.5, group: Outlet),
            Q("pressureDrop", "Pressure drop", Dimension.PressureDifference, 4, "bar", group: Outlet),
            Q("isentropicEfficiency", "Isentropic efficiency", Dimension.Fraction, 0.75, "-", optional: true),
        ], new SpecGroup(Outlet, "Specify", ["outletPressure", "pressureRatio", "pressureDrop"])),
        new("flash", "Flash drum", "FLASH", ["in"], ["vapor", "liquid"],
        [
            Q("pressure", "Pressure", Dimension.Pressure, 1, "atm", optional: true),
            Q("duty", "Duty (0 = adiabatic)", Dimension.Power, 0, "kW", group: Heat),
            Q("temperature", "Temperature", Dimension.Temperature, 25, "C", group: Heat),
        ], [new(Heat, "Specify", ["duty", "temperature"])]),
        new("threePhaseSeparator", "Three-phase separator", "3PH", ["in"], ["vapor", "light", "heavy"],
        [
            Q("pressure", "Pressure", Dimension.Pressure, 1, "atm", optional: true),
            Q("duty", "Duty (0 = adiabatic)", Dimension.Power, 0, "kW", group: Heat),
            Q("temperature", "Temperature", Dimension.Temperature, 25, "C", group: Heat),
        ], [new(Heat, "Specify", ["duty", "temperature"])]),
        new("heatExchanger", "Heat exchanger", "HX", ["hotIn", "coldIn"], ["hotOut", "coldOut"],
        [
            Q("hotOutletTemperature", "Hot outlet temperature", Dimension.Temperature, 50, "C", group: Heat),
            Q("coldOutletTemperature", "Cold outlet temperature", Dimension.Temperature, 50, "C", group: Heat),
            Q("duty", "Duty (hot to cold)", Dimension.Power, 100, "kW", group: Heat),
            Q("ua", "UA", Dimension.HeatTransferCoefficientArea, 10, "kW/K", group: Heat),
            Q("hotPressureDrop", "Hot-side pressure drop", Dimension.PressureDifference, 0, "bar", optional: true),
            Q("coldPressureDrop", "Cold-side pressure drop", Dimension.PressureDifference, 0, "bar", optional: true),
        ], [new(Heat, "Specify", ["hotOutletTemperature", "coldOutletTemperature", "duty", "ua"])]),
        new("conversionReactor", "Conversion reactor", "RX", ["in"], ["out"],
        [
            C("mode", "Mode", ["isothermal", "adiabatic"], optional: false),
            Q("outletTemperature", "Outlet temperature", Dimension.Temperature, 25, "C", optional: true),
            Q("pressureDrop", "Pressure drop", Dimension.PressureDifference, 0, "bar", optional: true),
            new("reactions", "Reactions", SpecKind.Reactions),
        ], []),
        // The new reactors' reactions are edited in the JSON view; an equilibrium reactor without them minimises G.
        new("equilibriumReactor", "Equilibrium reactor", "EQ", ["in"], ["out"],
        [
            C("mode", "Mode", ["isothermal", "adiabatic"], optional: false),
            Q("outletTemperature", "Temperature", Dimension.Temperature, 400, "C", optional: true),
            Q("pressure", "Pressure", Dimension.Pressure, 1, "atm", optional: true),
        ], []),
        Simple("cstr", "Stirred-tank reactor (CSTR)", "CSTR", KineticFields(), []),
        Simple("pfr", "Plug-flow reactor (PFR)", "PFR", KineticFields(), []),
        new("componentSeparator", "Component separator", "SEP", ["in"], ["out1", "out2"],
            [new("splits", "Fraction of each component to out1", SpecKind.ComponentFractions)], []),
        new("shortcutColumn", "Shortcut column", "COL", ["in"], ["distillate", "bottoms"],
        [
            new("lightKey", "Light key", SpecKind.Component),
            new("heavyKey", "Heavy key", SpecKind.Component),
            Q("lightKeyRecovery", "Light key recovery (distillate)", Dimension.Fraction, 0.99, "-"),
            Q("heavyKeyRecovery", "Heavy key recovery (bottoms)", Dimension.Fraction, 0.99, "-"),
            N("refluxRatioFactor", "Reflux ratio / minimum", 1.3, group: "reflux"),
            N("refluxRatio", "Reflux ratio (L/D)", 2, group: "reflux"),
            C("condenser", "Condenser", ["total", "partial"], optional: true),
            Q("topPressure", "Top pressure", Dimension.Pressure, 1, "atm", optional: true),
            Q("bottomPressure", "Bottom pressure", Dimension.Pressure, 1, "atm", optional: true),
        ], [new("reflux", "Reflux", ["refluxRatioFactor", "refluxRatio"])]),
        // Extra feeds, side draws, a stage pressure profile and the per-component specifications are edited in the JSON view.
        new("column", "Rigorous column", "RCOL", ["in"], ["distillate", "bottoms"],
        [
            N("stages", "Stages (with condenser and reboiler)", 10),
            N("feedStage", "Feed stage (1 = top)", 5),
            C("condenser", "Condenser", ["total", "partial", "none"], optional: true),
            C("reboiler", "Reboiler", ["kettle", "none"], optional: true),
            Q("topPressure", "Top pressure", Dimension.Pressure, 1, "atm", optional: true),
            Q("pressureDrop", "Pressure drop per stage", Dimension.PressureDifference, 0, "bar", optional: true),
            N("refluxRatio", "Reflux ratio (L/D)", 2, group: "top"),
            Q("distillateRate", "Distillate rate", Dimension.MolarFlow, 40, "kmol/h", group: "top"),
            Q("condenserDuty", "Condenser duty (added, < 0)", Dimension.Power, -1000, "kW", group: "top"),
            Q("bottomsRate", "Bottoms rate", Dimension.MolarFlow, 60, "kmol/h", group: "bottom"),
            N("boilupRatio", "Boil-up ratio (V/B)", 2, group: "bottom"),
            Q("reboilerDuty", "Reboiler duty", Dimension.Power, 1000, "kW", group: "bottom"),
        ],
        [
            new("top", "Condenser specification", ["refluxRatio", "distillateRate", "condenserDuty"]),
            new("bottom", "Reboiler specification", ["bottomsRate", "boilupRatio", "reboilerDuty"]),
        ]),
    ];

    private static readonly Dictionary<string, UnitTypeInfo> ByType = All.ToDictionary(t => t.Type, StringComparer.Ordinal);

    public static UnitTypeInfo? Find(string? type) => type is not null && ByType.TryGetValue(type, out var t) ? t : null;

    /// <summary>The property packages the engine offers (docs/flowsheet-format.md, "Property package").</summary>
    public static IReadOnlyList<string> PropertyPackages { get; } = ["ideal", "peng-robinson", "srk", "nrtl", "wilson", "uniquac", "unifac", "if97"];
}
