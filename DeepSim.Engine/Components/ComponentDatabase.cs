using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DeepSim.Engine.Components;

/// <summary>
/// The bundled pure-component database (558 ChemSep compounds, Artistic License 2.0; see Data/README.md),
/// read once from the embedded resource. Immutable and thread-safe.
/// </summary>
public sealed class ComponentDatabase
{
    private const string ResourceName = "DeepSim.Engine.Data.components.json";

    private static readonly Lazy<ComponentDatabase> DefaultInstance = new(LoadEmbedded, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Component[] components;
    private readonly Dictionary<string, int> byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> byNormalizedName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> byCas = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<int>> byFormula = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<(string, string), double> prKij = [];
    private readonly Dictionary<(string, string), double> srkKij = [];
    private readonly Dictionary<(string, string), ActivityBinary> nrtl = [];
    private readonly Dictionary<(string, string), ActivityBinary> wilson = [];
    private readonly Dictionary<(string, string), ActivityBinary> uniquac = [];

    private ComponentDatabase(Component[] components, IEnumerable<(string CasA, string CasB, double Kij)> kij, IEnumerable<(string CasA, string CasB, double Kij)> srk, string attribution)
    {
        this.components = components;
        Attribution = attribution;
        for (var i = 0; i < components.Length; i++)
        {
            var c = components[i];
            byName.TryAdd(c.Name, i); // the first of a duplicated name (chemsep1 before chemsep2) wins
            byNormalizedName.TryAdd(Normalize(c.Name), i);
            if (c.Cas.Length > 0)
            {
                byCas.TryAdd(c.Cas, i);
            }

            if (c.Formula.Length > 0)
            {
                AddFormula(c.Formula, i);
            }
        }

        foreach (var (casA, casB, value) in kij)
        {
            prKij.TryAdd(Key(casA, casB), value);
        }

        foreach (var (casA, casB, value) in srk)
        {
            srkKij.TryAdd(Key(casA, casB), value);
        }
    }

    private static void AddActivity(Dictionary<(string, string), ActivityBinary> table, List<ActivityBinary> rows)
    {
        foreach (var row in rows)
        {
            // Stored in the ordinal key order, so a lookup in either order can orient A12/A21 by comparing CAS numbers.
            var oriented = string.CompareOrdinal(row.CasA, row.CasB) <= 0 ? row : row.Reversed();
            table.TryAdd((oriented.CasA, oriented.CasB), oriented);
        }
    }

    /// <summary>The bundled database, loaded lazily from the embedded resource on first use.</summary>
    public static ComponentDatabase Default => DefaultInstance.Value;

    public IReadOnlyList<Component> All => components;

    /// <summary>ChemSep attribution and licence notice carried with the data.</summary>
    public string Attribution { get; }

    /// <summary>
    /// Finds a compound by exact name, then CAS number, then name ignoring case, spaces and punctuation,
    /// then molecular (Hill) formula when exactly one compound has it. Case-insensitive. Null on a miss.
    /// </summary>
    public Component? Find(string nameCasOrFormula)
    {
        if (string.IsNullOrWhiteSpace(nameCasOrFormula))
        {
            return null;
        }

        var q = nameCasOrFormula.Trim();
        if (byName.TryGetValue(q, out var i) || byCas.TryGetValue(q, out i) || byNormalizedName.TryGetValue(Normalize(q), out i))
        {
            return components[i];
        }

        return byFormula.TryGetValue(q, out var list) && list.Count == 1 ? components[list[0]] : null;
    }

    /// <summary>All compounds sharing a molecular formula (isomers), in database order.</summary>
    public IReadOnlyList<Component> FindByFormula(string formula)
    {
        if (string.IsNullOrWhiteSpace(formula) || !byFormula.TryGetValue(formula.Trim(), out var list))
        {
            return [];
        }

        var result = new Component[list.Count];
        for (var k = 0; k < list.Count; k++)
        {
            result[k] = components[list[k]];
        }

        return result;
    }

    /// <summary>Close matches for a query that found nothing: prefix and substring matches first, then by edit distance.</summary>
    public IReadOnlyList<string> Suggest(string query, int max = 5)
    {
        if (string.IsNullOrWhiteSpace(query) || max <= 0)
        {
            return [];
        }

        var q = Normalize(query);
        var scored = new List<(int Score, int Index)>(components.Length);
        for (var i = 0; i < components.Length; i++)
        {
            var name = Normalize(components[i].Name);
            int score;
            if (name.StartsWith(q, StringComparison.Ordinal))
            {
                score = name.Length - q.Length; // shortest completion first
            }
            else if (q.Length >= 3 && name.Contains(q, StringComparison.Ordinal))
            {
                score = 100 + name.Length - q.Length;
            }
            else
            {
                var distance = Levenshtein(q, name);
                if (distance > Math.Max(2, q.Length / 3))
                {
                    continue;
                }

                score = 1000 + distance;
            }

            scored.Add((score, i));
        }

        scored.Sort((x, y) => x.Score != y.Score ? x.Score.CompareTo(y.Score) : x.Index.CompareTo(y.Index));
        var names = new List<string>(Math.Min(max, scored.Count));
        foreach (var (_, index) in scored)
        {
            var name = components[index].Name;
            if (!names.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                names.Add(name);
            }

            if (names.Count == max)
            {
                break;
            }
        }

        return names;
    }

    /// <summary>DECHEMA Peng–Robinson k12 from ChemSep's pr.ipd for a CAS pair (either order); null if not tabulated.</summary>
    public double? BinaryInteractionPR(string casA, string casB) => Lookup(prKij, casA, casB);

    /// <summary>DECHEMA Soave–Redlich–Kwong k12 from ChemSep's srk.ipd for a CAS pair (either order); null if not tabulated.</summary>
    public double? BinaryInteractionSRK(string casA, string casB) => Lookup(srkKij, casA, casB);

    /// <summary>DECHEMA NRTL A12, A21 (cal/mol) and α12 from ChemSep's nrtl.ipd, oriented as (casA, casB); null if not tabulated.</summary>
    public ActivityBinary? BinaryNrtl(string casA, string casB) => LookupActivity(nrtl, casA, casB);

    /// <summary>DECHEMA Wilson A12, A21 (cal/mol) from ChemSep's wilson.ipd, oriented as (casA, casB); null if not tabulated.</summary>
    public ActivityBinary? BinaryWilson(string casA, string casB) => LookupActivity(wilson, casA, casB);

    /// <summary>DECHEMA UNIQUAC A12, A21 (cal/mol) from ChemSep's uniquac.ipd, oriented as (casA, casB); null if not tabulated.</summary>
    public ActivityBinary? BinaryUniquac(string casA, string casB) => LookupActivity(uniquac, casA, casB);

    private static ActivityBinary? LookupActivity(Dictionary<(string, string), ActivityBinary> table, string casA, string casB)
    {
        if (string.IsNullOrEmpty(casA) || string.IsNullOrEmpty(casB))
        {
            return null;
        }

        var a = casA.Trim();
        var b = casB.Trim();
        if (!table.TryGetValue(Key(a, b), out var row))
        {
            return null;
        }

        return row.CasA == a ? row : row.Reversed();
    }

    private static List<ActivityBinary> ReadActivity(JsonElement root, string table, bool hasAlpha)
    {
        var rows = new List<ActivityBinary>();
        if (root.TryGetProperty(table, out var list))
        {
            foreach (var row in list.EnumerateArray())
            {
                rows.Add(new ActivityBinary(row[0].GetString()!, row[1].GetString()!, row[2].GetDouble(), row[3].GetDouble(), hasAlpha ? row[4].GetDouble() : double.NaN));
            }
        }

        return rows;
    }

    private static double? Lookup(Dictionary<(string, string), double> table, string casA, string casB)
    {
        if (string.IsNullOrEmpty(casA) || string.IsNullOrEmpty(casB))
        {
            return null;
        }

        return table.TryGetValue(Key(casA.Trim(), casB.Trim()), out var k) ? k : null;
    }

    // [casA, casB, k12] rows; a database without the table (an older file) has no tabulated pairs for that model.
    private static List<(string, string, double)> ReadKij(JsonElement root, string table)
    {
        var kij = new List<(string, string, double)>();
        if (root.TryGetProperty(table, out var rows))
        {
            foreach (var row in rows.EnumerateArray())
            {
                kij.Add((row[0].GetString()!, row[1].GetString()!, row[2].GetDouble()));
            }
        }

        return kij;
    }

    /// <summary>Parses a database in the embedded JSON format (exposed for tests of the loader).</summary>
    public static ComponentDatabase Parse(Stream json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var attribution = root.GetProperty("attribution").GetString() ?? "";
        var list = new List<Component>();
        foreach (var c in root.GetProperty("compounds").EnumerateArray())
        {
            var tc = c.GetProperty("tc").GetDouble();
            list.Add(new Component
            {
                Name = c.GetProperty("name").GetString()!,
                Cas = c.GetProperty("cas").GetString() ?? "",
                Formula = c.GetProperty("formula").GetString() ?? "",
                MolarMass = c.GetProperty("mw").GetDouble(),
                CriticalTemperatureK = tc,
                CriticalPressurePa = c.GetProperty("pc").GetDouble(),
                CriticalVolume = OptionalDouble(c, "vc"),
                CriticalCompressibility = OptionalDouble(c, "zc"),
                AcentricFactor = c.GetProperty("omega").GetDouble(),
                NormalBoilingPointK = OptionalDouble(c, "tb"),
                FormationEnthalpy = OptionalDouble(c, "hf"),
                FormationGibbsEnergy = OptionalDouble(c, "gf"),
                VaporPressure = ReadCorrelation(c, "psat", tc),
                IdealGasHeatCapacity = ReadCorrelation(c, "cpig", tc),
                LiquidDensity = ReadCorrelation(c, "rhol", tc),
                HeatOfVaporization = ReadCorrelation(c, "hvap", tc),
                LiquidViscosity = ReadCorrelation(c, "mul", tc),
                VaporViscosity = ReadCorrelation(c, "muv", tc),
                LiquidThermalConductivity = ReadCorrelation(c, "kl", tc),
                VaporThermalConductivity = ReadCorrelation(c, "kv", tc),
                SurfaceTension = ReadCorrelation(c, "sigma", tc),
                UniquacR = OptionalDouble(c, "uniquacR"),
                UniquacQ = OptionalDouble(c, "uniquacQ"),
            });
        }

        var db = new ComponentDatabase([.. list], ReadKij(root, "prKij"), ReadKij(root, "srkKij"), attribution);
        AddActivity(db.nrtl, ReadActivity(root, "nrtl", hasAlpha: true));
        AddActivity(db.wilson, ReadActivity(root, "wilson", hasAlpha: false));
        AddActivity(db.uniquac, ReadActivity(root, "uniquac", hasAlpha: false));
        return db;
    }

    private static ComponentDatabase LoadEmbedded()
    {
        using var stream = typeof(ComponentDatabase).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing from DeepSim.Engine.");
        return Parse(stream);
    }

    private static double OptionalDouble(JsonElement e, string name)
        => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;

    private static Correlation? ReadCorrelation(JsonElement e, string name, double tc)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var coefficientsJson = v.GetProperty("c");
        var coefficients = new double[coefficientsJson.GetArrayLength()];
        for (var k = 0; k < coefficients.Length; k++)
        {
            coefficients[k] = coefficientsJson[k].GetDouble();
        }

        return Correlation.FromPublished(
            v.GetProperty("eq").GetInt32(), coefficients, v.GetProperty("tmin").GetDouble(), v.GetProperty("tmax").GetDouble(),
            v.GetProperty("scale").GetDouble(), tc);
    }

    private void AddFormula(string formula, int index)
    {
        if (!byFormula.TryGetValue(formula, out var list))
        {
            list = [];
            byFormula[formula] = list;
        }

        list.Add(index);
    }

    private static (string, string) Key(string a, string b)
        => string.CompareOrdinal(a, b) <= 0 ? (a, b) : (b, a);

    private static string Normalize(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var ch in s)
        {
            if (char.IsLetterOrDigit(ch))
            {
                sb.Append(char.ToLower(ch, CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    private static int Levenshtein(string s, string t)
    {
        var prev = new int[t.Length + 1];
        var cur = new int[t.Length + 1];
        for (var j = 0; j <= t.Length; j++)
        {
            prev[j] = j;
        }

        for (var i = 1; i <= s.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= t.Length; j++)
            {
                var cost = s[i - 1] == t[j - 1] ? 0 : 1;
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }

            (prev, cur) = (cur, prev);
        }

        return prev[t.Length];
    }
}

/// <summary>
/// One DECHEMA activity-model pair as ChemSep lists it: energy parameters A12, A21 in cal/mol for the pair in the
/// order (CasA, CasB), and for NRTL the non-randomness α12 (NaN for Wilson and UNIQUAC).
/// </summary>
public sealed record ActivityBinary(string CasA, string CasB, double A12, double A21, double Alpha12)
{
    /// <summary>The same pair seen from the other component: A12 and A21 exchanged.</summary>
    public ActivityBinary Reversed() => new(CasB, CasA, A21, A12, Alpha12);
}
