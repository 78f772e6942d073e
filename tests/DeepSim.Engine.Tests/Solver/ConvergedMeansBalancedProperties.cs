using System.Globalization;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Solver;
using FsCheck.Xunit;

namespace DeepSim.Engine.Tests.Solver;

/// <summary>
/// Property: over generated recycle flowsheets (random feeds, random recycle splits including "everything back",
/// random tolerances, methods and initial guesses including huge ones), no result marked converged has a component
/// whose feed and product flows differ by more than the balance tolerance.
/// </summary>
public class ConvergedMeansBalancedProperties
{
    private static readonly string[] Components = ["nitrogen", "benzene", "toluene"];

    private static readonly double[] Tolerances = [1e-8, 1e-5, 1e-3, 1e-2];

    private static readonly double[] GuessScales = [0, 1, 1e6, 1e20];

    private static readonly string[] Methods = ["wegstein", "direct", "broyden", "auto"];

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    internal static string Generate(int seed)
    {
        var random = new Random(seed);
        var fractions = Components.Select(_ => random.Next(4) == 0 ? 0 : 0.1 + random.NextDouble()).ToArray();
        if (fractions.Sum() == 0)
        {
            fractions[1] = 1;
        }
        var total = fractions.Sum();
        // Each component's fraction returned to the mixer: 0, 1 (accumulates if fed) or anything between.
        var splits = Components.Select(_ => random.Next(3) switch { 0 => 0.0, 1 => 1.0, _ => random.NextDouble() }).ToArray();
        var tolerance = Tolerances[random.Next(Tolerances.Length)];
        var method = Methods[random.Next(Methods.Length)];
        var scale = GuessScales[random.Next(GuessScales.Length)];
        var guess = scale == 0 ? "" : $$"""
            , "initialGuess": { "temperature": 300, "pressure": 101325, "componentMolarFlows": { {{string.Join(", ", Components.Select(c => $"\"{c}\": {F(scale * random.NextDouble())}"))}} } }
            """;
        return $$"""
        {
          "components": [{{string.Join(", ", Components.Select(c => $"\"{c}\""))}}], "propertyPackage": "ideal",
          "units": [
            { "id": "FEED", "type": "feed", "spec": { "temperature": 298.15, "pressure": 101325, "molarFlow": {{F(1 + (99 * random.NextDouble()))}},
                "moleFractions": { {{string.Join(", ", Components.Select((c, i) => $"\"{c}\": {F(fractions[i] / total)}"))}} } } },
            { "id": "MIX", "type": "mixer" },
            { "id": "SEP", "type": "componentSeparator", "spec": { "splits": { {{string.Join(", ", Components.Select((c, i) => $"\"{c}\": {F(splits[i])}"))}} } } },
            { "id": "PRODUCT", "type": "product" }
          ],
          "streams": [
            { "id": "S1", "from": "FEED.out", "to": "MIX.in1" }, { "id": "S2", "from": "MIX.out", "to": "SEP.in" },
            { "id": "BACK", "from": "SEP.out1", "to": "MIX.in2"{{guess}} }, { "id": "OUT", "from": "SEP.out2", "to": "PRODUCT.in" }
          ],
          "solver": { "tolerance": {{F(tolerance)}}, "method": "{{method}}", "maxIterations": 300, "timeLimitSeconds": 10 }
        }
        """;
    }

    [Property(MaxTest = 150)]
    public void No_converged_result_has_a_component_balance_error_above_tolerance(int a, int b, int c)
    {
        var seed = unchecked((a * 1_000_003) + (b * 1009) + c);
        var json = Generate(seed);
        var read = FlowsheetReader.Read(json, DefaultThermoCatalog.Instance);
        Assert.True(read.IsValid, string.Join("\n", read.Errors));
        var r = FlowsheetSolver.Solve(read.Flowsheet!);
        if (!r.Converged)
        {
            Assert.False(string.IsNullOrWhiteSpace(r.FailureReason));
            return;
        }
        // Checked from the streams themselves, not from the solver's own balance report.
        var fed = r.Streams[0]!.ComponentMolarFlows;
        var left = r.Streams[3]!.ComponentMolarFlows;
        var totalFed = fed.Sum();
        for (var i = 0; i < fed.Length; i++)
        {
            var scale = Math.Max(Math.Max(fed[i], left[i]), SolveBalance.TraceFraction * totalFed);
            Assert.True(Math.Abs(fed[i] - left[i]) <= SolveBalance.ComponentTolerance * scale,
                $"seed {seed}: {Components[i]} fed {fed[i]} mol/s, leaves {left[i]} mol/s, yet the result is converged\n{json}");
        }
    }

    [Fact]
    public void The_generator_covers_every_method()
    {
        var methods = Enumerable.Range(0, 40).Select(seed => FlowsheetReader.Read(Generate(seed), DefaultThermoCatalog.Instance).Flowsheet!.Options.Method).Distinct();
        Assert.Equal(Enum.GetValues<ConvergenceMethod>().Order(), methods.Order());
    }

    [Fact]
    public void The_generator_makes_both_converging_and_accumulating_loops()
    {
        // Guards the property against a generator whose flowsheets all fail (or all converge).
        var converged = Enumerable.Range(0, 40).Count(seed => FlowsheetSolver.Solve(FlowsheetReader.Read(Generate(seed), DefaultThermoCatalog.Instance).Flowsheet!).Converged);
        Assert.InRange(converged, 5, 35);
    }
}
