using DeepSim.Web.Units;

namespace DeepSim.Web.Components.Results;

/// <summary>One row of a stream table: a key (used in data-testid), a label, its dimension and how to read it from a stream.</summary>
public sealed record StreamRow(string Key, string Label, Dimension? Dimension, Func<StreamResult, double?>? Value, Func<StreamResult, string?>? Text = null)
{
    public string Format(StreamResult? stream, UnitSystem system) =>
        stream is null ? ResultFormat.Missing
        : Text is not null ? Text(stream) ?? ResultFormat.Missing
        : ResultFormat.Quantity(Value?.Invoke(stream), Dimension, system);

    /// <summary>The unit column's text; fractions and text rows have none.</summary>
    public string UnitLabel(UnitSystem system) =>
        Dimension is { } d && d != Units.Dimension.Fraction ? Quantities.In(system, d).Label : "";
}

/// <summary>The rows the stream table and the run comparison show, in order.</summary>
public static class StreamRows
{
    public static readonly StreamRow Temperature = new("temperature", "Temperature", Dimension.Temperature, s => s.TemperatureK);
    public static readonly StreamRow Pressure = new("pressure", "Pressure", Dimension.Pressure, s => s.PressurePa);
    public static readonly StreamRow VaporFraction = new("vaporFraction", "Vapour fraction", Dimension.Fraction, s => s.VaporFraction);
    public static readonly StreamRow Phase = new("phase", "Phase", null, null, s => s.Phase);
    public static readonly StreamRow MolarFlow = new("molarFlow", "Molar flow", Dimension.MolarFlow, s => s.MolarFlowMolPerS);
    public static readonly StreamRow MassFlow = new("massFlow", "Mass flow", Dimension.MassFlow, s => s.MassFlowKgPerS);

    /// <summary>Temperature, pressure, vapour fraction, phase, molar and mass flow.</summary>
    public static IReadOnlyList<StreamRow> State { get; } = [Temperature, Pressure, VaporFraction, Phase, MolarFlow, MassFlow];

    /// <summary>The numeric state rows (what a comparison can take a difference of).</summary>
    public static IReadOnlyList<StreamRow> NumericState { get; } = [Temperature, Pressure, VaporFraction, MolarFlow, MassFlow];

    public static StreamRow MoleFraction(string component) =>
        new("x-" + component, component, Dimension.Fraction, s => s.MoleFraction(component));

    public static StreamRow ComponentFlow(string component) =>
        new("f-" + component, component, Dimension.MolarFlow, s => s.ComponentMolarFlow(component));
}
