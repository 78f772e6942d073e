using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.UnitOperations;

/// <summary>What a unit is given for one calculation: its inlet streams by port and its numeric parameters in SI.</summary>
public sealed class UnitContext
{
    public required IPropertyPackage Package { get; init; }

    public required IReadOnlyDictionary<string, MaterialStream> Inlets { get; init; }

    /// <summary>Numeric specification values in SI, by name (a design specification may have changed one).</summary>
    public required IReadOnlyDictionary<string, double> Parameters { get; init; }

    public double Parameter(string name) => Parameters[name];

    public bool Has(string name) => Parameters.ContainsKey(name);

    public double ParameterOr(string name, double fallback) => Parameters.TryGetValue(name, out var v) ? v : fallback;
}

/// <summary>The outcome of one unit calculation. A refusal or failure is a value with a reason.</summary>
public sealed class UnitResult
{
    public required bool Succeeded { get; init; }

    public string? FailureReason { get; init; }

    public IReadOnlyDictionary<string, MaterialStream> Outlets { get; init; } = new Dictionary<string, MaterialStream>();

    /// <summary>Heat added to the process, W (negative when removed).</summary>
    public double DutyW { get; init; }

    /// <summary>Shaft power added to the process, W (negative when produced, as by an expander).</summary>
    public double PowerW { get; init; }

    /// <summary>(mass in − mass out) / mass in.</summary>
    public double MassBalanceRelative { get; init; }

    /// <summary>(enthalpy in + duty + power − enthalpy out) / the largest term.</summary>
    public double EnergyBalanceRelative { get; init; }

    /// <summary>Unit-specific results in SI (names carry the unit, e.g. lmtdK).</summary>
    public IReadOnlyDictionary<string, double> Details { get; init; } = new Dictionary<string, double>();

    /// <summary>Warnings about a result that stands but deserves a look (e.g. a conversion beyond equilibrium).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    public static UnitResult Fail(string reason) => new() { Succeeded = false, FailureReason = reason };
}

/// <summary>A unit operation: immutable description of its ports and mode; parameters arrive with each calculation.</summary>
public abstract class UnitOperation
{
    protected UnitOperation(string id, IReadOnlyDictionary<string, double> parameters)
    {
        Id = id;
        Parameters = parameters;
    }

    public string Id { get; }

    /// <summary>The type name used in flowsheet files (e.g. "heater").</summary>
    public abstract string Type { get; }

    /// <summary>The parameters read from the file, in SI.</summary>
    public IReadOnlyDictionary<string, double> Parameters { get; }

    /// <summary>The outlet ports this unit writes, as connected in the flowsheet.</summary>
    public IReadOnlyList<string> OutletPorts { get; init; } = [];

    public abstract UnitResult Calculate(UnitContext context);

    /// <summary>Builds a successful result with the unit's own mass and energy balance residuals.</summary>
    protected static UnitResult Balanced(UnitContext context, Dictionary<string, MaterialStream> outlets, double dutyW, double powerW, Dictionary<string, double>? details = null, IReadOnlyList<string>? notes = null)
    {
        double massIn = 0, massOut = 0, hIn = 0, hOut = 0, scale = Math.Abs(dutyW) + Math.Abs(powerW);
        foreach (var s in context.Inlets.Values)
        {
            massIn += s.MassFlow;
            hIn += s.EnthalpyFlow;
            scale = Math.Max(scale, Math.Abs(s.EnthalpyFlow));
        }
        foreach (var s in outlets.Values)
        {
            massOut += s.MassFlow;
            hOut += s.EnthalpyFlow;
            scale = Math.Max(scale, Math.Abs(s.EnthalpyFlow));
        }
        var massScale = Math.Max(massIn, massOut);
        return new UnitResult
        {
            Succeeded = true,
            Outlets = outlets,
            DutyW = dutyW,
            PowerW = powerW,
            MassBalanceRelative = massScale > 0 ? (massIn - massOut) / massScale : 0,
            EnergyBalanceRelative = scale > 0 ? (hIn + dutyW + powerW - hOut) / scale : 0,
            Details = details ?? [],
            Notes = notes ?? [],
        };
    }

    protected internal static double[] CopyFlows(MaterialStream s) => (double[])s.ComponentMolarFlows.Clone();

    protected static string Num(double v) => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);
}
