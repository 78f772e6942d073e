using BenchmarkDotNet.Attributes;
using DeepSim.Engine.Components;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.Benchmarks;

/// <summary>
/// Flash timings against the 5-component two-phase PR PT flash converged by successive substitution only (the baseline:
/// the cubic flash before second-order steps, same package otherwise). Each flash includes the Michelsen stability test,
/// the three-phase screen and the enthalpy and entropy of the result. "Varying T" alternates the temperature so the
/// per-temperature parameter cache cannot help, which is the situation inside PH flashes and column sweeps.
/// </summary>
[MemoryDiagnoser]
public class FlashBenchmarks
{
    private static readonly string[] Gas5 = ["methane", "ethane", "propane", "n-butane", "n-pentane"];
    private static readonly string[] WaterGas5 = ["water", "methane", "propane", "n-hexane", "n-octane"];
    private static readonly string[] Alcohols3 = ["methanol", "ethanol", "water"];
    private static readonly string[] Alkanes10 = ["methane", "ethane", "propane", "n-butane", "n-pentane", "n-hexane", "n-heptane", "n-octane", "n-nonane", "n-decane"];

    private readonly double[] z5 = [0.5, 0.2, 0.15, 0.1, 0.05];
    private readonly double[] zBtx = [0.5, 0.5];
    private readonly double[] zWaterGas5 = [0.4, 0.3, 0.1, 0.1, 0.1];
    private readonly double[] zAlcohols3 = [0.2, 0.2, 0.6];
    private readonly double[] zWaterButanol = [0.7, 0.3];
    private IPropertyPackage prWaterGas5 = null!;
    private IPropertyPackage nrtlAlcohols3 = null!;
    private IPropertyPackage nrtlWaterButanol = null!;
    private readonly double[] z10 = [0.35, 0.1, 0.08, 0.07, 0.07, 0.07, 0.07, 0.07, 0.06, 0.06];
    private IPropertyPackage pr5 = null!;
    private IPropertyPackage pr10 = null!;
    private IPropertyPackage idealBtx = null!;
    private IPropertyPackage pr5Rounded = null!;
    private IPropertyPackage srk5 = null!;
    private IPropertyPackage srk10 = null!;
    private IPropertyPackage pr5Substitution = null!;
    private IPropertyPackage srk5Substitution = null!;
    private IPropertyPackage pr10Substitution = null!;
    private IPropertyPackage srk10Substitution = null!;
    private readonly double[] x10 = new double[10];
    private readonly double[] y10 = new double[10];
    private double enthalpy5;
    private int counter;

    [GlobalSetup]
    public void Setup()
    {
        pr5 = Create("peng-robinson", Gas5);
        pr10 = Create("peng-robinson", Alkanes10);
        idealBtx = Create("ideal", ["benzene", "toluene"]);
        pr5Rounded = PropertyPackages.Create("peng-robinson", [.. Gas5.Select(n => ComponentDatabase.Default.Find(n)!)], new PropertyPackageOptions { Constants = CubicConstants.Rounded1976 });
        srk5 = Create("srk", Gas5);
        srk10 = Create("srk", Alkanes10);
        pr5Substitution = Substitution(pr5);
        srk5Substitution = Substitution(srk5);
        pr10Substitution = Substitution(pr10);
        srk10Substitution = Substitution(srk10);
        prWaterGas5 = Create("peng-robinson", WaterGas5);
        nrtlAlcohols3 = Create("nrtl", Alcohols3);
        nrtlWaterButanol = Create("nrtl", ["water", "1-butanol"]);
        enthalpy5 = pr5.FlashPT(260, 4e6, z5).EnthalpyJPerMol;

        // Fail fast if a benchmarked state is not what its name says.
        Require(pr5.FlashPT(250, 4e6, z5), PhaseState.TwoPhase);
        Require(pr10.FlashPT(350, 2e6, z10), PhaseState.TwoPhase);
        Require(pr5.FlashPT(400, 1e5, z5), PhaseState.Vapor);
        Require(pr5.FlashPH(4e6, enthalpy5, z5), PhaseState.TwoPhase);
        Require(pr5Rounded.FlashPT(250, 4e6, z5), PhaseState.TwoPhase);
        Require(srk5.FlashPT(250, 4e6, z5), PhaseState.TwoPhase);
        Require(srk10.FlashPT(350, 2e6, z10), PhaseState.TwoPhase);
        Require(pr5Substitution.FlashPT(250, 4e6, z5), PhaseState.TwoPhase);
        Require(srk5Substitution.FlashPT(250, 4e6, z5), PhaseState.TwoPhase);
        Require(pr10Substitution.FlashPT(350, 2e6, z10), PhaseState.TwoPhase);
        Require(srk10Substitution.FlashPT(350, 2e6, z10), PhaseState.TwoPhase);
        Require(prWaterGas5.FlashPT(320, 2e6, zWaterGas5), PhaseState.ThreePhase);
        Require(nrtlAlcohols3.FlashPT(360, 101325, zAlcohols3), PhaseState.TwoPhase);
        Require(nrtlWaterButanol.FlashPT(330, 101325, zWaterButanol), PhaseState.LiquidLiquid);
    }

    // The same package with the two-phase split converged by accelerated successive substitution only.
    private static IPropertyPackage Substitution(IPropertyPackage package)
        => ((CubicPackage)package).WithPhaseSplit(PhaseSplitMethod.SuccessiveSubstitution);

    private static IPropertyPackage Create(string package, string[] names)
        => PropertyPackages.Create(package, [.. names.Select(n => ComponentDatabase.Default.Find(n)!)]);

    private static void Require(FlashResult r, PhaseState state)
    {
        if (!r.Converged || r.State != state)
        {
            throw new InvalidOperationException($"Benchmark state is {r.State} ({r.FailureReason}), expected {state}.");
        }
    }

    [Benchmark(Baseline = true, Description = "PR PT 5 comp, two-phase, substitution only")]
    public FlashResult PrPt5TwoPhaseSubstitution() => pr5Substitution.FlashPT(250, 4e6, z5);

    [Benchmark(Description = "PR PT 5 comp, two-phase")]
    public FlashResult PrPt5TwoPhase() => pr5.FlashPT(250, 4e6, z5);

    [Benchmark(Description = "SRK PT 5 comp, two-phase, substitution only")]
    public FlashResult SrkPt5TwoPhaseSubstitution() => srk5Substitution.FlashPT(250, 4e6, z5);

    [Benchmark(Description = "PR PT 5 comp, two-phase, rounded-1976 constants")]
    public FlashResult PrPt5TwoPhaseRounded() => pr5Rounded.FlashPT(250, 4e6, z5);

    [Benchmark(Description = "SRK PT 5 comp, two-phase")]
    public FlashResult SrkPt5TwoPhase() => srk5.FlashPT(250, 4e6, z5);

    [Benchmark(Description = "PR PT 5 comp, two-phase, varying T")]
    public FlashResult PrPt5TwoPhaseVaryingT() => pr5.FlashPT(250 + ((++counter & 1) * 0.5), 4e6, z5);

    [Benchmark(Description = "PR PT 10 comp, two-phase, substitution only")]
    public FlashResult PrPt10TwoPhaseSubstitution() => pr10Substitution.FlashPT(350, 2e6, z10);

    [Benchmark(Description = "PR PT 10 comp, two-phase")]
    public FlashResult PrPt10TwoPhase() => pr10.FlashPT(350, 2e6, z10);

    [Benchmark(Description = "SRK PT 10 comp, two-phase, substitution only")]
    public FlashResult SrkPt10TwoPhaseSubstitution() => srk10Substitution.FlashPT(350, 2e6, z10);

    [Benchmark(Description = "SRK PT 10 comp, two-phase")]
    public FlashResult SrkPt10TwoPhase() => srk10.FlashPT(350, 2e6, z10);

    [Benchmark(Description = "PR PT 10 comp, two-phase, caller buffers")]
    public double PrPt10TwoPhaseBuffered() => ((IBufferedFlash)pr10).FlashPT(350, 2e6, z10, x10, y10).VaporFraction;

    [Benchmark(Description = "PR PT 5 comp, stable vapour")]
    public FlashResult PrPt5SinglePhase() => pr5.FlashPT(400, 1e5, z5);

    [Benchmark(Description = "PR PH 5 comp, two-phase")]
    public FlashResult PrPh5() => pr5.FlashPH(4e6, enthalpy5, z5);

    [Benchmark(Description = "PR PT 5 comp, three-phase (water, gas, condensate)")]
    public FlashResult PrPt5ThreePhase() => prWaterGas5.FlashPT(320, 2e6, zWaterGas5);

    [Benchmark(Description = "NRTL PT 3 comp (methanol, ethanol, water), two-phase")]
    public FlashResult NrtlPt3TwoPhase() => nrtlAlcohols3.FlashPT(360, 101325, zAlcohols3);

    [Benchmark(Description = "NRTL PT water/1-butanol, two liquids")]
    public FlashResult NrtlPtLiquidLiquid() => nrtlWaterButanol.FlashPT(330, 101325, zWaterButanol);

    [Benchmark(Description = "Ideal PT benzene-toluene, two-phase")]
    public FlashResult IdealPtBtx() => idealBtx.FlashPT(368, 101325, zBtx);
}
