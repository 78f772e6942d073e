using System.Globalization;
using System.Text.Json;

namespace DeepSim.Engine.Flowsheets;

/// <summary>What a numeric value must satisfy to be physical.</summary>
internal enum Range
{
    Any,
    Positive,
    NonNegative,
    /// <summary>[0, 1].</summary>
    Fraction,
    /// <summary>(0, 1].</summary>
    Efficiency,
}

/// <summary>Reads values out of JSON with every problem recorded at its path; nothing throws.</summary>
internal sealed class JsonCursor(List<FlowsheetError> errors)
{
    public List<FlowsheetError> Errors => errors;

    public void Error(string path, string message) => errors.Add(new FlowsheetError(path, message));

    public static string Child(string path, string key) =>
        key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !char.IsAsciiDigit(key[0])
            ? $"{path}.{key}"
            : $"{path}['{key.Replace("'", "\\'", StringComparison.Ordinal)}']";

    public static string Index(string path, int i) => string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]");

    public static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    public bool IsObject(JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            return true;
        }
        Error(path, $"expected an object, found {Kind(e.ValueKind)}");
        return false;
    }

    /// <summary>Reports every key of <paramref name="obj"/> not in <paramref name="allowed"/>.</summary>
    public void OnlyKeys(JsonElement obj, string path, string what, IReadOnlyCollection<string> allowed)
    {
        foreach (var p in obj.EnumerateObject())
        {
            if (!allowed.Contains(p.Name))
            {
                Error(Child(path, p.Name), $"unknown {what} '{p.Name}'; allowed: {string.Join(", ", allowed)}");
            }
        }
    }

    public static bool TryGet(JsonElement obj, string key, out JsonElement value)
    {
        if (obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }
        value = default;
        return false;
    }

    public string? String(JsonElement obj, string key, string path, bool required)
    {
        if (!TryGet(obj, key, out var v))
        {
            if (required)
            {
                Error(Child(path, key), $"'{key}' is required");
            }
            return null;
        }
        if (v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString()))
        {
            Error(Child(path, key), $"expected a non-empty string, found {Kind(v.ValueKind)}");
            return null;
        }
        return v.GetString()!.Trim();
    }

    public int? Integer(JsonElement obj, string key, string path, int min, int max)
    {
        if (!TryGet(obj, key, out var v))
        {
            return null;
        }
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var i))
        {
            Error(Child(path, key), $"expected an integer, found {Kind(v.ValueKind)}");
            return null;
        }
        if (i < min || i > max)
        {
            Error(Child(path, key), string.Create(CultureInfo.InvariantCulture, $"{i} is outside [{min}, {max}]"));
            return null;
        }
        return i;
    }

    /// <summary>A plain JSON number (finite); null when absent or invalid (the latter recorded).</summary>
    public double? Number(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var d) || !double.IsFinite(d))
        {
            Error(path, $"expected a number, found {Kind(value.ValueKind)}");
            return null;
        }
        return d;
    }

    /// <summary>
    /// A quantity: an SI number, or { "value": number, "unit": "name" }. Converted to SI and checked against the
    /// dimension's physics (absolute temperature and pressure positive) and <paramref name="range"/>.
    /// </summary>
    public double? Quantity(JsonElement value, string path, Dimension dimension, Range range)
    {
        double si;
        if (value.ValueKind == JsonValueKind.Number)
        {
            var n = Number(value, path);
            if (n is null)
            {
                return null;
            }
            si = n.Value;
        }
        else if (value.ValueKind == JsonValueKind.Object)
        {
            OnlyKeys(value, path, "quantity field", ["value", "unit"]);
            if (!TryGet(value, "value", out var v))
            {
                Error(Child(path, "value"), "'value' is required in a quantity object");
                return null;
            }
            var n = Number(v, Child(path, "value"));
            var unit = String(value, "unit", path, required: true);
            if (n is null || unit is null)
            {
                return null;
            }
            if (!Units.TryToSi(dimension, n.Value, unit, out si))
            {
                Error(Child(path, "unit"), $"unknown {Describe(dimension)} unit '{unit}'; accepted: {string.Join(", ", Units.Accepted(dimension))}");
                return null;
            }
        }
        else
        {
            Error(path, $"expected a number in {Units.SiUnit(dimension)} or {{\"value\": number, \"unit\": \"...\"}}, found {Kind(value.ValueKind)}");
            return null;
        }
        if (dimension is Dimension.Temperature or Dimension.Pressure or Dimension.MolarMass && range == Range.Any)
        {
            range = Range.Positive;
        }
        var ok = range switch
        {
            Range.Positive => si > 0,
            Range.NonNegative => si >= 0,
            Range.Fraction => si is >= 0 and <= 1,
            Range.Efficiency => si is > 0 and <= 1,
            _ => true,
        };
        if (!ok)
        {
            var what = range switch
            {
                Range.Positive => dimension is Dimension.Temperature or Dimension.Pressure ? "must be positive (absolute)" : "must be positive",
                Range.NonNegative => "must not be negative",
                Range.Fraction => "must be within [0, 1]",
                _ => "must be within (0, 1]",
            };
            Error(path, string.Create(CultureInfo.InvariantCulture, $"non-physical value {si:G6} {Units.SiUnit(dimension)}: {what}"));
            return null;
        }
        return si;
    }

    public double? Quantity(JsonElement obj, string key, string path, Dimension dimension, Range range) =>
        TryGet(obj, key, out var v) ? Quantity(v, Child(path, key), dimension, range) : null;

    private static string Describe(Dimension d) => d switch
    {
        Dimension.TemperatureDifference => "temperature difference",
        Dimension.PressureDifference => "pressure difference",
        Dimension.MolarFlow => "molar flow",
        Dimension.MassFlow => "mass flow",
        Dimension.Power => "power/duty",
        Dimension.HeatTransferCoefficientArea => "UA",
        Dimension.MolarEnergy => "molar energy",
        Dimension.MolarMass => "molar mass",
        Dimension.MolarVolume => "molar volume",
        Dimension.Volume => "volume",
        Dimension.Dimensionless => "dimensionless",
        _ => d.ToString().ToLowerInvariant(),
    };
}
