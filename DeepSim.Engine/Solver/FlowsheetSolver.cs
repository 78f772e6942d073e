using System.Diagnostics;
using System.Globalization;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Streams;
using DeepSim.Engine.UnitOperations;

namespace DeepSim.Engine.Solver;

/// <summary>
/// Sequential-modular solver: units in the order of <see cref="FlowsheetGraph"/>, each recycle block converged on
/// its tear streams, design specifications by Brent's method around the whole solve. Tear convergence by method
/// <c>auto</c> (the default): a block with one tear stream by bounded Wegstein with damped recovery, switching to
/// Broyden (<see cref="BroydenAccelerator"/>) if Wegstein stalls; a block with several tears by Broyden on all of
/// them at once, switching to Wegstein if Broyden keeps resetting (docs/flowsheet-format.md, "Convergence"; the
/// accelerators as surveyed by Biegler, "Systems of nonlinear equations, part II", CMU lecture notes, 2000: Broyden,
/// dominant eigenvalue, Wegstein, recycle tearing). Deterministic; bounded in iterations and wall time; never throws for a
/// flowsheet that read without errors.
/// </summary>
public static class FlowsheetSolver
{
    /// <summary>Pressure of an empty default tear guess, Pa (nominal: an empty stream's state carries no material).</summary>
    private const double DefaultGuessPressurePa = 101325;

    private const double DefaultGuessTemperatureK = 298.15;

    /// <summary>Accelerated iterations whose residual grows this many times in a row send the block to damped substitution for a while.</summary>
    private const int DivergingIterationsBeforeFallback = 3;

    /// <summary>Damped substitution steps after a diverging spell before Wegstein is tried again (long enough to get back into the contracting region).</summary>
    private const int DampedRecoveryIterations = 5;

    /// <summary>Damped substitution x ← x + λ(g − x): λ = 0.5 halves any overshoot, and cures the oscillating (s &lt; −1) loops that plain substitution cannot.</summary>
    private const double RecoveryDamping = 0.5;

    /// <summary>
    /// A loop accumulates when, its tears apparently settled or its iterations spent, a component's inventory has
    /// grown for this many consecutive passes while the loop takes in more than it releases by at least
    /// <see cref="AccumulationImbalance"/> of its inflow. A filling loop that will settle has its imbalance shrink.
    /// </summary>
    private const int AccumulationPasses = 5;

    private const double AccumulationImbalance = 0.5;

    /// <summary>
    /// Under the automatic method, Wegstein has stalled at its first diverging spell (the residual grew
    /// <see cref="DivergingIterationsBeforeFallback"/> iterations running): the block goes to Broyden instead of to
    /// damped substitution. Slow but steady progress is left to Wegstein: a loop that is filling up, or has no steady
    /// state, looks like that, and substitution-like steps are what let the accumulation check see it.
    /// </summary>
    private const int WegsteinDivergingSpellsBeforeBroyden = 1;

    /// <summary>A unit failing at a Broyden-extrapolated point sends the block back to its last computed tears at most this many times; then the failure ends the solve.</summary>
    private const int MaxBroydenStepRecoveries = 3;

    /// <summary>Under the automatic method, more resets than this send a Broyden block to bounded Wegstein for its remaining iterations.</summary>
    private const int MaxBroydenResets = 4;

    /// <summary>Below this change in a variable its Wegstein slope is meaningless; q = 0 (direct substitution) is used.</summary>
    private const double MinimumSlopeDenominator = 1e-14;

    /// <summary>
    /// One bounded Wegstein update of a variable: s = Δg/Δx from the last two iterates, q = s/(s − 1) clamped to
    /// [qMin, qMax], x_next = q·x + (1 − q)·g. q = 0 is direct substitution; q &lt; 0 extrapolates.
    /// </summary>
    public static double WegsteinStep(double x, double xPrevious, double g, double gPrevious, double qMin, double qMax)
    {
        var dx = x - xPrevious;
        var q = 0.0;
        if (Math.Abs(dx) > MinimumSlopeDenominator * Math.Max(1, Math.Abs(x)))
        {
            var slope = (g - gPrevious) / dx;
            q = slope == 1 ? qMin : slope / (slope - 1);
            q = Math.Clamp(q, qMin, qMax);
        }
        return q * x + (1 - q) * g;
    }

    public static SolveResult Solve(Flowsheet flowsheet, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(flowsheet);
        var run = new Run(flowsheet, cancellation);
        return run.SolveAll();
    }

    private sealed class Run(Flowsheet flowsheet, CancellationToken cancellation)
    {
        private readonly IReadOnlyList<CalculationBlock> blocks = FlowsheetGraph.Sequence(flowsheet.Units.Count, flowsheet.Streams);
        private readonly Dictionary<string, double>[] parameters = flowsheet.Units.Select(u => new Dictionary<string, double>(u.Parameters, StringComparer.Ordinal)).ToArray();
        private readonly List<int>[] inletsOf = BuildInlets(flowsheet);
        // A monotonic deadline checked directly: timer-based cancellation has millisecond granularity.
        private readonly long deadline = Stopwatch.GetTimestamp() + (long)Math.Min(flowsheet.Options.TimeLimitSeconds * Stopwatch.Frequency, long.MaxValue / 2);

        private readonly long started = Stopwatch.GetTimestamp();
        // The tear streams of the last solve whose recycle converged: a design specification solves the flowsheet
        // again and again at nearby values of what it varies, and each of those solves starts its recycles from here.
        private readonly MaterialStream?[] warmTears = new MaterialStream?[flowsheet.Streams.Count];
        private int iterations;
        private int solves;

        private bool Expired => cancellation.IsCancellationRequested || Stopwatch.GetTimestamp() > deadline;

        private static List<int>[] BuildInlets(Flowsheet f)
        {
            var inlets = f.Units.Select(_ => new List<int>()).ToArray();
            for (var s = 0; s < f.Streams.Count; s++)
            {
                inlets[f.Streams[s].ToUnit].Add(s);
            }
            return inlets;
        }

        private string TimeLimitReason => string.Create(CultureInfo.InvariantCulture, $"the time limit of {flowsheet.Options.TimeLimitSeconds:G} s was reached");

        public SolveResult SolveAll()
        {
            var reports = new List<DesignSpecReport>();
            var result = SolveLevel(0, reports);
            var ordered = flowsheet.DesignSpecifications.Select(d => reports.LastOrDefault(r => r.Id == d.Id)).Where(r => r is not null).Select(r => r!).ToArray();
            return new SolveResult
            {
                Flowsheet = flowsheet,
                Converged = result.Converged,
                FailureReason = result.FailureReason,
                Streams = result.Streams,
                Units = result.Units,
                Blocks = result.Blocks,
                DesignSpecs = ordered,
                Parameters = parameters,
                OverallMassBalanceRelative = result.OverallMassBalanceRelative,
                Balance = result.Balance,
                Iterations = iterations,
                FlowsheetSolves = solves,
                Warnings = ModelSanity.Analyse(flowsheet, result.Streams, result.Units),
                SolveTimeSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds,
            };
        }

        /// <summary>Design specification <paramref name="level"/> wraps the solve of the levels below it (nested bracketing).</summary>
        private SolveResult SolveLevel(int level, List<DesignSpecReport> reports)
        {
            if (level == flowsheet.DesignSpecifications.Count)
            {
                return SolveOnce();
            }
            var spec = flowsheet.DesignSpecifications[level];
            var unitParameters = parameters[spec.VaryUnit];
            var original = unitParameters[spec.VaryParameter];
            SolveResult? last = null;
            var evaluations = 0;
            double Evaluate(double x)
            {
                evaluations++;
                unitParameters[spec.VaryParameter] = x;
                last = SolveLevel(level + 1, reports);
                return last.Converged ? Measure(last, spec) - spec.TargetValue : double.NaN;
            }
            string Fail(string reason, double varied, double achieved)
            {
                reports.Add(new DesignSpecReport(spec.Id, false, evaluations, varied, achieved, spec.TargetValue, reason));
                return $"design specification '{spec.Id}': {reason}";
            }
            var fa = Evaluate(spec.Minimum);
            if (double.IsNaN(fa))
            {
                var reason = Fail($"the flowsheet did not converge with {Describe(spec)} = {Num(spec.Minimum)} (the minimum): {last!.FailureReason}", spec.Minimum, double.NaN);
                return NotConverged(last, reason);
            }
            var fb = Evaluate(spec.Maximum);
            if (double.IsNaN(fb))
            {
                var reason = Fail($"the flowsheet did not converge with {Describe(spec)} = {Num(spec.Maximum)} (the maximum): {last!.FailureReason}", spec.Maximum, double.NaN);
                return NotConverged(last, reason);
            }
            if (Math.Abs(fa) > spec.Tolerance && Math.Abs(fb) > spec.Tolerance && Math.Sign(fa) == Math.Sign(fb))
            {
                var reason = Fail(
                    $"infeasible: {spec.TargetProperty} goes from {Num(fa + spec.TargetValue)} to {Num(fb + spec.TargetValue)} as {Describe(spec)} goes from {Num(spec.Minimum)} to {Num(spec.Maximum)}; the target {Num(spec.TargetValue)} is not bracketed",
                    spec.Maximum, fb + spec.TargetValue);
                unitParameters[spec.VaryParameter] = original;
                return NotConverged(last!, reason);
            }
            var root = BracketedRoot.Brent(Evaluate, spec.Minimum, spec.Maximum, fa, fb, 1e-13 * (spec.Maximum - spec.Minimum), spec.Tolerance, flowsheet.Options.DesignSpecMaxIterations, cancellation);
            if (!root.Converged)
            {
                var why = Expired ? TimeLimitReason : root.FailureReason;
                return NotConverged(last!, Fail($"not converged: {why}", root.X, root.Fx + spec.TargetValue));
            }
            var final = Evaluate(root.X);
            if (double.IsNaN(final) || Math.Abs(final) > spec.Tolerance)
            {
                var reason = double.IsNaN(final)
                    ? $"the flowsheet did not converge at the solution: {last!.FailureReason}"
                    : $"no value in the interval meets the target within {Num(spec.Tolerance)} (closest {Num(final + spec.TargetValue)}); the response may be discontinuous";
                return NotConverged(last!, Fail(reason, root.X, final + spec.TargetValue));
            }
            reports.Add(new DesignSpecReport(spec.Id, true, evaluations, root.X, final + spec.TargetValue, spec.TargetValue, null));
            return last!;
        }

        private string Describe(DesignSpecification spec) => $"{flowsheet.Units[spec.VaryUnit].Id}.{spec.VaryParameter}";

        private static SolveResult NotConverged(SolveResult inner, string reason) => new()
        {
            Flowsheet = inner.Flowsheet,
            Converged = false,
            FailureReason = reason,
            Streams = inner.Streams,
            Units = inner.Units,
            Blocks = inner.Blocks,
            Parameters = inner.Parameters,
            OverallMassBalanceRelative = inner.OverallMassBalanceRelative,
            Balance = inner.Balance,
        };

        private static double Measure(SolveResult r, DesignSpecification spec)
        {
            if (spec.TargetKind == TargetKind.Unit)
            {
                var u = r.Units[spec.TargetIndex]!;
                return spec.TargetProperty == "duty" ? u.DutyW : u.PowerW;
            }
            var s = r.Streams[spec.TargetIndex]!;
            return spec.TargetProperty switch
            {
                "temperature" => s.TemperatureK,
                "pressure" => s.PressurePa,
                "vaporFraction" => s.VaporFraction,
                "molarFlow" => s.TotalMolarFlow,
                "massFlow" => s.MassFlow,
                "moleFraction" => s.MoleFractions[spec.TargetComponent],
                "componentMolarFlow" => s.ComponentMolarFlows[spec.TargetComponent],
                _ => double.NaN,
            };
        }

        private static string Num(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

        /// <summary>One flowsheet solve at the current parameters.</summary>
        private SolveResult SolveOnce()
        {
            solves++;
            var streamValues = new MaterialStream?[flowsheet.Streams.Count];
            var unitResults = new UnitResult?[flowsheet.Units.Count];
            var reports = new List<BlockReport>();
            string? failure = null;
            foreach (var block in blocks)
            {
                if (Expired)
                {
                    failure = TimeLimitReason;
                    break;
                }
                if (!block.IsCycle)
                {
                    failure = Compute(block.Units[0], streamValues, unitResults, null);
                    reports.Add(new BlockReport([flowsheet.Units[block.Units[0]].Id], [], failure is null, 1, []));
                }
                else
                {
                    var warm = block.TearStreams.All(t => warmTears[t] is not null);
                    var (report, reason) = Converge(block, streamValues, unitResults, warm);
                    if (reason is not null && warm)
                    {
                        // The previous solve's tears were no help here (far from this solve's answer): start as the file says.
                        var (coldReport, coldReason) = Converge(block, streamValues, unitResults, warmStart: false);
                        report = coldReport with { Notes = [$"a start from the previous solve's tears did not converge ({reason}); solved again from the initial guesses", .. coldReport.Notes] };
                        reason = coldReason;
                    }
                    if (reason is null)
                    {
                        foreach (var t in block.TearStreams)
                        {
                            warmTears[t] = streamValues[t];
                        }
                    }
                    reports.Add(report);
                    failure = reason;
                }
                if (failure is not null)
                {
                    break;
                }
            }
            var complete = Array.TrueForAll(streamValues, v => v is not null) && Array.TrueForAll(unitResults, v => v is { Succeeded: true });
            var balance = complete ? FlowsheetBalance.Compute(flowsheet, unitResults!, streamValues!, inletsOf) : SolveBalance.None;
            if (failure is null)
            {
                failure = FlowsheetBalance.Describe(balance);
            }
            return new SolveResult
            {
                Flowsheet = flowsheet,
                Converged = failure is null,
                FailureReason = failure,
                Streams = streamValues,
                Units = unitResults,
                Blocks = reports,
                Parameters = parameters,
                OverallMassBalanceRelative = complete ? OverallMassBalance(unitResults, streamValues) : double.NaN,
                Balance = balance,
            };
        }

        private double OverallMassBalance(UnitResult?[] units, MaterialStream?[] streams)
        {
            double feeds = 0, products = 0;
            for (var u = 0; u < units.Length; u++)
            {
                if (flowsheet.Units[u] is Feed)
                {
                    feeds += units[u]!.Outlets.Values.Sum(s => s.MassFlow);
                }
                else if (flowsheet.Units[u] is Product)
                {
                    products += inletsOf[u].Sum(s => streams[s]!.MassFlow);
                }
            }
            return feeds > 0 ? (feeds - products) / feeds : 0;
        }

        /// <summary>Calculates one unit; writes its outlets unless they are tears (then into <paramref name="tearOutputs"/>).</summary>
        private string? Compute(int u, MaterialStream?[] streamValues, UnitResult?[] unitResults, Dictionary<int, MaterialStream>? tearOutputs)
        {
            var unit = flowsheet.Units[u];
            var inlets = new Dictionary<string, MaterialStream>(StringComparer.Ordinal);
            foreach (var s in inletsOf[u])
            {
                var value = streamValues[s];
                if (value is null)
                {
                    return $"unit '{unit.Id}': inlet stream '{flowsheet.Streams[s].Id}' has not been calculated";
                }
                inlets[flowsheet.Streams[s].ToPort] = value;
            }
            UnitResult result;
            try
            {
                result = unit.Calculate(new UnitContext { Package = flowsheet.Package, Inlets = inlets, Parameters = parameters[u] });
            }
            catch (Exception ex) when (ex is ArithmeticException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or KeyNotFoundException)
            {
                // A unit must return failures as values; if one throws, the solve still ends with a reason.
                return $"unit '{unit.Id}' ({unit.Type}) failed unexpectedly: {ex.Message}";
            }
            unitResults[u] = result;
            if (!result.Succeeded)
            {
                return $"unit '{unit.Id}' ({unit.Type}): {result.FailureReason}";
            }
            for (var s = 0; s < flowsheet.Streams.Count; s++)
            {
                var c = flowsheet.Streams[s];
                if (c.FromUnit != u)
                {
                    continue;
                }
                if (!result.Outlets.TryGetValue(c.FromPort, out var produced))
                {
                    return $"unit '{unit.Id}' produced no stream for port '{c.FromPort}'";
                }
                if (tearOutputs is not null && tearOutputs.ContainsKey(s))
                {
                    tearOutputs[s] = produced;
                }
                else
                {
                    streamValues[s] = produced;
                }
            }
            return null;
        }

        /// <summary>The file's guess for a tear, or the reason it cannot be used (the reader has checked its ranges; a flash may still fail).</summary>
        private (MaterialStream? Stream, string? Failure) InitialGuess(int s)
        {
            var guess = flowsheet.Streams[s].InitialGuess;
            if (guess is null)
            {
                return (EmptyGuess(), null);
            }
            var outcome = StreamFactory.AtTemperaturePressure(flowsheet.Package, guess.TemperatureK, guess.PressurePa, (double[])guess.ComponentMolarFlows.Clone());
            return outcome.Succeeded ? (outcome.Stream, null) : (null, $"the initial guess of stream '{flowsheet.Streams[s].Id}' cannot be used: {outcome.Failure}");
        }

        /// <summary>Default: an empty stream, so the first pass runs on the fresh feeds alone.</summary>
        private MaterialStream EmptyGuess() =>
            StreamFactory.AtTemperaturePressure(flowsheet.Package, DefaultGuessTemperatureK, DefaultGuessPressurePa, new double[flowsheet.Package.Components.Count]).Stream!;

        private int VariableCount => flowsheet.Package.Components.Count + 2;

        private void ToVector(MaterialStream s, double[] x, int offset)
        {
            var n = flowsheet.Package.Components.Count;
            Array.Copy(s.ComponentMolarFlows, 0, x, offset, n);
            x[offset + n] = s.TemperatureK;
            x[offset + n + 1] = s.PressurePa;
        }

        /// <summary>Largest relative change of one tear stream: flows against its total, T and P against themselves.</summary>
        private double Residual(double[] x, double[] g, int offset)
        {
            var n = flowsheet.Package.Components.Count;
            double totalX = 0, totalG = 0, worst = 0;
            for (var i = 0; i < n; i++)
            {
                totalX += Math.Abs(x[offset + i]);
                totalG += Math.Abs(g[offset + i]);
            }
            var flowScale = Math.Max(totalX, totalG);
            if (flowScale <= 0)
            {
                return 0; // both empty: T and P are nominal
            }
            for (var i = 0; i < n; i++)
            {
                worst = Math.Max(worst, Math.Abs(g[offset + i] - x[offset + i]) / flowScale);
            }
            if (totalX > 0 && totalG > 0)
            {
                worst = Math.Max(worst, Math.Abs(g[offset + n] - x[offset + n]) / Math.Max(Math.Abs(g[offset + n]), 1));
                worst = Math.Max(worst, Math.Abs(g[offset + n + 1] - x[offset + n + 1]) / Math.Max(Math.Abs(g[offset + n + 1]), 1));
            }
            return worst;
        }

        /// <summary>
        /// Converges one recycle block. Its tears start from the file's initial guesses (or empty streams), or with
        /// <paramref name="warmStart"/> from the tears of the last solve that converged this block.
        /// </summary>
        private (BlockReport Report, string? Failure) Converge(CalculationBlock block, MaterialStream?[] streamValues, UnitResult?[] unitResults, bool warmStart)
        {
            var options = flowsheet.Options;
            var tears = block.TearStreams;
            var m = VariableCount;
            var n = m - 2;
            var size = m * tears.Count;
            var x = new double[size];
            var g = new double[size];
            var xPrevious = new double[size];
            var gPrevious = new double[size];
            var history = new List<IterationRecord>();
            var notes = new List<string>();
            var unitNames = block.Units.Select(u => flowsheet.Units[u].Id).ToArray();
            var tearNames = tears.Select(t => flowsheet.Streams[t].Id).ToArray();
            var blockMethod = "";
            BlockReport Report(bool converged, int count) => new(unitNames, tearNames, converged, count, history) { Notes = notes, Method = blockMethod };
            string Loop() => string.Join(", ", unitNames);

            var current = new MaterialStream[tears.Count];
            var fromGuess = false;
            for (var t = 0; t < tears.Count; t++)
            {
                if (warmStart)
                {
                    current[t] = warmTears[tears[t]]!;
                    continue;
                }
                var (stream, failure) = InitialGuess(tears[t]);
                if (failure is not null)
                {
                    return (Report(false, 0), failure);
                }
                current[t] = stream!;
                fromGuess |= flowsheet.Streams[tears[t]].InitialGuess is not null;
            }
            if (warmStart)
            {
                notes.Add("started from the tears of the previous converged solve");
            }

            var fedInto = new double[n];
            var imbalance = new double[n];
            var inventory = new double[n];
            var previousInventory = new double[n];
            var growth = new int[n];
            // The automatic rule (docs/flowsheet-format.md, "Convergence"): one tear stream → bounded Wegstein, which
            // treats each variable on its own and is exact for a loop whose variables do not interact; several tears →
            // Broyden on all of them at once, since Wegstein's per-variable secants miss how one tear drives another.
            var auto = options.Method == ConvergenceMethod.Auto;
            var useBroyden = options.Method == ConvergenceMethod.Broyden || (auto && tears.Count > 1);
            var wegstein = options.Method == ConvergenceMethod.Wegstein || (auto && !useBroyden);
            var broyden = useBroyden ? new BroydenAccelerator(tears.Count, n) : null;
            var broydenNext = new double[size];
            blockMethod = useBroyden ? "broyden" : wegstein ? "wegstein" : "direct";
            var divergingSpells = 0;
            var switches = 0; // the automatic method: at most Wegstein → Broyden → Wegstein, or Broyden → Wegstein
            MaterialStream[]? lastComputed = null; // the tears as the units last computed them (before any acceleration)
            var stepRecoveries = 0;
            var qMin = options.WegsteinMinQ;
            var growing = 0;
            var damped = 0;
            var secantReady = false; // Wegstein needs two iterates since the last (re)start
            var method = "direct";
            var previousWorst = double.PositiveInfinity;

            // More than half of what the loop takes in stays in it: a loop still filling (or one that never stops).
            bool Filling()
            {
                for (var i = 0; i < n; i++)
                {
                    if (imbalance[i] > AccumulationImbalance)
                    {
                        return true;
                    }
                }
                return false;
            }

            string? Accumulating()
            {
                var names = new List<string>();
                for (var i = 0; i < n; i++)
                {
                    if (growth[i] >= AccumulationPasses && imbalance[i] > AccumulationImbalance)
                    {
                        names.Add($"{flowsheet.Components[i].Name} (fed {Num(fedInto[i])} mol/s, {Num(imbalance[i] * 100)} % of it stays in the loop each pass)");
                    }
                }
                return names.Count == 0 ? null : $"material accumulates in the loop through {Loop()}: {string.Join(", ", names)}; no steady state for these specifications";
            }

            for (var iteration = 1; iteration <= options.MaxIterations; iteration++)
            {
                if (Expired)
                {
                    return (Report(false, iteration - 1), TimeLimitReason + $" while converging the recycle torn at {string.Join(", ", tearNames)}");
                }
                iterations++;
                var tearOutputs = new Dictionary<int, MaterialStream>();
                for (var t = 0; t < tears.Count; t++)
                {
                    streamValues[tears[t]] = current[t];
                    tearOutputs[tears[t]] = null!;
                    ToVector(current[t], x, t * m);
                }
                string? unitFailure = null;
                foreach (var u in block.Units)
                {
                    unitFailure = Compute(u, streamValues, unitResults, tearOutputs);
                    if (unitFailure is not null)
                    {
                        break;
                    }
                }
                if (unitFailure is not null)
                {
                    if (method != "broyden" || lastComputed is null || stepRecoveries >= MaxBroydenStepRecoveries)
                    {
                        return (Report(false, iteration), $"{unitFailure} (recycle iteration {iteration})");
                    }
                    // A unit refused the point Broyden extrapolated to: go back to the tears last computed by the units
                    // themselves (a substitution step) with the Jacobian reset, instead of ending the solve.
                    stepRecoveries++;
                    notes.Add($"iteration {iteration}: {unitFailure} at the Broyden step; Broyden reset, continued from the last computed tear streams");
                    broyden!.Reset();
                    current = lastComputed;
                    lastComputed = null;
                    method = "direct";
                    previousWorst = double.PositiveInfinity;
                    continue;
                }
                var residuals = new double[tears.Count];
                var worst = 0.0;
                Array.Clear(inventory);
                for (var t = 0; t < tears.Count; t++)
                {
                    ToVector(tearOutputs[tears[t]], g, t * m);
                    residuals[t] = Residual(x, g, t * m);
                    worst = Math.Max(worst, residuals[t]);
                    for (var i = 0; i < n; i++)
                    {
                        inventory[i] += g[(t * m) + i];
                    }
                }
                history.Add(new IterationRecord(iteration, method, residuals));
                FlowsheetBalance.Block(flowsheet, block.Units, streamValues, unitResults, fedInto, imbalance);
                var balanceClosed = true;
                for (var i = 0; i < n; i++)
                {
                    growth[i] = inventory[i] > previousInventory[i] ? growth[i] + 1 : 0;
                    balanceClosed &= Math.Abs(imbalance[i]) <= SolveBalance.ComponentTolerance;
                }
                Array.Copy(inventory, previousInventory, n);
                if (worst <= options.Tolerance)
                {
                    if (balanceClosed)
                    {
                        for (var t = 0; t < tears.Count; t++)
                        {
                            streamValues[tears[t]] = tearOutputs[tears[t]];
                        }
                        return (Report(true, iteration), null);
                    }
                    if (fromGuess)
                    {
                        // The tears look settled but the loop does not balance: the guess swamps the feed (a huge flow hides
                        // it in round-off). Start once more from empty streams, as if no guess had been given.
                        var worstComponent = 0;
                        for (var i = 1; i < n; i++)
                        {
                            worstComponent = Math.Abs(imbalance[i]) > Math.Abs(imbalance[worstComponent]) ? i : worstComponent;
                        }
                        notes.Add($"iteration {iteration}: the initial guess was discarded (with it the loop's {flowsheet.Components[worstComponent].Name} balance was off by {Num(imbalance[worstComponent] * 100)} % while the tears had settled); restarted from empty streams");
                        fromGuess = false;
                        for (var t = 0; t < tears.Count; t++)
                        {
                            current[t] = EmptyGuess();
                        }
                        Array.Clear(growth);
                        Array.Clear(previousInventory);
                        secantReady = false;
                        growing = 0;
                        previousWorst = double.PositiveInfinity;
                        broyden?.Reset();
                        method = "direct";
                        continue;
                    }
                    if (Accumulating() is { } accumulation)
                    {
                        return (Report(false, iteration), accumulation);
                    }
                }
                growing = method == "wegstein" && worst > previousWorst ? growing + 1 : 0;
                previousWorst = worst;
                if (growing >= DivergingIterationsBeforeFallback)
                {
                    // Acceleration is making things worse: damp for a few passes, then accelerate again within narrower bounds.
                    damped = DampedRecoveryIterations;
                    growing = 0;
                    divergingSpells++;
                    qMin = Math.Min(qMin / 2, options.WegsteinMaxQ);
                }
                if (auto && switches == 0 && wegstein && broyden is null && divergingSpells >= WegsteinDivergingSpellsBeforeBroyden
                    && iteration > AccumulationPasses && !Filling())
                {
                    // Wegstein stalls: let Broyden take the tears from here (H = −I, so its first step is substitution). Not
                    // while the loop is filling up, nor before it could be seen to: that is the flowsheet's doing, and
                    // substitution is what shows it (Broyden's steps on a loop without a steady state do not fill it steadily).
                    notes.Add(string.Create(CultureInfo.InvariantCulture, $"iteration {iteration}: Wegstein stalled (its largest residual grew {DivergingIterationsBeforeFallback} iterations running, to {worst:G3}); switched to Broyden"));
                    wegstein = false;
                    switches++;
                    damped = 0;
                    broyden = new BroydenAccelerator(tears.Count, n);
                    blockMethod = "wegstein, then broyden";
                }
                if (auto && switches <= 1 && broyden is not null && broyden.Resets > MaxBroydenResets)
                {
                    // Broyden keeps losing its model: the bounded, self-damping Wegstein is the safer way to spend what is left.
                    notes.Add(string.Create(CultureInfo.InvariantCulture, $"iteration {iteration}: Broyden was reset {broyden.Resets} times (largest residual {worst:G3}); switched to Wegstein"));
                    broyden = null;
                    wegstein = true;
                    switches = 2;
                    growing = 0;
                    secantReady = false;
                    blockMethod += ", then wegstein";
                }
                string nextMethod;
                var next = new MaterialStream[tears.Count];
                for (var t = 0; t < tears.Count; t++)
                {
                    var computed = tearOutputs[tears[t]];
                    next[t] = computed;
                }
                if (damped > 0)
                {
                    damped--;
                    nextMethod = "damped";
                    Step(next, (offset, i) => x[offset + i] + (RecoveryDamping * (g[offset + i] - x[offset + i])));
                }
                else if (broyden is not null && secantReady)
                {
                    nextMethod = "broyden";
                    broyden.Next(x, g, broydenNext);
                    Step(next, (offset, i) => broydenNext[offset + i]);
                }
                else if (wegstein && secantReady)
                {
                    nextMethod = "wegstein";
                    Step(next, (offset, i) => WegsteinStep(x[offset + i], xPrevious[offset + i], g[offset + i], gPrevious[offset + i], qMin, options.WegsteinMaxQ));
                }
                else
                {
                    nextMethod = "direct";
                }
                secantReady = true;
                method = nextMethod;
                Array.Copy(x, xPrevious, size);
                Array.Copy(g, gPrevious, size);
                lastComputed = tears.Select(t => tearOutputs[t]).ToArray();
                current = next;
            }
            var why = string.Create(CultureInfo.InvariantCulture,
                $"the recycle torn at {string.Join(", ", tearNames)} did not converge in {options.MaxIterations} iterations (largest residual {previousWorst:G3}, tolerance {options.Tolerance:G3})");
            if (Accumulating() is { } accumulated)
            {
                why += "; " + accumulated;
            }
            else if (previousWorst <= options.Tolerance)
            {
                var worstComponent = 0;
                for (var i = 1; i < n; i++)
                {
                    worstComponent = Math.Abs(imbalance[i]) > Math.Abs(imbalance[worstComponent]) ? i : worstComponent;
                }
                why += string.Create(CultureInfo.InvariantCulture, $"; the tears settled but the loop's {flowsheet.Components[worstComponent].Name} balance is still off by {imbalance[worstComponent]:G3} (tolerance {SolveBalance.ComponentTolerance:G3})");
            }
            return (Report(false, options.MaxIterations), why);

            // Replaces each tear's next value by the stream at the stepped variables (kept as computed if that flash fails).
            void Step(MaterialStream[] next, Func<int, int, double> stepped)
            {
                for (var t = 0; t < tears.Count; t++)
                {
                    var offset = t * m;
                    var flows = new double[n];
                    for (var i = 0; i < n; i++)
                    {
                        flows[i] = Math.Max(0, stepped(offset, i));
                    }
                    var temperature = stepped(offset, n);
                    var pressure = stepped(offset, n + 1);
                    temperature = temperature > 0 ? temperature : g[offset + n];
                    pressure = pressure > 0 ? pressure : g[offset + n + 1];
                    var outcome = StreamFactory.AtTemperaturePressure(flowsheet.Package, temperature, pressure, flows);
                    if (outcome.Succeeded)
                    {
                        next[t] = outcome.Stream!;
                    }
                }
            }
        }
    }
}
