using DeepSim.Web.Units;

namespace DeepSim.Web.Components.Results;

/// <summary>One stream quantity of two runs side by side.</summary>
public sealed record ComparedValue(string StreamId, StreamRow Row, double? A, double? B, double Scale)
{
    /// <summary>|B − A| relative to the larger magnitude (or to <see cref="Scale"/> when that is larger: fractions against 1, component flows against the stream's flow).</summary>
    public double? Relative
    {
        get
        {
            if (A is not { } a || B is not { } b)
            {
                return null;
            }
            var denominator = Math.Max(Math.Max(Math.Abs(a), Math.Abs(b)), Scale);
            return denominator == 0 ? 0 : Math.Abs(b - a) / denominator;
        }
    }

    /// <summary>Differs when the relative difference exceeds the tolerance, or when only one run reports the value.</summary>
    public bool Differs(double tolerance) => (A is null) != (B is null) || Relative > tolerance;

    /// <summary>B − A in the unit system's unit (converted before subtracting, so an offset unit like °C gives the right difference).</summary>
    public double? Difference(UnitSystem system)
    {
        if (A is not { } a || B is not { } b)
        {
            return null;
        }
        if (Row.Dimension is not { } d || d == Dimension.Fraction)
        {
            return b - a;
        }
        var unit = Quantities.In(system, d);
        return unit.FromSi(b) - unit.FromSi(a);
    }
}

/// <summary>Two results compared stream by stream: the streams of A in A's order, then those only B has.</summary>
public static class RunComparison
{
    /// <summary>Differences below this (relative) are the solver's noise, not a change.</summary>
    public const double DefaultTolerance = 1e-6;

    public static IReadOnlyList<string> StreamIds(RunResultView a, RunResultView b) =>
        a.Streams.Select(s => s.Id).Concat(b.Streams.Select(s => s.Id)).Distinct(StringComparer.Ordinal).ToList();

    public static IReadOnlyList<string> Components(RunResultView a, RunResultView b) =>
        a.Components.Concat(b.Components).Distinct(StringComparer.Ordinal).ToList();

    public static IReadOnlyList<ComparedValue> Compare(RunResultView a, RunResultView b, string streamId, bool componentFlows)
    {
        var sa = a.Stream(streamId);
        var sb = b.Stream(streamId);
        var rows = new List<StreamRow>(StreamRows.NumericState);
        if (componentFlows)
        {
            rows.AddRange(Components(a, b).Select(StreamRows.ComponentFlow));
        }
        var flowScale = Math.Max(Math.Abs(sa?.MolarFlowMolPerS ?? 0), Math.Abs(sb?.MolarFlowMolPerS ?? 0));
        return rows.Select(row => new ComparedValue(streamId, row,
            sa is null ? null : row.Value!(sa),
            sb is null ? null : row.Value!(sb),
            row.Dimension == Dimension.Fraction ? 1 : row.Key.StartsWith("f-", StringComparison.Ordinal) ? flowScale : 0)).ToList();
    }
}
