using System.Globalization;
using DeepSim.Engine.Solver;

namespace DeepSim.Engine.UnitOperations.Reactions;

/// <summary>
/// The adiabatic outlet temperature of a reactor: the root of (outlet enthalpy − inlet enthalpy)(T), bracketed by
/// stepping from the inlet temperature in the direction the sign at the inlet gives (doubling the step), then Brent.
/// With several steady states (an adiabatic CSTR) this finds the one nearest the inlet temperature.
/// </summary>
public static class AdiabaticSearch
{
    /// <summary>Far below what any enthalpy datum resolves, K.</summary>
    public const double TemperatureToleranceK = 1e-7;

    private const int MaxIterations = 100;
    private const double FirstStepK = 25;
    private const double MinTemperatureK = 100;
    private const double MaxTemperatureK = 4000;

    private static string Num(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary><paramref name="excess"/> returns outlet − inlet enthalpy flow (W), or NaN when it cannot be evaluated.</summary>
    public static (double TemperatureK, string? Failure) Find(Func<double, double> excess, double inletK, double enthalpyScaleW)
    {
        var a = inletK;
        var fa = excess(a);
        if (double.IsNaN(fa))
        {
            return (double.NaN, $"the reactor could not be evaluated at the inlet temperature {Num(a)} K");
        }
        var fTolerance = 1e-12 * Math.Max(enthalpyScaleW, 1);
        if (Math.Abs(fa) <= fTolerance)
        {
            return (a, null);
        }
        // Short of the inlet's enthalpy the outlet must be hotter (exothermic), beyond it colder.
        var direction = fa < 0 ? 1.0 : -1.0;
        var step = FirstStepK;
        var b = a;
        var fb = fa;
        while (Math.Sign(fb) == Math.Sign(fa))
        {
            a = b;
            fa = fb;
            b = Math.Clamp(a + (direction * step), MinTemperatureK, MaxTemperatureK);
            if (b == a)
            {
                return (double.NaN, $"the adiabatic outlet temperature is outside {Num(MinTemperatureK)}–{Num(MaxTemperatureK)} K");
            }
            fb = excess(b);
            if (double.IsNaN(fb))
            {
                return (double.NaN, $"the reactor could not be evaluated at {Num(b)} K while searching for the adiabatic temperature");
            }
            step *= 2;
        }
        var (lo, flo, hi, fhi) = a < b ? (a, fa, b, fb) : (b, fb, a, fa);
        var root = BracketedRoot.Brent(excess, lo, hi, flo, fhi, TemperatureToleranceK, fTolerance, MaxIterations);
        return root.Converged ? (root.X, null) : (double.NaN, $"the adiabatic temperature was not found: {root.FailureReason}");
    }
}
