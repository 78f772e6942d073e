using System.Globalization;
using System.Text.Json;
using DeepSim.Engine.Components;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations;
using DeepSim.Engine.UnitOperations.Columns;

namespace DeepSim.Engine.Flowsheets;

/// <summary>The outcome of reading a flowsheet file: a flowsheet, or every error found (never both).</summary>
public sealed class FlowsheetReadResult
{
    public Flowsheet? Flowsheet { get; init; }

    public IReadOnlyList<FlowsheetError> Errors { get; init; } = [];

    public bool IsValid => Flowsheet is not null && Errors.Count == 0;
}

/// <summary>The ports a unit type connects by ("*" = any number of named ports).</summary>
public sealed record UnitTypePorts(IReadOnlyList<string> Inlets, IReadOnlyList<string> Outlets);

/// <summary>
/// Reads and validates the JSON flowsheet format (docs/flowsheet-format.md). Every error is collected with its
/// JSON path before anything is solved; no input makes it throw.
/// </summary>
public static partial class FlowsheetReader
{
    /// <summary>Given fractions must sum to one within this: files carry rounded decimals (e.g. 0.333).</summary>
    public const double FractionSumTolerance = 1e-6;

    /// <summary>A reaction must conserve mass within this relative error (molar masses carry ~6 digits).</summary>
    public const double StoichiometryMassTolerance = 1e-4;

    private const int MaxSuggestions = 5;

    private static readonly string[] TopLevelKeys = ["$schema", "name", "description", "components", "propertyPackage", "streams", "units", "designSpecs", "solver"];

    /// <summary>The accepted unit types with their fixed ports ("*" = any number of named ports).</summary>
    internal static readonly Dictionary<string, (string[] Inlets, string[] Outlets)> UnitTypes = new(StringComparer.Ordinal)
    {
        ["feed"] = ([], [Feed.OutletPort]),
        ["product"] = ([Product.InletPort], []),
        ["mixer"] = (["*"], [Mixer.OutletPort]),
        ["splitter"] = ([Splitter.InletPort], ["*"]),
        ["heater"] = (["in"], ["out"]),
        ["cooler"] = (["in"], ["out"]),
        ["valve"] = (["in"], ["out"]),
        ["pump"] = (["in"], ["out"]),
        ["compressor"] = (["in"], ["out"]),
        ["expander"] = (["in"], ["out"]),
        ["flash"] = ([FlashDrum.InletPort], [FlashDrum.VaporPort, FlashDrum.LiquidPort]),
        ["threePhaseSeparator"] = ([ThreePhaseSeparator.InletPort], [ThreePhaseSeparator.VaporPort, ThreePhaseSeparator.LightLiquidPort, ThreePhaseSeparator.HeavyLiquidPort]),
        ["heatExchanger"] = ([HeatExchanger.HotInlet, HeatExchanger.ColdInlet], [HeatExchanger.HotOutlet, HeatExchanger.ColdOutlet]),
        ["conversionReactor"] = (["in"], ["out"]),
        ["equilibriumReactor"] = ([EquilibriumReactor.InletPort], [EquilibriumReactor.OutletPort]),
        ["cstr"] = ([KineticReactor.InletPort], [KineticReactor.OutletPort]),
        ["pfr"] = ([KineticReactor.InletPort], [KineticReactor.OutletPort]),
        ["componentSeparator"] = (["in"], [ComponentSeparator.FirstOutletPort, ComponentSeparator.SecondOutletPort]),
        ["shortcutColumn"] = ([ShortcutColumn.InletPort], [ShortcutColumn.DistillatePort, ShortcutColumn.BottomsPort]),
        // Further feeds and side draws are ports the column's spec declares ("feeds", "sideDraws").
        ["column"] = (["in"], [RigorousColumn.DistillatePort, RigorousColumn.BottomsPort]),
    };

    /// <summary>Every unit type the reader accepts, in the order the format documents them.</summary>
    public static IReadOnlyList<string> UnitTypeNames { get; } = [.. UnitTypes.Keys];

    /// <summary>A unit type's inlet and outlet ports ("*" = any number of named ports), or null for a type the reader refuses.</summary>
    public static UnitTypePorts? PortsOf(string type) =>
        UnitTypes.TryGetValue(type, out var ports) ? new UnitTypePorts(ports.Inlets.AsReadOnly(), ports.Outlets.AsReadOnly()) : null;

    public static FlowsheetReadResult Read(string json, IThermoCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(catalog);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            return new FlowsheetReadResult { Errors = [new FlowsheetError("$", $"not valid JSON: {ex.Message}")] };
        }
        using (document)
        {
            var state = new ReadState(catalog);
            try
            {
                return state.Read(document.RootElement);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or OverflowException)
            {
                // Defence in depth: a reader bug must still come out as a validation error, not a crash.
                state.Cursor.Error("$", $"could not read the flowsheet: {ex.Message}");
                return new FlowsheetReadResult { Errors = state.Cursor.Errors };
            }
        }
    }

    private sealed record UnitEntry(string Id, string Type, string Path, JsonElement Element)
    {
        public Dictionary<string, string> InletStreams { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, string> OutletStreams { get; } = new(StringComparer.Ordinal);
        public List<string> OutletOrder { get; } = [];
        public Dictionary<string, (Dimension Dimension, Range Range)> ParameterMeta { get; } = new(StringComparer.Ordinal);
    }

    private sealed partial class ReadState(IThermoCatalog catalog)
    {
        public JsonCursor Cursor { get; } = new([]);

        private readonly List<Component?> components = [];
        private readonly Dictionary<string, int> componentKeys = new(StringComparer.OrdinalIgnoreCase);
        private readonly List<UnitEntry> units = [];
        private readonly Dictionary<string, int> unitIndex = new(StringComparer.Ordinal);
        private readonly List<(string Id, int From, string FromPort, int To, string ToPort, string Path, JsonElement Element)> streams = [];
        private readonly Dictionary<string, int> streamIndex = new(StringComparer.Ordinal);
        private string? packageName;
        private bool componentsComplete;

        private int ComponentCount => components.Count;

        public FlowsheetReadResult Read(JsonElement root)
        {
            if (!Cursor.IsObject(root, "$"))
            {
                return new FlowsheetReadResult { Errors = Cursor.Errors };
            }
            Cursor.OnlyKeys(root, "$", "top-level key", TopLevelKeys);
            string name = "";
            if (JsonCursor.TryGet(root, "name", out var n))
            {
                if (n.ValueKind == JsonValueKind.String)
                {
                    name = n.GetString()!;
                }
                else
                {
                    Cursor.Error("$.name", $"expected a string, found {JsonCursor.Kind(n.ValueKind)}");
                }
            }
            ReadComponents(root);
            var kij = ReadPropertyPackage(root);
            ReadUnitHeaders(root);
            ReadStreams(root);
            CheckPorts();
            var operations = ReadUnitSpecs();
            var guesses = ReadGuesses();
            var specs = ReadDesignSpecs(root, operations);
            var options = ReadSolverOptions(root);

            if (Cursor.Errors.Count == 0 && operations.Any(o => o is null))
            {
                Cursor.Error("$.units", "a unit could not be built from its specification");
            }
            IPropertyPackage? package = null;
            if (Cursor.Errors.Count == 0 && componentsComplete && packageName is not null)
            {
                try
                {
                    package = catalog.CreatePackage(packageName, components.Select(c => c!).ToArray(), packageOptions with { KijOverrides = kij });
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or NotSupportedException)
                {
                    Cursor.Error("$.propertyPackage", $"cannot create the {packageName} package for these components: {ex.Message}");
                }
            }
            if (Cursor.Errors.Count > 0 || package is null)
            {
                if (Cursor.Errors.Count == 0)
                {
                    Cursor.Error("$", "the flowsheet could not be built");
                }
                return new FlowsheetReadResult { Errors = Cursor.Errors };
            }
            var connections = streams.Select((s, i) => new StreamConnection(s.Id, s.From, s.FromPort, s.To, s.ToPort, guesses[i])).ToArray();
            return new FlowsheetReadResult
            {
                Flowsheet = new Flowsheet
                {
                    Name = name,
                    Package = package,
                    Units = operations.Select(o => o!).ToArray(),
                    Streams = connections,
                    DesignSpecifications = specs,
                    Options = options,
                },
            };
        }

        private static string Fmt(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
    }
}
