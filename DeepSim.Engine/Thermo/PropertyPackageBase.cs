using DeepSim.Engine.Components;
using DeepSim.Engine.Numerics;

namespace DeepSim.Engine.Thermo;

/// <summary>
/// What every package shares: input validation, ideal-gas properties on the formation reference state, and the
/// PH / PS / PVF / TVF flashes built on a package's own PT flash and fugacity model.
/// </summary>
internal abstract partial class PropertyPackageBase : IPropertyPackage, IFugacityModel, IBufferedFlash
{
    protected const double R = FlashSettings.GasConstant;
    protected const double TRef = FlashSettings.ReferenceTemperatureK;
    protected const double PRef = FlashSettings.ReferencePressurePa;

    // The Wilson estimate only seeds the vapour-fraction solve, so 1e-6 relative width is ample; bisecting the log of
    // the widest search range (13 decades of pressure) that far takes about 25 steps, so 100 never binds.
    private const int WilsonBisectionMaxSteps = 100;
    private const double WilsonBisectionRelativeWidth = 1e-6;

    protected readonly Component[] components;
    protected readonly int n;
    protected readonly double[] tc, pc, omega, mw, hf;

    // Ideal-gas Cp is integrated as published inside [Tmin, Tmax] and held constant outside it, so H and S stay finite.
    private readonly Correlation?[] cp;
    private readonly double[] cpLoT, cpHiT, cpLo, cpHi, hRefOffset, sRefOffset;

    protected PropertyPackageBase(IReadOnlyList<Component> components)
    {
        ArgumentNullException.ThrowIfNull(components);
        if (components.Count == 0)
        {
            throw new ArgumentException("A property package needs at least one component.", nameof(components));
        }

        this.components = [.. components];
        n = this.components.Length;
        tc = new double[n];
        pc = new double[n];
        omega = new double[n];
        mw = new double[n];
        hf = new double[n];
        cp = new Correlation?[n];
        cpLoT = new double[n];
        cpHiT = new double[n];
        cpLo = new double[n];
        cpHi = new double[n];
        hRefOffset = new double[n];
        sRefOffset = new double[n];
        for (var i = 0; i < n; i++)
        {
            var c = this.components[i] ?? throw new ArgumentException($"Component {i} is null.", nameof(components));
            if (!(c.CriticalTemperatureK > 0) || !(c.CriticalPressurePa > 0) || !double.IsFinite(c.AcentricFactor) || !(c.MolarMass > 0))
            {
                throw new ArgumentException($"Component '{c.Name}' needs positive Tc, Pc, molar mass and a finite acentric factor.", nameof(components));
            }

            tc[i] = c.CriticalTemperatureK;
            pc[i] = c.CriticalPressurePa;
            omega[i] = c.AcentricFactor;
            mw[i] = c.MolarMass;
            hf[i] = double.IsFinite(c.FormationEnthalpy) ? c.FormationEnthalpy : 0;
            cp[i] = c.IdealGasHeatCapacity ?? throw new ArgumentException($"Component '{c.Name}' has no ideal-gas heat capacity correlation.", nameof(components));
            var corr = cp[i]!;
            cpLoT[i] = corr.MinTemperatureK;
            cpHiT[i] = corr.MaxTemperatureK;
            cpLo[i] = corr.Evaluate(corr.MinTemperatureK);
            cpHi[i] = corr.Evaluate(corr.MaxTemperatureK);
            if (!double.IsFinite(cpLo[i]) || !double.IsFinite(cpHi[i]))
            {
                throw new ArgumentException($"Component '{c.Name}' has an ideal-gas Cp that is not finite over its range.", nameof(components));
            }

            CpIntegrals(i, TRef, out hRefOffset[i], out sRefOffset[i]);
        }
    }

    public abstract string Name { get; }

    public IReadOnlyList<Component> Components => components;

    public double MolarMass(ReadOnlySpan<double> moleFractions)
    {
        if (moleFractions.Length != n)
        {
            throw new ArgumentException($"Expected {n} mole fractions, got {moleFractions.Length}.", nameof(moleFractions));
        }

        double m = 0;
        for (var i = 0; i < n; i++)
        {
            m += moleFractions[i] * mw[i];
        }

        return m;
    }

    /// <remarks>Throws ArgumentException for invalid T, P or composition (a property call has no result object to carry a reason).</remarks>
    public double Enthalpy(Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> moleFractions)
        => PhaseProperty(phase, temperatureK, pressurePa, moleFractions, entropy: false);

    public double Entropy(Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> moleFractions)
        => PhaseProperty(phase, temperatureK, pressurePa, moleFractions, entropy: true);

    private double PhaseProperty(Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> moleFractions, bool entropy)
    {
        ThrowIfInvalidState(temperatureK, pressurePa, moleFractions);
        var ws = Workspace.Rent(n);
        try
        {
            Normalize(moleFractions, ws.Tmp);
            Prepare(ws, temperatureK);
            return entropy
                ? PhaseEntropy(ws, phase, temperatureK, pressurePa, ws.Tmp)
                : PhaseEnthalpy(ws, phase, temperatureK, pressurePa, ws.Tmp);
        }
        finally
        {
            Workspace.Return(ws);
        }
    }

    public void LnFugacityCoefficients(Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> moleFractions, Span<double> lnPhi)
    {
        ThrowIfInvalidState(temperatureK, pressurePa, moleFractions);
        if (lnPhi.Length != n)
        {
            throw new ArgumentException($"Expected room for {n} coefficients, got {lnPhi.Length}.", nameof(lnPhi));
        }

        var ws = Workspace.Rent(n);
        try
        {
            Normalize(moleFractions, ws.Tmp);
            Prepare(ws, temperatureK);
            LnPhi(ws, phase, temperatureK, pressurePa, ws.Tmp, lnPhi);
        }
        finally
        {
            Workspace.Return(ws);
        }
    }

    /// <summary>
    /// The ideal-gas mixture at T and P on the package's reference state: H = Σ xᵢ Hᵢ^ig(T), J/mol, and
    /// S = Σ xᵢ Sᵢ°(T) − R ln(P/P0) − R Σ xᵢ ln xᵢ, J/(mol K); residual properties are a phase's value minus these.
    /// </summary>
    internal void IdealGasMixture(double temperatureK, double pressurePa, ReadOnlySpan<double> moleFractions, out double enthalpyJPerMol, out double entropyJPerMolK, out double cpJPerMolK)
    {
        ThrowIfInvalidState(temperatureK, pressurePa, moleFractions);
        var ws = Workspace.Rent(n);
        try
        {
            var x = ws.Tmp;
            Normalize(moleFractions, x);
            IdealGas(ws, temperatureK);
            double h = 0, s = 0;
            for (var i = 0; i < n; i++)
            {
                h += x[i] * ws.HIg[i];
                s += x[i] * ws.SIg[i];
            }

            enthalpyJPerMol = h;
            entropyJPerMolK = s - (R * Math.Log(pressurePa / PRef)) + MixingEntropy(x);
            cpJPerMolK = IdealGasHeatCapacity(x, temperatureK);
        }
        finally
        {
            Workspace.Return(ws);
        }
    }

    public FlashResult FlashPT(double temperatureK, double pressurePa, ReadOnlySpan<double> z)
    {
        var invalid = ValidateTemperature(temperatureK) ?? ValidatePressure(pressurePa) ?? ValidateComposition(z);
        if (invalid is not null)
        {
            return Failed(invalid, temperatureK, pressurePa);
        }

        var ws = Workspace.Rent(n);
        try
        {
            Normalize(z, ws.Z);
            return FlashPhasesPT(ws, temperatureK, pressurePa, out var reason)
                ? BuildResult(ws, temperatureK, pressurePa)
                : Failed(reason!, temperatureK, pressurePa, ws.Iterations);
        }
        finally
        {
            Workspace.Return(ws);
        }
    }

    public FlashSummary FlashPT(double temperatureK, double pressurePa, ReadOnlySpan<double> z, Span<double> liquidComposition, Span<double> vaporComposition)
    {
        var invalid = ValidateTemperature(temperatureK) ?? ValidatePressure(pressurePa) ?? ValidateComposition(z)
            ?? (liquidComposition.Length < n || vaporComposition.Length < n ? $"Composition buffers need room for {n} components." : null);
        if (invalid is not null)
        {
            return new FlashSummary(false, default, temperatureK, pressurePa, double.NaN, double.NaN, double.NaN, 0, invalid);
        }

        var ws = Workspace.Rent(n);
        try
        {
            Normalize(z, ws.Z);
            if (!FlashPhasesPT(ws, temperatureK, pressurePa, out var reason))
            {
                return new FlashSummary(false, default, temperatureK, pressurePa, double.NaN, double.NaN, double.NaN, ws.Iterations, reason);
            }

            MixtureProperties(ws, temperatureK, pressurePa, out var h, out var s);
            if (!double.IsFinite(h) || !double.IsFinite(s))
            {
                return new FlashSummary(false, default, temperatureK, pressurePa, double.NaN, double.NaN, double.NaN, ws.Iterations, $"Enthalpy or entropy is not finite at T = {temperatureK} K, P = {pressurePa} Pa.");
            }

            var split = ws.State is PhaseState.TwoPhase or PhaseState.LiquidLiquid or PhaseState.ThreePhase;
            ws.Z.AsSpan(0, n).CopyTo(liquidComposition);
            ws.Z.AsSpan(0, n).CopyTo(vaporComposition);
            if (split)
            {
                ws.X.AsSpan(0, n).CopyTo(liquidComposition);
                ws.Y.AsSpan(0, n).CopyTo(vaporComposition);
            }

            return new FlashSummary(true, ws.State, temperatureK, pressurePa, ws.Beta, h, s, ws.Iterations, null);
        }
        finally
        {
            Workspace.Return(ws);
        }
    }

    public FlashResult FlashPH(double pressurePa, double enthalpyJPerMol, ReadOnlySpan<double> z, double temperatureGuessK = double.NaN)
        => FlashPX(pressurePa, enthalpyJPerMol, z, temperatureGuessK, entropy: false);

    public FlashResult FlashPS(double pressurePa, double entropyJPerMolK, ReadOnlySpan<double> z, double temperatureGuessK = double.NaN)
        => FlashPX(pressurePa, entropyJPerMolK, z, temperatureGuessK, entropy: true);

    public FlashResult FlashTVF(double temperatureK, double vaporFraction, ReadOnlySpan<double> z)
        => FlashVaporFraction(solveForTemperature: false, fixedValue: temperatureK, vaporFraction, z);

    public FlashResult FlashPVF(double pressurePa, double vaporFraction, ReadOnlySpan<double> z)
        => FlashVaporFraction(solveForTemperature: true, fixedValue: pressurePa, vaporFraction, z);

    // fixedValue is the pressure (Pa) when solving for temperature, else the temperature (K).
    private FlashResult FlashVaporFraction(bool solveForTemperature, double fixedValue, double vaporFraction, ReadOnlySpan<double> z)
    {
        var invalid = (solveForTemperature ? ValidatePressure(fixedValue) : ValidateTemperature(fixedValue))
            ?? ValidateVaporFraction(vaporFraction) ?? ValidateComposition(z);
        if (invalid is not null)
        {
            return solveForTemperature ? Failed(invalid, double.NaN, fixedValue) : Failed(invalid, fixedValue, double.NaN);
        }

        var ws = Workspace.Rent(n);
        try
        {
            Normalize(z, ws.Z);
            var result = SolveVaporFraction(ws, vaporFraction, solveForTemperature, fixedValue, out _)!;
            if (result.Converged || PureIndex(ws.Z) >= 0)
            {
                return result;
            }

            // The two-phase search found nothing: where two liquids take part (water with hydrocarbons) the answer lies
            // across three phases, searched from the Wilson estimate; its failure keeps the two-phase reason.
            var wilson = WilsonSaturation(ws, solveForTemperature, fixedValue, vaporFraction);
            var what = vaporFraction == 0 ? "bubble point" : vaporFraction == 1 ? "dew point" : $"vapour fraction {vaporFraction}";
            var three = SolveThreePhaseVaporFraction(ws, vaporFraction, solveForTemperature, fixedValue, solveForTemperature ? wilson : Math.Log(wilson), what);
            return three.Converged ? three : result;
        }
        finally
        {
            Workspace.Return(ws);
        }
    }

    // ---- what each package supplies ----

    /// <summary>Computes temperature-dependent component parameters into the workspace (called through <see cref="Prepare"/>).</summary>
    protected abstract void PrepareTemperature(Workspace ws, double temperatureK);

    /// <summary>PT flash on ws.Z: sets ws.X, ws.Y, ws.Beta, ws.State, ws.SinglePhase, ws.Iterations.</summary>
    protected abstract bool CoreFlashPT(Workspace ws, double temperatureK, double pressurePa, out string? failureReason);

    protected abstract double PhaseEnthalpy(Workspace ws, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x);

    protected abstract double PhaseEntropy(Workspace ws, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x);

    /// <summary>Both of the above; a package whose H and S share an expensive step (a cubic's root) computes them together.</summary>
    protected virtual void PhaseEnthalpyEntropy(Workspace ws, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x, out double enthalpyJPerMol, out double entropyJPerMolK)
    {
        enthalpyJPerMol = PhaseEnthalpy(ws, phase, temperatureK, pressurePa, x);
        entropyJPerMolK = PhaseEntropy(ws, phase, temperatureK, pressurePa, x);
    }

    /// <summary>ln φ of every component in a phase of composition x (liquid = smallest root, vapour = largest).</summary>
    protected abstract void LnPhi(Workspace ws, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x, Span<double> lnPhi);

    /// <summary>Wilson-type K estimate used to start the vapour-fraction solves.</summary>
    protected virtual double EstimateLnK(Workspace ws, int i, double temperatureK, double pressurePa)
        => Math.Log(pc[i] / pressurePa) + (5.373 * (1 + omega[i]) * (1 - (tc[i] / temperatureK)));

    /// <summary>True when K depends on composition (an EOS); false for Raoult's law where one pass is exact.</summary>
    protected virtual bool CompositionDependentK => true;

    /// <summary>
    /// True when identical phase compositions mean the trivial (critical) solution of one equation for both phases;
    /// false for γ–φ packages, whose liquid and vapour are different models, so K = 1 is a real azeotrope.
    /// </summary>
    protected virtual bool IdenticalPhasesAreTrivial => CompositionDependentK;

    /// <summary>Saturation of a pure component by the package's own model, for packages whose mixture route degenerates.</summary>
    protected virtual bool TrySaturationPressure(Workspace ws, int component, double temperatureK, out double pressurePa, out string? reason)
    {
        pressurePa = double.NaN;
        reason = null;
        return false;
    }

    protected virtual bool UsesPureSaturationRoute => false;

    // ---- shared machinery ----

    protected void Prepare(Workspace ws, double temperatureK)
    {
        if (!ReferenceEquals(ws.PreparedFor, this) || ws.PreparedTemperatureK != temperatureK)
        {
            PrepareTemperature(ws, temperatureK);
            ws.PreparedFor = this;
            ws.PreparedTemperatureK = temperatureK;
        }
    }

    /// <summary>Ideal-gas H (J/mol, formation basis) and S° at 101325 Pa (J/mol/K, 0 at the reference) of each component into ws.HIg / ws.SIg.</summary>
    protected void IdealGas(Workspace ws, double temperatureK)
    {
        if (ReferenceEquals(ws.IdealGasFor, this) && ws.IdealGasTemperatureK == temperatureK)
        {
            return;
        }

        for (var i = 0; i < n; i++)
        {
            CpIntegrals(i, temperatureK, out var h, out var s);
            ws.HIg[i] = hf[i] + h - hRefOffset[i];
            ws.SIg[i] = s - sRefOffset[i];
        }

        ws.IdealGasFor = this;
        ws.IdealGasTemperatureK = temperatureK;
    }

    /// <summary>Ideal-gas mixture heat capacity Σ xᵢ Cpᵢ (J/mol/K), Cp held constant outside its range.</summary>
    protected double IdealGasHeatCapacity(ReadOnlySpan<double> x, double temperatureK)
    {
        double c = 0;
        for (var i = 0; i < n; i++)
        {
            var t = Math.Clamp(temperatureK, cpLoT[i], cpHiT[i]);
            c += x[i] * cp[i]!.Evaluate(t);
        }

        return c;
    }

    // ∫Cp dT and ∫Cp/T dT from Tmin of the correlation to T, with constant Cp beyond the range ends.
    private void CpIntegrals(int i, double temperatureK, out double h, out double s)
    {
        var lo = cpLoT[i];
        var hi = cpHiT[i];
        var t = Math.Clamp(temperatureK, lo, hi);
        cp[i]!.Integrals(lo, t, out h, out s);
        if (temperatureK < lo)
        {
            h += cpLo[i] * (temperatureK - lo);
            s += cpLo[i] * Math.Log(temperatureK / lo);
        }
        else if (temperatureK > hi)
        {
            h += cpHi[i] * (temperatureK - hi);
            s += cpHi[i] * Math.Log(temperatureK / hi);
        }
    }

    protected static double MixingEntropy(ReadOnlySpan<double> x)
    {
        double s = 0;
        for (var i = 0; i < x.Length; i++)
        {
            if (x[i] > 0)
            {
                s -= x[i] * Math.Log(x[i]);
            }
        }

        return R * s;
    }

    protected (double Tpc, double Ppc) PseudoCritical(ReadOnlySpan<double> z)
    {
        double t = 0, p = 0;
        for (var i = 0; i < n; i++)
        {
            t += z[i] * tc[i];
            p += z[i] * pc[i];
        }

        return (t, p);
    }

    /// <summary>Index of the only component present, or −1 for a mixture.</summary>
    protected int PureIndex(ReadOnlySpan<double> z)
    {
        var index = -1;
        for (var i = 0; i < n; i++)
        {
            if (z[i] > 0)
            {
                if (index >= 0)
                {
                    return -1;
                }

                index = i;
            }
        }

        return index;
    }

    private double MixtureProperty(Workspace ws, double temperatureK, double pressurePa, bool entropy)
    {
        Prepare(ws, temperatureK);
        if (ws.State is PhaseState.LiquidLiquid or PhaseState.ThreePhase)
        {
            var v = ws.Beta > 0 ? (entropy ? PhaseEntropy(ws, Phase.Vapor, temperatureK, pressurePa, ws.Y) : PhaseEnthalpy(ws, Phase.Vapor, temperatureK, pressurePa, ws.Y)) : 0;
            var l1 = entropy ? PhaseEntropy(ws, Phase.Liquid, temperatureK, pressurePa, ws.X) : PhaseEnthalpy(ws, Phase.Liquid, temperatureK, pressurePa, ws.X);
            var l2 = entropy ? PhaseEntropy(ws, Phase.Liquid, temperatureK, pressurePa, ws.X2) : PhaseEnthalpy(ws, Phase.Liquid, temperatureK, pressurePa, ws.X2);
            return (ws.Beta * v) + ((1 - ws.Beta - ws.Beta2) * l1) + (ws.Beta2 * l2);
        }

        if (ws.State == PhaseState.TwoPhase)
        {
            var yPhase = ws.YSmallest ? Phase.Liquid : Phase.Vapor;
            var xPhase = ws.XSmallest ? Phase.Liquid : Phase.Vapor;
            var v = entropy ? PhaseEntropy(ws, yPhase, temperatureK, pressurePa, ws.Y) : PhaseEnthalpy(ws, yPhase, temperatureK, pressurePa, ws.Y);
            var l = entropy ? PhaseEntropy(ws, xPhase, temperatureK, pressurePa, ws.X) : PhaseEnthalpy(ws, xPhase, temperatureK, pressurePa, ws.X);
            return (ws.Beta * v) + ((1 - ws.Beta) * l);
        }

        return entropy ? PhaseEntropy(ws, ws.SinglePhase, temperatureK, pressurePa, ws.Z) : PhaseEnthalpy(ws, ws.SinglePhase, temperatureK, pressurePa, ws.Z);
    }

    // H and S of the flash outcome in ws together (one equation-of-state solve per phase where the package shares them).
    private void MixtureProperties(Workspace ws, double temperatureK, double pressurePa, out double enthalpy, out double entropy)
    {
        Prepare(ws, temperatureK);
        if (ws.State is PhaseState.LiquidLiquid or PhaseState.ThreePhase)
        {
            double hv = 0, sv = 0;
            if (ws.Beta > 0)
            {
                PhaseEnthalpyEntropy(ws, Phase.Vapor, temperatureK, pressurePa, ws.Y, out hv, out sv);
            }

            PhaseEnthalpyEntropy(ws, Phase.Liquid, temperatureK, pressurePa, ws.X, out var h1, out var s1);
            PhaseEnthalpyEntropy(ws, Phase.Liquid, temperatureK, pressurePa, ws.X2, out var h2, out var s2);
            var beta1 = 1 - ws.Beta - ws.Beta2;
            enthalpy = (ws.Beta * hv) + (beta1 * h1) + (ws.Beta2 * h2);
            entropy = (ws.Beta * sv) + (beta1 * s1) + (ws.Beta2 * s2);
            return;
        }

        if (ws.State == PhaseState.TwoPhase)
        {
            PhaseEnthalpyEntropy(ws, ws.YSmallest ? Phase.Liquid : Phase.Vapor, temperatureK, pressurePa, ws.Y, out var hv, out var sv);
            PhaseEnthalpyEntropy(ws, ws.XSmallest ? Phase.Liquid : Phase.Vapor, temperatureK, pressurePa, ws.X, out var hl, out var sl);
            enthalpy = (ws.Beta * hv) + ((1 - ws.Beta) * hl);
            entropy = (ws.Beta * sv) + ((1 - ws.Beta) * sl);
            return;
        }

        PhaseEnthalpyEntropy(ws, ws.SinglePhase, temperatureK, pressurePa, ws.Z, out enthalpy, out entropy);
    }

    protected FlashResult BuildResult(Workspace ws, double temperatureK, double pressurePa)
    {
        MixtureProperties(ws, temperatureK, pressurePa, out var h, out var s);
        double[] x, y;
        var twoLiquids = ws.State is PhaseState.LiquidLiquid or PhaseState.ThreePhase;
        if (ws.State == PhaseState.TwoPhase || twoLiquids)
        {
            x = ws.X[..n];
            y = ws.Y[..n];
        }
        else
        {
            x = ws.Z[..n];
            y = ws.Z[..n];
        }

        if (!double.IsFinite(h) || !double.IsFinite(s))
        {
            return Failed($"Enthalpy or entropy is not finite at T = {temperatureK} K, P = {pressurePa} Pa (outside the model's range).", temperatureK, pressurePa, ws.Iterations);
        }

        return new FlashResult
        {
            Converged = true,
            State = ws.State,
            TemperatureK = temperatureK,
            PressurePa = pressurePa,
            VaporFraction = ws.Beta,
            LiquidComposition = x,
            VaporComposition = y,
            SecondLiquidFraction = twoLiquids ? ws.Beta2 : 0,
            SecondLiquidComposition = twoLiquids ? ws.X2[..n] : [],
            EnthalpyJPerMol = h,
            EntropyJPerMolK = s,
            Iterations = ws.Iterations,
        };
    }

    protected static FlashResult Failed(string reason, double temperatureK, double pressurePa, int iterations = 0) => new()
    {
        Converged = false,
        FailureReason = reason,
        TemperatureK = temperatureK,
        PressurePa = pressurePa,
        VaporFraction = double.NaN,
        EnthalpyJPerMol = double.NaN,
        EntropyJPerMolK = double.NaN,
        Iterations = iterations,
    };

    /// <summary>Labels a single stable phase: supercritical above the Kay's-rule pseudo-critical T and P, else by the root kind.</summary>
    protected PhaseState LabelSinglePhase(ReadOnlySpan<double> z, double temperatureK, double pressurePa, Phase phase)
    {
        var (tpc, ppc) = PseudoCritical(z);
        if (temperatureK > tpc && pressurePa > ppc)
        {
            return PhaseState.Supercritical;
        }

        return phase == Phase.Vapor ? PhaseState.Vapor : PhaseState.Liquid;
    }

    // ---- PH / PS ----

    private struct PropertyResidual : IScalarFunction
    {
        public PropertyPackageBase Package;
        public Workspace Ws;
        public double PressurePa;
        public double Target;
        public bool Entropy;
        public int Evaluations;
        public string? Failure;

        public bool TryEvaluate(double x, out double value)
        {
            Evaluations++;
            if (!Package.FlashPhasesPT(Ws, x, PressurePa, out var reason))
            {
                Failure = $"PT flash failed at T = {x:G9} K: {reason}";
                value = double.NaN;
                return false;
            }

            value = Package.MixtureProperty(Ws, x, PressurePa, Entropy) - Target;
            return double.IsFinite(value);
        }
    }

    private FlashResult FlashPX(double pressurePa, double target, ReadOnlySpan<double> z, double temperatureGuessK, bool entropy)
    {
        var what = entropy ? "entropy" : "enthalpy";
        var invalid = ValidatePressure(pressurePa) ?? (double.IsFinite(target) ? null : $"The specified {what} must be a finite number, got {target}.") ?? ValidateComposition(z);
        if (invalid is not null)
        {
            return Failed(invalid, double.NaN, pressurePa);
        }

        var ws = Workspace.Rent(n);
        try
        {
            Normalize(z, ws.Z);
            var f = new PropertyResidual { Package = this, Ws = ws, PressurePa = pressurePa, Target = target, Entropy = entropy };
            var tolerance = Math.Max(FlashSettings.PropertyAbsoluteTolerance, FlashSettings.PropertyRelativeTolerance * Math.Abs(target));

            // A pure component inside its two-phase region: H and S jump at Tsat, so the vapour fraction is solved directly there.
            var pure = PureIndex(ws.Z);
            if (pure >= 0)
            {
                var saturated = TryPureTwoPhase(ws, pure, pressurePa, target, entropy, out var done);
                if (done)
                {
                    return saturated!;
                }
            }

            var t0 = double.IsFinite(temperatureGuessK) && temperatureGuessK > FlashSettings.MinSearchTemperatureK && temperatureGuessK < FlashSettings.MaxSearchTemperatureK
                ? temperatureGuessK
                : 300.0;
            if (!f.TryEvaluate(t0, out var f0))
            {
                return Failed($"PH/PS flash could not start: {f.Failure ?? "property not finite"}.", t0, pressurePa, f.Evaluations);
            }

            // Expand from t0 in the direction of the target using the ideal-gas Cp as slope; doubling steps bound the search.
            double ta = t0, fa = f0, tb = t0, fb = f0;
            var slope = IdealGasHeatCapacity(ws.Z, t0);
            if (entropy)
            {
                slope /= t0;
            }

            var step = Math.Clamp(-f0 / Math.Max(slope, 1e-3), -0.5 * t0, 2 * t0);
            if (Math.Abs(step) < 1e-3)
            {
                step = f0 > 0 ? -1e-3 : 1e-3;
            }

            var bracketed = f0 == 0;
            for (var k = 0; k < FlashSettings.MaxBracketSteps && !bracketed; k++)
            {
                var t1 = Math.Clamp(ta + (step * 1.05), FlashSettings.MinSearchTemperatureK, FlashSettings.MaxSearchTemperatureK);
                if (!f.TryEvaluate(t1, out var f1))
                {
                    // The model failed out there (often at extreme T); approach more cautiously from the last good point.
                    step *= 0.25;
                    if (Math.Abs(step) < 1e-6)
                    {
                        return Failed($"PH/PS flash failed while bracketing: {f.Failure ?? "property not finite"}.", t1, pressurePa, f.Evaluations);
                    }

                    continue;
                }

                if (f1 * fa <= 0)
                {
                    tb = t1;
                    fb = f1;
                    bracketed = true;
                    break;
                }

                if (t1 is FlashSettings.MinSearchTemperatureK or FlashSettings.MaxSearchTemperatureK)
                {
                    return Failed($"The specified {what} {target:G9} is not reached between {FlashSettings.MinSearchTemperatureK} K and {FlashSettings.MaxSearchTemperatureK} K at {pressurePa} Pa.", t1, pressurePa, f.Evaluations);
                }

                ta = t1;
                fa = f1;
                step *= 2;
            }

            if (!bracketed)
            {
                return Failed($"Could not bracket the temperature for the specified {what} in {FlashSettings.MaxBracketSteps} steps.", ta, pressurePa, f.Evaluations);
            }

            double root;
            if (fa == 0)
            {
                root = ta;
            }
            else
            {
                var lo = Math.Min(ta, tb);
                var hi = Math.Max(ta, tb);
                var flo = lo == ta ? fa : fb;
                var fhi = lo == ta ? fb : fa;
                var status = RootFinding.Brent(ref f, lo, hi, flo, fhi, FlashSettings.TemperatureTolerance, tolerance, FlashSettings.MaxOuterIterations, out root, out _);
                if (status != RootStatus.Converged)
                {
                    return Failed($"PH/PS temperature solve ended with {status}: {f.Failure ?? "no convergence"}.", root, pressurePa, f.Evaluations);
                }
            }

            if (!f.TryEvaluate(root, out var residual))
            {
                return Failed($"PH/PS final flash failed: {f.Failure}.", root, pressurePa, f.Evaluations);
            }

            // A residual far above tolerance at a converged bracket means a jump in H(T) or S(T) that the target falls inside.
            if (Math.Abs(residual) > Math.Max(1e3 * tolerance, 1e-6 * Math.Max(1, Math.Abs(target))))
            {
                // A binary's three-phase line: H or S jumps at one temperature; the target is a vapour + two liquids there.
                if (TryInvariantThreePhase(ws, root, pressurePa, double.NaN, target, entropy) is { } invariant)
                {
                    return invariant;
                }

                return Failed($"The specified {what} falls in a discontinuity of the model at T ≈ {root:G9} K (residual {residual:G3}).", root, pressurePa, f.Evaluations);
            }

            ws.Iterations = f.Evaluations; // PH/PS report the number of PT flashes they needed
            return BuildResult(ws, root, pressurePa);
        }
        finally
        {
            Workspace.Return(ws);
        }
    }

    // Pure component: if the target lies between saturated liquid and vapour at Tsat(P), the answer is two-phase at Tsat.
    private FlashResult? TryPureTwoPhase(Workspace ws, int pure, double pressurePa, double target, bool entropy, out bool done)
    {
        done = false;
        if (!TrySaturationTemperaturePure(ws, pure, pressurePa, out var tsat, out _))
        {
            return null; // above Pc or no saturation by this model: a single phase, solved by the bracketed search
        }

        Prepare(ws, tsat);
        var l = entropy ? PhaseEntropy(ws, Phase.Liquid, tsat, pressurePa, ws.Z) : PhaseEnthalpy(ws, Phase.Liquid, tsat, pressurePa, ws.Z);
        var v = entropy ? PhaseEntropy(ws, Phase.Vapor, tsat, pressurePa, ws.Z) : PhaseEnthalpy(ws, Phase.Vapor, tsat, pressurePa, ws.Z);
        if (!(target >= l && target <= v && v > l))
        {
            return null;
        }

        done = true;
        var beta = (target - l) / (v - l);
        Array.Copy(ws.Z, ws.X, n);
        Array.Copy(ws.Z, ws.Y, n);
        ws.Beta = beta;
        ws.State = PhaseState.TwoPhase;
        ws.XSmallest = true;
        ws.YSmallest = false;
        return BuildResult(ws, tsat, pressurePa);
    }

    // ---- saturation of a pure component ----

    private struct PureSaturationResidual : IScalarFunction
    {
        public PropertyPackageBase Package;
        public Workspace Ws;
        public int Component;
        public double LnPressure;
        public string? Failure;

        public bool TryEvaluate(double x, out double value)
        {
            if (!Package.TrySaturationPressure(Ws, Component, x, out var p, out var reason))
            {
                Failure = reason;
                value = double.NaN;
                return false;
            }

            value = Math.Log(p) - LnPressure;
            return true;
        }
    }

    /// <summary>Tsat(P) of one component by the package's saturation route (PR) or the generic bubble-point route (Raoult).</summary>
    protected bool TrySaturationTemperaturePure(Workspace ws, int pure, double pressurePa, out double temperatureK, out string? reason)
    {
        temperatureK = double.NaN;
        if (!UsesPureSaturationRoute)
        {
            // Raoult: K = Psat/P regardless of β, so the bubble-point route gives Tsat directly.
            var r = SolveVaporFraction(ws, 0, solveForTemperature: true, fixedValue: pressurePa, out temperatureK, buildResult: false);
            reason = r?.FailureReason;
            return r is null && double.IsFinite(temperatureK);
        }

        if (pressurePa >= pc[pure])
        {
            reason = $"{components[pure].Name} has no saturation temperature at or above its critical pressure ({pc[pure]} Pa).";
            return false;
        }

        var f = new PureSaturationResidual { Package = this, Ws = ws, Component = pure, LnPressure = Math.Log(pressurePa) };
        double hi = double.NaN, fhi = double.NaN;
        var ok = false;
        // Just below Tc the two roots merge and the saturation iteration loses precision; back off until it evaluates.
        foreach (var margin in (ReadOnlySpan<double>)[1e-6, 1e-5, 1e-4, 1e-3])
        {
            hi = tc[pure] * (1 - margin);
            if (f.TryEvaluate(hi, out fhi))
            {
                ok = true;
                break;
            }
        }

        // Far below Tc the saturation pressure underflows the cubic's precision; start the bracket where it evaluates.
        double lo = double.NaN, flo = double.NaN;
        var okLow = false;
        foreach (var fraction in (ReadOnlySpan<double>)[0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
        {
            lo = Math.Max(FlashSettings.MinSearchTemperatureK, fraction * tc[pure]);
            if (f.TryEvaluate(lo, out flo))
            {
                okLow = true;
                break;
            }
        }

        if (!ok || !okLow)
        {
            reason = $"Saturation pressure of {components[pure].Name} could not be evaluated: {f.Failure}";
            return false;
        }

        if (fhi < 0)
        {
            reason = $"{pressurePa} Pa is above the saturation pressure of {components[pure].Name} just below its critical temperature.";
            return false;
        }

        if (flo > 0)
        {
            reason = $"{pressurePa} Pa is below the saturation pressure of {components[pure].Name} at {lo:G6} K.";
            return false;
        }

        var status = RootFinding.Brent(ref f, lo, hi, flo, fhi, FlashSettings.TemperatureTolerance, 1e-14, FlashSettings.MaxOuterIterations, out temperatureK, out _);
        reason = status == RootStatus.Converged ? null : $"Saturation temperature solve ended with {status}: {f.Failure}";
        return status == RootStatus.Converged;
    }

    // ---- PVF / TVF ----

    private struct VaporFractionResidual : IScalarFunction
    {
        public PropertyPackageBase Package;
        public Workspace Ws;
        public double Beta;
        public bool SolveForTemperature;
        public double Fixed;
        public int Iterations;
        public string? Failure;

        // x is T (K) when solving for temperature, else ln P.
        public bool TryEvaluate(double x, out double value)
        {
            var t = SolveForTemperature ? x : Fixed;
            var p = SolveForTemperature ? Fixed : Math.Exp(x);
            if (!Package.FixedBetaResidual(Ws, t, p, Beta, ref Iterations, out value, out Failure))
            {
                return false;
            }

            // g rises with T and falls with P; flip for P so both searches see an increasing function.
            if (!SolveForTemperature)
            {
                value = -value;
            }

            return true;
        }
    }

    /// <summary>
    /// For fixed T, P and β, converges the phase compositions by successive substitution on K and returns the
    /// Rachford–Rice residual g = Σ zᵢ(Kᵢ − 1)/(1 + β(Kᵢ − 1)) (zero at the requested vapour fraction).
    /// </summary>
    private bool FixedBetaResidual(Workspace ws, double temperatureK, double pressurePa, double beta, ref int iterations, out double g, out string? failure)
    {
        g = double.NaN;
        failure = null;
        Prepare(ws, temperatureK);
        var z = ws.Z;
        var converged = false;
        for (var it = 0; it < FlashSettings.MaxSuccessiveSubstitutions; it++)
        {
            iterations++;
            double sx = 0, sy = 0;
            for (var i = 0; i < n; i++)
            {
                var k = Math.Exp(ws.LnK[i]);
                ws.K[i] = k;
                var xi = z[i] / (1 + (beta * (k - 1)));
                ws.X[i] = xi;
                ws.Y[i] = k * xi;
                sx += xi;
                sy += k * xi;
            }

            for (var i = 0; i < n; i++)
            {
                ws.X[i] /= sx;
                ws.Y[i] /= sy;
            }

            LnPhi(ws, Phase.Liquid, temperatureK, pressurePa, ws.X, ws.LnPhiL);
            LnPhi(ws, Phase.Vapor, temperatureK, pressurePa, ws.Y, ws.LnPhiV);
            double maxChange = 0;
            for (var i = 0; i < n; i++)
            {
                var lnK = ws.LnPhiL[i] - ws.LnPhiV[i];
                if (!double.IsFinite(lnK))
                {
                    failure = $"Fugacity coefficients are not finite at T = {temperatureK:G9} K, P = {pressurePa:G9} Pa.";
                    return false;
                }

                if (z[i] > 0)
                {
                    maxChange = Math.Max(maxChange, Math.Abs(lnK - ws.LnK[i]));
                }

                ws.LnK[i] = lnK;
            }

            if (!CompositionDependentK || maxChange < FlashSettings.FugacityTolerance)
            {
                converged = true;
                break;
            }
        }

        if (!converged)
        {
            failure = $"Phase compositions did not converge in {FlashSettings.MaxSuccessiveSubstitutions} substitutions at T = {temperatureK:G9} K, P = {pressurePa:G9} Pa.";
            return false;
        }

        double maxLnK = 0;
        for (var i = 0; i < n; i++)
        {
            ws.K[i] = Math.Exp(ws.LnK[i]);
            if (z[i] > 0)
            {
                maxLnK = Math.Max(maxLnK, Math.Abs(ws.LnK[i]));
            }
        }

        if (IdenticalPhasesAreTrivial && maxLnK < 1e-5)
        {
            failure = $"Trivial solution (both phases identical) at T = {temperatureK:G9} K, P = {pressurePa:G9} Pa: the mixture is at or beyond its critical region.";
            return false;
        }

        g = RachfordRice.Evaluate(z, ws.K, beta, out _);
        return double.IsFinite(g);
    }

    // Returns a failure, or (buildResult) the result; with buildResult false a success returns null and the solved T or ln P.
    private FlashResult? SolveVaporFraction(Workspace ws, double beta, bool solveForTemperature, double fixedValue, out double solved, bool buildResult = true)
    {
        solved = double.NaN;
        var pure = PureIndex(ws.Z);
        if (pure >= 0 && UsesPureSaturationRoute)
        {
            return PureVaporFraction(ws, pure, beta, solveForTemperature, fixedValue);
        }

        var f = new VaporFractionResidual { Package = this, Ws = ws, Beta = beta, SolveForTemperature = solveForTemperature, Fixed = fixedValue };

        // Start from the Wilson estimate of the unknown, solved by bisection (monotone in T and in ln P).
        var wilson = WilsonSaturation(ws, solveForTemperature, fixedValue, beta);
        var x0 = solveForTemperature ? wilson : Math.Log(wilson);
        for (var i = 0; i < n; i++)
        {
            ws.LnK[i] = solveForTemperature ? EstimateLnK(ws, i, x0, fixedValue) : EstimateLnK(ws, i, fixedValue, Math.Exp(x0));
        }

        var what = beta == 0 ? "bubble point" : beta == 1 ? "dew point" : $"vapour fraction {beta}";
        double xMin = solveForTemperature ? FlashSettings.MinSearchTemperatureK : Math.Log(FlashSettings.MinSearchPressurePa);
        double xMax = solveForTemperature ? FlashSettings.MaxSearchTemperatureK : Math.Log(FlashSettings.MaxSearchPressurePa);
        if (!f.TryEvaluate(x0, out var g0))
        {
            // The Wilson start fell where the phases collapse (trivial solution): walk with PT flashes to a two-phase state first.
            if (!FindTwoPhaseStart(ws, ref x0, solveForTemperature, fixedValue, xMin, xMax) || !f.TryEvaluate(x0, out g0))
            {
                return Failed($"The {what} could not be computed: {f.Failure ?? "no two-phase state found near the estimate"}", solveForTemperature ? x0 : fixedValue, solveForTemperature ? fixedValue : Math.Exp(x0), f.Iterations);
            }
        }

        Array.Copy(ws.LnK, ws.W, n); // last good K, restored after a failed (trivial) evaluation

        // Bracket: step away from x0 against the sign of g (increasing function); double after success, halve after a collapse.
        var step = solveForTemperature ? 0.02 * x0 : 0.1;
        double xa = x0, ga = g0, xb = x0, gb = g0;
        var bracketed = g0 == 0;
        for (var k = 0; k < FlashSettings.MaxBracketSteps && !bracketed; k++)
        {
            var x1 = Math.Clamp(xa + (ga > 0 ? -step : step), xMin, xMax);
            if (!f.TryEvaluate(x1, out var g1))
            {
                Array.Copy(ws.W, ws.LnK, n);
                step *= 0.5;
                continue;
            }

            Array.Copy(ws.LnK, ws.W, n);
            if (g1 * ga <= 0)
            {
                xb = x1;
                gb = g1;
                bracketed = true;
                break;
            }

            if (x1 == xMin || x1 == xMax)
            {
                break;
            }

            xa = x1;
            ga = g1;
            step *= 2;
        }

        if (!bracketed)
        {
            return Failed($"No {what} found in the search range.", double.NaN, double.NaN, f.Iterations);
        }

        if (Math.Min(xa, xb) <= xMin + 1e-9 || Math.Max(xa, xb) >= xMax - 1e-9)
        {
            // A sign change only against the clamp of the search range is not a solution the model supports.
            return Failed($"No {what} found in the search range.", double.NaN, double.NaN, f.Iterations);
        }

        double root = xa;
        if (ga != 0)
        {
            var lo = Math.Min(xa, xb);
            var hi = Math.Max(xa, xb);
            var glo = lo == xa ? ga : gb;
            var ghi = lo == xa ? gb : ga;
            var xTol = solveForTemperature ? FlashSettings.TemperatureTolerance : 1e-13;
            var status = RootFinding.Brent(ref f, lo, hi, glo, ghi, xTol, 1e-14, FlashSettings.MaxOuterIterations, out root, out _);
            if (status != RootStatus.Converged)
            {
                return Failed($"The {what} solve ended with {status}: {f.Failure}", double.NaN, double.NaN, f.Iterations);
            }
        }

        // Re-evaluate at the root so the workspace holds its compositions.
        if (!f.TryEvaluate(root, out _))
        {
            return Failed($"The {what} failed at the solution: {f.Failure}", double.NaN, double.NaN, f.Iterations);
        }

        var t = solveForTemperature ? root : fixedValue;
        var p = solveForTemperature ? fixedValue : Math.Exp(root);
        solved = solveForTemperature ? t : p;
        if (!buildResult)
        {
            return null;
        }

        // A two-phase answer whose liquid splits (or, at a dew point, a vapour that another liquid condenses from first)
        // is not returned: the vapour fraction is solved again across three phases.
        if (VaporFractionAnswerUnstable(ws, t, p, beta))
        {
            return SolveThreePhaseVaporFraction(ws, beta, solveForTemperature, fixedValue, root, what);
        }

        return VaporFractionResult(ws, t, p, beta, f.Iterations);
    }

    // Steps with PT flashes from x (T, or ln P) toward the two-phase region until one is found; ws.LnK then holds its K-values.
    private bool FindTwoPhaseStart(Workspace ws, ref double x, bool solveForTemperature, double fixedValue, double xMin, double xMax)
    {
        var step = solveForTemperature ? 0.05 * x : 0.2;
        var lastDirection = 0;
        for (var k = 0; k < FlashSettings.MaxBracketSteps; k++)
        {
            var t = solveForTemperature ? x : fixedValue;
            var p = solveForTemperature ? fixedValue : Math.Exp(x);
            if (!CoreFlashPT(ws, t, p, out _))
            {
                return false;
            }

            if (ws.State == PhaseState.TwoPhase)
            {
                return true;
            }

            // A vapour needs a lower T or a higher P to condense; a liquid the opposite.
            var vapor = ws.SinglePhase == Phase.Vapor;
            var direction = solveForTemperature ? (vapor ? -1 : 1) : (vapor ? 1 : -1);
            if (lastDirection != 0 && direction != lastDirection)
            {
                step *= 0.5; // stepped over a narrow two-phase region
            }

            lastDirection = direction;
            x = Math.Clamp(x + (direction * step), xMin, xMax);
        }

        return false;
    }

    private FlashResult VaporFractionResult(Workspace ws, double t, double p, double beta, int iterations)
    {
        // Bubble (β = 0) and dew (β = 1) points are saturated single phases reported with their incipient phase.
        ws.Beta = beta;
        ws.State = PhaseState.TwoPhase;
        ws.XSmallest = true; // the vapour-fraction solves use the liquid root for x and the vapour root for y
        ws.YSmallest = false;
        ws.Iterations = iterations;
        var r = BuildResult(ws, t, p);
        if (!r.Converged || beta is > 0 and < 1)
        {
            return r;
        }

        return new FlashResult
        {
            Converged = true,
            State = beta == 0 ? PhaseState.Liquid : PhaseState.Vapor,
            TemperatureK = r.TemperatureK,
            PressurePa = r.PressurePa,
            VaporFraction = beta,
            LiquidComposition = r.LiquidComposition,
            VaporComposition = r.VaporComposition,
            EnthalpyJPerMol = r.EnthalpyJPerMol,
            EntropyJPerMolK = r.EntropyJPerMolK,
            Iterations = iterations,
        };
    }

    private FlashResult PureVaporFraction(Workspace ws, int pure, double beta, bool solveForTemperature, double fixedValue)
    {
        double t, p;
        string? reason;
        if (solveForTemperature)
        {
            p = fixedValue;
            if (!TrySaturationTemperaturePure(ws, pure, p, out t, out reason))
            {
                return Failed(reason ?? "No saturation temperature.", double.NaN, p);
            }
        }
        else
        {
            t = fixedValue;
            if (!TrySaturationPressure(ws, pure, t, out p, out reason))
            {
                return Failed(reason ?? "No saturation pressure.", t, double.NaN);
            }
        }

        Array.Copy(ws.Z, ws.X, n);
        Array.Copy(ws.Z, ws.Y, n);
        Prepare(ws, t);
        return VaporFractionResult(ws, t, p, beta, 0);
    }

    // Wilson estimate of the saturation T (at fixed P) or P (at fixed T) for vapour fraction beta: geometric bisection
    // over the search range, as the Wilson K-values are monotone in T and in P.
    private double WilsonSaturation(Workspace ws, bool solveForTemperature, double fixedValue, double beta)
    {
        double lo = solveForTemperature ? FlashSettings.MinSearchTemperatureK : FlashSettings.MinSearchPressurePa;
        double hi = solveForTemperature ? FlashSettings.MaxSearchTemperatureK : FlashSettings.MaxSearchPressurePa;
        for (var it = 0; it < WilsonBisectionMaxSteps; it++)
        {
            var mid = Math.Sqrt(lo * hi);
            var t = solveForTemperature ? mid : fixedValue;
            var p = solveForTemperature ? fixedValue : mid;
            for (var i = 0; i < n; i++)
            {
                ws.K[i] = Math.Exp(EstimateLnK(ws, i, t, p));
            }

            // A positive Rachford-Rice residual means more vapour than beta: a lower T or a higher P condenses it.
            var moreVaporThanBeta = RachfordRice.Evaluate(ws.Z, ws.K, beta, out _) > 0;
            if (moreVaporThanBeta == solveForTemperature)
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }

            if (hi / lo < 1 + WilsonBisectionRelativeWidth)
            {
                break;
            }
        }

        return Math.Sqrt(lo * hi);
    }

    // ---- validation ----

    protected static string? ValidateTemperature(double t)
        => double.IsFinite(t) && t > 0 ? null : $"Temperature must be a positive finite number of kelvin, got {t}.";

    protected static string? ValidatePressure(double p)
        => double.IsFinite(p) && p > 0 ? null : $"Pressure must be a positive finite number of pascal, got {p}.";

    private static string? ValidateVaporFraction(double beta)
        => double.IsFinite(beta) && beta >= 0 && beta <= 1 ? null : $"Vapour fraction must be between 0 and 1, got {beta}.";

    protected string? ValidateComposition(ReadOnlySpan<double> z)
    {
        if (z.Length != n)
        {
            return $"Composition has {z.Length} mole fractions but the package has {n} components.";
        }

        double sum = 0;
        for (var i = 0; i < n; i++)
        {
            if (!double.IsFinite(z[i]) || z[i] < 0)
            {
                return $"Mole fraction {i} ({components[i].Name}) must be a finite non-negative number, got {z[i]}.";
            }

            sum += z[i];
        }

        return Math.Abs(sum - 1) <= FlashSettings.CompositionSumTolerance
            ? null
            : $"Mole fractions must sum to 1 (within {FlashSettings.CompositionSumTolerance}), got {sum}.";
    }

    protected void ThrowIfInvalidState(double t, double p, ReadOnlySpan<double> x)
    {
        var invalid = ValidateTemperature(t) ?? ValidatePressure(p) ?? ValidateComposition(x);
        if (invalid is not null)
        {
            throw new ArgumentException(invalid);
        }
    }

    protected static void Normalize(ReadOnlySpan<double> z, Span<double> target)
    {
        double sum = 0;
        for (var i = 0; i < z.Length; i++)
        {
            sum += z[i];
        }

        for (var i = 0; i < z.Length; i++)
        {
            target[i] = z[i] / sum;
        }
    }
}
