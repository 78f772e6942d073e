using System.Globalization;
using DeepSim.Web.Units;
using Microsoft.AspNetCore.Components;

namespace DeepSim.Web.Components.UI;

/// <summary>A quantity as the engine reads it: a number in a unit (the symbol the engine accepts; "" for a plain number).</summary>
public sealed record QuantityValue(double Value, string Unit);

/// <summary>
/// A number box with a unit selector for one <see cref="Units.Dimension"/> (none: a plain number). Changing the unit
/// converts the number so the quantity stays the same (25 °C → 298.15 K), which is what a person switching units
/// means; to enter a number in another unit, pick the unit first. Text that is not a number is refused with a
/// message and not emitted. An optional field emptied emits <see cref="Cleared"/>.
/// </summary>
public partial class QuantityInput
{
    /// <summary>Significant digits kept: enough for any engineering input, few enough to hide conversion round-off.</summary>
    private const int SignificantDigits = 12;

    private bool initialized;
    private string text = "";
    private string unitSymbol = "";
    private bool unknownUnit;
    private string? message;
    private double? shownValue;
    private string? shownUnit;

    /// <summary>Names the test ids: <c>field-{Key}</c> (number) and <c>unit-{Key}</c> (unit).</summary>
    [Parameter, EditorRequired] public string Key { get; set; } = "";

    [Parameter] public string? Label { get; set; }

    [Parameter] public Dimension? Dimension { get; set; }

    [Parameter] public double? Value { get; set; }

    /// <summary>The unit of <see cref="Value"/>; null or empty means SI.</summary>
    [Parameter] public string? Unit { get; set; }

    /// <summary>Shown as the placeholder (the engine's default for an optional field, or a new unit's default).</summary>
    [Parameter] public double? DefaultValue { get; set; }

    [Parameter] public string? DefaultUnit { get; set; }

    /// <summary>When true an empty box is allowed and emits <see cref="Cleared"/>.</summary>
    [Parameter] public bool Optional { get; set; }

    /// <summary>A message from outside (the validator), shown under the box.</summary>
    [Parameter] public string? Error { get; set; }

    /// <summary>Marks the box as having a problem shown elsewhere (under the field, by the property panel).</summary>
    [Parameter] public bool Invalid { get; set; }

    [Parameter] public EventCallback<QuantityValue> ValueChanged { get; set; }

    [Parameter] public EventCallback Cleared { get; set; }

    private string? Placeholder
    {
        get
        {
            if (DefaultValue is not { } d)
            {
                return null;
            }
            var converted = Convert(d, DefaultUnit, unitSymbol) ?? d;
            return Format(converted);
        }
    }

    protected override void OnParametersSet()
    {
        if (initialized && Value == shownValue && Unit == shownUnit)
        {
            return; // our own emit coming back, or nothing new: keep what the person typed
        }
        initialized = true;
        shownValue = Value;
        shownUnit = Unit;
        unitSymbol = Dimension is { } dimension
            ? (string.IsNullOrEmpty(Unit) ? null : Quantities.Find(dimension, Unit)?.Symbol) ?? (string.IsNullOrEmpty(Unit) ? DefaultUnitOr(dimension) : Unit)
            : "";
        unknownUnit = Dimension is { } dim && Quantities.Find(dim, unitSymbol) is null;
        text = Value is { } v ? Format(v) : "";
        message = null;
    }

    private string DefaultUnitOr(Dimension dimension) =>
        Value is null && DefaultUnit is not null && Quantities.Find(dimension, DefaultUnit) is { } u ? u.Symbol : Quantities.Si(dimension).Symbol;

    private async Task OnTextChanged(ChangeEventArgs e)
    {
        text = e.Value?.ToString()?.Trim() ?? "";
        if (text.Length == 0)
        {
            message = Optional ? null : "A value is required.";
            if (Optional)
            {
                shownValue = null;
                await Cleared.InvokeAsync();
            }
            return;
        }
        if (!TryParse(text, out var value))
        {
            message = $"'{text}' is not a number.";
            return;
        }
        message = null;
        await Emit(value);
    }

    private async Task OnUnitChanged(ChangeEventArgs e)
    {
        var to = e.Value?.ToString() ?? "";
        var from = unitSymbol;
        unitSymbol = to;
        unknownUnit = Dimension is { } dim && Quantities.Find(dim, unitSymbol) is null;
        if (text.Length == 0 || !TryParse(text, out var value))
        {
            return;
        }
        var converted = Convert(value, from, to) ?? value;
        text = Format(converted);
        await Emit(converted);
    }

    private async Task Emit(double value)
    {
        value = Round(value);
        shownValue = value;
        shownUnit = unitSymbol;
        await ValueChanged.InvokeAsync(new QuantityValue(value, unitSymbol));
    }

    private double? Convert(double value, string? from, string to)
    {
        if (Dimension is not { } dimension)
        {
            return value;
        }
        var a = string.IsNullOrEmpty(from) ? Quantities.Si(dimension) : Quantities.Find(dimension, from);
        var b = Quantities.Find(dimension, to);
        return a is null || b is null ? null : Round(b.FromSi(a.ToSi(value)));
    }

    private static double Round(double v) =>
        double.IsFinite(v) ? double.Parse(v.ToString("G" + SignificantDigits, CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : v;

    private static string Format(double v) => Round(v).ToString("R", CultureInfo.InvariantCulture);

    private static bool TryParse(string s, out double value) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}
