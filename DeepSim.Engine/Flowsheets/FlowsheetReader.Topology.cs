using System.Text.Json;

namespace DeepSim.Engine.Flowsheets;

public static partial class FlowsheetReader
{
    /// <summary>Marks a unit whose type was not recognised (already reported).</summary>
    private const string UnknownType = "";

    private sealed partial class ReadState
    {
        private static bool ValidId(string id) => id.Length > 0 && !id.Contains('.', StringComparison.Ordinal);

        /// <summary>
        /// The object items, with their paths, of the required array <c>$.{key}</c>; reports the array missing, not an
        /// array or (with <paramref name="nonEmpty"/>) empty, and skips every item that is not an object after reporting it.
        /// </summary>
        private IEnumerable<(JsonElement Item, string Path)> RequiredObjects(JsonElement root, string key, bool nonEmpty)
        {
            var path = "$." + key;
            if (!JsonCursor.TryGet(root, key, out var list))
            {
                Cursor.Error(path, $"'{key}' is required");
                yield break;
            }
            if (list.ValueKind != JsonValueKind.Array || (nonEmpty && list.GetArrayLength() == 0))
            {
                Cursor.Error(path, nonEmpty ? $"expected a non-empty array of {key}" : $"expected an array of {key}");
                yield break;
            }
            var i = 0;
            foreach (var item in list.EnumerateArray())
            {
                var itemPath = JsonCursor.Index(path, i++);
                if (Cursor.IsObject(item, itemPath))
                {
                    yield return (item, itemPath);
                }
            }
        }

        private void ReadUnitHeaders(JsonElement root)
        {
            foreach (var (item, itemPath) in RequiredObjects(root, "units", nonEmpty: true))
            {
                Cursor.OnlyKeys(item, itemPath, "unit field", ["id", "type", "spec", "description", "layout"]);
                ReadLayout(item, itemPath);
                var id = Cursor.String(item, "id", itemPath, required: true);
                var type = Cursor.String(item, "type", itemPath, required: true);
                if (id is not null && !ValidId(id))
                {
                    Cursor.Error(JsonCursor.Child(itemPath, "id"), $"unit id '{id}' must not contain '.' (streams refer to ports as UNIT.port)");
                    id = null;
                }
                if (type is not null && !UnitTypes.ContainsKey(type))
                {
                    var close = UnitTypes.Keys.Where(k => string.Equals(k, type, StringComparison.OrdinalIgnoreCase)).ToArray();
                    Cursor.Error(JsonCursor.Child(itemPath, "type"), close.Length > 0
                        ? $"unknown unit type '{type}'; did you mean '{close[0]}'?"
                        : $"unknown unit type '{type}'; accepted: {string.Join(", ", UnitTypes.Keys)}");
                    type = UnknownType; // kept, so streams naming it do not cascade into more errors
                }
                if (id is not null && unitIndex.ContainsKey(id))
                {
                    Cursor.Error(JsonCursor.Child(itemPath, "id"), $"duplicate unit id '{id}'");
                    continue;
                }
                if (id is null || type is null)
                {
                    continue;
                }
                unitIndex[id] = units.Count;
                units.Add(new UnitEntry(id, type, itemPath, item));
            }
        }

        /// <summary>
        /// A unit's optional drawing position, <c>{ "x": number, "y": number }</c>, kept by editors so a drawing survives
        /// save and load. The solver ignores it; it is checked only so a typo is not silently kept.
        /// </summary>
        private void ReadLayout(JsonElement unit, string unitPath)
        {
            if (!JsonCursor.TryGet(unit, "layout", out var layout))
            {
                return;
            }
            var path = JsonCursor.Child(unitPath, "layout");
            if (!Cursor.IsObject(layout, path))
            {
                return;
            }
            Cursor.OnlyKeys(layout, path, "layout field", ["x", "y"]);
            foreach (var key in new[] { "x", "y" })
            {
                if (JsonCursor.TryGet(layout, key, out var v))
                {
                    Cursor.Number(v, JsonCursor.Child(path, key));
                }
            }
        }

        /// <summary>Parses "UNIT.port" and checks the port exists on that unit in that direction.</summary>
        private (int Unit, string Port)? Endpoint(JsonElement item, string key, string path, bool outlet)
        {
            var text = Cursor.String(item, key, path, required: true);
            if (text is null)
            {
                return null;
            }
            var at = JsonCursor.Child(path, key);
            var dot = text.LastIndexOf('.');
            if (dot <= 0 || dot == text.Length - 1)
            {
                Cursor.Error(at, $"expected \"UNIT.port\", found '{text}'");
                return null;
            }
            var unitId = text[..dot];
            var port = text[(dot + 1)..];
            if (!unitIndex.TryGetValue(unitId, out var u))
            {
                Cursor.Error(at, $"no unit with id '{unitId}'");
                return null;
            }
            var unit = units[u];
            var map = outlet ? unit.OutletStreams : unit.InletStreams;
            if (unit.Type == UnknownType)
            {
                return map.ContainsKey(port) ? null : (u, port);
            }
            var (inlets, outlets) = UnitTypes[unit.Type];
            var allowed = outlet ? outlets : inlets;
            var other = outlet ? inlets : outlets;
            if (allowed.Length == 1 && allowed[0] == "*")
            {
                if (other.Contains(port))
                {
                    Cursor.Error(at, $"'{port}' is an {(outlet ? "inlet" : "outlet")} port of {unit.Type} '{unitId}'");
                    return null;
                }
            }
            else if (!allowed.Contains(port) && !DeclaredPort(unit.Type, unit.Element, port, outlet))
            {
                Cursor.Error(at, allowed.Length == 0
                    ? $"{unit.Type} '{unitId}' has no {(outlet ? "outlet" : "inlet")} ports"
                    : $"{unit.Type} '{unitId}' has no {(outlet ? "outlet" : "inlet")} port '{port}'; its {(outlet ? "outlets" : "inlets")}: {string.Join(", ", allowed)}");
                return null;
            }
            if (map.TryGetValue(port, out var existing))
            {
                Cursor.Error(at, $"port '{unitId}.{port}' is connected twice (already by stream '{existing}')");
                return null;
            }
            return (u, port);
        }

        private void ReadStreams(JsonElement root)
        {
            foreach (var (item, itemPath) in RequiredObjects(root, "streams", nonEmpty: false))
            {
                Cursor.OnlyKeys(item, itemPath, "stream field", ["id", "from", "to", "initialGuess", "description"]);
                var id = Cursor.String(item, "id", itemPath, required: true);
                if (id is not null && streamIndex.ContainsKey(id))
                {
                    Cursor.Error(JsonCursor.Child(itemPath, "id"), $"duplicate stream id '{id}'");
                    id = null;
                }
                var from = Endpoint(item, "from", itemPath, outlet: true);
                var to = Endpoint(item, "to", itemPath, outlet: false);
                if (id is null || from is null || to is null)
                {
                    continue;
                }
                var fromUnit = units[from.Value.Unit];
                var toUnit = units[to.Value.Unit];
                fromUnit.OutletStreams[from.Value.Port] = id;
                fromUnit.OutletOrder.Add(from.Value.Port);
                toUnit.InletStreams[to.Value.Port] = id;
                streamIndex[id] = streams.Count;
                streams.Add((id, from.Value.Unit, from.Value.Port, to.Value.Unit, to.Value.Port, itemPath, item));
            }
        }

        private void CheckPorts()
        {
            foreach (var unit in units.Where(u => u.Type != UnknownType))
            {
                var (inlets, outlets) = UnitTypes[unit.Type];
                Check(inlets, unit.InletStreams, "inlet");
                Check(outlets, unit.OutletStreams, "outlet");

                void Check(string[] ports, Dictionary<string, string> connected, string direction)
                {
                    if (ports.Length == 1 && ports[0] == "*")
                    {
                        if (connected.Count == 0)
                        {
                            Cursor.Error(unit.Path, $"{unit.Type} '{unit.Id}' has no {direction} stream connected");
                        }
                        return;
                    }
                    foreach (var port in ports)
                    {
                        if (!connected.ContainsKey(port))
                        {
                            Cursor.Error(unit.Path, $"unconnected port: {direction} '{unit.Id}.{port}' has no stream");
                        }
                    }
                }
            }
        }
    }
}
