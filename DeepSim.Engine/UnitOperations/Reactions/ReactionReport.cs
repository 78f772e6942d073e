using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.UnitOperations.Reactions;

/// <summary>A unit that makes or consumes components: the flowsheet balance adds what it reports as generated.</summary>
public interface IReactiveUnit
{
    /// <summary>Adds the unit's net generation per component (mol/s), read from its result's details, to <paramref name="generated"/>.</summary>
    void AddGeneration(UnitResult result, double[] generated);
}

/// <summary>How reactors report extents and the comparison of their outlet with chemical equilibrium.</summary>
public static class ReactionReport
{
    /// <summary>Q/K above 1 + this (or below 1 − this for a reverse extent) counts as beyond equilibrium.</summary>
    public const double BeyondEquilibriumMargin = 1e-6;

    public static string Extent(int reaction) => $"reactions[{reaction}].extentMolPerS";

    public static string Generation(int component) => $"components[{component}].generationMolPerS";

    /// <summary>Adds Σᵣ νᵣ ξᵣ from the details' extents.</summary>
    public static void AddFromExtents(IReadOnlyList<double[]> stoichiometry, UnitResult result, double[] generated)
    {
        for (var r = 0; r < stoichiometry.Count; r++)
        {
            if (!result.Details.TryGetValue(Extent(r), out var extent))
            {
                continue;
            }
            var nu = stoichiometry[r];
            for (var i = 0; i < generated.Length; i++)
            {
                generated[i] += nu[i] * extent;
            }
        }
    }

    /// <summary>
    /// Writes each reaction's Q/K at the outlet (fugacities of the vapour, or of the liquid when there is no vapour,
    /// on the ideal-gas 1 bar standard state) and returns a note for each reaction carried past equilibrium: one whose
    /// forward extent left Q above K, or whose reverse extent left it below. Nothing when K cannot be computed.
    /// </summary>
    public static List<string> CompareWithEquilibrium(IPropertyPackage package, MaterialStream outlet, IReadOnlyList<double[]> stoichiometry, IReadOnlyList<double> extents, Dictionary<string, double> details)
    {
        var notes = new List<string>();
        var thermo = StandardGibbs.Create(package.Components);
        if (outlet.IsEmpty)
        {
            return notes;
        }
        var vapour = outlet.VaporFraction > 0 || outlet.State is PhaseState.Vapor or PhaseState.Supercritical;
        var y = vapour ? outlet.VaporComposition : outlet.LiquidComposition;
        for (var r = 0; r < stoichiometry.Count; r++)
        {
            if (thermo.Missing(stoichiometry[r]) is not null)
            {
                continue;
            }
            var lnK = thermo.LnK(stoichiometry[r], outlet.TemperatureK);
            double lnQOverK;
            try
            {
                lnQOverK = ChemicalEquilibrium.LnQuotientOverK(package, vapour ? Phase.Vapor : Phase.Liquid, outlet.TemperatureK, outlet.PressurePa, y, stoichiometry[r], lnK);
            }
            catch (ArgumentException)
            {
                continue;
            }
            var ratio = Math.Exp(Math.Clamp(lnQOverK, -700, 700));
            details[$"reactions[{r}].equilibriumConstant"] = Math.Exp(Math.Clamp(lnK, -700, 700));
            details[$"reactions[{r}].quotientOverK"] = ratio;
            var beyond = (extents[r] > 0 && lnQOverK > BeyondEquilibriumMargin) || (extents[r] < 0 && lnQOverK < -BeyondEquilibriumMargin);
            details[$"reactions[{r}].beyondEquilibrium"] = beyond ? 1 : 0;
            if (beyond)
            {
                notes.Add($"reaction {r + 1}: the outlet lies beyond chemical equilibrium (Q/K = {ratio.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)} at {outlet.TemperatureK.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)} K): this conversion is not thermodynamically reachable");
            }
        }
        return notes;
    }
}
