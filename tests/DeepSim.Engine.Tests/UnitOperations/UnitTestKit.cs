using DeepSim.Engine.Components;
using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations;

namespace DeepSim.Engine.Tests.UnitOperations;

/// <summary>Real packages and streams for unit-operation tests, and the balance checks the issue asks for.</summary>
internal static class UnitTestKit
{
    /// <summary>Mass must close to this relative error (issue 3).</summary>
    public const double MassTolerance = 1e-9;

    /// <summary>Energy must close to this relative error (issue 3).</summary>
    public const double EnergyTolerance = 1e-6;

    private static readonly Lazy<IPropertyPackage> IdealBtx = new(() => Create("ideal", "benzene", "toluene"));
    private static readonly Lazy<IPropertyPackage> PrGas = new(() => Create("peng-robinson", "methane", "ethane", "propane", "n-butane", "n-pentane"));
    private static readonly Lazy<IPropertyPackage> PrAmmonia = new(() => Create("peng-robinson", "nitrogen", "hydrogen", "ammonia"));

    public static IPropertyPackage Btx => IdealBtx.Value;

    public static IPropertyPackage Gas => PrGas.Value;

    public static IPropertyPackage Ammonia => PrAmmonia.Value;

    public static IPropertyPackage Create(string package, params string[] names) =>
        PropertyPackages.Create(package, names.Select(n => ComponentDatabase.Default.Find(n) ?? throw new InvalidOperationException($"missing {n}")).ToArray());

    public static MaterialStream Stream(IPropertyPackage package, double temperatureK, double pressurePa, params double[] flows)
    {
        var outcome = StreamFactory.AtTemperaturePressure(package, temperatureK, pressurePa, (double[])flows.Clone());
        Assert.True(outcome.Succeeded, outcome.Failure);
        return outcome.Stream!;
    }

    public static UnitResult Run(UnitOperation unit, IPropertyPackage package, params (string Port, MaterialStream Stream)[] inlets) =>
        unit.Calculate(new UnitContext
        {
            Package = package,
            Inlets = inlets.ToDictionary(i => i.Port, i => i.Stream),
            Parameters = unit.Parameters,
        });

    public static Dictionary<string, double> P(params (string Key, double Value)[] values) => values.ToDictionary(v => v.Key, v => v.Value);

    /// <summary>Asserts success and the unit's own balances, and checks them independently from the streams.</summary>
    public static UnitResult Balanced(UnitResult result, params MaterialStream[] inlets)
    {
        Assert.True(result.Succeeded, result.FailureReason);
        Assert.InRange(Math.Abs(result.MassBalanceRelative), 0, MassTolerance);
        Assert.InRange(Math.Abs(result.EnergyBalanceRelative), 0, EnergyTolerance);
        var massIn = inlets.Sum(s => s.MassFlow);
        var massOut = result.Outlets.Values.Sum(s => s.MassFlow);
        Assert.Equal(massIn, massOut, massIn * MassTolerance);
        var hIn = inlets.Sum(s => s.EnthalpyFlow);
        var hOut = result.Outlets.Values.Sum(s => s.EnthalpyFlow);
        var scale = Math.Max(Math.Max(Math.Abs(hIn), Math.Abs(hOut)), Math.Abs(result.DutyW) + Math.Abs(result.PowerW));
        Assert.InRange(Math.Abs(hIn + result.DutyW + result.PowerW - hOut), 0, EnergyTolerance * scale);
        return result;
    }

    public static void Refused(UnitResult result, string reasonFragment)
    {
        Assert.False(result.Succeeded);
        Assert.Contains(reasonFragment, result.FailureReason, StringComparison.OrdinalIgnoreCase);
    }
}
