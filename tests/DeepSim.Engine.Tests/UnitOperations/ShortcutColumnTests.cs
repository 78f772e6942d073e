using System.Text.Json.Nodes;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Solver;
using DeepSim.Engine.Streams;
using DeepSim.Engine.Tests.Examples;
using DeepSim.Engine.Thermo;
using DeepSim.Engine.UnitOperations;
using static DeepSim.Engine.Tests.UnitOperations.UnitTestKit;

namespace DeepSim.Engine.Tests.UnitOperations;

/// <summary>The Fenske–Underwood–Gilliland shortcut column: the equations, the unit on real packages, and its file format.</summary>
public class ShortcutColumnTests
{
    /// <summary>The closed forms below and the unit's equations are the same algebra: only round-off separates them.</summary>
    private const double ClosedFormTolerance = 1e-9;

    private static MaterialStream Saturated(IPropertyPackage package, double pressurePa, double vaporFraction, params double[] flows)
    {
        var s = StreamFactory.AtPressureVaporFraction(package, pressurePa, vaporFraction, flows);
        Assert.True(s.Succeeded, s.Failure);
        return s.Stream!;
    }

    private static ShortcutColumn Column(int lightKey, int heavyKey, bool partial, params (string, double)[] parameters) =>
        new("C", P(parameters), lightKey, heavyKey, partial);

    // ---- The equations against their binary closed forms (constant α) ----

    [Fact]
    public void Fenske_matches_the_binary_closed_form_and_is_symmetric_in_the_recoveries()
    {
        // x_D = 0.95, x_B = 0.04 from z = 0.3: D/F = (z − x_B)/(x_D − x_B).
        const double alpha = 2.5, z = 0.3, xD = 0.95, xB = 0.04;
        var dOverF = (z - xB) / (xD - xB);
        var rLk = dOverF * xD / z;
        var rHk = (1 - dOverF) * (1 - xB) / (1 - z);
        var closed = Math.Log(xD / (1 - xD) * (1 - xB) / xB) / Math.Log(alpha);
        Assert.Equal(closed, ShortcutDistillation.FenskeMinimumStages(rLk, rHk, alpha), ClosedFormTolerance);
        // ln[(r_LK/(1 − r_LK))(r_HK/(1 − r_HK))]: swapping the two recoveries leaves Nmin unchanged.
        Assert.Equal(ShortcutDistillation.FenskeMinimumStages(0.99, 0.95, 2.2), ShortcutDistillation.FenskeMinimumStages(0.95, 0.99, 2.2), ClosedFormTolerance);
        // Equal recoveries r: Nmin = 2 ln(r/(1 − r))/ln α.
        Assert.Equal(2 * Math.Log(99) / Math.Log(2.2), ShortcutDistillation.FenskeMinimumStages(0.99, 0.99, 2.2), ClosedFormTolerance);
    }

    [Fact]
    public void Fenske_distribution_returns_the_key_recoveries_and_is_mirror_symmetric()
    {
        // α = (1/α0, 1, α0) around a heavy key: with the keys' recoveries equal, a component as much lighter than
        // the light key as the heavy non-key is heavier than the heavy key splits as the mirror image.
        double[] f = [10, 20, 30, 40];
        double[] alpha = [4.0, 2.0, 1.0, 0.5];
        var nMin = ShortcutDistillation.FenskeMinimumStages(0.98, 0.98, alpha[1]);
        var d = new double[4];
        ShortcutDistillation.FenskeDistribution(f, alpha, nMin, 0.98, d);
        Assert.Equal(0.98, d[1] / f[1], ClosedFormTolerance);
        Assert.Equal(0.02, d[2] / f[2], ClosedFormTolerance);
        Assert.Equal(d[0] / f[0], 1 - d[3] / f[3], ClosedFormTolerance);
        // Extreme volatilities neither overflow nor leave the range [0, f].
        ShortcutDistillation.FenskeDistribution([1, 1], [1e6, 1e-6], 40, 0.98, d);
        Assert.Equal(1, d[0], 1e-15);
        Assert.Equal(0, d[1], 1e-15);
    }

    [Theory]
    [InlineData(2.5, 0.5, 0.95, 1.0)]
    [InlineData(2.5, 0.3, 0.95, 0.0)]
    [InlineData(1.8, 0.4, 0.99, 1.0)]
    public void Underwood_matches_the_binary_pinch_at_the_feed(double alpha, double z, double xD, double q)
    {
        // Binary, constant α: the minimum-reflux pinch lies where the q-line meets the equilibrium curve
        // (McCabe–Thiele); for q = 1 at x = z, for q = 0 at y = z. Rmin = (x_D − y*)/(y* − x*).
        var (x, y) = q == 1 ? (z, alpha * z / (1 + (alpha - 1) * z)) : (z / (alpha - (alpha - 1) * z), z);
        var closed = (xD - y) / (y - x);
        var theta = ShortcutDistillation.UnderwoodTheta([alpha, 1], [z, 1 - z], q, alpha);
        Assert.True(theta.Converged, theta.FailureReason);
        Assert.InRange(theta.X, 1, alpha);
        Assert.Equal(closed, ShortcutDistillation.UnderwoodMinimumReflux([alpha, 1], [xD, 1 - xD], theta.X), 1e-9 * closed);
    }

    [Fact]
    public void Underwood_solves_a_ternary_between_the_keys_and_reports_an_unbracketed_root_as_a_value()
    {
        // A light non-key (α = 4) with keys α_LK = 2, α_HK = 1, saturated liquid: the θ found satisfies the feed
        // equation and lies strictly between the keys.
        double[] alpha = [4, 2, 1];
        double[] z = [0.2, 0.3, 0.5];
        var theta = ShortcutDistillation.UnderwoodTheta(alpha, z, 1, 2);
        Assert.True(theta.Converged, theta.FailureReason);
        Assert.InRange(theta.X, 1, 2);
        var residual = 0.0;
        for (var i = 0; i < 3; i++)
        {
            residual += alpha[i] * z[i] / (alpha[i] - theta.X);
        }
        Assert.Equal(0, residual, 1e-10);
        // No heavy key in the feed: no sign change between the keys, so no root; a failure with its reason.
        var none = ShortcutDistillation.UnderwoodTheta([2, 1], [1, 0], 1, 2);
        Assert.False(none.Converged);
        Assert.Contains("not bracketed", none.FailureReason);
    }

    [Fact]
    public void Molokanov_has_the_Gilliland_end_points_and_agrees_with_Eduljees_fit()
    {
        Assert.Equal(1, ShortcutDistillation.Molokanov(0));
        Assert.Equal(0, ShortcutDistillation.Molokanov(1));
        // Hand evaluation at X = 0.1: (6.44/22.72)(−0.9/√0.1) = −0.80676…, Y = 1 − e^(−0.80676) = 0.55370.
        Assert.Equal(0.55370, ShortcutDistillation.Molokanov(0.1), 5e-5);
        // Eduljee's Y = 0.75(1 − X^0.5668) is an independent fit of the same Gilliland data (Seader and Henley,
        // 2nd ed., §9.3): the two agree within the scatter of that data, a few hundredths of Y.
        foreach (var x in new[] { 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9 })
        {
            Assert.Equal(0.75 * (1 - Math.Pow(x, 0.5668)), ShortcutDistillation.Molokanov(x), 0.03);
        }
        // N = (Nmin + Y)/(1 − Y) rises without bound as R → Rmin and falls to Nmin as R → ∞.
        Assert.True(ShortcutDistillation.GillilandStages(8, 1.5, 1.5000001) > 100);
        Assert.Equal(8, ShortcutDistillation.GillilandStages(8, 1.5, 1e9), 1e-3);
    }

    [Fact]
    public void Kirkbride_splits_a_symmetric_column_in_half()
    {
        Assert.Equal(10, ShortcutDistillation.KirkbrideRectifyingStages(20, 1, 0.5, 0.5, 0.01, 0.01), ClosedFormTolerance);
        // Ratio 2^(1/0.206) ⇒ N_R/N_S = 2.
        Assert.Equal(20, ShortcutDistillation.KirkbrideRectifyingStages(30, Math.Pow(2, 1 / 0.206), 0.5, 0.5, 0.01, 0.01), 1e-9);
    }

    // ---- The unit on real property packages ----

    [Fact]
    public void Benzene_toluene_dew_point_feed_matches_a_published_McCabe_Thiele_solution()
    {
        // Worked problem (public lecture sample, "Sample Problem 14", scribd.com/presentation/29922120): benzene–
        // toluene at 1 atm, z = 0.30 fed at its dew point, x_D = 0.95, x_B = 0.04, total condenser, partial reboiler.
        // From the equilibrium curve: Nmin = 6.7 (stepped at total reflux), and the minimum-reflux operating line
        // meets the y axis at 0.173, so Rmin = 0.95/0.173 − 1 = 4.49. Tolerances: the graphical readings carry about
        // ±0.2 stage and ±0.005 on the intercept (±3 % in Rmin + 1); Fenske and Underwood here use one geometric-mean
        // α (2.46 against 2.35–2.60 along the column) where the graph follows the curve, worth a few per cent more.
        const double z = 0.30, xD = 0.95, xB = 0.04, total = 100;
        var dOverF = (z - xB) / (xD - xB);
        var feed = Saturated(Btx, 101325, 1, total * z, total * (1 - z));
        var column = Column(0, 1, false, ("lightKeyRecovery", dOverF * xD / z), ("heavyKeyRecovery", (1 - dOverF) * (1 - xB) / (1 - z)), ("refluxRatioFactor", 1.3));
        var r = Balanced(Run(column, Btx, ("in", feed)), feed);
        Assert.Equal(6.7, r.Details["minimumStages"], 0.25);
        Assert.Equal(4.49, r.Details["minimumRefluxRatio"], 0.3);
        Assert.Equal(0, r.Details["feedQ"], 1e-9);
        Assert.Equal(xD, r.Outlets[ShortcutColumn.DistillatePort].MoleFractions[0], 1e-12);
        Assert.Equal(xB, r.Outlets[ShortcutColumn.BottomsPort].MoleFractions[0], 1e-12);
        Assert.Equal(1.3 * r.Details["minimumRefluxRatio"], r.Details["refluxRatio"], 1e-12);
        Assert.InRange(r.Details["stages"], r.Details["minimumStages"], 3 * r.Details["minimumStages"]);
    }

    [Fact]
    public void Total_condenser_column_balances_every_component_and_the_energy()
    {
        var feed = Saturated(Btx, 101325, 0, 50, 50);
        var r = Balanced(Run(Column(0, 1, false, ("lightKeyRecovery", 0.99), ("heavyKeyRecovery", 0.99), ("refluxRatioFactor", 1.3)), Btx, ("in", feed)), feed);
        var d = r.Outlets[ShortcutColumn.DistillatePort];
        var b = r.Outlets[ShortcutColumn.BottomsPort];
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(feed.ComponentMolarFlows[i], d.ComponentMolarFlows[i] + b.ComponentMolarFlows[i], MassTolerance * feed.TotalMolarFlow);
        }
        Assert.Equal(0.99 * 50, d.ComponentMolarFlows[0], 1e-9);
        Assert.Equal(0.99 * 50, b.ComponentMolarFlows[1], 1e-9);
        // Both products leave saturated liquid: the distillate at its bubble point at the top, the bottoms at the reboiler's.
        Assert.Equal(0, d.VaporFraction, 1e-9);
        Assert.Equal(Btx.FlashPVF(101325, 0, d.MoleFractions).TemperatureK, d.TemperatureK, 1e-6);
        var qc = r.Details["condenserDutyW"];
        var qr = r.Details["reboilerDutyW"];
        Assert.True(qc < 0 && qr > 0);
        Assert.Equal(qc + qr, r.DutyW, 1e-9 * Math.Abs(qc));
        Assert.Equal(d.EnthalpyFlow + b.EnthalpyFlow - feed.EnthalpyFlow, qc + qr, 1e-9 * Math.Abs(qc));
        // Independent cross-check by constant molar overflow: a saturated-liquid feed (q = 1) leaves the boil-up
        // V' = V = (R + 1)D, so Q_R ≈ V'·λ at the reboiler composition. Benzene's latent heat is 8 % below toluene's,
        // so CMO itself is only good to several per cent here.
        var v = (r.Details["refluxRatio"] + 1) * d.TotalMolarFlow;
        var bubble = Btx.FlashPVF(b.PressurePa, 0, b.MoleFractions);
        var dew = Btx.FlashPVF(b.PressurePa, 1, b.MoleFractions);
        var lambda = Btx.Enthalpy(Phase.Vapor, dew.TemperatureK, b.PressurePa, b.MoleFractions) - Btx.Enthalpy(Phase.Liquid, bubble.TemperatureK, b.PressurePa, b.MoleFractions);
        Assert.Equal(v * lambda, qr, 0.08 * v * lambda);
    }

    [Fact]
    public void Partial_condenser_gives_a_dew_point_vapour_distillate_and_condenses_only_the_reflux()
    {
        var feed = Saturated(Btx, 101325, 0, 50, 50);
        var spec = new[] { ("lightKeyRecovery", 0.99), ("heavyKeyRecovery", 0.99), ("refluxRatioFactor", 1.3) };
        var total = Balanced(Run(Column(0, 1, false, spec), Btx, ("in", feed)), feed);
        var partial = Balanced(Run(Column(0, 1, true, spec), Btx, ("in", feed)), feed);
        var d = partial.Outlets[ShortcutColumn.DistillatePort];
        Assert.Equal(1, d.VaporFraction, 1e-9);
        Assert.Equal(Btx.FlashPVF(101325, 1, d.MoleFractions).TemperatureK, d.TemperatureK, 1e-6);
        // The partial condenser condenses L = R·D instead of (R + 1)·D: |Q_C| shrinks by about R/(R + 1).
        var rr = partial.Details["refluxRatio"];
        Assert.Equal(rr / (rr + 1), partial.Details["condenserDutyW"] / total.Details["condenserDutyW"], 0.03);
        Assert.Equal(total.Details["minimumStages"], partial.Details["minimumStages"], 1e-9);
    }

    [Fact]
    public void Depropaniser_distributes_the_non_keys_by_Fenske_and_balances()
    {
        // Propane (LK) / n-butane (HK) at 15 bar with Peng–Robinson; ethane lighter and n-pentane heavier than the keys.
        var feed = Saturated(Gas, 15e5, 0, 0, 5, 30, 40, 25);
        var r = Balanced(Run(Column(2, 3, false, ("lightKeyRecovery", 0.98), ("heavyKeyRecovery", 0.97), ("refluxRatio", 2.0)), Gas, ("in", feed)), feed);
        var d = r.Outlets[ShortcutColumn.DistillatePort];
        var b = r.Outlets[ShortcutColumn.BottomsPort];
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(feed.ComponentMolarFlows[i], d.ComponentMolarFlows[i] + b.ComponentMolarFlows[i], MassTolerance * feed.TotalMolarFlow);
        }
        Assert.True(d.ComponentMolarFlows[1] / feed.ComponentMolarFlows[1] > 0.999, "ethane goes overhead");
        Assert.True(b.ComponentMolarFlows[4] / feed.ComponentMolarFlows[4] > 0.99, "n-pentane stays in the bottoms");
        Assert.Equal(0, d.ComponentMolarFlows[0]);
        Assert.InRange(r.Details["feedStage"], 1, r.Details["stages"]);
        Assert.Equal(r.Details["stages"], r.Details["rectifyingStages"] + r.Details["strippingStages"], 1e-9);
        Assert.True(r.Details["minimumRefluxRatio"] < 2.0);
    }

    [Fact]
    public void Swapping_the_recoveries_of_a_symmetric_binary_mirrors_Nmin()
    {
        // An equimolar feed with recoveries (0.99, 0.95) and (0.95, 0.99): Fenske is symmetric at a fixed α; the mean
        // α moves a little with the end compositions, so Nmin agrees to the spread of α along the column (≈ 1 %).
        var feed = Saturated(Btx, 101325, 0, 50, 50);
        var a = Balanced(Run(Column(0, 1, false, ("lightKeyRecovery", 0.99), ("heavyKeyRecovery", 0.95), ("refluxRatioFactor", 1.3)), Btx, ("in", feed)), feed);
        var b = Balanced(Run(Column(0, 1, false, ("lightKeyRecovery", 0.95), ("heavyKeyRecovery", 0.99), ("refluxRatioFactor", 1.3)), Btx, ("in", feed)), feed);
        Assert.Equal(a.Details["minimumStages"], b.Details["minimumStages"], 0.01 * a.Details["minimumStages"]);
        // With α held equal, the equation itself is exactly symmetric.
        Assert.Equal(ShortcutDistillation.FenskeMinimumStages(0.99, 0.95, a.Details["lightKeyRelativeVolatility"]),
            ShortcutDistillation.FenskeMinimumStages(0.95, 0.99, a.Details["lightKeyRelativeVolatility"]), ClosedFormTolerance);
    }

    [Fact]
    public void A_reflux_ratio_below_the_minimum_is_refused_with_the_minimum_named()
    {
        var feed = Saturated(Btx, 101325, 0, 50, 50);
        var r = Run(Column(0, 1, false, ("lightKeyRecovery", 0.99), ("heavyKeyRecovery", 0.99), ("refluxRatio", 1.0)), Btx, ("in", feed));
        Refused(r, "not above the minimum");
        Assert.Contains("1.30", r.FailureReason);
    }

    [Fact]
    public void Keys_in_the_wrong_order_or_with_a_component_between_them_are_refused()
    {
        var feed = Saturated(Btx, 101325, 0, 50, 50);
        Refused(Run(Column(1, 0, false, ("lightKeyRecovery", 0.99), ("heavyKeyRecovery", 0.99), ("refluxRatioFactor", 1.3)), Btx, ("in", feed)), "not more volatile");
        var gas = Saturated(Gas, 15e5, 0, 0, 5, 30, 40, 25);
        Refused(Run(Column(2, 4, false, ("lightKeyRecovery", 0.98), ("heavyKeyRecovery", 0.97), ("refluxRatio", 3.0)), Gas, ("in", gas)), "n-butane lies between the keys");
    }

    // ---- The file format ----

    private static JsonObject Example() => ExampleFiles.Json("benzene-toluene-shortcut-column");

    private static JsonObject ColumnSpec(JsonObject flowsheet) => flowsheet["units"]![1]!["spec"]!.AsObject();

    private static void Rejected(JsonObject flowsheet, string path, string fragment) => ExampleFiles.AssertRejected(flowsheet, path, fragment);

    [Fact]
    public void Example_solves_and_reports_the_shortcut_results()
    {
        var r = ExampleFiles.Solve(ExampleFiles.Text("benzene-toluene-shortcut-column"));
        Assert.True(r.Converged, r.FailureReason);
        var u = r.Units[ExampleFiles.UnitIndex(r, "COLUMN")]!;
        Assert.True(u.Succeeded, u.FailureReason);
        Assert.InRange(u.Details["minimumStages"], 9, 12);
        Assert.True(u.Details["stages"] > u.Details["minimumStages"]);
        using var buffer = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            SolveResultJson.Write(r, w);
        }
        var json = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        foreach (var key in new[] { "minimumStages", "minimumRefluxRatio", "stages", "feedStage", "condenserDutyW", "reboilerDutyW" })
        {
            Assert.Contains($"\"{key}\"", json);
        }
    }

    [Fact]
    public void Unknown_key_component_is_reported_at_its_field()
    {
        var f = Example();
        ColumnSpec(f)["lightKey"] = "xylene";
        Rejected(f, "$.units[1].spec.lightKey", "xylene");
    }

    [Fact]
    public void A_missing_key_is_reported()
    {
        var f = Example();
        ColumnSpec(f).Remove("heavyKey");
        var r = FlowsheetReader.Read(f.ToJsonString(), DefaultThermoCatalog.Instance);
        Assert.False(r.IsValid);
        Assert.Contains(r.Errors, e => e.Path.StartsWith("$.units[1].spec", StringComparison.Ordinal) && e.Message.Contains("heavyKey", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("lightKeyRecovery", 1.0, "(0, 1)")]
    [InlineData("heavyKeyRecovery", 0.0, "(0, 1)")]
    [InlineData("heavyKeyRecovery", 1.5, "[0, 1]")]
    public void Recoveries_outside_the_open_interval_are_reported(string key, double value, string fragment)
    {
        var f = Example();
        ColumnSpec(f)[key] = value;
        Rejected(f, $"$.units[1].spec.{key}", fragment);
    }

    [Fact]
    public void Light_key_heavier_than_the_heavy_key_is_reported()
    {
        var f = Example();
        ColumnSpec(f)["lightKey"] = "toluene";
        ColumnSpec(f)["heavyKey"] = "benzene";
        Rejected(f, "$.units[1].spec.lightKey", "not lighter");
        var g = Example();
        ColumnSpec(g)["heavyKey"] = "benzene";
        Rejected(g, "$.units[1].spec.heavyKey", "differ");
    }

    [Fact]
    public void Reflux_specifications_are_checked()
    {
        var f = Example();
        ColumnSpec(f)["refluxRatioFactor"] = 0.9;
        Rejected(f, "$.units[1].spec.refluxRatioFactor", "must exceed 1");
        var g = Example();
        ColumnSpec(g)["refluxRatio"] = 2.0;
        Rejected(g, "$.units[1].spec.refluxRatioFactor", "both given");
        var h = Example();
        ColumnSpec(h).Remove("refluxRatioFactor");
        Rejected(h, "$.units[1].spec", "exactly one");
        var k = Example();
        ColumnSpec(k)["condenser"] = "reflux drum";
        Rejected(k, "$.units[1].spec.condenser", "not one of");
        var m = Example();
        ColumnSpec(m)["bottomPressure"] = new JsonObject { ["value"] = 0.5, ["unit"] = "bar" };
        Rejected(m, "$.units[1].spec.bottomPressure", "below the top pressure");
    }

    [Fact]
    public void A_refused_reflux_in_a_flowsheet_fails_the_unit_with_its_reason()
    {
        var f = Example();
        ColumnSpec(f).Remove("refluxRatioFactor");
        ColumnSpec(f)["refluxRatio"] = 0.5;
        var r = ExampleFiles.Solve(f.ToJsonString());
        Assert.False(r.Converged);
        Assert.Contains("not above the minimum", r.Units[ExampleFiles.UnitIndex(r, "COLUMN")]!.FailureReason);
    }
}
