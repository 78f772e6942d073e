using DeepSim.Engine.Components;
using DeepSim.Engine.Numerics;

namespace DeepSim.Engine.Thermo;

/// <summary>
/// Ideal solution + ideal gas: Raoult's law with each component's vapour-pressure correlation (Kᵢ = Psatᵢ(T)/P).
/// Liquid enthalpy = ideal-gas enthalpy − ΔHvap(T) (the component's heat-of-vaporization correlation, or
/// Clausius–Clapeyron from the vapour-pressure correlation when none is given); liquid entropy is the matching
/// S_ig(T, Psat) − ΔHvap/T so that the latent heat and entropy of vaporization agree. The liquid is incompressible:
/// H_L also carries V_L(T)·(P − Psat) with V_L from the liquid-density correlation (so a pump needs V·ΔP), while
/// S_L and the K-values do not depend on pressure (plain Raoult, no Poynting factor).
/// Outside a vapour-pressure correlation's [Tmin, Tmax], ln Psat continues linearly in 1/T from the range end
/// (Clausius–Clapeyron with the end slope): published fits can turn over outside their range (56 of the 558
/// bundled compounds within 3·Tmax), which would make a hot liquid condense again.
/// </summary>
internal class IdealPackage : PropertyPackageBase
{
    private readonly Correlation[] psat;
    private readonly Correlation?[] hvap;
    private readonly Correlation?[] liquidDensity;
    private readonly double[] lnPAtMin, slopeAtMin, lnPAtMax, slopeAtMax; // slope = d ln Psat / d(1/T), K

    public IdealPackage(IReadOnlyList<Component> components)
        : base(components)
    {
        psat = new Correlation[n];
        hvap = new Correlation?[n];
        liquidDensity = new Correlation?[n];
        lnPAtMin = new double[n];
        slopeAtMin = new double[n];
        lnPAtMax = new double[n];
        slopeAtMax = new double[n];
        for (var i = 0; i < n; i++)
        {
            psat[i] = this.components[i].VaporPressure
                ?? throw new ArgumentException($"Component '{this.components[i].Name}' has no vapour-pressure correlation, which the ideal package needs.", nameof(components));
            hvap[i] = this.components[i].HeatOfVaporization;
            liquidDensity[i] = this.components[i].LiquidDensity;
            PrepareExtrapolation(i);
        }
    }

    private void PrepareExtrapolation(int i)
    {
        var c = psat[i];
        double tMin = c.MinTemperatureK, tMax = c.MaxTemperatureK;
        lnPAtMin[i] = SafeLog(c.Evaluate(tMin));
        lnPAtMax[i] = SafeLog(c.Evaluate(tMax));
        var chord = tMax > tMin ? (lnPAtMax[i] - lnPAtMin[i]) / ((1 / tMax) - (1 / tMin)) : -1000;
        slopeAtMin[i] = EndSlope(c, tMin, chord);
        slopeAtMax[i] = EndSlope(c, tMax, chord);
        if (!double.IsFinite(lnPAtMin[i]) || !double.IsFinite(lnPAtMax[i]))
        {
            throw new ArgumentException($"Component '{components[i].Name}' has a vapour-pressure correlation that is not positive at its range ends.");
        }
    }

    // One-sided difference of ln Psat in 1/T at a range end; falls back to the chord when the fit is not increasing there.
    private static double EndSlope(Correlation c, double t, double chord)
    {
        var h = 1e-4 * t;
        var inner = t == c.MinTemperatureK ? t + h : t - h;
        var slope = (SafeLog(c.Evaluate(t)) - SafeLog(c.Evaluate(inner))) / ((1 / t) - (1 / inner));
        return slope < 0 && double.IsFinite(slope) ? slope : (chord < 0 && double.IsFinite(chord) ? chord : -1000);
    }

    private static double SafeLog(double p) => p > 0 ? Math.Log(p) : double.NaN;

    /// <summary>ln Psat(T) as published inside the correlation's range, Clausius–Clapeyron extrapolated outside it.</summary>
    private double LnPsat(int i, double temperatureK)
    {
        var c = psat[i];
        if (temperatureK > c.MaxTemperatureK)
        {
            return lnPAtMax[i] + (slopeAtMax[i] * ((1 / temperatureK) - (1 / c.MaxTemperatureK)));
        }

        if (temperatureK < c.MinTemperatureK)
        {
            return Math.Max(lnPAtMin[i] + (slopeAtMin[i] * ((1 / temperatureK) - (1 / c.MinTemperatureK))), -700);
        }

        var p = c.Evaluate(temperatureK);
        return p > 0 ? Math.Max(Math.Log(p), -700) : -700; // bounded so a vanishing Psat keeps H and S finite
    }

    public override string Name => "ideal";

    protected override bool CompositionDependentK => false;

    // An ideal solution has no excess Gibbs energy, so its liquid never splits into two.
    protected override bool LiquidsCanSplit => false;

    protected override void PrepareTemperature(Workspace ws, double temperatureK)
    {
        IdealGas(ws, temperatureK);
        for (var i = 0; i < n; i++)
        {
            ws.LnPsat[i] = LnPsat(i, temperatureK);
            ws.HVap[i] = hvap[i] is { } h ? Math.Max(0, h.Evaluate(temperatureK)) : ClausiusClapeyron(i, temperatureK);
            ws.VL[i] = LiquidVolume(i, temperatureK);
        }
    }

    // Molar liquid volume, m³/mol, from the density correlation held at its range ends (eq. 105 is undefined above its Tc);
    // 0 when the component has no density data, which drops the pressure term rather than inventing a volume.
    private double LiquidVolume(int i, double temperatureK)
    {
        if (liquidDensity[i] is not { } rho)
        {
            return 0;
        }

        var density = rho.Evaluate(Math.Clamp(temperatureK, rho.MinTemperatureK, rho.MaxTemperatureK));
        return density > 0 && double.IsFinite(density) ? 1 / density : 0;
    }

    // ΔHvap ≈ R T² d ln Psat/dT (ideal vapour, negligible liquid volume); central difference with a relative step of 1e-5.
    private double ClausiusClapeyron(int i, double t)
    {
        var h = 1e-5 * t;
        var d = (LnPsat(i, t + h) - LnPsat(i, t - h)) / (2 * h);
        return double.IsFinite(d) ? Math.Max(0, R * t * t * d) : 0;
    }

    protected override double EstimateLnK(Workspace ws, int i, double temperatureK, double pressurePa)
        => LnPsat(i, temperatureK) - Math.Log(pressurePa);

    protected override void LnPhi(Workspace ws, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x, Span<double> lnPhi)
    {
        var lnP = Math.Log(pressurePa);
        for (var i = 0; i < n; i++)
        {
            // Raoult: the liquid "fugacity coefficient" is Psat/P; the vapour is an ideal gas.
            lnPhi[i] = phase == Phase.Liquid ? Math.Max(ws.LnPsat[i] - lnP, -700) : 0;
        }
    }

    protected override bool CoreFlashPT(Workspace ws, double temperatureK, double pressurePa, out string? failureReason)
    {
        failureReason = null;
        Prepare(ws, temperatureK);
        var z = ws.Z;
        var lnP = Math.Log(pressurePa);
        double sumZK = 0, sumZOverK = 0;
        for (var i = 0; i < n; i++)
        {
            var lnK = Math.Clamp(ws.LnPsat[i] - lnP, -700, 700);
            ws.LnK[i] = lnK;
            ws.K[i] = Math.Exp(lnK);
            if (z[i] > 0)
            {
                sumZK += z[i] * ws.K[i];
                sumZOverK += z[i] / ws.K[i];
            }
        }

        ws.Iterations = 1;
        if (sumZK <= 1)
        {
            // At or below the bubble point: subcooled (or saturated) liquid.
            SetSingle(ws, temperatureK, pressurePa, Phase.Liquid);
            return true;
        }

        if (sumZOverK <= 1)
        {
            SetSingle(ws, temperatureK, pressurePa, Phase.Vapor);
            return true;
        }

        if (!RachfordRice.Solve(z, ws.K, 0, 1, out var beta))
        {
            failureReason = "Rachford–Rice has no root in [0, 1] although the feed lies between its bubble and dew points.";
            return false;
        }

        for (var i = 0; i < n; i++)
        {
            var xi = z[i] / (1 + (beta * (ws.K[i] - 1)));
            ws.X[i] = xi;
            ws.Y[i] = ws.K[i] * xi;
        }

        NormalizeInPlace(ws.X, n);
        NormalizeInPlace(ws.Y, n);
        ws.Beta = beta;
        ws.State = PhaseState.TwoPhase;
        ws.XSmallest = true;
        ws.YSmallest = false;
        return true;
    }

    protected void SetSingle(Workspace ws, double temperatureK, double pressurePa, Phase phase)
    {
        ws.Beta = phase == Phase.Vapor ? 1 : 0;
        ws.SinglePhase = phase;
        ws.State = LabelSinglePhase(ws.Z, temperatureK, pressurePa, phase);
    }

    internal static void NormalizeInPlace(double[] v, int n)
    {
        double s = 0;
        for (var i = 0; i < n; i++)
        {
            s += v[i];
        }

        for (var i = 0; i < n; i++)
        {
            v[i] /= s;
        }
    }

    protected override double PhaseEnthalpy(Workspace ws, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x)
    {
        double h = 0;
        for (var i = 0; i < n; i++)
        {
            if (x[i] != 0)
            {
                h += x[i] * (phase == Phase.Vapor
                    ? ws.HIg[i]
                    : ws.HIg[i] - ws.HVap[i] + (ws.VL[i] * (pressurePa - Math.Exp(ws.LnPsat[i]))));
            }
        }

        return h;
    }

    protected override double PhaseEntropy(Workspace ws, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x)
    {
        double s = 0;
        var lnPRef = Math.Log(PRef);
        for (var i = 0; i < n; i++)
        {
            if (x[i] == 0)
            {
                continue;
            }

            // Liquid: ideal gas at (T, Psat) condensed at T, i.e. minus the entropy of vaporization ΔHvap/T.
            s += x[i] * (phase == Phase.Vapor
                ? ws.SIg[i]
                : ws.SIg[i] - (R * (ws.LnPsat[i] - lnPRef)) - (ws.HVap[i] / temperatureK));
        }

        if (phase == Phase.Vapor)
        {
            s -= R * Math.Log(pressurePa / PRef);
        }

        return s + MixingEntropy(x);
    }
}
