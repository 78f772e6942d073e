using DeepSim.Engine.Numerics;
using DeepSim.Engine.Solver;
using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations.Reactions;

namespace DeepSim.Engine.UnitOperations;

/// <summary>
/// A reactor with power-law kinetics over a volume ("volume", m³), at a pressure ("pressure", default the inlet's),
/// isothermal ("outletTemperature", default the inlet's) or adiabatic. The unknowns are the reaction extents
/// (mol/s), so flows = inlet + Σ ν ξ conserve mass by construction and the flowsheet balance reads the extents.
/// </summary>
public abstract class KineticReactor(string id, IReadOnlyDictionary<string, double> parameters, IReadOnlyList<KineticReaction> reactions, Phase phase, RateBasis basis, bool adiabatic)
    : UnitOperation(id, parameters), IReactiveUnit
{
    public const string InletPort = "in";
    public const string OutletPort = "out";

    public IReadOnlyList<KineticReaction> Reactions => reactions;

    public bool Adiabatic => adiabatic;

    public Phase Phase => phase;

    public RateBasis Basis => basis;

    public void AddGeneration(UnitResult result, double[] generated) => ReactionReport.AddFromExtents([.. reactions.Select(r => r.Stoichiometry)], result, generated);

    /// <summary>Extents at an isothermal temperature, or a failure; <paramref name="details"/> gets unit-specific figures.</summary>
    protected abstract (double[]? Extents, string? Failure) Extents(RateModel model, double temperatureK, double pressurePa, double volumeM3, MaterialStream inlet, Dictionary<string, double> details);

    /// <summary>Adiabatic: the extents and outlet temperature together (the CSTR searches T, the PFR integrates it).</summary>
    protected abstract (double[]? Extents, double TemperatureK, string? Failure) AdiabaticExtents(RateModel model, double pressurePa, double volumeM3, MaterialStream inlet, Dictionary<string, double> details);

    public override UnitResult Calculate(UnitContext context)
    {
        var inlet = context.Inlets[InletPort];
        var package = context.Package;
        var pressurePa = context.ParameterOr("pressure", inlet.PressurePa);
        var volumeM3 = context.Parameter("volume");
        if (!(volumeM3 > 0))
        {
            return UnitResult.Fail($"the volume {Num(volumeM3)} m³ must be positive");
        }
        var model = new RateModel(package, reactions, phase, basis);
        if (model.Check() is { } problem)
        {
            return UnitResult.Fail(problem);
        }
        var details = new Dictionary<string, double>();
        double[] extents;
        double temperatureK;
        if (inlet.IsEmpty)
        {
            extents = new double[reactions.Count];
            temperatureK = inlet.TemperatureK;
        }
        else if (adiabatic)
        {
            var (xi, t, failure) = AdiabaticExtents(model, pressurePa, volumeM3, inlet, details);
            if (failure is not null)
            {
                return UnitResult.Fail(failure);
            }
            extents = xi!;
            temperatureK = t;
        }
        else
        {
            temperatureK = context.ParameterOr("outletTemperature", inlet.TemperatureK);
            var (xi, failure) = Extents(model, temperatureK, pressurePa, volumeM3, inlet, details);
            if (failure is not null)
            {
                return UnitResult.Fail(failure);
            }
            extents = xi!;
        }
        var flows = new double[inlet.ComponentMolarFlows.Length];
        model.Flows(inlet.ComponentMolarFlows, extents, flows);
        for (var r = 0; r < extents.Length; r++)
        {
            details[ReactionReport.Extent(r)] = extents[r];
        }
        details["temperatureK"] = temperatureK;
        var total = flows.Sum(f => Math.Max(f, 0));
        var outcome = adiabatic
            ? StreamFactory.AtPressureEnthalpy(package, pressurePa, total > 0 ? inlet.EnthalpyFlow / total : 0, flows, temperatureK)
            : StreamFactory.AtTemperaturePressure(package, temperatureK, pressurePa, flows);
        if (!outcome.Succeeded)
        {
            return UnitResult.Fail(outcome.Failure!);
        }
        var outlet = outcome.Stream!;
        var notes = ReactionReport.CompareWithEquilibrium(package, outlet, model.Stoichiometry, extents, details);
        return Balanced(context, new() { [OutletPort] = outlet }, adiabatic ? 0 : outlet.EnthalpyFlow - inlet.EnthalpyFlow, 0, details, notes);
    }

    /// <summary>Largest extent each reaction alone could reach before a reactant runs out.</summary>
    protected static double[] MaximumExtents(IReadOnlyList<KineticReaction> reactions, ReadOnlySpan<double> feed)
    {
        var max = new double[reactions.Count];
        for (var r = 0; r < reactions.Count; r++)
        {
            max[r] = ChemicalEquilibrium.Bounds(feed, reactions[r].Stoichiometry).Hi;
        }
        return max;
    }
}

/// <summary>
/// Continuous stirred-tank reactor: the outlet is the tank's contents, so ξᵣ = V rᵣ(T, c_out). One reaction: Brent on
/// [0, the limiting reactant's exhaustion]. Several: Newton on ξ − V r(ξ) with a finite-difference Jacobian, steps cut
/// to keep flows positive and to lower the residual. Adiabatic: Brent on T around that, from the inlet temperature.
/// </summary>
public sealed class StirredTankReactor(string id, IReadOnlyDictionary<string, double> parameters, IReadOnlyList<KineticReaction> reactions, Phase phase, RateBasis basis, bool adiabatic)
    : KineticReactor(id, parameters, reactions, phase, basis, adiabatic)
{
    public const int MaxIterations = 200;

    /// <summary>|ξ − V r| at convergence relative to the inlet flow: the extents are then as exact as the rates.</summary>
    public const double RelativeTolerance = 1e-13;

    private const double BoundaryFraction = 0.01;

    public override string Type => "cstr";

    protected override (double[]? Extents, string? Failure) Extents(RateModel model, double temperatureK, double pressurePa, double volumeM3, MaterialStream inlet, Dictionary<string, double> details)
    {
        var result = Solve(model, temperatureK, pressurePa, volumeM3, inlet.ComponentMolarFlows, null);
        if (result.Extents is not null)
        {
            Report(model, temperatureK, pressurePa, volumeM3, inlet.ComponentMolarFlows, result.Extents, details);
        }
        return result;
    }

    protected override (double[]? Extents, double TemperatureK, string? Failure) AdiabaticExtents(RateModel model, double pressurePa, double volumeM3, MaterialStream inlet, Dictionary<string, double> details)
    {
        double[]? warm = null;
        string? lastFailure = null;
        var flows = new double[inlet.ComponentMolarFlows.Length];
        double Excess(double temperatureK)
        {
            var (xi, why) = Solve(model, temperatureK, pressurePa, volumeM3, inlet.ComponentMolarFlows, warm);
            lastFailure = why;
            if (xi is null)
            {
                return double.NaN;
            }
            warm = xi;
            model.Flows(inlet.ComponentMolarFlows, xi, flows);
            try
            {
                return model.EnthalpyFlow(temperatureK, pressurePa, flows) - inlet.EnthalpyFlow;
            }
            catch (ArgumentException)
            {
                return double.NaN;
            }
        }
        var (t, failure) = AdiabaticSearch.Find(Excess, inlet.TemperatureK, Math.Abs(inlet.EnthalpyFlow));
        if (failure is not null)
        {
            return (null, double.NaN, lastFailure is null ? failure : $"{failure}: {lastFailure}");
        }
        var (extents, why) = Solve(model, t, pressurePa, volumeM3, inlet.ComponentMolarFlows, warm);
        if (extents is not null)
        {
            Report(model, t, pressurePa, volumeM3, inlet.ComponentMolarFlows, extents, details);
        }
        return (extents, t, why);
    }

    private static void Report(RateModel model, double temperatureK, double pressurePa, double volumeM3, double[] feed, double[] extents, Dictionary<string, double> details)
    {
        var flows = new double[feed.Length];
        model.Flows(feed, extents, flows);
        var total = flows.Sum(f => Math.Max(f, 0));
        if (total > 0)
        {
            var x = flows.Select(f => Math.Max(f, 0) / total).ToArray();
            var q = total * model.MolarVolume(temperatureK, pressurePa, x);
            details["volumetricFlowM3PerS"] = q;
            details["residenceTimeS"] = volumeM3 / q;
        }
        var rates = new double[extents.Length];
        if (model.TryRates(temperatureK, pressurePa, flows, rates))
        {
            for (var r = 0; r < rates.Length; r++)
            {
                details[$"reactions[{r}].rateMolPerM3S"] = rates[r];
            }
        }
    }

    private static (double[]? Extents, string? Failure) Solve(RateModel model, double temperatureK, double pressurePa, double volumeM3, double[] feed, double[]? guess)
    {
        var count = model.Reactions.Count;
        var total = feed.Sum();
        var flows = new double[feed.Length];
        var rates = new double[count];
        var maxExtents = MaximumExtents(model.Reactions, feed);
        if (count == 1)
        {
            double Residual(double xi)
            {
                model.Flows(feed, [xi], flows);
                return model.TryRates(temperatureK, pressurePa, flows, rates) ? xi - (volumeM3 * rates[0]) : double.NaN;
            }
            var hi = maxExtents[0];
            var f0 = Residual(0);
            var fHi = Residual(hi);
            if (double.IsNaN(f0) || double.IsNaN(fHi))
            {
                return (null, $"the rate could not be evaluated at {Num(temperatureK)} K");
            }
            if (f0 >= 0)
            {
                return ([0.0], null);
            }
            if (fHi <= 0)
            {
                // A zero-order reactant would go on reacting past exhaustion: the tank runs it out.
                return ([hi], null);
            }
            var root = BracketedRoot.Brent(Residual, 0, hi, f0, fHi, RelativeTolerance * Math.Max(hi, double.Epsilon), RelativeTolerance * total, MaxIterations);
            return root.Converged ? ([root.X], null) : (null, $"the CSTR balance did not converge at {Num(temperatureK)} K: {root.FailureReason}");
        }
        var xiNow = guess is { Length: > 0 } ? (double[])guess.Clone() : new double[count];
        var residual = new double[count];
        bool Evaluate(double[] xi, double[] into)
        {
            model.Flows(feed, xi, flows);
            foreach (var f in flows)
            {
                if (f < -1e-12 * total)
                {
                    return false;
                }
            }
            if (!model.TryRates(temperatureK, pressurePa, flows, rates))
            {
                return false;
            }
            for (var r = 0; r < count; r++)
            {
                into[r] = xi[r] - (volumeM3 * rates[r]);
            }
            return true;
        }
        if (!Evaluate(xiNow, residual))
        {
            Array.Clear(xiNow);
            if (!Evaluate(xiNow, residual))
            {
                return (null, $"the rates could not be evaluated at {Num(temperatureK)} K");
            }
        }
        var jacobian = new double[count, count];
        var step = new double[count];
        var trial = new double[count];
        var trialResidual = new double[count];
        var shifted = new double[count];
        for (var iteration = 0; iteration < MaxIterations; iteration++)
        {
            var norm = residual.Max(Math.Abs);
            if (norm <= RelativeTolerance * total)
            {
                return (xiNow, null);
            }
            for (var s = 0; s < count; s++)
            {
                var h = 1e-7 * Math.Max(Math.Abs(xiNow[s]), 1e-6 * total);
                Array.Copy(xiNow, trial, count);
                // Difference away from the boundary so the perturbed flows stay valid.
                trial[s] += xiNow[s] + h <= maxExtents[s] ? h : -h;
                var hUsed = trial[s] - xiNow[s];
                if (!Evaluate(trial, shifted))
                {
                    return (null, $"the rates could not be evaluated near the CSTR solution at {Num(temperatureK)} K");
                }
                for (var r = 0; r < count; r++)
                {
                    jacobian[r, s] = (shifted[r] - residual[r]) / hUsed;
                }
                step[s] = -residual[s];
            }
            if (!DenseLinear.Solve(jacobian, step))
            {
                return (null, "the CSTR balance Jacobian is singular (linearly dependent reactions?)");
            }
            var alpha = 1.0;
            model.Flows(feed, xiNow, flows);
            for (var i = 0; i < feed.Length; i++)
            {
                double dn = 0;
                for (var r = 0; r < count; r++)
                {
                    dn += model.Reactions[r].Stoichiometry[i] * step[r];
                }
                if (dn < 0 && flows[i] > 0)
                {
                    alpha = Math.Min(alpha, (1 - BoundaryFraction) * flows[i] / -dn);
                }
            }
            var accepted = false;
            for (var halving = 0; halving < 40; halving++)
            {
                for (var r = 0; r < count; r++)
                {
                    trial[r] = xiNow[r] + (alpha * step[r]);
                }
                if (Evaluate(trial, trialResidual) && trialResidual.Max(Math.Abs) < norm)
                {
                    accepted = true;
                    break;
                }
                alpha /= 2;
            }
            if (!accepted)
            {
                return (null, $"the CSTR balance stalled at {Num(temperatureK)} K (residual {Num(norm)} mol/s)");
            }
            Array.Copy(trial, xiNow, count);
            Array.Copy(trialResidual, residual, count);
        }
        return (null, $"the CSTR balance did not converge in {MaxIterations} iterations at {Num(temperatureK)} K");
    }
}

/// <summary>
/// Plug-flow reactor: dξᵣ/dV = rᵣ(T, c) from 0 to V by the Cash–Karp embedded Runge–Kutta 4(5) pair with adaptive
/// steps (local error per step below 1e-10 relative to the extents, 1e-12 of the inlet flow absolute). Adiabatic: at
/// every point T solves H(T, flows) = H_in in the reacting phase, so the energy balance holds along the whole tube.
/// </summary>
public sealed class PlugFlowReactor(string id, IReadOnlyDictionary<string, double> parameters, IReadOnlyList<KineticReaction> reactions, Phase phase, RateBasis basis, bool adiabatic)
    : KineticReactor(id, parameters, reactions, phase, basis, adiabatic)
{
    /// <summary>Enough for any non-stiff rate law to 1e-10; stiff kinetics fail here with a reason rather than run on.</summary>
    public const int MaxSteps = 20_000;

    private const double RelativeTolerance = 1e-10;
    private const double AbsoluteTolerance = 1e-12;
    private const double MinStepFraction = 1e-14;

    // Cash & Karp (ACM TOMS 16, 201, 1990) coefficients.
    private static readonly double[] C = [0, 1.0 / 5, 3.0 / 10, 3.0 / 5, 1, 7.0 / 8];
    private static readonly double[][] A =
    [
        [],
        [1.0 / 5],
        [3.0 / 40, 9.0 / 40],
        [3.0 / 10, -9.0 / 10, 6.0 / 5],
        [-11.0 / 54, 5.0 / 2, -70.0 / 27, 35.0 / 27],
        [1631.0 / 55296, 175.0 / 512, 575.0 / 13824, 44275.0 / 110592, 253.0 / 4096],
    ];
    private static readonly double[] B5 = [37.0 / 378, 0, 250.0 / 621, 125.0 / 594, 0, 512.0 / 1771];
    private static readonly double[] B4 = [2825.0 / 27648, 0, 18575.0 / 48384, 13525.0 / 55296, 277.0 / 14336, 1.0 / 4];

    public override string Type => "pfr";

    protected override (double[]? Extents, string? Failure) Extents(RateModel model, double temperatureK, double pressurePa, double volumeM3, MaterialStream inlet, Dictionary<string, double> details)
    {
        var (xi, _, failure) = Integrate(model, pressurePa, volumeM3, inlet, temperatureK, details);
        return (xi, failure);
    }

    protected override (double[]? Extents, double TemperatureK, string? Failure) AdiabaticExtents(RateModel model, double pressurePa, double volumeM3, MaterialStream inlet, Dictionary<string, double> details) =>
        Integrate(model, pressurePa, volumeM3, inlet, double.NaN, details);

    private (double[]? Extents, double TemperatureK, string? Failure) Integrate(RateModel model, double pressurePa, double volumeM3, MaterialStream inlet, double isothermalK, Dictionary<string, double> details)
    {
        var feed = inlet.ComponentMolarFlows;
        var count = model.Reactions.Count;
        var total = feed.Sum();
        var flows = new double[feed.Length];
        var xi = new double[count];
        var stage = new double[count];
        var k = new double[6][];
        for (var s = 0; s < 6; s++)
        {
            k[s] = new double[count];
        }
        var next = new double[count];
        var error = new double[count];
        // The adiabatic temperature of the last evaluation, the next one's starting guess.
        var lastK = Adiabatic ? inlet.TemperatureK : isothermalK;
        if (Adiabatic)
        {
            lastK = model.TemperatureAtEnthalpy(pressurePa, feed, inlet.EnthalpyFlow, inlet.TemperatureK);
            if (double.IsNaN(lastK))
            {
                return (null, double.NaN, "the inlet enthalpy has no temperature in the reacting phase");
            }
        }
        bool Rates(double[] extents, double[] into)
        {
            model.Flows(feed, extents, flows);
            var t = isothermalK;
            if (Adiabatic)
            {
                t = model.TemperatureAtEnthalpy(pressurePa, flows, inlet.EnthalpyFlow, lastK);
                if (double.IsNaN(t))
                {
                    return false;
                }
                lastK = t;
            }
            return model.TryRates(t, pressurePa, flows, into);
        }
        double v = 0, h = volumeM3 / 100;
        int steps = 0, rejected = 0;
        while (v < volumeM3)
        {
            if (steps + rejected >= MaxSteps)
            {
                return (null, double.NaN, $"the PFR integration needed more than {MaxSteps} steps (stiff kinetics?) at {Num(v)} of {Num(volumeM3)} m³");
            }
            h = Math.Min(h, volumeM3 - v);
            var ok = true;
            for (var s = 0; s < 6 && ok; s++)
            {
                for (var r = 0; r < count; r++)
                {
                    var sum = xi[r];
                    for (var j = 0; j < s; j++)
                    {
                        sum += h * A[s][j] * k[j][r];
                    }
                    stage[r] = sum;
                }
                ok = Rates(stage, k[s]);
            }
            double errorNorm = 0;
            if (ok)
            {
                for (var r = 0; r < count; r++)
                {
                    double hi5 = 0, lo4 = 0;
                    for (var s = 0; s < 6; s++)
                    {
                        hi5 += B5[s] * k[s][r];
                        lo4 += B4[s] * k[s][r];
                    }
                    next[r] = xi[r] + (h * hi5);
                    error[r] = h * (hi5 - lo4);
                    var scale = (AbsoluteTolerance * total) + (RelativeTolerance * Math.Max(Math.Abs(xi[r]), Math.Abs(next[r])));
                    errorNorm = Math.Max(errorNorm, Math.Abs(error[r]) / scale);
                }
                model.Flows(feed, next, flows);
                foreach (var f in flows)
                {
                    ok &= f >= -AbsoluteTolerance * total;
                }
            }
            if (ok && errorNorm <= 1)
            {
                v += h;
                Array.Copy(next, xi, count);
                steps++;
                h *= errorNorm > 0 ? Math.Clamp(0.9 * Math.Pow(errorNorm, -0.2), 0.2, 5) : 5;
            }
            else
            {
                rejected++;
                h *= ok ? Math.Clamp(0.9 * Math.Pow(errorNorm, -0.25), 0.1, 0.5) : 0.25;
            }
            if (h < MinStepFraction * volumeM3 && v < volumeM3)
            {
                return (null, double.NaN, $"the PFR step fell below {Num(MinStepFraction * volumeM3)} m³ at {Num(v)} m³ (the rates could not be evaluated or are too stiff)");
            }
        }
        details["steps"] = steps;
        details["rejectedSteps"] = rejected;
        var temperatureK = isothermalK;
        if (Adiabatic)
        {
            model.Flows(feed, xi, flows);
            temperatureK = model.TemperatureAtEnthalpy(pressurePa, flows, inlet.EnthalpyFlow, lastK);
            if (double.IsNaN(temperatureK))
            {
                return (null, double.NaN, "the outlet enthalpy has no temperature in the reacting phase");
            }
        }
        // Space time: the volume over the feed's volumetric flow as the reacting phase at the reactor's inlet temperature.
        var x = feed.Select(f => f / total).ToArray();
        var inletK = Adiabatic ? model.TemperatureAtEnthalpy(pressurePa, feed, inlet.EnthalpyFlow, inlet.TemperatureK) : isothermalK;
        details["spaceTimeS"] = volumeM3 / (total * model.MolarVolume(inletK, pressurePa, x));
        return (xi, temperatureK, null);
    }
}
