using System.Globalization;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Streams;
using DeepSim.Engine.UnitOperations;
using DeepSim.Engine.UnitOperations.Reactions;

namespace DeepSim.Engine.Solver;

/// <summary>Component and energy balances over the whole flowsheet or over one recycle block.</summary>
internal static class FlowsheetBalance
{
    private static string Num(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>Adds each reacting unit's generation (from its reported extents or component generation) to <paramref name="generated"/>.</summary>
    public static void AddReactions(UnitOperation unit, UnitResult result, double[] generated)
    {
        if (unit is IReactiveUnit reactor)
        {
            reactor.AddGeneration(result, generated);
        }
    }

    /// <summary>|in + generated − out| relative to the component's throughput, with the trace floor of <paramref name="totalIn"/>.</summary>
    public static double Relative(double fed, double generated, double leaving, double totalIn)
    {
        var scale = Math.Max(Math.Max(fed + Math.Abs(generated), leaving), SolveBalance.TraceFraction * totalIn);
        return scale > 0 ? (fed + generated - leaving) / scale : 0;
    }

    public static SolveBalance Compute(Flowsheet flowsheet, UnitResult[] units, MaterialStream[] streams, List<int>[] inletsOf)
    {
        var n = flowsheet.Components.Count;
        var fed = new double[n];
        var generated = new double[n];
        var leaving = new double[n];
        double hIn = 0, hOut = 0, work = 0, scaleWork = 0;
        for (var u = 0; u < units.Length; u++)
        {
            var unit = flowsheet.Units[u];
            var result = units[u];
            if (unit is Feed)
            {
                foreach (var s in result.Outlets.Values)
                {
                    hIn += s.EnthalpyFlow;
                    for (var i = 0; i < n; i++)
                    {
                        fed[i] += s.ComponentMolarFlows[i];
                    }
                }
            }
            else if (unit is Product)
            {
                foreach (var s in inletsOf[u])
                {
                    hOut += streams[s].EnthalpyFlow;
                    for (var i = 0; i < n; i++)
                    {
                        leaving[i] += streams[s].ComponentMolarFlows[i];
                    }
                }
            }
            work += result.DutyW + result.PowerW;
            scaleWork += Math.Abs(result.DutyW) + Math.Abs(result.PowerW);
            AddReactions(unit, result, generated);
        }
        var totalIn = fed.Sum();
        var components = new ComponentBalance[n];
        for (var i = 0; i < n; i++)
        {
            components[i] = new ComponentBalance(flowsheet.Components[i].Name, fed[i], generated[i], leaving[i], Relative(fed[i], generated[i], leaving[i], totalIn));
        }
        var energyScale = Math.Max(Math.Max(Math.Abs(hIn), Math.Abs(hOut)), scaleWork);
        return new SolveBalance
        {
            Components = components,
            EnergyInW = hIn,
            DutyAndWorkW = work,
            EnergyOutW = hOut,
            EnergyRelative = energyScale > 0 ? (hIn + work - hOut) / energyScale : 0,
        };
    }

    /// <summary>Null when every balance closes within its tolerance; otherwise what did not close and by how much.</summary>
    public static string? Describe(SolveBalance balance)
    {
        if (!balance.IsComplete)
        {
            return "the flowsheet balances could not be computed (some stream was never calculated)";
        }
        var open = new List<string>();
        foreach (var c in balance.Components)
        {
            if (!(Math.Abs(c.Relative) <= SolveBalance.ComponentTolerance))
            {
                open.Add($"{c.Component}: in {Num(c.InMolPerS)} + generated {Num(c.GeneratedMolPerS)} − out {Num(c.OutMolPerS)} = {Num(c.InMolPerS + c.GeneratedMolPerS - c.OutMolPerS)} mol/s (relative {Num(c.Relative)})");
            }
        }
        if (open.Count > 0)
        {
            return $"the component mass balance does not close within {Num(SolveBalance.ComponentTolerance)}: {string.Join("; ", open)}";
        }
        if (!(Math.Abs(balance.EnergyRelative) <= SolveBalance.EnergyTolerance))
        {
            return $"the energy balance does not close within {Num(SolveBalance.EnergyTolerance)}: in {Num(balance.EnergyInW)} W + duty and work {Num(balance.DutyAndWorkW)} W − out {Num(balance.EnergyOutW)} W = {Num(balance.EnergyInW + balance.DutyAndWorkW - balance.EnergyOutW)} W (relative {Num(balance.EnergyRelative)})";
        }
        return null;
    }

    /// <summary>
    /// One recycle block's component balance with its tear outputs just computed: what enters its units from
    /// outside and is made inside, against what leaves to units outside. Writes the relative imbalance per component.
    /// </summary>
    public static void Block(Flowsheet flowsheet, IReadOnlyList<int> blockUnits, MaterialStream?[] streams, UnitResult?[] units, double[] fedInto, double[] relative)
    {
        var n = flowsheet.Components.Count;
        var inBlock = new bool[flowsheet.Units.Count];
        foreach (var u in blockUnits)
        {
            inBlock[u] = true;
        }
        var generated = new double[n];
        var leaving = new double[n];
        Array.Clear(fedInto);
        for (var s = 0; s < flowsheet.Streams.Count; s++)
        {
            var c = flowsheet.Streams[s];
            var value = streams[s];
            if (value is null || inBlock[c.FromUnit] == inBlock[c.ToUnit])
            {
                continue;
            }
            var target = inBlock[c.ToUnit] ? fedInto : leaving;
            for (var i = 0; i < n; i++)
            {
                target[i] += value.ComponentMolarFlows[i];
            }
        }
        foreach (var u in blockUnits)
        {
            if (units[u] is { Succeeded: true } r)
            {
                AddReactions(flowsheet.Units[u], r, generated);
            }
        }
        var totalIn = fedInto.Sum();
        for (var i = 0; i < n; i++)
        {
            relative[i] = Relative(fedInto[i], generated[i], leaving[i], totalIn);
        }
    }
}
