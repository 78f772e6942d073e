using System.Text.Json;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations;
using DeepSim.Engine.UnitOperations.Reactions;

namespace DeepSim.Engine.Flowsheets;

public static partial class FlowsheetReader
{
    /// <summary>Reads one unit's "spec" object: records the keys it knows, so the rest can be reported as unknown.</summary>
    private sealed class SpecReader(JsonCursor cursor, JsonElement spec, string path, UnitEntry unit)
    {
        private readonly HashSet<string> known = new(StringComparer.Ordinal);

        public Dictionary<string, double> Parameters { get; } = new(StringComparer.Ordinal);

        public JsonElement Spec => spec;

        public string Path => path;

        public bool Present(string key)
        {
            known.Add(key);
            return JsonCursor.TryGet(spec, key, out _);
        }

        public JsonElement Get(string key)
        {
            known.Add(key);
            return JsonCursor.TryGet(spec, key, out var v) ? v : default;
        }

        public double? Quantity(string key, Dimension dimension, Range range)
        {
            known.Add(key);
            var v = cursor.Quantity(spec, key, path, dimension, range);
            if (v is not null)
            {
                Parameters[key] = v.Value;
                unit.ParameterMeta[key] = (dimension, range);
            }
            return v;
        }

        public void Required(string key, Dimension dimension, Range range)
        {
            if (!Present(key))
            {
                cursor.Error(JsonCursor.Child(path, key), $"missing specification: a {unit.Type} needs '{key}'");
                return;
            }
            Quantity(key, dimension, range);
        }

        /// <summary>Exactly one of the keys must be given (each a quantity of its own dimension).</summary>
        public void ExactlyOne(params (string Key, Dimension Dimension, Range Range)[] options)
        {
            var given = options.Where(o => Present(o.Key)).ToArray();
            var names = string.Join(", ", options.Select(o => $"'{o.Key}'"));
            if (given.Length == 0)
            {
                cursor.Error(path, $"missing specification: a {unit.Type} needs exactly one of {names}");
                return;
            }
            if (given.Length > 1)
            {
                cursor.Error(JsonCursor.Child(path, given[1].Key), $"extra specification: {string.Join(" and ", given.Select(g => $"'{g.Key}'"))} are both given; a {unit.Type} takes exactly one of {names}");
                return;
            }
            Quantity(given[0].Key, given[0].Dimension, given[0].Range);
        }

        public string? Choice(string key, string[] allowed, bool required)
        {
            known.Add(key);
            var s = cursor.String(spec, key, path, required: false);
            if (s is null)
            {
                if (required && !JsonCursor.TryGet(spec, key, out _))
                {
                    cursor.Error(JsonCursor.Child(path, key), $"missing specification: a {unit.Type} needs '{key}' ({string.Join(" or ", allowed)})");
                }
                return null;
            }
            if (!allowed.Contains(s))
            {
                cursor.Error(JsonCursor.Child(path, key), $"'{s}' is not one of {string.Join(", ", allowed)}");
                return null;
            }
            return s;
        }

        public void Finish()
        {
            if (spec.ValueKind == JsonValueKind.Object)
            {
                cursor.OnlyKeys(spec, path, $"specification for a {unit.Type}", known.Count > 0 ? known.Order(StringComparer.Ordinal).ToArray() : ["(none)"]);
            }
        }
    }

    private sealed partial class ReadState
    {
        private UnitOperation?[] ReadUnitSpecs()
        {
            var result = new UnitOperation?[units.Count];
            for (var u = 0; u < units.Count; u++)
            {
                var unit = units[u];
                if (unit.Type == UnknownType)
                {
                    continue;
                }
                var path = JsonCursor.Child(unit.Path, "spec");
                var spec = JsonCursor.TryGet(unit.Element, "spec", out var s) ? s : default;
                if (spec.ValueKind != JsonValueKind.Undefined && !Cursor.IsObject(spec, path))
                {
                    continue;
                }
                var errorsBefore = Cursor.Errors.Count;
                var r = new SpecReader(Cursor, spec, path, unit);
                var op = Build(unit, r);
                r.Finish();
                result[u] = Cursor.Errors.Count == errorsBefore ? op : null;
            }
            return result;
        }

        private UnitOperation? Build(UnitEntry unit, SpecReader r)
        {
            var p = r.Parameters;
            switch (unit.Type)
            {
                case "feed":
                {
                    r.ExactlyOne(("temperature", Dimension.Temperature, Range.Positive), ("vaporFraction", Dimension.Dimensionless, Range.Fraction));
                    r.Required("pressure", Dimension.Pressure, Range.Positive);
                    var z = ReadFlowAndComposition(r, unit);
                    return z is null ? null : new Feed(unit.Id, p, z);
                }
                case "product":
                    return new Product(unit.Id);
                case "mixer":
                    r.Quantity("outletPressure", Dimension.Pressure, Range.Positive);
                    return new Mixer(unit.Id, p);
                case "splitter":
                    return ReadSplitter(unit, r);
                case "heater":
                case "cooler":
                    r.ExactlyOne(("outletTemperature", Dimension.Temperature, Range.Positive), ("duty", Dimension.Power, Range.Any), ("outletVaporFraction", Dimension.Dimensionless, Range.Fraction));
                    r.Quantity("pressureDrop", Dimension.PressureDifference, Range.NonNegative);
                    return new Heater(unit.Id, unit.Type, p);
                case "valve":
                    r.ExactlyOne(("outletPressure", Dimension.Pressure, Range.Positive), ("pressureDrop", Dimension.PressureDifference, Range.NonNegative));
                    return new Valve(unit.Id, p);
                case "pump":
                {
                    r.ExactlyOne(("outletPressure", Dimension.Pressure, Range.Positive), ("pressureIncrease", Dimension.PressureDifference, Range.NonNegative));
                    r.Quantity("efficiency", Dimension.Dimensionless, Range.Efficiency);
                    var method = r.Choice("method", ["incompressible", "isentropic"], required: false);
                    return new Pump(unit.Id, p, method == "isentropic");
                }
                case "compressor":
                    r.ExactlyOne(("outletPressure", Dimension.Pressure, Range.Positive), ("pressureRatio", Dimension.Dimensionless, Range.Positive), ("pressureIncrease", Dimension.PressureDifference, Range.Positive));
                    r.Quantity("isentropicEfficiency", Dimension.Dimensionless, Range.Efficiency);
                    return new Turbomachine(unit.Id, p, isCompressor: true);
                case "expander":
                    r.ExactlyOne(("outletPressure", Dimension.Pressure, Range.Positive), ("pressureRatio", Dimension.Dimensionless, Range.Positive), ("pressureDrop", Dimension.PressureDifference, Range.Positive));
                    r.Quantity("isentropicEfficiency", Dimension.Dimensionless, Range.Efficiency);
                    return new Turbomachine(unit.Id, p, isCompressor: false);
                case "flash":
                case "threePhaseSeparator":
                    r.Quantity("pressure", Dimension.Pressure, Range.Positive);
                    r.ExactlyOne(("temperature", Dimension.Temperature, Range.Positive), ("duty", Dimension.Power, Range.Any));
                    return unit.Type == "flash" ? new FlashDrum(unit.Id, p) : new ThreePhaseSeparator(unit.Id, p);
                case "heatExchanger":
                    r.ExactlyOne(
                        ("hotOutletTemperature", Dimension.Temperature, Range.Positive),
                        ("coldOutletTemperature", Dimension.Temperature, Range.Positive),
                        ("duty", Dimension.Power, Range.NonNegative),
                        ("ua", Dimension.HeatTransferCoefficientArea, Range.Positive));
                    r.Quantity("hotPressureDrop", Dimension.PressureDifference, Range.NonNegative);
                    r.Quantity("coldPressureDrop", Dimension.PressureDifference, Range.NonNegative);
                    return new HeatExchanger(unit.Id, p);
                case "conversionReactor":
                    return ReadReactor(unit, r);
                case "equilibriumReactor":
                    return ReadEquilibriumReactor(unit, r);
                case "cstr":
                case "pfr":
                    return ReadKineticReactor(unit, r);
                case "componentSeparator":
                    return ReadComponentSeparator(unit, r);
                case "shortcutColumn":
                    return ReadShortcutColumn(unit, r);
                case "column":
                    return ReadColumn(unit, r);
                default:
                    return null;
            }
        }

        /// <summary>Feed flow and composition: molarFlow or massFlow with moleFractions or massFractions, or componentMolarFlows.</summary>
        private double[]? ReadFlowAndComposition(SpecReader r, UnitEntry unit)
        {
            var errorsBefore = Cursor.Errors.Count;
            var hasMolar = r.Present("molarFlow");
            var hasMass = r.Present("massFlow");
            var hasComponentFlows = r.Present("componentMolarFlows");
            var hasMoleFractions = r.Present("moleFractions");
            var hasMassFractions = r.Present("massFractions");
            var flowKeys = new[] { (hasMolar, "molarFlow"), (hasMass, "massFlow"), (hasComponentFlows, "componentMolarFlows") }.Where(x => x.Item1).Select(x => x.Item2).ToArray();
            if (flowKeys.Length == 0)
            {
                Cursor.Error(r.Path, $"missing specification: a {unit.Type} needs exactly one of 'molarFlow', 'massFlow', 'componentMolarFlows'");
                return null;
            }
            if (flowKeys.Length > 1)
            {
                Cursor.Error(JsonCursor.Child(r.Path, flowKeys[1]), $"extra specification: {string.Join(" and ", flowKeys.Select(k => $"'{k}'"))} are both given; give exactly one");
                return null;
            }
            if (hasComponentFlows)
            {
                foreach (var k in new[] { (hasMoleFractions, "moleFractions"), (hasMassFractions, "massFractions") }.Where(x => x.Item1))
                {
                    Cursor.Error(JsonCursor.Child(r.Path, k.Item2), $"extra specification: '{k.Item2}' with 'componentMolarFlows' (the flows already fix the composition)");
                }
                var flows = ReadComponentMap(r.Get("componentMolarFlows"), JsonCursor.Child(r.Path, "componentMolarFlows"), Dimension.MolarFlow, Range.NonNegative, requireUnitSum: false);
                if (flows is null || Cursor.Errors.Count > errorsBefore)
                {
                    return null;
                }
                var total = flows.Sum();
                r.Parameters["molarFlow"] = total;
                unit.ParameterMeta["molarFlow"] = (Dimension.MolarFlow, Range.NonNegative);
                return total > 0 ? flows.Select(f => f / total).ToArray() : flows;
            }
            if (hasMolar)
            {
                r.Quantity("molarFlow", Dimension.MolarFlow, Range.NonNegative);
            }
            else
            {
                r.Quantity("massFlow", Dimension.MassFlow, Range.NonNegative);
            }
            if (hasMoleFractions == hasMassFractions)
            {
                Cursor.Error(hasMoleFractions ? JsonCursor.Child(r.Path, "massFractions") : r.Path, hasMoleFractions
                    ? "extra specification: give 'moleFractions' or 'massFractions', not both"
                    : "missing specification: the composition ('moleFractions' or 'massFractions')");
                return null;
            }
            var key = hasMoleFractions ? "moleFractions" : "massFractions";
            var fractions = ReadComponentMap(r.Get(key), JsonCursor.Child(r.Path, key), Dimension.Dimensionless, Range.Fraction, requireUnitSum: true);
            if (fractions is null || Cursor.Errors.Count > errorsBefore)
            {
                return null;
            }
            if (hasMassFractions)
            {
                if (!componentsComplete)
                {
                    return null;
                }
                for (var i = 0; i < fractions.Length; i++)
                {
                    fractions[i] /= components[i]!.MolarMass;
                }
            }
            var sum = fractions.Sum();
            return fractions.Select(f => f / sum).ToArray();
        }

        /// <summary>An object keyed by component: { "methane": 0.9, ... }; unlisted components are zero.</summary>
        private double[]? ReadComponentMap(JsonElement map, string path, Dimension dimension, Range range, bool requireUnitSum)
        {
            if (!Cursor.IsObject(map, path))
            {
                return null;
            }
            var values = new double[ComponentCount];
            var seen = new HashSet<int>();
            var ok = true;
            foreach (var prop in map.EnumerateObject())
            {
                var at = JsonCursor.Child(path, prop.Name);
                var i = ComponentIndex(prop.Name, at);
                var v = Cursor.Quantity(prop.Value, at, dimension, range);
                if (i is null || v is null)
                {
                    ok = false;
                    continue;
                }
                if (!seen.Add(i.Value))
                {
                    Cursor.Error(at, $"component '{prop.Name}' is listed twice");
                    ok = false;
                    continue;
                }
                values[i.Value] = v.Value;
            }
            if (!ok)
            {
                return null;
            }
            if (requireUnitSum)
            {
                var sum = values.Sum();
                if (Math.Abs(sum - 1) > FractionSumTolerance)
                {
                    Cursor.Error(path, $"fractions sum to {Fmt(sum)}, not 1");
                    return null;
                }
            }
            return values;
        }

        private Splitter? ReadSplitter(UnitEntry unit, SpecReader r)
        {
            var path = JsonCursor.Child(r.Path, "fractions");
            if (!r.Present("fractions"))
            {
                Cursor.Error(path, "missing specification: a splitter needs 'fractions' by outlet port");
                return null;
            }
            var map = r.Get("fractions");
            if (!Cursor.IsObject(map, path))
            {
                return null;
            }
            var given = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var prop in map.EnumerateObject())
            {
                var at = JsonCursor.Child(path, prop.Name);
                if (!unit.OutletStreams.ContainsKey(prop.Name))
                {
                    Cursor.Error(at, $"extra specification: '{prop.Name}' is not a connected outlet port of splitter '{unit.Id}' (outlets: {string.Join(", ", unit.OutletOrder)})");
                    continue;
                }
                var v = Cursor.Quantity(prop.Value, at, Dimension.Dimensionless, Range.Fraction);
                if (v is not null)
                {
                    given[prop.Name] = v.Value;
                }
            }
            var missing = unit.OutletOrder.Where(port => !map.TryGetProperty(port, out _)).ToArray();
            if (missing.Length > 1)
            {
                Cursor.Error(path, $"missing specification: fractions for {string.Join(", ", missing.Select(m => $"'{m}'"))} (all outlets, or all but one which takes the rest)");
                return null;
            }
            var sum = given.Values.Sum();
            string? remainder = missing.Length == 1 ? missing[0] : null;
            if (remainder is null && unit.OutletOrder.Count > 0 && Math.Abs(sum - 1) > FractionSumTolerance)
            {
                Cursor.Error(path, $"fractions sum to {Fmt(sum)}, not 1");
                return null;
            }
            if (remainder is not null && sum > 1 + FractionSumTolerance)
            {
                Cursor.Error(path, $"fractions sum to {Fmt(sum)}, more than 1, leaving nothing for '{remainder}'");
                return null;
            }
            foreach (var (port, f) in given)
            {
                // When all fractions are given they are normalised, so round-off in the file cannot unbalance mass.
                var value = remainder is null && sum > 0 ? f / sum : f;
                r.Parameters[Splitter.FractionParameter(port)] = value;
                unit.ParameterMeta[Splitter.FractionParameter(port)] = (Dimension.Dimensionless, Range.Fraction);
            }
            return new Splitter(unit.Id, r.Parameters, remainder) { OutletPorts = unit.OutletOrder.ToArray() };
        }

        private ConversionReactor? ReadReactor(UnitEntry unit, SpecReader r)
        {
            var mode = r.Choice("mode", ["isothermal", "adiabatic"], required: true);
            if (mode == "adiabatic" && r.Present("outletTemperature"))
            {
                Cursor.Error(JsonCursor.Child(r.Path, "outletTemperature"), "extra specification: an adiabatic reactor's outlet temperature follows from the energy balance");
            }
            else
            {
                r.Quantity("outletTemperature", Dimension.Temperature, Range.Positive);
            }
            r.Quantity("pressureDrop", Dimension.PressureDifference, Range.NonNegative);
            var path = JsonCursor.Child(r.Path, "reactions");
            if (!r.Present("reactions"))
            {
                Cursor.Error(path, "missing specification: a conversionReactor needs 'reactions'");
                return null;
            }
            var list = r.Get("reactions");
            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            {
                Cursor.Error(path, "expected a non-empty array of reactions");
                return null;
            }
            var reactions = new List<Reaction>();
            var k = 0;
            foreach (var item in list.EnumerateArray())
            {
                var at = JsonCursor.Index(path, k);
                var index = k++;
                if (!Cursor.IsObject(item, at))
                {
                    continue;
                }
                Cursor.OnlyKeys(item, at, "reaction field", ["stoichiometry", "keyComponent", "conversion"]);
                var stoich = JsonCursor.TryGet(item, "stoichiometry", out var s)
                    ? ReadComponentMap(s, JsonCursor.Child(at, "stoichiometry"), Dimension.Dimensionless, Range.Any, requireUnitSum: false)
                    : null;
                if (!JsonCursor.TryGet(item, "stoichiometry", out _))
                {
                    Cursor.Error(JsonCursor.Child(at, "stoichiometry"), "'stoichiometry' is required: { component: coefficient }, negative for reactants");
                }
                var keyName = Cursor.String(item, "keyComponent", at, required: true);
                var key = keyName is null ? null : ComponentIndex(keyName, JsonCursor.Child(at, "keyComponent"));
                double? conversion = null;
                if (!JsonCursor.TryGet(item, "conversion", out var c))
                {
                    Cursor.Error(JsonCursor.Child(at, "conversion"), "'conversion' of the key component is required");
                }
                else
                {
                    conversion = Cursor.Quantity(c, JsonCursor.Child(at, "conversion"), Dimension.Dimensionless, Range.Fraction);
                }
                if (stoich is null || key is null || conversion is null)
                {
                    continue;
                }
                if (!(stoich[key.Value] < 0))
                {
                    Cursor.Error(JsonCursor.Child(at, "keyComponent"), $"the key component '{keyName}' must be a reactant (negative coefficient)");
                    continue;
                }
                if (componentsComplete)
                {
                    double net = 0, gross = 0;
                    for (var i = 0; i < stoich.Length; i++)
                    {
                        net += stoich[i] * components[i]!.MolarMass;
                        gross += Math.Abs(stoich[i] * components[i]!.MolarMass);
                    }
                    if (Math.Abs(net) > StoichiometryMassTolerance * gross)
                    {
                        Cursor.Error(JsonCursor.Child(at, "stoichiometry"), $"the reaction does not conserve mass (net {Fmt(net * 1000)} g per mol of extent)");
                        continue;
                    }
                }
                r.Parameters[ConversionReactor.ConversionParameter(index)] = conversion.Value;
                unit.ParameterMeta[ConversionReactor.ConversionParameter(index)] = (Dimension.Dimensionless, Range.Fraction);
                reactions.Add(new Reaction(stoich, key.Value));
            }
            return mode is null || reactions.Count != list.GetArrayLength() ? null : new ConversionReactor(unit.Id, r.Parameters, reactions, mode == "adiabatic");
        }

        /// <summary>isothermal (optional outletTemperature) or adiabatic, and the optional operating pressure; null when the mode is bad.</summary>
        private string? ReadReactorMode(SpecReader r)
        {
            var mode = r.Choice("mode", ["isothermal", "adiabatic"], required: true);
            if (mode == "adiabatic" && r.Present("outletTemperature"))
            {
                Cursor.Error(JsonCursor.Child(r.Path, "outletTemperature"), "extra specification: an adiabatic reactor's outlet temperature follows from the energy balance");
            }
            else
            {
                r.Quantity("outletTemperature", Dimension.Temperature, Range.Positive);
            }
            r.Quantity("pressure", Dimension.Pressure, Range.Positive);
            return mode;
        }

        /// <summary>The reactions array: present, non-empty, each item an object (handed to <paramref name="readItem"/> with its path).</summary>
        private bool ReadReactionList(SpecReader r, UnitEntry unit, bool required, Func<JsonElement, string, bool> readItem)
        {
            var path = JsonCursor.Child(r.Path, "reactions");
            if (!r.Present("reactions"))
            {
                if (required)
                {
                    Cursor.Error(path, $"missing specification: a {unit.Type} needs 'reactions'");
                }
                return !required;
            }
            var list = r.Get("reactions");
            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            {
                Cursor.Error(path, "expected a non-empty array of reactions");
                return false;
            }
            var ok = true;
            var k = 0;
            foreach (var item in list.EnumerateArray())
            {
                var at = JsonCursor.Index(path, k++);
                ok &= Cursor.IsObject(item, at) && readItem(item, at);
            }
            return ok;
        }

        /// <summary>A reaction's stoichiometry: required, with a reactant and a product, conserving mass.</summary>
        private double[]? ReadStoichiometry(JsonElement item, string at)
        {
            var path = JsonCursor.Child(at, "stoichiometry");
            if (!JsonCursor.TryGet(item, "stoichiometry", out var s))
            {
                Cursor.Error(path, "'stoichiometry' is required: { component: coefficient }, negative for reactants");
                return null;
            }
            var stoich = ReadComponentMap(s, path, Dimension.Dimensionless, Range.Any, requireUnitSum: false);
            if (stoich is null)
            {
                return null;
            }
            if (!stoich.Any(v => v < 0) || !stoich.Any(v => v > 0))
            {
                Cursor.Error(path, "a reaction needs at least one reactant (negative coefficient) and one product (positive)");
                return null;
            }
            if (componentsComplete)
            {
                double net = 0, gross = 0;
                for (var i = 0; i < stoich.Length; i++)
                {
                    net += stoich[i] * components[i]!.MolarMass;
                    gross += Math.Abs(stoich[i] * components[i]!.MolarMass);
                }
                if (Math.Abs(net) > StoichiometryMassTolerance * gross)
                {
                    Cursor.Error(path, $"the reaction does not conserve mass (net {Fmt(net * 1000)} g per mol of extent)");
                    return null;
                }
            }
            return stoich;
        }

        private EquilibriumReactor? ReadEquilibriumReactor(UnitEntry unit, SpecReader r)
        {
            var errorsBefore = Cursor.Errors.Count;
            var mode = ReadReactorMode(r);
            var reactions = new List<EquilibriumReaction>();
            var listed = ReadReactionList(r, unit, required: false, (item, at) =>
            {
                Cursor.OnlyKeys(item, at, "equilibrium reaction field", ["stoichiometry", "lnK"]);
                var stoich = ReadStoichiometry(item, at);
                LnKCorrelation? lnK = null;
                if (JsonCursor.TryGet(item, "lnK", out var e))
                {
                    var lnKPath = JsonCursor.Child(at, "lnK");
                    if (!Cursor.IsObject(e, lnKPath))
                    {
                        return false;
                    }
                    Cursor.OnlyKeys(e, lnKPath, "ln K coefficient (ln K = A + B/T + C ln T + D T, T in K)", ["A", "B", "C", "D"]);
                    double Coefficient(string key) => Cursor.Quantity(e, key, lnKPath, Dimension.Dimensionless, Range.Any) ?? 0;
                    lnK = new LnKCorrelation(Coefficient("A"), Coefficient("B"), Coefficient("C"), Coefficient("D"));
                }
                if (stoich is null)
                {
                    return false;
                }
                reactions.Add(new EquilibriumReaction(stoich, lnK));
                return true;
            });
            var componentsPath = JsonCursor.Child(r.Path, "components");
            if (r.Present("reactions"))
            {
                if (r.Present("components"))
                {
                    Cursor.Error(componentsPath, "extra specification: 'components' chooses the species of a Gibbs minimisation, which runs only when no 'reactions' are given");
                }
                return Cursor.Errors.Count > errorsBefore || !listed || mode is null ? null : new EquilibriumReactor(unit.Id, r.Parameters, reactions, mode == "adiabatic");
            }
            var reacting = new bool[ComponentCount];
            if (r.Present("components"))
            {
                var list = r.Get("components");
                if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
                {
                    Cursor.Error(componentsPath, "expected a non-empty array of the reacting components' names");
                    return null;
                }
                var k = 0;
                foreach (var item in list.EnumerateArray())
                {
                    var at = JsonCursor.Index(componentsPath, k++);
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        Cursor.Error(at, "expected a component name");
                        continue;
                    }
                    if (ComponentIndex(item.GetString()!, at) is { } i)
                    {
                        reacting[i] = true;
                    }
                }
            }
            else
            {
                Array.Fill(reacting, true);
            }
            if (Cursor.Errors.Count > errorsBefore || mode is null || !componentsComplete)
            {
                return null;
            }
            var formulas = new Dictionary<string, int>?[ComponentCount];
            for (var i = 0; i < ComponentCount; i++)
            {
                if (!reacting[i])
                {
                    continue;
                }
                formulas[i] = ElementFormula.TryParse(components[i]!.Formula);
                if (formulas[i] is null)
                {
                    Cursor.Error(r.Present("components") ? componentsPath : r.Path, $"Gibbs minimisation needs each reacting component's element formula; '{components[i]!.Name}' has none that reads as elements and counts (formula '{components[i]!.Formula}'): give it a 'formula' or leave it out of 'components'");
                }
            }
            if (Cursor.Errors.Count > errorsBefore)
            {
                return null;
            }
            var symbols = formulas.Where(f => f is not null).SelectMany(f => f!.Keys).Distinct().Order(StringComparer.Ordinal).ToArray();
            var elements = new int[ComponentCount, symbols.Length];
            for (var i = 0; i < ComponentCount; i++)
            {
                for (var e = 0; e < symbols.Length; e++)
                {
                    elements[i, e] = formulas[i]?.GetValueOrDefault(symbols[e]) ?? 0;
                }
            }
            return new EquilibriumReactor(unit.Id, r.Parameters, reacting, elements, symbols, mode == "adiabatic");
        }

        private KineticReactor? ReadKineticReactor(UnitEntry unit, SpecReader r)
        {
            var errorsBefore = Cursor.Errors.Count;
            var mode = ReadReactorMode(r);
            r.Required("volume", Dimension.Volume, Range.Positive);
            var phase = r.Choice("phase", ["vapor", "liquid"], required: false) ?? "vapor";
            var basis = r.Choice("rateBasis", ["concentration", "partialPressure"], required: false) ?? "concentration";
            if (basis == "partialPressure" && phase == "liquid")
            {
                Cursor.Error(JsonCursor.Child(r.Path, "rateBasis"), "a partial-pressure rate needs the vapour phase ('phase': 'vapor')");
            }
            var reactions = new List<KineticReaction>();
            var listed = ReadReactionList(r, unit, required: true, (item, at) =>
            {
                Cursor.OnlyKeys(item, at, "kinetic reaction field", ["stoichiometry", "rate"]);
                var stoich = ReadStoichiometry(item, at);
                var ratePath = JsonCursor.Child(at, "rate");
                if (!JsonCursor.TryGet(item, "rate", out var rate))
                {
                    Cursor.Error(ratePath, "'rate' is required: { \"preExponentialFactor\": k0, \"activationEnergy\": Ea, \"orders\": { component: order } }");
                    return false;
                }
                if (!Cursor.IsObject(rate, ratePath))
                {
                    return false;
                }
                Cursor.OnlyKeys(rate, ratePath, "rate field", ["preExponentialFactor", "activationEnergy", "orders"]);
                double? k0 = null;
                if (!JsonCursor.TryGet(rate, "preExponentialFactor", out _))
                {
                    Cursor.Error(JsonCursor.Child(ratePath, "preExponentialFactor"), "'preExponentialFactor' k0 is required (SI: mol/(m³ s) over the concentrations or partial pressures to their orders)");
                }
                else
                {
                    k0 = Cursor.Quantity(rate, "preExponentialFactor", ratePath, Dimension.Dimensionless, Range.Positive);
                }
                var ea = JsonCursor.TryGet(rate, "activationEnergy", out _)
                    ? Cursor.Quantity(rate, "activationEnergy", ratePath, Dimension.MolarEnergy, Range.NonNegative)
                    : 0;
                double[]? orders = null;
                var ordersPath = JsonCursor.Child(ratePath, "orders");
                if (!JsonCursor.TryGet(rate, "orders", out var o))
                {
                    Cursor.Error(ordersPath, "'orders' is required: { component: order } for each component in the rate (an empty object for a zero-order rate)");
                }
                else
                {
                    orders = ReadComponentMap(o, ordersPath, Dimension.Dimensionless, Range.NonNegative, requireUnitSum: false);
                }
                if (stoich is null || k0 is null || ea is null || orders is null)
                {
                    return false;
                }
                reactions.Add(new KineticReaction(stoich, new RateLaw(k0.Value, ea.Value, orders)));
                return true;
            });
            if (Cursor.Errors.Count > errorsBefore || !listed || mode is null)
            {
                return null;
            }
            var p = phase == "liquid" ? Phase.Liquid : Phase.Vapor;
            var b = basis == "partialPressure" ? RateBasis.PartialPressure : RateBasis.Concentration;
            return unit.Type == "cstr"
                ? new StirredTankReactor(unit.Id, r.Parameters, reactions, p, b, mode == "adiabatic")
                : new PlugFlowReactor(unit.Id, r.Parameters, reactions, p, b, mode == "adiabatic");
        }

        private ComponentSeparator? ReadComponentSeparator(UnitEntry unit, SpecReader r)
        {
            var path = JsonCursor.Child(r.Path, "splits");
            if (!r.Present("splits"))
            {
                Cursor.Error(path, "missing specification: a componentSeparator needs 'splits' (each component's fraction to out1)");
                return null;
            }
            var splits = ReadComponentMap(r.Get("splits"), path, Dimension.Dimensionless, Range.Fraction, requireUnitSum: false);
            return splits is null ? null : new ComponentSeparator(unit.Id, r.Parameters, splits);
        }

        private ShortcutColumn? ReadShortcutColumn(UnitEntry unit, SpecReader r)
        {
            var errorsBefore = Cursor.Errors.Count;
            int? Key(string key)
            {
                r.Present(key);
                var name = Cursor.String(r.Spec, key, r.Path, required: true);
                return name is null ? null : ComponentIndex(name, JsonCursor.Child(r.Path, key));
            }
            var lightKey = Key("lightKey");
            var heavyKey = Key("heavyKey");
            if (lightKey is not null && heavyKey is not null)
            {
                if (lightKey == heavyKey)
                {
                    Cursor.Error(JsonCursor.Child(r.Path, "heavyKey"), "the heavy key must differ from the light key");
                }
                else if (componentsComplete
                    && components[lightKey.Value]!.NormalBoilingPointK is var tLight && components[heavyKey.Value]!.NormalBoilingPointK is var tHeavy
                    && double.IsFinite(tLight) && double.IsFinite(tHeavy) && !(tLight < tHeavy))
                {
                    Cursor.Error(JsonCursor.Child(r.Path, "lightKey"), $"the light key '{components[lightKey.Value]!.Name}' (normal boiling point {Fmt(tLight)} K) is not lighter than the heavy key '{components[heavyKey.Value]!.Name}' ({Fmt(tHeavy)} K)");
                }
            }
            foreach (var key in new[] { "lightKeyRecovery", "heavyKeyRecovery" })
            {
                r.Required(key, Dimension.Dimensionless, Range.Fraction);
                if (r.Parameters.TryGetValue(key, out var v) && !(v > 0 && v < 1))
                {
                    Cursor.Error(JsonCursor.Child(r.Path, key), $"must be within (0, 1): a recovery of {Fmt(v)} would need infinitely many stages");
                }
            }
            var condenser = r.Choice("condenser", ["total", "partial"], required: false);
            r.Quantity("topPressure", Dimension.Pressure, Range.Positive);
            r.Quantity("bottomPressure", Dimension.Pressure, Range.Positive);
            if (r.Parameters.TryGetValue("topPressure", out var top) && r.Parameters.TryGetValue("bottomPressure", out var bottom) && bottom < top)
            {
                Cursor.Error(JsonCursor.Child(r.Path, "bottomPressure"), $"the bottom pressure ({Fmt(bottom)} Pa) is below the top pressure ({Fmt(top)} Pa)");
            }
            r.ExactlyOne(("refluxRatio", Dimension.Dimensionless, Range.Positive), ("refluxRatioFactor", Dimension.Dimensionless, Range.Positive));
            if (r.Parameters.TryGetValue("refluxRatioFactor", out var factor) && !(factor > 1))
            {
                Cursor.Error(JsonCursor.Child(r.Path, "refluxRatioFactor"), $"R/Rmin must exceed 1 (given {Fmt(factor)}): at or below the minimum reflux no number of stages makes the split");
            }
            return Cursor.Errors.Count > errorsBefore || lightKey is null || heavyKey is null
                ? null
                : new ShortcutColumn(unit.Id, r.Parameters, lightKey.Value, heavyKey.Value, condenser == "partial");
        }
    }
}
