using BenchmarkDotNet.Attributes;
using DeepSim.Engine.Components;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.Thermo.Steam;

namespace DeepSim.Engine.Benchmarks;

/// <summary>
/// IAPWS-IF97 property calls and the if97 package's flashes, against the ideal package's water-vapour enthalpy (the
/// baseline: the cheapest property call the engine had). Target: ≤ 0.5 µs per region-1/2 property call.
/// </summary>
[MemoryDiagnoser]
public class Iapws97Benchmarks
{
    private static readonly double[] Pure = [1.0];
    private IPropertyPackage ideal = null!;
    private IPropertyPackage if97 = null!;
    private double superheatedH, wetH;

    [GlobalSetup]
    public void Setup()
    {
        var water = ComponentDatabase.Default.Find("water")!;
        ideal = PropertyPackages.Create("ideal", [water]);
        if97 = PropertyPackages.Create("if97", [water]);
        superheatedH = if97.FlashPT(700, 3e6, Pure).EnthalpyJPerMol;
        wetH = if97.FlashPVF(1e5, 0.5, Pure).EnthalpyJPerMol;

        // Fail fast if a benchmarked state is not what its name says.
        Require(Iapws97.RegionPT(3e6, 300) == Iapws97Region.Region1 && Iapws97.RegionPT(3e6, 700) == Iapws97Region.Region2 && Iapws97.RegionPT(25e6, 650) == Iapws97Region.Region3);
        Require(if97.FlashPH(3e6, superheatedH, Pure).State == PhaseState.Vapor);
        Require(if97.FlashPH(1e5, wetH, Pure).State == PhaseState.TwoPhase);
    }

    private static void Require(bool ok)
    {
        if (!ok)
        {
            throw new InvalidOperationException("A benchmarked IF97 state is not in the region its name says.");
        }
    }

    [Benchmark(Baseline = true, Description = "Ideal package H of water vapour (T, P)")]
    public double IdealWaterEnthalpy() => ideal.Enthalpy(Phase.Vapor, 700, 3e6, Pure);

    [Benchmark(Description = "IF97 region 1 h(p, T)")]
    public double Region1Enthalpy() => Iapws97.SpecificEnthalpyJPerKg(3e6, 300);

    [Benchmark(Description = "IF97 region 2 h(p, T)")]
    public double Region2Enthalpy() => Iapws97.SpecificEnthalpyJPerKg(3e6, 700);

    [Benchmark(Description = "IF97 region 1 full state (v, h, u, s, cp, cv, w)")]
    public SteamState Region1State() => Iapws97.Region1(3e6, 300);

    [Benchmark(Description = "IF97 region 2 full state (v, h, u, s, cp, cv, w)")]
    public SteamState Region2State() => Iapws97.Region2(3e6, 700);

    [Benchmark(Description = "IF97 region 3 state (p, T), density by Newton")]
    public double Region3FromPT() => Iapws97.PT(25e6, 650).SpecificEnthalpyJPerKg;

    [Benchmark(Description = "if97 package PH flash, superheated steam")]
    public FlashResult PhSuperheated() => if97.FlashPH(3e6, superheatedH, Pure);

    [Benchmark(Description = "if97 package PH flash, wet steam")]
    public FlashResult PhWet() => if97.FlashPH(1e5, wetH, Pure);

    [Benchmark(Description = "if97 package PT flash, compressed liquid")]
    public FlashResult PtLiquid() => if97.FlashPT(300, 3e6, Pure);
}
