using System.Diagnostics;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.Benchmarks;

/// <summary>
/// The fastest of many short batches per flash: on a shared machine preemption only ever adds time, so the minimum
/// approximates the undisturbed cost. A complement to BenchmarkDotNet's mean, not a replacement.
/// </summary>
public static class MinOfBatches
{
    private const int Batches = 300;

    public static void Run()
    {
        var b = new FlashBenchmarks();
        b.Setup();
        Report("PR PT 5 comp, two-phase, substitution only", () => b.PrPt5TwoPhaseSubstitution(), 200);
        Report("PR PT 5 comp, two-phase", () => b.PrPt5TwoPhase(), 200);
        Report("PR PT 5 comp, two-phase, rounded-1976 constants", () => b.PrPt5TwoPhaseRounded(), 200);
        Report("SRK PT 5 comp, two-phase, substitution only", () => b.SrkPt5TwoPhaseSubstitution(), 200);
        Report("SRK PT 5 comp, two-phase", () => b.SrkPt5TwoPhase(), 200);
        Report("PR PT 5 comp, two-phase, varying T", () => b.PrPt5TwoPhaseVaryingT(), 200);
        Report("PR PT 10 comp, two-phase, substitution only", () => b.PrPt10TwoPhaseSubstitution(), 200);
        Report("PR PT 10 comp, two-phase", () => b.PrPt10TwoPhase(), 200);
        Report("SRK PT 10 comp, two-phase, substitution only", () => b.SrkPt10TwoPhaseSubstitution(), 200);
        Report("SRK PT 10 comp, two-phase", () => b.SrkPt10TwoPhase(), 200);
        Report("PR PT 10 comp, two-phase, caller buffers", () => b.PrPt10TwoPhaseBuffered(), 200);
        Report("PR PT 5 comp, stable vapour", () => b.PrPt5SinglePhase(), 500);
        Report("PR PH 5 comp, two-phase", () => b.PrPh5(), 20);
        Report("Ideal PT benzene-toluene, two-phase", () => b.IdealPtBtx(), 2000);
        Report("PR PT 5 comp, three-phase (water, gas, condensate)", () => b.PrPt5ThreePhase(), 50);
        Report("NRTL PT 3 comp (methanol, ethanol, water), two-phase", () => b.NrtlPt3TwoPhase(), 200);
        Report("NRTL PT water/1-butanol, two liquids", () => b.NrtlPtLiquidLiquid(), 50);

        var steam = new Iapws97Benchmarks();
        steam.Setup();
        Report("Ideal package H of water vapour (T, P)", () => steam.IdealWaterEnthalpy(), 5000);
        Report("IF97 region 1 h(p, T)", () => steam.Region1Enthalpy(), 5000);
        Report("IF97 region 2 h(p, T)", () => steam.Region2Enthalpy(), 5000);
        Report("IF97 region 1 full state", () => steam.Region1State(), 5000);
        Report("IF97 region 2 full state", () => steam.Region2State(), 5000);
        Report("IF97 region 3 state (p, T), density by Newton", () => steam.Region3FromPT(), 1000);
        Report("if97 package PH flash, superheated steam", () => steam.PhSuperheated(), 1000);
        Report("if97 package PH flash, wet steam", () => steam.PhWet(), 1000);
        Report("if97 package PT flash, compressed liquid", () => steam.PtLiquid(), 2000);
    }

    private static void Report<T>(string name, Func<T> flash, int perBatch)
    {
        for (var i = 0; i < perBatch * 5; i++)
        {
            flash(); // warm up and tier up the JIT
        }

        var best = double.MaxValue;
        var sw = new Stopwatch();
        for (var batch = 0; batch < Batches; batch++)
        {
            sw.Restart();
            for (var i = 0; i < perBatch; i++)
            {
                flash();
            }

            best = Math.Min(best, sw.Elapsed.TotalMicroseconds / perBatch);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        flash();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Console.WriteLine($"| {name,-42} | {best,8:F2} µs | {allocated,6} B |");
    }
}
