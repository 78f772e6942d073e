using DeepSim.Engine.Components;
using DeepSim.Engine.Numerics;

namespace DeepSim.Engine.Thermo;

/// <summary>
/// γ–φ package: an activity-coefficient liquid (NRTL, Wilson, UNIQUAC or UNIFAC) over the ideal package's pure liquids, and an
/// ideal-gas vapour, so Kᵢ = γᵢ(x, T) Psatᵢ(T) / P (no Poynting factor, no vapour fugacity coefficient).
/// Liquid H and S are the ideal package's plus the excess H^E = −RT² ∂(Σ xᵢ ln γᵢ)/∂T and S^E = (H^E − G^E)/T, so the
/// heat of mixing follows the model's temperature dependence. PT flash: the liquid of composition z is stable against
/// a vapour exactly when Σ zᵢγᵢ(z)Psatᵢ ≤ P (the ideal-gas trial has a closed-form tangent-plane minimum); the vapour is
/// stable when the liquid-like tangent-plane trial gives Σ Wᵢ ≤ 1; otherwise successive substitution on K with
/// Rachford–Rice; liquid–liquid splits come from the base class's three-phase analysis.
/// </summary>
internal sealed class ActivityPackage : IdealPackage, IActivityPropertyPackage
{
    // R in cal/(mol K) (thermochemical calorie, 4.184 J), because the DECHEMA energy parameters are in cal/mol.
    internal const double GasConstantCal = FlashSettings.GasConstant / 4.184;

    // UNIQUAC lattice coordination number (Abrams and Prausnitz 1975).
    private const double CoordinationNumber = 10;

    // Relative temperature step of the central difference for ∂(G^E/RT)/∂T: truncation (h/T)² ≈ 1e-8 relative,
    // round-off ≈ 1e-16/(2e-4) relative — both far below what H^E is used for.
    private const double ExcessEnthalpyRelativeStep = 1e-4;

    private readonly double[] a; // Aᵢⱼ, cal/mol, n×n row-major, 0 on the diagonal
    private readonly double[] alpha; // NRTL αᵢⱼ = αⱼᵢ
    private readonly bool[] ideal; // pair without parameters: its interaction is ideal
    private readonly double[] volume; // Wilson molar liquid volumes at 298.15 K, m³/mol
    private readonly double[] r, q, l; // UNIQUAC
    private readonly ActivityParameter[] parameters;
    private readonly string[] warnings;
    private readonly HenryConstants.HenryConstant?[] henry; // a dissolved gas of an aqueous liquid, by Henry's law
    private readonly UnifacModel? unifac; // the UNIFAC model's groups (Model == Unifac only)

    public ActivityPackage(IReadOnlyList<Component> components, ActivityModel model, IReadOnlyDictionary<(int I, int J), ActivityParameter>? parameterOverrides = null, bool henryLaw = true)
        : base(components)
    {
        Model = model;
        a = new double[n * n];
        alpha = new double[n * n];
        ideal = new bool[n * n];
        volume = new double[n];
        r = new double[n];
        q = new double[n];
        l = new double[n];
        // Gases with a bundled Henry constant dissolve by Henry's law whenever water is a component (see HenryConstants).
        // (Not under unifac, which refuses components without groups, the permanent gases among them.)
        henry = new HenryConstants.HenryConstant?[n];
        if (henryLaw && model != ActivityModel.Unifac && this.components.Any(c => c.IsWater))
        {
            for (var i = 0; i < n; i++)
            {
                henry[i] = HenryConstants.InWater(this.components[i].Cas);
            }
        }

        HenryComponents = [.. Enumerable.Range(0, n).Where(i => henry[i] is not null).Select(i => this.components[i].Name)];

        if (model == ActivityModel.Unifac)
        {
            // Group contribution: no pair table, so no parameters to list and no pair can be missing.
            unifac = UnifacModel.TryCreate(this.components, out var reason) ?? throw new ArgumentException(reason, nameof(components));
            parameters = [];
            warnings = [];
            return;
        }

        for (var i = 0; i < n; i++)
        {
            var c = this.components[i];
            if (model == ActivityModel.Wilson)
            {
                volume[i] = MolarVolumeAt298(c);
            }
            else if (model == ActivityModel.Uniquac)
            {
                if (!(c.UniquacR > 0) || !(c.UniquacQ > 0))
                {
                    throw new ArgumentException($"Component '{c.Name}' has no UNIQUAC r and q, which the uniquac package needs.", nameof(components));
                }

                r[i] = c.UniquacR;
                q[i] = c.UniquacQ;
                l[i] = (CoordinationNumber / 2 * (r[i] - q[i])) - (r[i] - 1);
            }
        }

        var db = ComponentDatabase.Default;
        var list = new List<ActivityParameter>();
        var missing = new List<string>();
        var estimated = new List<string>();
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                ActivityParameter p;
                if (parameterOverrides is not null && (parameterOverrides.TryGetValue((i, j), out p) || parameterOverrides.TryGetValue((j, i), out p)))
                {
                    if (p.I != i)
                    {
                        p = new ActivityParameter(i, j, p.A21, p.A12, p.Alpha12, p.Source);
                    }

                    p = p with { I = i, J = j, Source = ActivityParameterSource.User };
                }
                else
                {
                    var casI = this.components[i].Cas;
                    var casJ = this.components[j].Cas;
                    var row = model switch
                    {
                        ActivityModel.Nrtl => db.BinaryNrtl(casI, casJ),
                        ActivityModel.Wilson => db.BinaryWilson(casI, casJ),
                        _ => db.BinaryUniquac(casI, casJ),
                    };
                    p = row is not null
                        ? new ActivityParameter(i, j, row.A12, row.A21, model == ActivityModel.Nrtl ? row.Alpha12 : double.NaN, ActivityParameterSource.ChemSep)
                        : henry[i] is not null || henry[j] is not null
                            ? new ActivityParameter(i, j, 0, 0, model == ActivityModel.Nrtl ? 0 : double.NaN, ActivityParameterSource.Henry)
                            : EstimateFromUnifac(i, j) ?? new ActivityParameter(i, j, 0, 0, model == ActivityModel.Nrtl ? 0 : double.NaN, ActivityParameterSource.Missing);
                    if (p.Source == ActivityParameterSource.Unifac)
                    {
                        estimated.Add($"{this.components[i].Name}/{this.components[j].Name}");
                    }
                }

                if (!double.IsFinite(p.A12) || !double.IsFinite(p.A21) || (model == ActivityModel.Nrtl && !double.IsFinite(p.Alpha12)))
                {
                    throw new ArgumentException($"Activity parameters of {this.components[i].Name}/{this.components[j].Name} must be finite.", nameof(parameterOverrides));
                }

                a[(i * n) + j] = p.A12;
                a[(j * n) + i] = p.A21;
                alpha[(i * n) + j] = alpha[(j * n) + i] = model == ActivityModel.Nrtl ? p.Alpha12 : 0;
                ideal[(i * n) + j] = ideal[(j * n) + i] = p.Source is ActivityParameterSource.Missing or ActivityParameterSource.Henry;
                if (p.Source == ActivityParameterSource.Missing)
                {
                    missing.Add($"{this.components[i].Name}/{this.components[j].Name}");
                }

                list.Add(p);
            }
        }

        parameters = [.. list];
        var modelName = Name.ToUpperInvariant();
        var notes = new List<string>();
        if (missing.Count > 0)
        {
            notes.Add(model == ActivityModel.Uniquac
                ? $"No {modelName} parameters in the ChemSep/DECHEMA table for {string.Join(", ", missing)}, nor UNIFAC groups to estimate them: their residual interaction is zero (τ = 1); only the size/shape (combinatorial) term remains."
                : $"No {modelName} parameters in the ChemSep/DECHEMA table for {string.Join(", ", missing)}, nor UNIFAC groups to estimate them: those pairs are treated as ideal (γ = 1 for the pair).");
        }

        if (estimated.Count > 0)
        {
            notes.Add($"{modelName} parameters for {string.Join(", ", estimated)} are not in the ChemSep/DECHEMA table and are estimated from original UNIFAC (fitted to its infinite-dilution activity coefficients at 298.15 K): a prediction, less reliable than fitted data.");
        }

        warnings = [.. notes];
    }

    public override string Name => Model switch
    {
        ActivityModel.Nrtl => "nrtl",
        ActivityModel.Wilson => "wilson",
        ActivityModel.Unifac => "unifac",
        _ => "uniquac",
    };

    public ActivityModel Model { get; }

    public IReadOnlyList<ActivityParameter> Parameters => parameters;

    public IReadOnlyList<string> Warnings => warnings;

    public IReadOnlyList<string> HenryComponents { get; }

    protected override bool CompositionDependentK => true;

    protected override bool IdenticalPhasesAreTrivial => false;

    protected override bool LiquidsCanSplit => true;

    // Temperature of the UNIFAC estimate of a missing pair: DECHEMA's temperature-independent A are fitted near ambient and
    // normal-boiling conditions; 298.15 K is where γ∞ data (and UNIFAC's fit) are densest.
    private const double EstimateTemperatureK = 298.15;

    // NRTL non-randomness of an estimated pair: 0.3, the value Renon and Prausnitz recommend for most non-aqueous and
    // aqueous-organic pairs, and DECHEMA's most common choice.
    private const double EstimateAlpha = 0.3;

    // Newton on the two ln γ∞ equations: converged when both residuals are below 1e-10 (ln γ∞ to 1e-10 relative in γ∞),
    // at most 100 steps with up to 40 halvings each; |A/RT| is kept below 50 so that exp() stays finite.
    private const double EstimateTolerance = 1e-10;
    private const int EstimateMaxIterations = 100;
    private const int EstimateMaxHalvings = 40;
    private const double EstimateMaxReducedEnergy = 50;

    // The pair (i, j) estimated from UNIFAC, or null when either component lacks groups, a main-group pair lacks published
    // aₘₙ, or the model cannot reproduce UNIFAC's two γ∞ (Newton does not converge).
    private ActivityParameter? EstimateFromUnifac(int i, int j)
    {
        var model = UnifacModel.TryCreate([components[i], components[j]], out _);
        if (model is null)
        {
            return null;
        }

        var prepared = new double[model.PreparedLength];
        var scratch = new double[model.ScratchLength];
        model.Prepare(EstimateTemperatureK, prepared, scratch);
        var lnGamma = new double[2];
        model.LnGamma([0, 1], prepared, scratch, lnGamma);
        var target1 = lnGamma[0]; // ln γᵢ∞ in j
        model.LnGamma([1, 0], prepared, scratch, lnGamma);
        var target2 = lnGamma[1]; // ln γⱼ∞ in i
        if (!SolveInfiniteDilution(i, j, target1, target2, out var u12, out var u21))
        {
            return null;
        }

        var rt = GasConstantCal * EstimateTemperatureK;
        return new ActivityParameter(i, j, u12 * rt, u21 * rt, Model == ActivityModel.Nrtl ? EstimateAlpha : double.NaN, ActivityParameterSource.Unifac);
    }

    // ln γ∞ of i in j and of j in i for reduced energies u = A/RT, in this package's model (closed forms of the binary).
    internal void InfiniteDilution(int i, int j, double u12, double u21, out double lnGamma1, out double lnGamma2)
    {
        switch (Model)
        {
            case ActivityModel.Nrtl:
                // ln γ1∞ = τ21 + τ12 G12, ln γ2∞ = τ12 + τ21 G21.
                lnGamma1 = u21 + (u12 * Math.Exp(-EstimateAlpha * u12));
                lnGamma2 = u12 + (u21 * Math.Exp(-EstimateAlpha * u21));
                break;
            case ActivityModel.Wilson:
                // ln γ1∞ = 1 − ln Λ12 − Λ21, Λ12 = (V2/V1) e^(−u12).
                var l12 = volume[j] / volume[i] * Math.Exp(-u12);
                var l21 = volume[i] / volume[j] * Math.Exp(-u21);
                lnGamma1 = 1 - Math.Log(l12) - l21;
                lnGamma2 = 1 - Math.Log(l21) - l12;
                break;
            default:
                // Combinatorial at infinite dilution + q1(1 − ln τ21 − τ12), τ = e^(−u).
                double c1 = Math.Log(r[i] / r[j]) + (CoordinationNumber / 2 * q[i] * Math.Log(q[i] / q[j] * r[j] / r[i])) + l[i] - (r[i] / r[j] * l[j]);
                double c2 = Math.Log(r[j] / r[i]) + (CoordinationNumber / 2 * q[j] * Math.Log(q[j] / q[i] * r[i] / r[j])) + l[j] - (r[j] / r[i] * l[i]);
                lnGamma1 = c1 + (q[i] * (1 + u21 - Math.Exp(-u12)));
                lnGamma2 = c2 + (q[j] * (1 + u12 - Math.Exp(-u21)));
                break;
        }
    }

    // Starts of the Newton solve, tried in order. NRTL's ln γ1∞ is dominated by τ21 and ln γ2∞ by τ12, so the targets
    // themselves start it. Wilson's and UNIQUAC's Jacobians are singular on u12 + u21 = 0 (Λ12Λ21 = 1, τ12τ21 = 1), the
    // interaction-free point included, so their starts lie off that line on both sides (positive deviations first).
    private static readonly (double U12, double U21)[] SymmetricStarts = [(1, 1), (4, 4), (-0.5, -0.5), (0.2, 0.2), (10, 10)];

    private bool SolveInfiniteDilution(int i, int j, double target1, double target2, out double u12, out double u21)
    {
        if (Model == ActivityModel.Nrtl && SolveInfiniteDilution(i, j, target1, target2, target2, target1, out u12, out u21))
        {
            return true;
        }

        foreach (var (s12, s21) in SymmetricStarts)
        {
            if (SolveInfiniteDilution(i, j, target1, target2, s12, s21, out u12, out u21))
            {
                return true;
            }
        }

        u12 = u21 = double.NaN;
        return false;
    }

    // Damped Newton (finite-difference Jacobian) for u12, u21 with the model's ln γ∞ equal to the targets, from one start.
    private bool SolveInfiniteDilution(int i, int j, double target1, double target2, double start12, double start21, out double u12, out double u21)
    {
        u12 = start12;
        u21 = start21;
        double Norm(double a, double b, out double f1, out double f2)
        {
            InfiniteDilution(i, j, a, b, out var g1, out var g2);
            f1 = g1 - target1;
            f2 = g2 - target2;
            return double.IsFinite(f1) && double.IsFinite(f2) ? Math.Max(Math.Abs(f1), Math.Abs(f2)) : double.PositiveInfinity;
        }

        var norm = Norm(u12, u21, out var r1, out var r2);
        for (var it = 0; it < EstimateMaxIterations && norm >= EstimateTolerance; it++)
        {
            const double h = 1e-7;
            Norm(u12 + h, u21, out var a1, out var a2);
            Norm(u12, u21 + h, out var b1, out var b2);
            double j11 = (a1 - r1) / h, j21 = (a2 - r2) / h, j12 = (b1 - r1) / h, j22 = (b2 - r2) / h;
            var det = (j11 * j22) - (j12 * j21);
            if (!double.IsFinite(det) || det == 0)
            {
                return false;
            }

            var d12 = -((j22 * r1) - (j12 * r2)) / det;
            var d21 = -((j11 * r2) - (j21 * r1)) / det;
            var step = 1.0;
            var accepted = false;
            for (var k = 0; k < EstimateMaxHalvings; k++, step /= 2)
            {
                double n12 = u12 + (step * d12), n21 = u21 + (step * d21);
                if (Math.Abs(n12) > EstimateMaxReducedEnergy || Math.Abs(n21) > EstimateMaxReducedEnergy)
                {
                    continue;
                }

                var next = Norm(n12, n21, out var s1, out var s2);
                if (next < norm)
                {
                    (u12, u21, norm, r1, r2) = (n12, n21, next, s1, s2);
                    accepted = true;
                    break;
                }
            }

            if (!accepted)
            {
                return false;
            }
        }

        return norm < EstimateTolerance;
    }

    // DECHEMA's Wilson fits use constant molar volumes of the pure liquids near room temperature; 298.15 K is taken
    // (clamped into the density correlation's range, for components that are not liquid there).
    private static double MolarVolumeAt298(Component c)
    {
        if (c.LiquidDensity is not { } rho)
        {
            throw new ArgumentException($"Component '{c.Name}' has no liquid density, which the wilson package needs for its molar volume.");
        }

        var density = rho.Evaluate(Math.Clamp(TRef, rho.MinTemperatureK, rho.MaxTemperatureK));
        return density > 0 && double.IsFinite(density)
            ? 1 / density
            : throw new ArgumentException($"Component '{c.Name}' has no positive liquid density near 298.15 K.");
    }

    public void LnActivityCoefficients(double temperatureK, ReadOnlySpan<double> moleFractions, Span<double> lnGamma)
    {
        ThrowIfInvalidState(temperatureK, FlashSettings.ReferencePressurePa, moleFractions);
        if (lnGamma.Length != n)
        {
            throw new ArgumentException($"Expected room for {n} coefficients, got {lnGamma.Length}.", nameof(lnGamma));
        }

        var ws = Workspace.Rent(n);
        try
        {
            Normalize(moleFractions, ws.Tmp);
            PairParameters(ws, temperatureK, alternate: true);
            LnGamma(ws, alternate: true, ws.Tmp, lnGamma);
        }
        finally
        {
            Workspace.Return(ws);
        }
    }

    public double ExcessEnthalpy(double temperatureK, ReadOnlySpan<double> moleFractions)
    {
        ThrowIfInvalidState(temperatureK, FlashSettings.ReferencePressurePa, moleFractions);
        var ws = Workspace.Rent(n);
        try
        {
            Normalize(moleFractions, ws.Tmp);
            return ExcessEnthalpy(ws, temperatureK, ws.Tmp);
        }
        finally
        {
            Workspace.Return(ws);
        }
    }

    protected override void PrepareTemperature(Workspace ws, double temperatureK)
    {
        base.PrepareTemperature(ws, temperatureK);
        PairParameters(ws, temperatureK, alternate: false);
        for (var i = 0; i < n; i++)
        {
            if (henry[i] is { } h)
            {
                // fᵢ = xᵢHᵢ: H takes Psat's place (γ* = 1), its temperature dependence the heat of vaporization's, and
                // the dissolved gas adds no V(P − Psat) term.
                ws.LnPsat[i] = h.LnH(temperatureK);
                ws.HVap[i] = h.DissolutionEnthalpyRelease;
                ws.VL[i] = 0;
            }
        }
    }

    protected override double EstimateLnK(Workspace ws, int i, double temperatureK, double pressurePa)
        => henry[i] is { } h ? h.LnH(temperatureK) - Math.Log(pressurePa) : base.EstimateLnK(ws, i, temperatureK, pressurePa);

    // NRTL: τ = A/RT and G = exp(−ατ); Wilson: Λ in tau (G unused); UNIQUAC: τ = exp(−A/RT) in tau; UNIFAC: Ψ and the
    // pure components' ln Γ in the workspace's UNIFAC buffer. The alternate buffers serve a T other than the prepared one.
    private void PairParameters(Workspace ws, double temperatureK, bool alternate)
    {
        if (unifac is not null)
        {
            EnsureUnifacBuffers(ws);
            unifac.Prepare(temperatureK, alternate ? ws.UnifacAlt : ws.UnifacPrepared, ws.UnifacScratch);
            return;
        }

        var tau = alternate ? ws.PairTauAlt : ws.PairTau;
        var g = alternate ? ws.PairGAlt : ws.PairG;
        var rt = GasConstantCal * temperatureK;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var k = (i * n) + j;
                switch (Model)
                {
                    case ActivityModel.Nrtl:
                        tau[k] = a[k] / rt;
                        g[k] = Math.Exp(-alpha[k] * tau[k]);
                        break;
                    case ActivityModel.Wilson:
                        // A pair without parameters gets Λ = 1 both ways (an ideal pair), not the athermal Vⱼ/Vᵢ.
                        tau[k] = i == j || ideal[k] ? 1 : volume[j] / volume[i] * Math.Exp(-a[k] / rt);
                        break;
                    default:
                        tau[k] = Math.Exp(-a[k] / rt);
                        break;
                }
            }
        }
    }

    // ln γ of the model, with the dissolved (Henry) gases on the infinite-dilution convention: γ* = 1.
    private void LnGamma(Workspace ws, bool alternate, ReadOnlySpan<double> x, Span<double> lnGamma)
    {
        ModelLnGamma(ws, alternate, x, lnGamma);
        for (var i = 0; i < n; i++)
        {
            if (henry[i] is not null)
            {
                lnGamma[i] = 0;
            }
        }
    }

    // Buffers sized for this package's UNIFAC groups; a smaller set left by another package is replaced (and the
    // workspace's prepared temperature forgotten, since its buffers went with it).
    private void EnsureUnifacBuffers(Workspace ws)
    {
        if (ws.UnifacPrepared.Length < unifac!.PreparedLength || ws.UnifacScratch.Length < unifac.ScratchLength)
        {
            ws.UnifacPrepared = new double[unifac.PreparedLength];
            ws.UnifacAlt = new double[unifac.PreparedLength];
            ws.UnifacScratch = new double[unifac.ScratchLength];
            ws.PreparedFor = null;
        }
    }

    private void ModelLnGamma(Workspace ws, bool alternate, ReadOnlySpan<double> x, Span<double> lnGamma)
    {
        if (unifac is not null)
        {
            unifac.LnGamma(x, alternate ? ws.UnifacAlt : ws.UnifacPrepared, ws.UnifacScratch, lnGamma);
            return;
        }

        var tau = alternate ? ws.PairTauAlt : ws.PairTau;
        var g = alternate ? ws.PairGAlt : ws.PairG;
        var s = ws.GammaS;
        var c = ws.GammaC;
        switch (Model)
        {
            case ActivityModel.Nrtl:
                // Sⱼ = Σₖ xₖGₖⱼ, Cⱼ = Σₖ xₖτₖⱼGₖⱼ; ln γᵢ = Cᵢ/Sᵢ + Σⱼ xⱼGᵢⱼ/Sⱼ (τᵢⱼ − Cⱼ/Sⱼ).
                for (var j = 0; j < n; j++)
                {
                    double sj = 0, cj = 0;
                    for (var k = 0; k < n; k++)
                    {
                        var kj = (k * n) + j;
                        sj += x[k] * g[kj];
                        cj += x[k] * tau[kj] * g[kj];
                    }

                    s[j] = sj;
                    c[j] = cj / sj;
                }

                for (var i = 0; i < n; i++)
                {
                    var sum = c[i];
                    for (var j = 0; j < n; j++)
                    {
                        var ij = (i * n) + j;
                        sum += x[j] * g[ij] / s[j] * (tau[ij] - c[j]);
                    }

                    lnGamma[i] = sum;
                }

                break;
            case ActivityModel.Wilson:
                // Sᵢ = Σⱼ xⱼΛᵢⱼ; ln γᵢ = 1 − ln Sᵢ − Σₖ xₖΛₖᵢ/Sₖ.
                for (var i = 0; i < n; i++)
                {
                    double si = 0;
                    for (var j = 0; j < n; j++)
                    {
                        si += x[j] * tau[(i * n) + j];
                    }

                    s[i] = si;
                }

                for (var i = 0; i < n; i++)
                {
                    double sum = 0;
                    for (var k = 0; k < n; k++)
                    {
                        sum += x[k] * tau[(k * n) + i] / s[k];
                    }

                    lnGamma[i] = 1 - Math.Log(s[i]) - sum;
                }

                break;
            default:
                UniquacLnGamma(ws, tau, x, lnGamma);
                break;
        }
    }

    private void UniquacLnGamma(Workspace ws, double[] tau, ReadOnlySpan<double> x, Span<double> lnGamma)
    {
        double sumR = 0, sumQ = 0, sumXL = 0;
        for (var i = 0; i < n; i++)
        {
            sumR += x[i] * r[i];
            sumQ += x[i] * q[i];
            sumXL += x[i] * l[i];
        }

        // θⱼ in GammaC; Sⱼ = Σₖ θₖτₖⱼ in GammaS.
        var theta = ws.GammaC;
        var s = ws.GammaS;
        for (var i = 0; i < n; i++)
        {
            theta[i] = x[i] * q[i] / sumQ;
        }

        for (var j = 0; j < n; j++)
        {
            double sj = 0;
            for (var k = 0; k < n; k++)
            {
                sj += theta[k] * tau[(k * n) + j];
            }

            s[j] = sj;
        }

        for (var i = 0; i < n; i++)
        {
            // Φᵢ/xᵢ and θᵢ/Φᵢ written without dividing by xᵢ, so an absent component still has a finite γ∞.
            var phiOverX = r[i] / sumR;
            var thetaOverPhi = q[i] / sumQ / phiOverX;
            var combinatorial = Math.Log(phiOverX) + (CoordinationNumber / 2 * q[i] * Math.Log(thetaOverPhi)) + l[i] - (phiOverX * sumXL);
            double sum = 0;
            for (var j = 0; j < n; j++)
            {
                sum += theta[j] * tau[(i * n) + j] / s[j];
            }

            lnGamma[i] = combinatorial + (q[i] * (1 - Math.Log(s[i]) - sum));
        }
    }

    // G^E/RT = Σ xᵢ ln γᵢ at T, with the pair parameters computed into the alternate buffers.
    private double ExcessGibbsOverRT(Workspace ws, double temperatureK, ReadOnlySpan<double> x)
    {
        PairParameters(ws, temperatureK, alternate: true);
        LnGamma(ws, alternate: true, x, ws.LnGammaAlt);
        double g = 0;
        for (var i = 0; i < n; i++)
        {
            g += x[i] * ws.LnGammaAlt[i];
        }

        return g;
    }

    private double ExcessEnthalpy(Workspace ws, double temperatureK, ReadOnlySpan<double> x)
    {
        var h = ExcessEnthalpyRelativeStep * temperatureK;
        var dgdt = (ExcessGibbsOverRT(ws, temperatureK + h, x) - ExcessGibbsOverRT(ws, temperatureK - h, x)) / (2 * h);
        return -R * temperatureK * temperatureK * dgdt;
    }

    protected override void LnPhi(Workspace ws, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x, Span<double> lnPhi)
    {
        base.LnPhi(ws, phase, temperatureK, pressurePa, x, lnPhi);
        if (phase == Phase.Vapor)
        {
            return;
        }

        LnGamma(ws, alternate: false, x, ws.LnGammaAlt);
        for (var i = 0; i < n; i++)
        {
            lnPhi[i] += ws.LnGammaAlt[i];
        }
    }

    protected override double PhaseEnthalpy(Workspace ws, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x)
    {
        var h = base.PhaseEnthalpy(ws, phase, temperatureK, pressurePa, x);
        return phase == Phase.Vapor ? h : h + ExcessEnthalpy(ws, temperatureK, x);
    }

    protected override double PhaseEntropy(Workspace ws, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x)
    {
        var s = base.PhaseEntropy(ws, phase, temperatureK, pressurePa, x);
        if (phase == Phase.Vapor)
        {
            return s;
        }

        var gE = R * temperatureK * ExcessGibbsOverRT(ws, temperatureK, x);
        return s + ((ExcessEnthalpy(ws, temperatureK, x) - gE) / temperatureK);
    }

    protected override bool CoreFlashPT(Workspace ws, double temperatureK, double pressurePa, out string? failureReason)
    {
        failureReason = null;
        Prepare(ws, temperatureK);
        var z = ws.Z;
        var lnP = Math.Log(pressurePa);
        ws.Iterations = 1;
        var pure = PureIndex(z);
        if (pure >= 0)
        {
            SetSingle(ws, temperatureK, pressurePa, ws.LnPsat[pure] - lnP <= 0 ? Phase.Liquid : Phase.Vapor);
            return true;
        }

        // Liquid z against an ideal-gas trial: the tangent-plane minimum is −ln(Σ fᵢ(z)/P), so stable iff Σ zᵢγᵢPsatᵢ ≤ P.
        LnPhi(ws, Phase.Liquid, temperatureK, pressurePa, z, ws.LnPhiZ);
        double bubble = 0;
        for (var i = 0; i < n; i++)
        {
            if (z[i] > 0)
            {
                bubble += z[i] * Math.Exp(ws.LnPhiZ[i]);
            }
        }

        if (!double.IsFinite(bubble))
        {
            failureReason = $"Activity coefficients are not finite at T = {temperatureK:G9} K.";
            return false;
        }

        if (bubble <= 1)
        {
            SetSingle(ws, temperatureK, pressurePa, Phase.Liquid); // a liquid–liquid split is the base class's analysis
            return true;
        }

        // Vapour z against a liquid-like trial: Wᵢ = zᵢ / (γᵢ(w)Psatᵢ/P), w = W/ΣW; unstable iff ΣW > 1 at the stationary point.
        if (!LiquidTrial(ws, temperatureK, pressurePa, out var sumW, out failureReason))
        {
            return false;
        }

        if (sumW <= 1)
        {
            SetSingle(ws, temperatureK, pressurePa, Phase.Vapor);
            return true;
        }

        // Two phases: K from the incipient liquid (in ws.X) and SS on K with Rachford–Rice.
        LnPhi(ws, Phase.Liquid, temperatureK, pressurePa, ws.X, ws.LnPhiL);
        Array.Copy(ws.LnPhiL, ws.LnK, n);
        var previousBeta = double.NaN;
        for (var it = 0; it < FlashSettings.MaxSuccessiveSubstitutions; it++)
        {
            ws.Iterations++;
            for (var i = 0; i < n; i++)
            {
                ws.K[i] = Math.Exp(ws.LnK[i]);
            }

            if (!RachfordRice.Solve(z, ws.K, double.NegativeInfinity, double.PositiveInfinity, out var beta, previousBeta))
            {
                // Every K on one side of 1: the feed is a single phase after all (at a bubble or dew boundary).
                var allAbove = true;
                for (var i = 0; i < n; i++)
                {
                    allAbove &= z[i] <= 0 || ws.K[i] >= 1;
                }

                SetSingle(ws, temperatureK, pressurePa, allAbove ? Phase.Vapor : Phase.Liquid);
                return true;
            }

            previousBeta = beta;
            for (var i = 0; i < n; i++)
            {
                var xi = z[i] / (1 + (beta * (ws.K[i] - 1)));
                ws.X[i] = xi;
                ws.Y[i] = ws.K[i] * xi;
            }

            NormalizeInPlace(ws.X, n);
            NormalizeInPlace(ws.Y, n);
            LnPhi(ws, Phase.Liquid, temperatureK, pressurePa, ws.X, ws.LnPhiL);
            double maxChange = 0;
            for (var i = 0; i < n; i++)
            {
                var next = ws.LnPhiL[i];
                if (!double.IsFinite(next))
                {
                    failureReason = "Activity coefficients became non-finite during successive substitution.";
                    return false;
                }

                if (z[i] > 0)
                {
                    maxChange = Math.Max(maxChange, Math.Abs(next - ws.LnK[i]));
                }

                ws.LnK[i] = next;
            }

            if (maxChange < FlashSettings.FugacityTolerance)
            {
                if (beta <= 0 || beta >= 1)
                {
                    SetSingle(ws, temperatureK, pressurePa, beta >= 1 ? Phase.Vapor : Phase.Liquid);
                    return true;
                }

                ws.Beta = beta;
                ws.State = PhaseState.TwoPhase;
                ws.XSmallest = true;
                ws.YSmallest = false;
                return true;
            }
        }

        failureReason = $"Successive substitution did not converge in {FlashSettings.MaxSuccessiveSubstitutions} iterations.";
        return false;
    }

    // Liquid-like tangent-plane trial of the vapour z, by successive substitution from Raoult; leaves w in ws.X.
    private bool LiquidTrial(Workspace ws, double temperatureK, double pressurePa, out double sumW, out string? failureReason)
    {
        var z = ws.Z;
        var lnP = Math.Log(pressurePa);
        failureReason = null;
        for (var i = 0; i < n; i++)
        {
            ws.W[i] = z[i] > 0 ? Math.Log(z[i]) - (ws.LnPsat[i] - lnP) : double.NegativeInfinity;
        }

        sumW = double.NaN;
        for (var it = 0; it < FlashSettings.MaxStabilityIterations; it++)
        {
            ws.Iterations++;
            double total = 0;
            for (var i = 0; i < n; i++)
            {
                ws.X[i] = z[i] > 0 ? Math.Exp(ws.W[i]) : 0;
                total += ws.X[i];
            }

            sumW = total;
            for (var i = 0; i < n; i++)
            {
                ws.X[i] /= total;
            }

            LnPhi(ws, Phase.Liquid, temperatureK, pressurePa, ws.X, ws.LnPhiL);
            double maxChange = 0;
            for (var i = 0; i < n; i++)
            {
                if (z[i] <= 0)
                {
                    continue;
                }

                var next = Math.Log(z[i]) - ws.LnPhiL[i];
                maxChange = Math.Max(maxChange, Math.Abs(next - ws.W[i]));
                ws.W[i] = next;
            }

            if (!double.IsFinite(maxChange))
            {
                failureReason = $"The liquid stability trial left the model's range at T = {temperatureK:G9} K, P = {pressurePa:G9} Pa.";
                return false;
            }

            if (maxChange < FlashSettings.StabilityTolerance)
            {
                return true;
            }
        }

        failureReason = $"The liquid stability trial did not converge in {FlashSettings.MaxStabilityIterations} iterations.";
        return false;
    }
}
