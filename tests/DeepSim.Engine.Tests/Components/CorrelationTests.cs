using DeepSim.Engine.Components;

namespace DeepSim.Engine.Tests.Components;

public class CorrelationTests
{
    [Fact]
    public void Polynomial_integrals_are_exact()
    {
        // Cp = 10 + 0.02 T: ∫ from 300 to 500 = 10·200 + 0.01·(500² − 300²) = 3600; ∫Cp/T = 10 ln(5/3) + 0.02·200.
        var cp = Correlation.FromDippr(100, [10, 0.02], 100, 1000);
        Assert.Equal(3600, cp.Integral(300, 500), 9);
        Assert.Equal((10 * Math.Log(500.0 / 300)) + 4, cp.IntegralOverT(300, 500), 11);
    }

    [Theory]
    [InlineData(107)]
    [InlineData(16)]
    public void Closed_form_and_quadrature_integrals_match_a_fine_trapezoid_rule(int equation)
    {
        // Methane-like coefficients for each form (J/mol/K); the reference is a 200 000-panel trapezoid rule.
        var c = equation == 107
            ? Correlation.FromDippr(107, [33.298, 79.933, 2086.9, 41.602, 991.96], 50, 1500)
            : Correlation.FromDippr(16, [33.0, -2000, 3.5, 0.0005, -1e-7], 50, 1500);
        double sum = 0, sumOverT = 0;
        const int panels = 200_000;
        const double a = 250, b = 1250;
        var h = (b - a) / panels;
        for (var k = 0; k <= panels; k++)
        {
            var t = a + (k * h);
            var w = k is 0 or panels ? 0.5 : 1;
            sum += w * c.Evaluate(t);
            sumOverT += w * c.Evaluate(t) / t;
        }

        Assert.Equal(sum * h, c.Integral(a, b), 1e-6 * Math.Abs(sum * h));
        Assert.Equal(sumOverT * h, c.IntegralOverT(a, b), 1e-6 * Math.Abs(sumOverT * h));
    }

    [Fact]
    public void Equation_106_vanishes_at_and_above_the_critical_temperature()
    {
        var hvap = Correlation.FromDippr(106, [5.2053e4, 0.3199, -0.212, 0.25795, 0], 273.16, 647.096, 647.096);
        Assert.True(hvap.Evaluate(373.15) > 0);
        Assert.Equal(0, hvap.Evaluate(647.096));
        Assert.Equal(0, hvap.Evaluate(700));
    }

    [Fact]
    public void Bad_definitions_are_rejected_with_a_reason()
    {
        Assert.Contains("not supported", Assert.Throws<ArgumentException>(() => Correlation.FromDippr(999, [1], 1, 2)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Correlation.FromDippr(100, [double.NaN], 1, 2));
        Assert.Throws<ArgumentException>(() => Correlation.FromDippr(100, [1], 300, 200));
        Assert.Throws<ArgumentException>(() => Correlation.FromDippr(106, [1, 0.3], 200, 300));
    }
}
