using System.Text.Json;
using DeepSim.Engine.Components;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.Flowsheets;

public static partial class FlowsheetReader
{
    private static readonly string[] DatabaseComponentKeys = ["name", "cas"];

    private static readonly string[] UserComponentKeys =
    [
        "name", "cas", "formula", "molarMass", "criticalTemperature", "criticalPressure", "criticalVolume", "criticalCompressibility",
        "acentricFactor", "normalBoilingPoint", "formationEnthalpy", "formationGibbsEnergy",
        "vaporPressure", "idealGasHeatCapacity", "liquidDensity", "heatOfVaporization",
    ];

    private static readonly string[] CorrelationKeys = ["equation", "coefficients", "minTemperature", "maxTemperature"];

    private static readonly string[] AntoineKeys = ["equation", "coefficients", "pressureUnit", "temperatureUnit", "minTemperature", "maxTemperature"];

    // Pressure units accepted for published Antoine constants (case-insensitive; "torr" is mmHg).
    private static readonly (string Name, VaporPressureUnit Unit)[] AntoinePressureUnits =
    [
        ("Pa", VaporPressureUnit.Pa), ("kPa", VaporPressureUnit.KPa), ("bar", VaporPressureUnit.Bar),
        ("mmHg", VaporPressureUnit.MmHg), ("torr", VaporPressureUnit.MmHg), ("atm", VaporPressureUnit.Atm), ("psi", VaporPressureUnit.Psi),
    ];

    private sealed partial class ReadState
    {
        private void ReadComponents(JsonElement root)
        {
            const string path = "$.components";
            if (!JsonCursor.TryGet(root, "components", out var list))
            {
                Cursor.Error(path, "'components' is required: a list of component names or definitions");
                return;
            }
            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            {
                Cursor.Error(path, "expected a non-empty array of components");
                return;
            }
            componentsComplete = true;
            var i = 0;
            foreach (var item in list.EnumerateArray())
            {
                var itemPath = JsonCursor.Index(path, i++);
                string? key = null;
                Component? component = null;
                if (item.ValueKind == JsonValueKind.String)
                {
                    key = item.GetString()!.Trim();
                    component = Lookup(key, itemPath);
                }
                else if (Cursor.IsObject(item, itemPath))
                {
                    var userDefined = item.EnumerateObject().Any(p => !DatabaseComponentKeys.Contains(p.Name));
                    if (userDefined)
                    {
                        key = Cursor.String(item, "name", itemPath, required: true);
                        component = ReadUserComponent(item, itemPath, key);
                    }
                    else
                    {
                        key = Cursor.String(item, "name", itemPath, required: false) ?? Cursor.String(item, "cas", itemPath, required: false);
                        if (key is null)
                        {
                            Cursor.Error(itemPath, "a component needs a 'name' (database name, CAS or formula, or the name of a user-defined component)");
                        }
                        else
                        {
                            component = Lookup(key, itemPath);
                        }
                    }
                }
                if (component is null)
                {
                    componentsComplete = false;
                }
                var index = components.Count;
                if (component is not null && components.Any(c => c is not null && string.Equals(c.Name, component.Name, StringComparison.OrdinalIgnoreCase)))
                {
                    Cursor.Error(itemPath, $"duplicate component '{component.Name}'");
                    componentsComplete = false;
                }
                components.Add(component);
                foreach (var alias in new[] { key, component?.Name, component?.Cas })
                {
                    if (!string.IsNullOrEmpty(alias))
                    {
                        componentKeys.TryAdd(alias, index);
                    }
                }
            }
        }

        private Component? Lookup(string key, string path)
        {
            var found = catalog.FindComponent(key);
            if (found is null)
            {
                var suggestions = catalog.SuggestComponents(key, MaxSuggestions);
                Cursor.Error(path, suggestions.Count > 0
                    ? $"unknown component '{key}'; did you mean {string.Join(", ", suggestions.Select(s => $"'{s}'"))}?"
                    : $"unknown component '{key}' (not in the database by name, CAS or formula)");
            }
            return found;
        }

        private Component? ReadUserComponent(JsonElement item, string path, string? name)
        {
            Cursor.OnlyKeys(item, path, "user-defined component field", UserComponentKeys);
            var errorsBefore = Cursor.Errors.Count;
            double? Required(string key, Dimension d, Range r)
            {
                if (!JsonCursor.TryGet(item, key, out _))
                {
                    Cursor.Error(JsonCursor.Child(path, key), $"'{key}' is required for a user-defined component");
                    return null;
                }
                return Cursor.Quantity(item, key, path, d, r);
            }
            var molarMass = Required("molarMass", Dimension.MolarMass, Range.Positive);
            var tc = Required("criticalTemperature", Dimension.Temperature, Range.Positive);
            var pc = Required("criticalPressure", Dimension.Pressure, Range.Positive);
            var omega = Required("acentricFactor", Dimension.Dimensionless, Range.Any);
            var vc = Cursor.Quantity(item, "criticalVolume", path, Dimension.MolarVolume, Range.Positive);
            var zc = Cursor.Quantity(item, "criticalCompressibility", path, Dimension.Dimensionless, Range.Positive);
            var tb = Cursor.Quantity(item, "normalBoilingPoint", path, Dimension.Temperature, Range.Positive);
            var hf = Cursor.Quantity(item, "formationEnthalpy", path, Dimension.MolarEnergy, Range.Any);
            var gf = Cursor.Quantity(item, "formationGibbsEnergy", path, Dimension.MolarEnergy, Range.Any);
            if (!JsonCursor.TryGet(item, "idealGasHeatCapacity", out _))
            {
                Cursor.Error(JsonCursor.Child(path, "idealGasHeatCapacity"), "'idealGasHeatCapacity' is required for a user-defined component (enthalpies need it)");
            }
            var cp = ReadCorrelation(item, "idealGasHeatCapacity", path, tc);
            var psat = ReadCorrelation(item, "vaporPressure", path, tc);
            var rho = ReadCorrelation(item, "liquidDensity", path, tc);
            var hvap = ReadCorrelation(item, "heatOfVaporization", path, tc);
            if (Cursor.Errors.Count > errorsBefore || name is null)
            {
                return null;
            }
            return new Component
            {
                Name = name,
                Cas = Cursor.String(item, "cas", path, required: false) ?? "",
                Formula = Cursor.String(item, "formula", path, required: false) ?? "",
                MolarMass = molarMass!.Value,
                CriticalTemperatureK = tc!.Value,
                CriticalPressurePa = pc!.Value,
                CriticalVolume = vc ?? double.NaN,
                CriticalCompressibility = zc ?? double.NaN,
                AcentricFactor = omega!.Value,
                NormalBoilingPointK = tb ?? double.NaN,
                FormationEnthalpy = hf ?? 0,
                // Unknown, not zero: without it no equilibrium constant is computed (as for a database gap).
                FormationGibbsEnergy = gf ?? double.NaN,
                IdealGasHeatCapacity = cp,
                VaporPressure = psat,
                LiquidDensity = rho,
                HeatOfVaporization = hvap,
            };
        }

        private Correlation? ReadCorrelation(JsonElement item, string key, string parentPath, double? tc)
        {
            if (!JsonCursor.TryGet(item, key, out var e))
            {
                return null;
            }
            var path = JsonCursor.Child(parentPath, key);
            if (!Cursor.IsObject(e, path))
            {
                return null;
            }
            if (JsonCursor.TryGet(e, "equation", out var form) && form.ValueKind == JsonValueKind.String)
            {
                return key == "vaporPressure"
                    ? ReadAntoine(e, path, form.GetString()!.Trim())
                    : ErrorNull(JsonCursor.Child(path, "equation"), "the Antoine forms are for 'vaporPressure' only; give a DIPPR equation number");
            }
            Cursor.OnlyKeys(e, path, "correlation field", CorrelationKeys);
            var errorsBefore = Cursor.Errors.Count;
            var equation = Cursor.Integer(e, "equation", path, 1, 1000);
            if (equation is null && !JsonCursor.TryGet(e, "equation", out _))
            {
                Cursor.Error(JsonCursor.Child(path, "equation"), "'equation' (the DIPPR equation number) is required");
            }
            else if (equation is not null && !Correlation.IsSupported(equation.Value))
            {
                Cursor.Error(JsonCursor.Child(path, "equation"), $"DIPPR equation {equation} is not supported; accepted: 1, 2, 3, 4, 5, 10, 16, 100, 101, 102, 104, 105, 106, 107");
            }
            var coefficients = new List<double>();
            if (!JsonCursor.TryGet(e, "coefficients", out var c) || c.ValueKind != JsonValueKind.Array || c.GetArrayLength() is 0 or > 5)
            {
                Cursor.Error(JsonCursor.Child(path, "coefficients"), "expected an array of 1 to 5 numbers (A..E)");
            }
            else
            {
                var k = 0;
                foreach (var v in c.EnumerateArray())
                {
                    var d = Cursor.Number(v, JsonCursor.Index(JsonCursor.Child(path, "coefficients"), k++));
                    coefficients.Add(d ?? 0);
                }
            }
            var tMin = Cursor.Quantity(e, "minTemperature", path, Dimension.Temperature, Range.Positive);
            var tMax = Cursor.Quantity(e, "maxTemperature", path, Dimension.Temperature, Range.Positive);
            if (tMin is null || tMax is null)
            {
                if (!JsonCursor.TryGet(e, "minTemperature", out _) || !JsonCursor.TryGet(e, "maxTemperature", out _))
                {
                    Cursor.Error(path, "'minTemperature' and 'maxTemperature' (the correlation's validity range) are required");
                }
                return null;
            }
            if (tMax < tMin)
            {
                Cursor.Error(JsonCursor.Child(path, "maxTemperature"), "maxTemperature is below minTemperature");
            }
            if (equation == 106 && tc is null)
            {
                Cursor.Error(JsonCursor.Child(path, "equation"), "equation 106 needs the component's criticalTemperature");
            }
            if (Cursor.Errors.Count > errorsBefore || equation is null)
            {
                return null;
            }
            try
            {
                return Correlation.FromDippr(equation.Value, [.. coefficients], tMin.Value, tMax.Value, tc ?? double.NaN);
            }
            catch (ArgumentException ex)
            {
                Cursor.Error(path, ex.Message);
                return null;
            }
        }

        private Correlation? ErrorNull(string path, string message)
        {
            Cursor.Error(path, message);
            return null;
        }

        // A vapour pressure as published: "antoine" (log10 P = A − B/(T + C)) or "extendedAntoine"
        // (ln P = A + B/(T + C) + D·T + E·ln T + F·T^G, Aspen PLXANT), with the units the constants are stated in.
        private Correlation? ReadAntoine(JsonElement e, string path, string form)
        {
            Cursor.OnlyKeys(e, path, "Antoine field", AntoineKeys);
            var errorsBefore = Cursor.Errors.Count;
            var extended = form.Equals("extendedAntoine", StringComparison.OrdinalIgnoreCase);
            if (!extended && !form.Equals("antoine", StringComparison.OrdinalIgnoreCase))
            {
                Cursor.Error(JsonCursor.Child(path, "equation"), $"unknown vapour-pressure form '{form}'; accepted: \"antoine\", \"extendedAntoine\" or a DIPPR equation number");
                return null;
            }
            var coefficientsPath = JsonCursor.Child(path, "coefficients");
            var coefficients = new List<double>();
            if (!JsonCursor.TryGet(e, "coefficients", out var c) || c.ValueKind != JsonValueKind.Array
                || (extended ? c.GetArrayLength() is < 3 or > 7 : c.GetArrayLength() != 3))
            {
                Cursor.Error(coefficientsPath, extended ? "expected an array of 3 to 7 numbers (A..G)" : "expected an array of 3 numbers (A, B, C)");
            }
            else
            {
                var k = 0;
                foreach (var v in c.EnumerateArray())
                {
                    coefficients.Add(Cursor.Number(v, JsonCursor.Index(coefficientsPath, k++)) ?? 0);
                }
            }
            VaporPressureUnit? pressureUnit = null;
            var pressureText = Cursor.String(e, "pressureUnit", path, required: true);
            if (pressureText is not null)
            {
                foreach (var (name, unit) in AntoinePressureUnits)
                {
                    if (name.Equals(pressureText.Trim(), StringComparison.OrdinalIgnoreCase))
                    {
                        pressureUnit = unit;
                    }
                }
                if (pressureUnit is null)
                {
                    Cursor.Error(JsonCursor.Child(path, "pressureUnit"), $"unknown pressure unit '{pressureText}'; accepted: {string.Join(", ", AntoinePressureUnits.Select(u => u.Name))}");
                }
            }
            AntoineTemperatureUnit? temperatureUnit = null;
            var temperatureText = Cursor.String(e, "temperatureUnit", path, required: true);
            if (temperatureText is not null)
            {
                temperatureUnit = temperatureText.Trim() switch
                {
                    "K" => AntoineTemperatureUnit.Kelvin,
                    "C" or "°C" or "degC" => AntoineTemperatureUnit.Celsius,
                    _ => null,
                };
                if (temperatureUnit is null)
                {
                    Cursor.Error(JsonCursor.Child(path, "temperatureUnit"), $"unknown temperature unit '{temperatureText}'; accepted: K, C (°C)");
                }
            }
            if (extended && temperatureUnit == AntoineTemperatureUnit.Celsius && coefficients.Count > 4 && (coefficients[4] != 0 || (coefficients.Count > 5 && coefficients[5] != 0)))
            {
                Cursor.Error(JsonCursor.Child(path, "temperatureUnit"), "E·ln T and F·T^G need absolute temperature: give the extended Antoine coefficients for T in K");
            }
            var tMin = Cursor.Quantity(e, "minTemperature", path, Dimension.Temperature, Range.Positive);
            var tMax = Cursor.Quantity(e, "maxTemperature", path, Dimension.Temperature, Range.Positive);
            if (!JsonCursor.TryGet(e, "minTemperature", out _) || !JsonCursor.TryGet(e, "maxTemperature", out _))
            {
                Cursor.Error(path, "'minTemperature' and 'maxTemperature' (the constants' validity range) are required");
            }
            else if (tMin is not null && tMax is not null && tMax <= tMin)
            {
                Cursor.Error(JsonCursor.Child(path, "maxTemperature"), "maxTemperature must be above minTemperature");
            }
            if (Cursor.Errors.Count > errorsBefore || tMin is null || tMax is null || pressureUnit is null || temperatureUnit is null)
            {
                return null;
            }
            try
            {
                return extended
                    ? Correlation.ExtendedAntoine([.. coefficients], pressureUnit.Value, temperatureUnit.Value, tMin.Value, tMax.Value)
                    : Correlation.Antoine10(coefficients[0], coefficients[1], coefficients[2], pressureUnit.Value, temperatureUnit.Value, tMin.Value, tMax.Value);
            }
            catch (ArgumentException ex)
            {
                Cursor.Error(path, ex.Message);
                return null;
            }
        }

        /// <summary>Resolves a component reference (the name as listed, the database name or the CAS number).</summary>
        private int? ComponentIndex(string key, string path)
        {
            if (componentKeys.TryGetValue(key.Trim(), out var i))
            {
                return i;
            }
            var listed = componentKeys.Keys.Where(k => components.Any(c => c is not null && c.Name == k)).ToArray();
            Cursor.Error(path, $"'{key}' is not a component of this flowsheet; components: {string.Join(", ", listed.Length > 0 ? listed : componentKeys.Keys.ToArray())}");
            return null;
        }

        // Constants, κ and kij defaults of the property package; the kij overrides are returned by ReadPropertyPackage.
        private PropertyPackageOptions packageOptions = PropertyPackageOptions.Default;

        private Dictionary<(int I, int J), double>? ReadPropertyPackage(JsonElement root)
        {
            const string path = "$.propertyPackage";
            if (!JsonCursor.TryGet(root, "propertyPackage", out var e))
            {
                Cursor.Error(path, $"'propertyPackage' is required: one of {string.Join(", ", catalog.PackageNames)}");
                return null;
            }
            string? name;
            var kij = new Dictionary<(int I, int J), double>();
            string namePath = path;
            if (e.ValueKind == JsonValueKind.String)
            {
                name = e.GetString()!.Trim();
            }
            else if (Cursor.IsObject(e, path))
            {
                Cursor.OnlyKeys(e, path, "property package field", ["name", "kij", "kijDefaults", "constants", "kappa", "volumeTranslation", "henry"]);
                name = Cursor.String(e, "name", path, required: true);
                namePath = JsonCursor.Child(path, "name");
                var useDatabank = PackageChoice(e, "kijDefaults", path, ["chemsep", "none"]) != "none";
                var constants = PackageChoice(e, "constants", path, ["exact", "rounded-1976"]) == "rounded-1976" ? CubicConstants.Rounded1976 : CubicConstants.Exact;
                var kappa1978 = PackageChoice(e, "kappa", path, ["1976", "1978"]) == "1978";
                var peneloux = PackageChoice(e, "volumeTranslation", path, ["none", "peneloux"]) == "peneloux";
                var henryLaw = PackageChoice(e, "henry", path, ["auto", "none"]) != "none";
                if (JsonCursor.TryGet(e, "kij", out var list))
                {
                    var listPath = JsonCursor.Child(path, "kij");
                    if (list.ValueKind == JsonValueKind.String && list.GetString() is "none" or "chemsep")
                    {
                        if (JsonCursor.TryGet(e, "kijDefaults", out _))
                        {
                            Cursor.Error(listPath, "give either kij \"none\"/\"chemsep\" or kijDefaults, not both");
                        }
                        useDatabank = list.GetString() == "chemsep";
                    }
                    else if (list.ValueKind != JsonValueKind.Array)
                    {
                        Cursor.Error(listPath, "expected \"chemsep\", \"none\" or an array of { \"components\": [a, b], \"value\": k }");
                    }
                    else
                    {
                        var k = 0;
                        foreach (var pair in list.EnumerateArray())
                        {
                            var pairPath = JsonCursor.Index(listPath, k++);
                            if (!Cursor.IsObject(pair, pairPath))
                            {
                                continue;
                            }
                            Cursor.OnlyKeys(pair, pairPath, "kij field", ["components", "value"]);
                            var value = JsonCursor.TryGet(pair, "value", out var v) ? Cursor.Number(v, JsonCursor.Child(pairPath, "value")) : null;
                            if (value is null && !JsonCursor.TryGet(pair, "value", out _))
                            {
                                Cursor.Error(JsonCursor.Child(pairPath, "value"), "'value' is required");
                            }
                            if (!JsonCursor.TryGet(pair, "components", out var names) || names.ValueKind != JsonValueKind.Array || names.GetArrayLength() != 2
                                || names.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
                            {
                                Cursor.Error(JsonCursor.Child(pairPath, "components"), "expected two component names");
                                continue;
                            }
                            var a = ComponentIndex(names[0].GetString()!, JsonCursor.Index(JsonCursor.Child(pairPath, "components"), 0));
                            var b = ComponentIndex(names[1].GetString()!, JsonCursor.Index(JsonCursor.Child(pairPath, "components"), 1));
                            if (a is null || b is null || value is null)
                            {
                                continue;
                            }
                            if (a == b)
                            {
                                Cursor.Error(JsonCursor.Child(pairPath, "components"), "kij needs two different components");
                                continue;
                            }
                            var key = (Math.Min(a.Value, b.Value), Math.Max(a.Value, b.Value));
                            if (!kij.TryAdd(key, value.Value))
                            {
                                Cursor.Error(pairPath, "this pair's kij is given twice");
                            }
                        }
                    }
                }
                packageOptions = new PropertyPackageOptions { UseDatabankKij = useDatabank, Constants = constants, Kappa1978 = kappa1978, PenelouxTranslation = peneloux, HenryLaw = henryLaw };
            }
            else
            {
                return null;
            }
            if (name is null)
            {
                return null;
            }
            var normalized = name.ToLowerInvariant();
            if (!catalog.PackageNames.Contains(normalized))
            {
                Cursor.Error(namePath, $"unknown property package '{name}'; accepted: {string.Join(", ", catalog.PackageNames)}");
                return null;
            }
            packageName = normalized;
            return kij.Count > 0 ? kij : null;
        }

        // An optional string option of the property package, one of the allowed values (lower case); null when absent.
        private string? PackageChoice(JsonElement package, string key, string path, string[] allowed)
        {
            if (!JsonCursor.TryGet(package, key, out var v))
            {
                return null;
            }
            var optionPath = JsonCursor.Child(path, key);
            var text = v.ValueKind == JsonValueKind.String ? v.GetString()!.Trim().ToLowerInvariant() : null;
            if (text is null || !allowed.Contains(text))
            {
                Cursor.Error(optionPath, $"expected one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))}");
                return null;
            }
            return text;
        }
    }
}
