using System.Text.Json;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations.Columns;

namespace DeepSim.Engine.Flowsheets;

public static partial class FlowsheetReader
{
    /// <summary>A column longer than this is surely a typo (industrial columns have at most a few hundred trays).</summary>
    public const int MaxColumnStages = 500;

    /// <summary>The column's specification keys with their kinds; the per-component ones take { "component", "value" }.</summary>
    internal static readonly (string Key, ColumnSpecKind Kind)[] ColumnSpecKeys =
    [
        ("refluxRatio", ColumnSpecKind.RefluxRatio),
        ("boilupRatio", ColumnSpecKind.BoilupRatio),
        ("distillateRate", ColumnSpecKind.DistillateRate),
        ("bottomsRate", ColumnSpecKind.BottomsRate),
        ("distillateMoleFraction", ColumnSpecKind.DistillateMoleFraction),
        ("bottomsMoleFraction", ColumnSpecKind.BottomsMoleFraction),
        ("distillateRecovery", ColumnSpecKind.DistillateRecovery),
        ("bottomsRecovery", ColumnSpecKind.BottomsRecovery),
        ("condenserDuty", ColumnSpecKind.CondenserDuty),
        ("reboilerDuty", ColumnSpecKind.ReboilerDuty),
    ];

    /// <summary>
    /// Ports a unit's own spec declares beyond its type's fixed ones: a column's extra feeds ("feeds") and side
    /// draws ("sideDraws"), by name. Read before the streams are connected, so a stream may name them.
    /// </summary>
    private static bool DeclaredPort(string type, JsonElement unit, string port, bool outlet)
    {
        if (type != "column" || !JsonCursor.TryGet(unit, "spec", out var spec) || spec.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        return JsonCursor.TryGet(spec, outlet ? "sideDraws" : "feeds", out var map) && map.ValueKind == JsonValueKind.Object && JsonCursor.TryGet(map, port, out _);
    }

    private sealed partial class ReadState
    {
        private RigorousColumn? ReadColumn(UnitEntry unit, SpecReader r)
        {
            var errorsBefore = Cursor.Errors.Count;
            r.Present("stages");
            var stages = Cursor.Integer(r.Spec, "stages", r.Path, 2, MaxColumnStages);
            if (!JsonCursor.TryGet(r.Spec, "stages", out _))
            {
                Cursor.Error(JsonCursor.Child(r.Path, "stages"), "missing specification: a column needs 'stages' (equilibrium stages, counting the condenser and the reboiler)");
            }
            var condenserChoice = r.Choice("condenser", ["total", "partial", "none"], required: false) ?? "total";
            var reboilerChoice = r.Choice("reboiler", ["kettle", "none"], required: false) ?? "kettle";
            var condenser = condenserChoice switch { "partial" => CondenserKind.Partial, "none" => CondenserKind.None, _ => CondenserKind.Total };
            var reboiler = reboilerChoice == "kettle";
            var n = stages ?? MaxColumnStages;
            if (stages is not null && condenser != CondenserKind.None && reboiler && stages < 3)
            {
                Cursor.Error(JsonCursor.Child(r.Path, "stages"), "a column with a condenser and a reboiler needs at least 3 stages (one tray between them)");
            }

            var feedStages = ReadFeedStages(unit, r, n, condenser);
            ReadStagePressures(unit, r, n);
            r.Quantity("murphreeEfficiency", Dimension.Dimensionless, Range.Efficiency);
            r.Present("maxIterations");
            if (Cursor.Integer(r.Spec, "maxIterations", r.Path, 1, 10_000) is { } iterations)
            {
                r.Parameters["maxIterations"] = iterations;
            }
            var draws = ReadSideDraws(unit, r, n, condenser, reboiler);
            var specs = ReadColumnSpecs(unit, r, condenser, reboiler);
            foreach (var port in unit.OutletStreams.Keys)
            {
                if (port is not (RigorousColumn.DistillatePort or RigorousColumn.BottomsPort) && !draws.Any(d => d.Port == port))
                {
                    Cursor.Error(unit.Path, $"column '{unit.Id}' has no outlet port '{port}'; its outlets: distillate, bottoms and the ports named in 'sideDraws'");
                }
            }
            return Cursor.Errors.Count > errorsBefore || stages is null || feedStages is null || specs is null
                ? null
                : new RigorousColumn(unit.Id, r.Parameters, stages.Value, condenser, reboiler, feedStages, draws, specs);
        }

        /// <summary>"feedStage" for the "in" port (required) and "feeds": { port: stage } for any further feeds.</summary>
        private Dictionary<string, int>? ReadFeedStages(UnitEntry unit, SpecReader r, int stages, CondenserKind condenser)
        {
            var result = new Dictionary<string, int>(StringComparer.Ordinal);
            var ok = true;
            void Stage(string port, JsonElement obj, string key, string path)
            {
                var at = JsonCursor.Child(path, key);
                var stage = Cursor.Integer(obj, key, path, 1, stages);
                if (stage is null)
                {
                    ok = false;
                    return;
                }
                if (stage == 1 && condenser == CondenserKind.Total)
                {
                    Cursor.Error(at, "stage 1 is the total condenser: a feed enters a tray (stage 2 or below)");
                    ok = false;
                    return;
                }
                result[port] = stage.Value;
            }
            r.Present("feedStage");
            if (!JsonCursor.TryGet(r.Spec, "feedStage", out _))
            {
                Cursor.Error(JsonCursor.Child(r.Path, "feedStage"), "missing specification: a column needs 'feedStage', the stage (1 = top) its 'in' feed enters");
                ok = false;
            }
            else
            {
                Stage("in", r.Spec, "feedStage", r.Path);
            }
            if (r.Present("feeds"))
            {
                var path = JsonCursor.Child(r.Path, "feeds");
                var map = r.Get("feeds");
                if (!Cursor.IsObject(map, path))
                {
                    return null;
                }
                foreach (var prop in map.EnumerateObject())
                {
                    if (prop.Name == "in")
                    {
                        Cursor.Error(JsonCursor.Child(path, "in"), "the 'in' feed's stage is 'feedStage'");
                        ok = false;
                        continue;
                    }
                    if (!unit.InletStreams.ContainsKey(prop.Name))
                    {
                        Cursor.Error(JsonCursor.Child(path, prop.Name), $"no stream enters '{unit.Id}.{prop.Name}'");
                        ok = false;
                        continue;
                    }
                    Stage(prop.Name, map, prop.Name, path);
                }
            }
            return ok ? result : null;
        }

        /// <summary>
        /// The pressure profile: "topPressure" with an optional "pressureDrop" per stage, or "stagePressures": { "J":
        /// pressure, ... } for the stages whose pressure is known (at least one), kept as parameters "stagePressures.J"
        /// (so a study can vary them) and interpolated linearly between them by <see cref="RigorousColumn"/>. Pressure may
        /// not fall going down the column: vapour rises only against a pressure drop.
        /// </summary>
        private void ReadStagePressures(UnitEntry unit, SpecReader r, int stages)
        {
            if (!r.Present("stagePressures"))
            {
                r.Quantity("topPressure", Dimension.Pressure, Range.Positive);
                r.Quantity("pressureDrop", Dimension.PressureDifference, Range.NonNegative);
                return;
            }
            var path = JsonCursor.Child(r.Path, "stagePressures");
            foreach (var other in new[] { "topPressure", "pressureDrop" })
            {
                if (r.Present(other))
                {
                    Cursor.Error(JsonCursor.Child(r.Path, other), $"give either 'stagePressures' or '{other}', not both");
                }
            }
            var map = r.Get("stagePressures");
            if (!Cursor.IsObject(map, path))
            {
                return;
            }
            var given = new List<(int Stage, double Pressure, string Path)>();
            foreach (var prop in map.EnumerateObject())
            {
                var at = JsonCursor.Child(path, prop.Name);
                if (!int.TryParse(prop.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var stage)
                    || stage < 1 || stage > stages)
                {
                    Cursor.Error(at, $"'{prop.Name}' is not a stage number of this column (1 to {stages})");
                    continue;
                }
                if (Cursor.Quantity(map, prop.Name, path, Dimension.Pressure, Range.Positive) is { } pressure)
                {
                    given.Add((stage, pressure, at));
                }
            }
            if (!map.EnumerateObject().Any())
            {
                Cursor.Error(path, "'stagePressures' needs the pressure of at least one stage, e.g. { \"1\": ..., \"20\": ... }");
            }
            given.Sort((a, b) => a.Stage.CompareTo(b.Stage));
            for (var i = 1; i < given.Count; i++)
            {
                if (given[i].Pressure < given[i - 1].Pressure)
                {
                    Cursor.Error(given[i].Path, $"the pressure falls from stage {given[i - 1].Stage} to stage {given[i].Stage}: it must not fall going down the column (vapour rises only against a pressure drop)");
                }
            }
            foreach (var (stage, pressure, _) in given)
            {
                var parameter = RigorousColumn.StagePressureParameter(stage);
                r.Parameters[parameter] = pressure;
                unit.ParameterMeta[parameter] = (Dimension.Pressure, Range.Positive);
            }
        }

        /// <summary>"sideDraws": { port: { "stage", "phase": "liquid" | "vapor", "molarFlow" } }; the flow is parameter "sideDraws.PORT".</summary>
        private List<ColumnDrawPort> ReadSideDraws(UnitEntry unit, SpecReader r, int stages, CondenserKind condenser, bool reboiler)
        {
            var draws = new List<ColumnDrawPort>();
            if (!r.Present("sideDraws"))
            {
                return draws;
            }
            var path = JsonCursor.Child(r.Path, "sideDraws");
            var map = r.Get("sideDraws");
            if (!Cursor.IsObject(map, path))
            {
                return draws;
            }
            foreach (var prop in map.EnumerateObject())
            {
                var at = JsonCursor.Child(path, prop.Name);
                if (prop.Name is RigorousColumn.DistillatePort or RigorousColumn.BottomsPort)
                {
                    Cursor.Error(at, $"'{prop.Name}' is a product port of the column, not a side draw");
                    continue;
                }
                if (!unit.OutletStreams.ContainsKey(prop.Name))
                {
                    Cursor.Error(at, $"no stream leaves '{unit.Id}.{prop.Name}'");
                    continue;
                }
                if (!Cursor.IsObject(prop.Value, at))
                {
                    continue;
                }
                Cursor.OnlyKeys(prop.Value, at, "side draw field", ["stage", "phase", "molarFlow"]);
                var stage = Cursor.Integer(prop.Value, "stage", at, 1, stages);
                var phase = Cursor.String(prop.Value, "phase", at, required: true);
                var parameter = ColumnDrawPort.SideDrawParameter(prop.Name);
                var flow = Cursor.Quantity(prop.Value, "molarFlow", at, Dimension.MolarFlow, Range.Positive);
                foreach (var key in new[] { "stage", "molarFlow" })
                {
                    if (!JsonCursor.TryGet(prop.Value, key, out _))
                    {
                        Cursor.Error(JsonCursor.Child(at, key), $"a side draw needs '{key}'");
                    }
                }
                if (phase is not null and not ("liquid" or "vapor"))
                {
                    Cursor.Error(JsonCursor.Child(at, "phase"), $"'{phase}' is not one of liquid, vapor");
                    phase = null;
                }
                if (stage is not null && (stage == 1 && condenser != CondenserKind.None || stage == stages && reboiler))
                {
                    Cursor.Error(JsonCursor.Child(at, "stage"), $"stage {stage} is the {(stage == 1 ? "condenser" : "reboiler")}, whose products are the distillate or bottoms: draw from a tray");
                    stage = null;
                }
                if (stage is null || phase is null || flow is null)
                {
                    continue;
                }
                r.Parameters[parameter] = flow.Value;
                unit.ParameterMeta[parameter] = (Dimension.MolarFlow, Range.Positive);
                draws.Add(new ColumnDrawPort(prop.Name, stage.Value, phase == "liquid" ? Phase.Liquid : Phase.Vapor));
            }
            return draws;
        }

        /// <summary>One specification for the condenser and one for the reboiler, each refused with its field path when it cannot hold.</summary>
        private List<ColumnSpecEntry>? ReadColumnSpecs(UnitEntry unit, SpecReader r, CondenserKind condenser, bool reboiler)
        {
            var needed = (condenser == CondenserKind.None ? 0 : 1) + (reboiler ? 1 : 0);
            var given = new List<ColumnSpecEntry>();
            var ok = true;
            foreach (var (key, kind) in ColumnSpecKeys)
            {
                if (!r.Present(key))
                {
                    continue;
                }
                var at = JsonCursor.Child(r.Path, key);
                var needsCondenser = kind is ColumnSpecKind.RefluxRatio or ColumnSpecKind.CondenserDuty;
                var needsReboiler = kind is ColumnSpecKind.BoilupRatio or ColumnSpecKind.ReboilerDuty;
                if (needsCondenser && condenser == CondenserKind.None || needsReboiler && !reboiler)
                {
                    Cursor.Error(at, $"'{key}' needs a {(needsCondenser ? "condenser" : "reboiler")}, and this column has none");
                    ok = false;
                    continue;
                }
                var component = -1;
                double? value;
                if (kind is ColumnSpecKind.DistillateMoleFraction or ColumnSpecKind.BottomsMoleFraction or ColumnSpecKind.DistillateRecovery or ColumnSpecKind.BottomsRecovery)
                {
                    var obj = r.Get(key);
                    if (!Cursor.IsObject(obj, at))
                    {
                        ok = false;
                        continue;
                    }
                    Cursor.OnlyKeys(obj, at, "component specification field", ["component", "value"]);
                    var name = Cursor.String(obj, "component", at, required: true);
                    var index = name is null ? null : ComponentIndex(name, JsonCursor.Child(at, "component"));
                    if (!JsonCursor.TryGet(obj, "value", out _))
                    {
                        Cursor.Error(JsonCursor.Child(at, "value"), "'value' is required");
                    }
                    value = Cursor.Quantity(obj, "value", at, Dimension.Dimensionless, Range.Fraction);
                    if (value is not null && !(value > 0 && value < 1))
                    {
                        Cursor.Error(JsonCursor.Child(at, "value"), $"must be within (0, 1): a {(kind is ColumnSpecKind.DistillateRecovery or ColumnSpecKind.BottomsRecovery ? "recovery" : "mole fraction")} of {Fmt(value.Value)} needs infinitely many stages");
                        value = null;
                    }
                    if (index is null || value is null)
                    {
                        ok = false;
                        continue;
                    }
                    component = index.Value;
                    r.Parameters[key] = value.Value;
                    unit.ParameterMeta[key] = (Dimension.Dimensionless, Range.Fraction);
                }
                else
                {
                    var (dimension, range) = kind switch
                    {
                        ColumnSpecKind.RefluxRatio or ColumnSpecKind.BoilupRatio => (Dimension.Dimensionless, Range.Any),
                        ColumnSpecKind.DistillateRate or ColumnSpecKind.BottomsRate => (Dimension.MolarFlow, Range.Any),
                        _ => (Dimension.Power, Range.Any),
                    };
                    value = r.Quantity(key, dimension, range);
                    if (value is null)
                    {
                        ok = false;
                        continue;
                    }
                    var refusal = kind switch
                    {
                        ColumnSpecKind.CondenserDuty when !(value < 0) => "must be < 0: a condenser removes heat (duties are heat added, W)",
                        ColumnSpecKind.ReboilerDuty when !(value > 0) => "must be > 0: a reboiler adds heat",
                        ColumnSpecKind.RefluxRatio or ColumnSpecKind.BoilupRatio or ColumnSpecKind.DistillateRate or ColumnSpecKind.BottomsRate when !(value > 0) => "must be > 0",
                        _ => null,
                    };
                    if (refusal is not null)
                    {
                        Cursor.Error(at, $"{key} {refusal} (given {Fmt(value.Value)})");
                        r.Parameters.Remove(key);
                        ok = false;
                        continue;
                    }
                }
                given.Add(new ColumnSpecEntry(kind, key, component));
            }
            if (!ok)
            {
                return null;
            }
            var names = string.Join(", ", ColumnSpecKeys.Select(k => k.Key));
            if (given.Count < needed)
            {
                Cursor.Error(r.Path, $"missing specification: this column ({(condenser == CondenserKind.None ? "no" : condenser.ToString().ToLowerInvariant())} condenser, {(reboiler ? "a kettle" : "no")} reboiler) needs {needed} of {names}; {given.Count} given");
                return null;
            }
            if (given.Count > needed)
            {
                Cursor.Error(JsonCursor.Child(r.Path, given[needed].Parameter), $"extra specification: this column needs {needed} specification{(needed == 1 ? "" : "s")} ({string.Join(" and ", given.Select(g => $"'{g.Parameter}'"))} given)");
                return null;
            }
            if (given.Any(g => g.Kind == ColumnSpecKind.DistillateRate) && given.Any(g => g.Kind == ColumnSpecKind.BottomsRate))
            {
                Cursor.Error(JsonCursor.Child(r.Path, "bottomsRate"), "'distillateRate' and 'bottomsRate' together fix one quantity (the balance gives one from the other): replace one");
                return null;
            }
            return given;
        }
    }
}
