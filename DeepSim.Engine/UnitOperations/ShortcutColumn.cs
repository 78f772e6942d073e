using DeepSim.Engine.Solver;
using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.UnitOperations;

/// <summary>
/// The Fenske–Underwood–Gilliland shortcut equations with Kirkbride's feed-stage location, on relative volatilities
/// given by the caller (α of each component relative to the heavy key, so α_HK = 1). Stage counts are equilibrium
/// stages including a partial reboiler (and a partial condenser, when there is one), as Fenske's equation counts them.
/// </summary>
public static class ShortcutDistillation
{
    /// <summary>Underwood's θ is located to this fraction of the key-volatility gap: far below any figure reported.</summary>
    public const double ThetaRelativeTolerance = 1e-13;

    /// <summary>Residual of Underwood's feed equation accepted as zero (its terms are O(1) mole-fraction sums).</summary>
    public const double UnderwoodResidualTolerance = 1e-12;

    /// <summary>
    /// The bracket's ends sit this fraction of the gap inside the poles at α_HK and α_LK: close enough that the
    /// root (which lies well inside for any key with a feed fraction above about 1e-10) is never cut off, far enough
    /// that the sum stays finite.
    /// </summary>
    public const double PoleOffset = 1e-12;

    /// <summary>Brent converges in tens of steps on this monotone function; the limit only stops a pathological case.</summary>
    public const int UnderwoodMaxIterations = 200;

    /// <summary>Fenske: Nmin = ln[(d/b)_LK / (d/b)_HK] / ln α_LK.</summary>
    public static double FenskeMinimumStages(double lightKeyRecovery, double heavyKeyRecovery, double alphaLightKey)
    {
        var lk = lightKeyRecovery / (1 - lightKeyRecovery);
        var hk = (1 - heavyKeyRecovery) / heavyKeyRecovery;
        return Math.Log(lk / hk) / Math.Log(alphaLightKey);
    }

    /// <summary>
    /// Fenske's distribution at total reflux: d_i/b_i = (d/b)_HK α_i^Nmin, so d_i = f_i r/(1 + r). Written so that a
    /// very large or very small r cannot overflow: every d_i lies in [0, f_i].
    /// </summary>
    public static void FenskeDistribution(ReadOnlySpan<double> feedFlows, ReadOnlySpan<double> alpha, double minimumStages, double heavyKeyRecovery, Span<double> distillateFlows)
    {
        var lnHk = Math.Log((1 - heavyKeyRecovery) / heavyKeyRecovery);
        for (var i = 0; i < feedFlows.Length; i++)
        {
            var lnR = lnHk + minimumStages * Math.Log(alpha[i]);
            // d/f = r/(1+r) = 1/(1+e^{-ln r}), evaluated on the side that does not overflow.
            distillateFlows[i] = feedFlows[i] * (lnR >= 0 ? 1 / (1 + Math.Exp(-lnR)) : Math.Exp(lnR) / (1 + Math.Exp(lnR)));
        }
    }

    /// <summary>
    /// Underwood's θ between α_HK = 1 and α_LK from Σ α_i z_i / (α_i − θ) = 1 − q (Class 1: no component lies between
    /// the keys). The function rises monotonically from −∞ to +∞ across the bracket, so the root is unique.
    /// </summary>
    public static RootResult UnderwoodTheta(ReadOnlySpan<double> alpha, ReadOnlySpan<double> z, double q, double alphaLightKey)
    {
        var a = alpha.ToArray();
        var zz = z.ToArray();
        double F(double theta)
        {
            double s = 0;
            for (var i = 0; i < a.Length; i++)
            {
                if (zz[i] > 0)
                {
                    s += a[i] * zz[i] / (a[i] - theta);
                }
            }
            return s - (1 - q);
        }
        var gap = alphaLightKey - 1;
        var lo = 1 + gap * PoleOffset;
        var hi = alphaLightKey - gap * PoleOffset;
        return BracketedRoot.Brent(F, lo, hi, F(lo), F(hi), gap * ThetaRelativeTolerance, UnderwoodResidualTolerance, UnderwoodMaxIterations);
    }

    /// <summary>Underwood: Rmin + 1 = Σ α_i x_D,i / (α_i − θ).</summary>
    public static double UnderwoodMinimumReflux(ReadOnlySpan<double> alpha, ReadOnlySpan<double> distillateComposition, double theta)
    {
        double s = 0;
        for (var i = 0; i < alpha.Length; i++)
        {
            if (distillateComposition[i] > 0)
            {
                s += alpha[i] * distillateComposition[i] / (alpha[i] - theta);
            }
        }
        return s - 1;
    }

    /// <summary>
    /// Molokanov's fit of the Gilliland correlation: Y = 1 − exp[(1 + 54.4X)/(11 + 117.2X) · (X − 1)/√X], with
    /// X = (R − Rmin)/(R + 1) and Y = (N − Nmin)/(N + 1) (Molokanov, Kerzhner, Nikolaev and Kargapolov, Int. Chem. Eng.
    /// 12 (1972) 209; as given in Seader and Henley, Separation Process Principles, 2nd ed., eq. 9-36).
    /// </summary>
    public static double Molokanov(double x) =>
        x <= 0 ? 1 : x >= 1 ? 0 : 1 - Math.Exp((1 + 54.4 * x) / (11 + 117.2 * x) * (x - 1) / Math.Sqrt(x));

    /// <summary>Gilliland (Molokanov) stages at reflux ratio R: N = (Nmin + Y)/(1 − Y).</summary>
    public static double GillilandStages(double minimumStages, double minimumReflux, double reflux)
    {
        var y = Molokanov((reflux - minimumReflux) / (reflux + 1));
        return (minimumStages + y) / (1 - y);
    }

    /// <summary>
    /// Kirkbride: N_R/N_S = [(B/D)(z_HK/z_LK)(x_B,LK/x_D,HK)²]^0.206 (Kirkbride, Petroleum Refiner 23 (1944) 321), with
    /// N_R + N_S = N. Returns the rectifying-section stages N_R (those above the feed stage).
    /// </summary>
    public static double KirkbrideRectifyingStages(double stages, double bottomsOverDistillate, double feedHeavyKey, double feedLightKey, double bottomsLightKey, double distillateHeavyKey)
    {
        var ratio = Math.Pow(bottomsOverDistillate * feedHeavyKey / feedLightKey * Math.Pow(bottomsLightKey / distillateHeavyKey, 2), 0.206);
        return stages * ratio / (1 + ratio);
    }
}

/// <summary>
/// Shortcut distillation column (Fenske–Underwood–Gilliland, Kirkbride feed stage). One feed ("in"), a distillate
/// ("distillate") and a bottoms product ("bottoms"). Given: the light and heavy key with the light key's recovery to
/// the distillate and the heavy key's to the bottoms, the condenser (total: saturated-liquid distillate; partial:
/// saturated-vapour distillate), top and bottom pressures, and the reflux ratio R or R/Rmin.
/// <para>
/// Relative volatilities come from the property package's K-values (K_i = y_i/x_i of an equilibrium flash) at three
/// points: the feed's bubble point at the mean column pressure, the top stage (dew point of the distillate
/// composition at the top pressure) and the reboiler (bubble point of the bottoms at the bottom pressure). Each
/// component's α is the geometric mean of the three, (α_F α_T α_B)^(1/3), and the same mean α serves Fenske, the
/// non-key distribution and Underwood. Since the end compositions follow from the distribution, the three are
/// iterated to a fixed point in Nmin.
/// </para>
/// <para>
/// Duties: the top vapour V = (R + 1)D is condensed to the distillate and the reflux L = RD (for a partial condenser
/// the reflux is the liquid in equilibrium with the vapour distillate; V's composition follows from the condenser's
/// component balance, at its dew point): Q_C = D h_D + L h_L − V H_V. The reboiler duty closes the column's energy
/// balance: Q_R = D h_D + B h_B − F h_F − Q_C. The unit's duty is Q_C + Q_R.
/// </para>
/// </summary>
public sealed class ShortcutColumn(string id, IReadOnlyDictionary<string, double> parameters, int lightKey, int heavyKey, bool partialCondenser) : UnitOperation(id, parameters)
{
    public const string InletPort = "in";
    public const string DistillatePort = "distillate";
    public const string BottomsPort = "bottoms";

    /// <summary>Nmin changes by less than this between volatility passes at the fixed point (far below a reported stage).</summary>
    public const double MinimumStagesTolerance = 1e-9;

    /// <summary>The end compositions settle in a handful of passes; more than this means the volatilities oscillate.</summary>
    public const int MaxVolatilityPasses = 50;

    /// <summary>Mole fractions below this carry no usable K-value (y/x of two round-off-sized numbers); the feed's α is used.</summary>
    private const double TraceFraction = 1e-12;

    public override string Type => "shortcutColumn";

    public int LightKey => lightKey;

    public int HeavyKey => heavyKey;

    public bool PartialCondenser => partialCondenser;

    public override UnitResult Calculate(UnitContext context)
    {
        var package = context.Package;
        var inlet = context.Inlets[InletPort];
        if (inlet.IsEmpty)
        {
            return UnitResult.Fail("the feed is empty: a column needs a feed to separate");
        }
        var n = inlet.ComponentMolarFlows.Length;
        var f = inlet.ComponentMolarFlows;
        if (f[lightKey] <= 0 || f[heavyKey] <= 0)
        {
            return UnitResult.Fail($"the feed has no {(f[lightKey] <= 0 ? "light" : "heavy")} key ({package.Components[f[lightKey] <= 0 ? lightKey : heavyKey].Name})");
        }
        var rLk = context.Parameter("lightKeyRecovery");
        var rHk = context.Parameter("heavyKeyRecovery");
        if (!(rLk > 0 && rLk < 1 && rHk > 0 && rHk < 1))
        {
            return UnitResult.Fail("key recoveries must lie strictly between 0 and 1");
        }
        var pTop = context.ParameterOr("topPressure", inlet.PressurePa);
        var pBottom = context.ParameterOr("bottomPressure", pTop);
        var pMean = 0.5 * (pTop + pBottom);
        var z = inlet.MoleFractions;
        var names = package.Components;

        var alphaFeed = new double[n];
        if (Volatilities(package, pMean, 0, z, null, alphaFeed) is { } feedFailure)
        {
            return UnitResult.Fail("relative volatilities at the feed: " + feedFailure);
        }
        if (!(alphaFeed[lightKey] > 1))
        {
            return UnitResult.Fail($"the light key {names[lightKey].Name} is not more volatile than the heavy key {names[heavyKey].Name} at the feed (α = {Num(alphaFeed[lightKey])})");
        }

        // Fixed point: α → Fenske distribution → end compositions → α at top and bottom → mean α.
        var alpha = (double[])alphaFeed.Clone();
        var alphaTop = new double[n];
        var alphaBottom = new double[n];
        var d = new double[n];
        var b = new double[n];
        var xD = new double[n];
        var xB = new double[n];
        double nMin = double.NaN;
        var passes = 0;
        var settled = false;
        while (passes < MaxVolatilityPasses)
        {
            passes++;
            if (!(alpha[lightKey] > 1))
            {
                return UnitResult.Fail($"the light key {names[lightKey].Name} is not more volatile than the heavy key {names[heavyKey].Name} over the column (mean α = {Num(alpha[lightKey])})");
            }
            var next = ShortcutDistillation.FenskeMinimumStages(rLk, rHk, alpha[lightKey]);
            Distribute(f, alpha, next, rLk, rHk, d, b);
            Normalise(d, xD);
            Normalise(b, xB);
            if (Math.Abs(next - nMin) <= MinimumStagesTolerance * Math.Max(1, next))
            {
                nMin = next;
                settled = true;
                break;
            }
            nMin = next;
            if (Volatilities(package, pTop, 1, xD, alphaFeed, alphaTop) is { } topFailure)
            {
                return UnitResult.Fail("relative volatilities at the top stage: " + topFailure);
            }
            if (Volatilities(package, pBottom, 0, xB, alphaFeed, alphaBottom) is { } bottomFailure)
            {
                return UnitResult.Fail("relative volatilities at the reboiler: " + bottomFailure);
            }
            for (var i = 0; i < n; i++)
            {
                alpha[i] = Math.Cbrt(alphaFeed[i] * alphaTop[i] * alphaBottom[i]);
            }
        }
        if (!settled)
        {
            return UnitResult.Fail($"the relative volatilities did not settle in {MaxVolatilityPasses} passes (last Nmin {Num(nMin)})");
        }

        for (var i = 0; i < n; i++)
        {
            if (i != lightKey && i != heavyKey && f[i] > 0 && alpha[i] > 1 && alpha[i] < alpha[lightKey])
            {
                return UnitResult.Fail($"{names[i].Name} lies between the keys (α = {Num(alpha[i])}): this shortcut column uses Underwood's Class 1 equations, which do not hold for a distributing component between the keys; choose adjacent keys");
            }
        }

        // Feed thermal condition q = (H_V − H_F)/(H_V − H_L), saturated phases of the feed composition at its pressure.
        var bubble = package.FlashPVF(inlet.PressurePa, 0, z);
        var dew = package.FlashPVF(inlet.PressurePa, 1, z);
        if (!bubble.Converged || !dew.Converged)
        {
            return UnitResult.Fail("the feed's bubble or dew point (for q): " + (bubble.FailureReason ?? dew.FailureReason));
        }
        var hL = package.Enthalpy(Phase.Liquid, bubble.TemperatureK, inlet.PressurePa, z);
        var hV = package.Enthalpy(Phase.Vapor, dew.TemperatureK, inlet.PressurePa, z);
        var q = (hV - inlet.MolarEnthalpy) / (hV - hL);

        var theta = ShortcutDistillation.UnderwoodTheta(alpha, z, q, alpha[lightKey]);
        if (!theta.Converged)
        {
            return UnitResult.Fail("Underwood's θ between the keys: " + theta.FailureReason);
        }
        var rMin = ShortcutDistillation.UnderwoodMinimumReflux(alpha, xD, theta.X);
        if (!(rMin > 0))
        {
            return UnitResult.Fail($"Underwood's minimum reflux ratio is {Num(rMin)}: the feed condition (q = {Num(q)}) and split need no reflux, which the shortcut method does not model");
        }
        var reflux = context.Has("refluxRatio") ? context.Parameter("refluxRatio") : context.Parameter("refluxRatioFactor") * rMin;
        if (!(reflux > rMin))
        {
            return UnitResult.Fail($"the reflux ratio {Num(reflux)} is not above the minimum {Num(rMin)} (Underwood): the separation cannot be made with finitely many stages");
        }
        var stages = ShortcutDistillation.GillilandStages(nMin, rMin, reflux);

        double dTotal = 0, bTotal = 0;
        for (var i = 0; i < n; i++)
        {
            dTotal += d[i];
            bTotal += b[i];
        }
        var rectifying = ShortcutDistillation.KirkbrideRectifyingStages(stages, bTotal / dTotal, z[heavyKey], z[lightKey], xB[lightKey], xD[heavyKey]);

        var distillate = StreamFactory.AtPressureVaporFraction(package, pTop, partialCondenser ? 1 : 0, (double[])d.Clone());
        if (!distillate.Succeeded)
        {
            return UnitResult.Fail("distillate: " + distillate.Failure);
        }
        var bottoms = StreamFactory.AtPressureVaporFraction(package, pBottom, 0, (double[])b.Clone());
        if (!bottoms.Succeeded)
        {
            return UnitResult.Fail("bottoms: " + bottoms.Failure);
        }
        var dist = distillate.Stream!;
        var bot = bottoms.Stream!;

        // Condenser: V = D + L, V·y_V = D·x_D + L·x_L; the reflux is saturated liquid at the condenser temperature.
        var refluxFlow = reflux * dTotal;
        var refluxComposition = partialCondenser ? dist.LiquidComposition : xD;
        var hReflux = partialCondenser ? package.Enthalpy(Phase.Liquid, dist.TemperatureK, pTop, refluxComposition) : dist.MolarEnthalpy;
        var vapourFlow = dTotal + refluxFlow;
        var yTop = new double[n];
        for (var i = 0; i < n; i++)
        {
            yTop[i] = (d[i] + refluxFlow * refluxComposition[i]) / vapourFlow;
        }
        var topVapour = package.FlashPVF(pTop, 1, yTop);
        if (!topVapour.Converged)
        {
            return UnitResult.Fail("the top vapour's dew point: " + topVapour.FailureReason);
        }
        var hTopVapour = package.Enthalpy(Phase.Vapor, topVapour.TemperatureK, pTop, yTop);
        var condenserDuty = dist.EnthalpyFlow + refluxFlow * hReflux - vapourFlow * hTopVapour;
        var reboilerDuty = dist.EnthalpyFlow + bot.EnthalpyFlow - inlet.EnthalpyFlow - condenserDuty;

        var details = new Dictionary<string, double>
        {
            ["minimumStages"] = nMin,
            ["minimumRefluxRatio"] = rMin,
            ["refluxRatio"] = reflux,
            ["stages"] = stages,
            ["rectifyingStages"] = rectifying,
            ["strippingStages"] = stages - rectifying,
            ["feedStage"] = rectifying + 1,
            ["underwoodTheta"] = theta.X,
            ["feedQ"] = q,
            ["lightKeyRelativeVolatility"] = alpha[lightKey],
            ["lightKeyRelativeVolatilityFeed"] = alphaFeed[lightKey],
            ["lightKeyRelativeVolatilityTop"] = alphaTop[lightKey],
            ["lightKeyRelativeVolatilityBottom"] = alphaBottom[lightKey],
            ["volatilityPasses"] = passes,
            ["condenserDutyW"] = condenserDuty,
            ["reboilerDutyW"] = reboilerDuty,
            ["condenserTemperatureK"] = dist.TemperatureK,
            ["reboilerTemperatureK"] = bot.TemperatureK,
            ["topVapourTemperatureK"] = topVapour.TemperatureK,
            ["distillateMolarFlow"] = dTotal,
            ["bottomsMolarFlow"] = bTotal,
        };
        return Balanced(context, new() { [DistillatePort] = dist, [BottomsPort] = bot }, condenserDuty + reboilerDuty, 0, details);
    }

    /// <summary>Fenske distribution with the keys at their specified recoveries exactly, and b = f − d.</summary>
    private void Distribute(double[] f, double[] alpha, double nMin, double rLk, double rHk, double[] d, double[] b)
    {
        ShortcutDistillation.FenskeDistribution(f, alpha, nMin, rHk, d);
        d[lightKey] = rLk * f[lightKey];
        d[heavyKey] = (1 - rHk) * f[heavyKey];
        for (var i = 0; i < f.Length; i++)
        {
            b[i] = f[i] - d[i];
        }
    }

    private static void Normalise(double[] flows, double[] x)
    {
        double total = 0;
        foreach (var v in flows)
        {
            total += v;
        }
        for (var i = 0; i < flows.Length; i++)
        {
            x[i] = flows[i] / total;
        }
    }

    /// <summary>
    /// α_i = K_i/K_HK from a saturated flash of <paramref name="x"/> (vaporFraction 0: bubble point, K = y/x; 1: dew
    /// point, K = x_given/x_liquid). Components at trace level take <paramref name="fallback"/>'s α (or 1 if none).
    /// </summary>
    private string? Volatilities(IPropertyPackage package, double pressurePa, double vaporFraction, double[] x, double[]? fallback, double[] alpha)
    {
        var flash = package.FlashPVF(pressurePa, vaporFraction, x);
        if (!flash.Converged)
        {
            return flash.FailureReason ?? "the saturation flash did not converge";
        }
        var liquid = vaporFraction == 0 ? x : flash.LiquidComposition;
        var vapour = vaporFraction == 0 ? flash.VaporComposition : x;
        var kHk = vapour[heavyKey] / liquid[heavyKey];
        for (var i = 0; i < x.Length; i++)
        {
            alpha[i] = x[i] > TraceFraction && liquid[i] > 0 && vapour[i] > 0 && liquid[heavyKey] > 0
                ? vapour[i] / liquid[i] / kHk
                : fallback?[i] ?? 1;
        }
        return double.IsFinite(kHk) && kHk > 0 ? null : "the heavy key's K-value is not finite";
    }
}
