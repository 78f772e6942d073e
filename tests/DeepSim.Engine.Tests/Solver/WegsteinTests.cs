using DeepSim.Engine.Solver;

namespace DeepSim.Engine.Tests.Solver;

public class WegsteinTests
{
    private static double G(double x) => 0.95 * x + 1; // fixed point 20, contraction 0.95 (like the argon loop)

    [Fact]
    public void An_unclipped_step_lands_on_the_fixed_point_of_a_linear_map()
    {
        // s = 0.95 → q = −19, inside [−20, 0]: one step is exact.
        var next = FlowsheetSolver.WegsteinStep(2, 1, G(2), G(1), -20, 0);
        Assert.Equal(20, next, 1e-12);
    }

    [Fact]
    public void A_clipped_step_extrapolates_only_as_far_as_the_bound_allows()
    {
        var x = 2.0;
        var next = FlowsheetSolver.WegsteinStep(x, 1, G(x), G(1), -5, 0);
        Assert.Equal(-5 * x + 6 * G(x), next, 1e-12);
        // The error still shrinks, by |q + (1 − q)s| = 0.7 per step instead of 0.95.
        Assert.Equal(0.7, Math.Abs(next - 20) / Math.Abs(x - 20), 1e-12);
    }

    [Fact]
    public void Without_a_usable_slope_the_step_is_direct_substitution()
    {
        Assert.Equal(G(3), FlowsheetSolver.WegsteinStep(3, 3, G(3), G(3), -5, 0));
        // An increasing map with slope above 1 gives q > 0, clipped to the upper bound 0: direct substitution.
        Assert.Equal(7.0, FlowsheetSolver.WegsteinStep(2, 1, 7, 4, -5, 0), 12);
    }
}
