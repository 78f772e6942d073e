namespace DeepSim.Engine.Thermo;

/// <summary>Scratch arrays for one flash on one thread; rented per public call so packages stay thread-safe.</summary>
internal sealed class Workspace
{
    // A few workspaces per thread, one per component count, so alternating packages do not reallocate.
    private const int CachedPerThread = 4;

    [ThreadStatic]
    private static Workspace?[]? cached;

    public Workspace(int n)
    {
        Capacity = n;
        Z = new double[n];
        X = new double[n];
        Y = new double[n];
        K = new double[n];
        LnK = new double[n];
        LnKPrev = new double[n];
        Delta = new double[n];
        DeltaPrev = new double[n];
        LnPhiL = new double[n];
        LnPhiV = new double[n];
        LnPhiZ = new double[n];
        W = new double[n];
        D = new double[n];
        U = new double[n];
        Q = new double[n];
        DQ = new double[n];
        HIg = new double[n];
        SIg = new double[n];
        LnPsat = new double[n];
        HVap = new double[n];
        Tmp = new double[n];
        VL = new double[n];
        GammaS = new double[n];
        GammaC = new double[n];
        LnGammaAlt = new double[n];
        PairTau = new double[n * n];
        PairG = new double[n * n];
        PairTauAlt = new double[n * n];
        PairGAlt = new double[n * n];
        X2 = new double[n];
        LnZ = new double[n];
        XQ = new double[n];
        MemoX = [new double[n], new double[n]];
        NewtonV = new double[n];
        NewtonVBase = new double[n];
        NewtonStep = new double[n];
        NewtonIdeal = new double[n];
        NewtonRow = new double[n];
        PressureDerivative = new double[n];
        PressureDerivativeV = new double[n];
        HessianW = new double[n];
        NewtonPivot = new double[n];
        NewtonBaseLnPhiL = new double[n];
        NewtonBaseLnPhiV = new double[n];
        Hessian = new double[n * n];
    }

    public int Capacity { get; }

    public double[] Z, LnZ, XQ, X, Y, K, LnK, LnKPrev, Delta, DeltaPrev, LnPhiL, LnPhiV, LnPhiZ, W, D, U, Q, DQ, HIg, SIg, LnPsat, HVap, Tmp, VL;

    // Activity models: column sums, ln γ at a shifted T, and the n×n (row-major) temperature-dependent pair parameters
    // at the prepared T and at a shifted T (for the excess enthalpy's temperature derivative).
    public double[] GammaS, GammaC, LnGammaAlt, PairTau, PairG, PairTauAlt, PairGAlt;

    // Second-order phase split (cubics): vapour mole numbers per mole of feed, the last accepted ones, the Newton step, the
    // Hessian's ideal diagonal zᵢ/(xᵢyᵢ), a row of L·D (LDLᵀ scratch), the n×n (row-major) Hessian of the Gibbs energy, and
    // its low-rank pieces from the two phases' composition derivatives: ∂P/∂nᵢ of each phase with its weight, the summed
    // linear terms and the weight of aᵢⱼ.
    public double[] NewtonV, NewtonVBase, NewtonStep, NewtonIdeal, NewtonRow, Hessian, PressureDerivative, PressureDerivativeV, HessianW;

    // The cubic split's last evaluation of each phase (0: the one in X, 1: in Y): root, mixture a and b, da/dT, ln(Z − B)
    // and the log term, whether the root was the smallest of two or the only one; and, once the split has converged, the
    // compositions they belong to (MemoX) with T, P and the package. H and S of the answer reuse them (no root solve).
    public readonly double[] MemoZ = new double[2], MemoA = new double[2], MemoB = new double[2], MemoDaDt = new double[2], MemoLnZB = new double[2], MemoLog = new double[2];
    public readonly bool[] MemoSmallest = new bool[2], MemoSingle = new bool[2];
    public readonly double[][] MemoX;
    public object? MemoFor;
    public double MemoTemperatureK, MemoPressurePa;

    // Reciprocal LDLᵀ pivots, and ln φ of both phases at the last accepted Newton iterate (for its Gibbs energy).
    public double[] NewtonPivot, NewtonBaseLnPhiL, NewtonBaseLnPhiV;
    public double HessianPressureWeight, HessianPressureWeightV, HessianAttractionWeight;

    // UNIFAC: Ψ and the pure components' ln Γ at the prepared T and at a shifted T, and the group scratch; sized by the
    // package on first use (the group count is the package's, not n).
    public double[] UnifacPrepared = [], UnifacAlt = [], UnifacScratch = [];

    // Flash outcome written by the core PT flash and the saturation solvers.
    public double Beta;
    public PhaseState State;
    public Phase SinglePhase;

    // The second (heavier) liquid of a LiquidLiquid or ThreePhase result and its molar fraction (0 when absent).
    public double[] X2;
    public double Beta2;

    // Scratch of the three-phase machinery, created on first use (most flashes never need it).
    public MultiphaseScratch? Multi;

    // Which cubic root each phase of a two-phase result uses (true = smallest, liquid-like); PR can split into two liquids.
    public bool XSmallest = true;
    public bool YSmallest;
    public int Iterations;

    // Temperature-dependent parameters are cached for (package, T); a different package or T recomputes them.
    public object? PreparedFor;
    public double PreparedTemperatureK = double.NaN;
    public object? IdealGasFor;
    public double IdealGasTemperatureK = double.NaN;

    public static Workspace Rent(int n)
    {
        var slots = cached ??= new Workspace?[CachedPerThread];
        for (var i = 0; i < slots.Length; i++)
        {
            if (slots[i] is { } ws && ws.Capacity == n)
            {
                slots[i] = null; // a nested call on this thread gets its own workspace instead of sharing this one
                return ws;
            }
        }

        return new Workspace(n);
    }

    public static void Return(Workspace ws)
    {
        var slots = cached ??= new Workspace?[CachedPerThread];
        var free = -1;
        for (var i = 0; i < slots.Length; i++)
        {
            if (slots[i] is null)
            {
                free = i;
                break;
            }
        }

        slots[free >= 0 ? free : ws.Capacity % slots.Length] = ws;
    }
}

/// <summary>Arrays of the multiphase (vapour–liquid–liquid) flash: up to three phases of n components.</summary>
internal sealed class MultiphaseScratch(int n)
{
    public const int MaxPhases = 3;

    public readonly double[][] X = [new double[n], new double[n], new double[n]];
    public readonly double[][] LnPhi = [new double[n], new double[n], new double[n]];
    public readonly double[][] LnPhiPrev = [new double[n], new double[n], new double[n]];
    public readonly double[][] E = [new double[n], new double[n], new double[n]];
    public readonly Phase[] Kind = new Phase[MaxPhases];
    public readonly double[] Beta = new double[MaxPhases];
    public readonly double[] Trial = new double[n];
    public readonly double[] LnW = new double[n];
    public readonly double[] LnPhiW = new double[n];
    public readonly double[] D = new double[n];
    public readonly double[] S = new double[n];
    public readonly double[] PureLnPhi = new double[n * n];

    // A package's own PairScores data of each pure component at (PureFor, PureTemperatureK, PurePressurePa), which depend
    // on T and P only, so repeated flashes at one state reuse them: whether it has a liquid, and for a cubic Z − 1, the
    // attraction term and 1/√a of that liquid.
    public readonly double[] PureA = new double[n], PureB = new double[n], PureC = new double[n];
    public readonly bool[] PureLiquid = new bool[n];
    public object? PureFor;
    public double PureTemperatureK = double.NaN, PurePressurePa = double.NaN;
    public readonly double[] Score = new double[n];
    public readonly bool[] Liquid = new bool[n];
    public int Phases;
}
