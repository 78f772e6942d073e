using DeepSim.Engine.Components;
using DeepSim.Engine.Thermo;

namespace DeepSim.Engine.Tests.Thermo;

/// <summary>
/// γ–φ packages (NRTL, Wilson, UNIQUAC with ChemSep/DECHEMA parameters at 1 atm, ideal-gas vapour) against published
/// vapour–liquid equilibrium and against the identities every activity model must satisfy.
/// </summary>
public class ActivityPackageTests
{
    private const double OneAtm = 101325;

    private static readonly ComponentDatabase Db = ComponentDatabase.Default;

    private static Component C(string name) => Db.Find(name) ?? throw new InvalidOperationException(name);

    private static IActivityPropertyPackage Package(string model, params string[] names)
        => (IActivityPropertyPackage)PropertyPackages.Create(model, [.. names.Select(C)]);

    public static TheoryData<string> Models => new(["nrtl", "wilson", "uniquac"]);

    // Methanol–water at 101.325 kPa, the x–y–T table of Perry's Chemical Engineers' Handbook (from Cornell and Montonna,
    // Ind. Eng. Chem. 25 (1933) 1331), x and y methanol mole fractions, T in °C. The measurements scatter by about
    // 0.5 K and 0.01 in y; DECHEMA's fits reproduce their own data sets to about 0.5 K and 0.01, so the tolerances are
    // bubble T within 1 K and y within 0.02.
    [Theory]
    [InlineData("nrtl", 0.10, 0.418, 87.7)]
    [InlineData("nrtl", 0.20, 0.579, 81.7)]
    [InlineData("nrtl", 0.40, 0.729, 75.3)]
    [InlineData("nrtl", 0.60, 0.825, 71.2)]
    [InlineData("nrtl", 0.80, 0.915, 67.5)]
    [InlineData("wilson", 0.10, 0.418, 87.7)]
    [InlineData("wilson", 0.40, 0.729, 75.3)]
    [InlineData("wilson", 0.80, 0.915, 67.5)]
    [InlineData("uniquac", 0.10, 0.418, 87.7)]
    [InlineData("uniquac", 0.40, 0.729, 75.3)]
    [InlineData("uniquac", 0.80, 0.915, 67.5)]
    public void Methanol_water_bubble_points_at_one_atmosphere_match_published_data(string model, double x, double y, double temperatureC)
    {
        var p = Package(model, "methanol", "water");
        var r = p.FlashPVF(OneAtm, 0, [x, 1 - x]);
        Assert.True(r.Converged, r.FailureReason);
        Assert.Equal(temperatureC + 273.15, r.TemperatureK, 1.0);
        Assert.Equal(y, r.VaporComposition[0], 0.02);
    }

    [Fact]
    public void Ideal_gets_the_methanol_water_phase_wrong_where_nrtl_gets_it_right()
    {
        // x = 0.10 boils at 87.7 °C (table above) and y = 0.10 condenses near 98 °C, so at 363.15 K a 10 % methanol
        // feed is two-phase. Raoult's law, blind to the positive deviation, calls it a subcooled liquid.
        double[] z = [0.10, 0.90];
        var ideal = PropertyPackages.Create("ideal", [C("methanol"), C("water")]).FlashPT(363.15, OneAtm, z);
        var nrtl = Package("nrtl", "methanol", "water").FlashPT(363.15, OneAtm, z);
        Assert.True(ideal.Converged && nrtl.Converged);
        Assert.Equal(PhaseState.Liquid, ideal.State);
        Assert.Equal(PhaseState.TwoPhase, nrtl.State);
        Assert.InRange(nrtl.VaporFraction, 0.01, 0.99);
    }

    [Fact]
    public void Nrtl_reproduces_the_ethanol_water_azeotrope_at_one_atmosphere()
    {
        // Gmehling et al., Azeotropic Data (Wiley-VCH 1994): ethanol–water at 101.3 kPa, 78.15 °C (351.3 K),
        // x_EtOH = 0.894 (95.6 wt %). The azeotrope is where y = x; it is bracketed by a sign change of y − x along
        // bubble points. Tolerance 0.3 K and 0.03 in x: the minimum is very flat (T moves 0.1 K from x = 0.85 to 0.95),
        // so a DECHEMA fit to one data set places x to a few hundredths.
        var p = Package("nrtl", "ethanol", "water");
        double Excess(double x)
        {
            var r = p.FlashPVF(OneAtm, 0, [x, 1 - x]);
            Assert.True(r.Converged, r.FailureReason);
            return r.VaporComposition[0] - x;
        }

        double lo = 0.70, hi = 0.99;
        Assert.True(Excess(lo) > 0 && Excess(hi) < 0, "y − x changes sign: an azeotrope exists");
        for (var i = 0; i < 40; i++)
        {
            var mid = 0.5 * (lo + hi);
            if (Excess(mid) > 0)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        var xAz = 0.5 * (lo + hi);
        var az = p.FlashPVF(OneAtm, 0, [xAz, 1 - xAz]);
        Assert.Equal(0.894, xAz, 0.03);
        Assert.Equal(351.3, az.TemperatureK, 0.3);

        // A PT flash of the azeotropic feed just below its boiling point is liquid, just above it vapour.
        Assert.Equal(PhaseState.Liquid, p.FlashPT(az.TemperatureK - 0.05, OneAtm, [xAz, 1 - xAz]).State);
        Assert.Equal(PhaseState.Vapor, p.FlashPT(az.TemperatureK + 0.05, OneAtm, [xAz, 1 - xAz]).State);

        // And the bubble point at exactly that composition is a real solution with K = 1, not a "trivial" failure.
        Assert.True(az.Converged, az.FailureReason);
        Assert.Equal(xAz, az.VaporComposition[0], 1e-6);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Infinite_dilution_activity_coefficients_of_methanol_water_are_in_the_published_range(string model)
    {
        // Published γ∞ at 50–100 °C (e.g. Gmehling, Kolbe, Kleiber, Rarey, Chemical Thermodynamics for Process
        // Simulation, 2012, ch. 5; DECHEMA Chemistry Data Series IX): methanol in water ≈ 1.6–2.5, water in methanol
        // ≈ 1.5–2.0. A fitted model reproduces γ∞ only roughly (it is fitted to finite concentrations), so 1.3–3.0.
        var p = Package(model, "methanol", "water");
        Span<double> lnGamma = stackalloc double[2];
        p.LnActivityCoefficients(343.15, [0, 1], lnGamma);
        Assert.InRange(Math.Exp(lnGamma[0]), 1.3, 3.0);
        p.LnActivityCoefficients(343.15, [1, 0], lnGamma);
        Assert.InRange(Math.Exp(lnGamma[1]), 1.3, 3.0);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Activity_coefficients_obey_Gibbs_Duhem_at_constant_temperature(string model)
    {
        // Σ xᵢ d ln γᵢ = 0 along any composition direction; a central difference with step 1e-5 is accurate to ≈ 1e-10.
        var p = Package(model, "methanol", "ethanol", "water");
        double[] x = [0.2, 0.3, 0.5];
        double[][] directions = [[1, 0, -1], [0, 1, -1], [1, -2, 1]];
        const double h = 1e-5;
        var plus = new double[3];
        var minus = new double[3];
        foreach (var d in directions)
        {
            p.LnActivityCoefficients(340, [x[0] + (h * d[0]), x[1] + (h * d[1]), x[2] + (h * d[2])], plus);
            p.LnActivityCoefficients(340, [x[0] - (h * d[0]), x[1] - (h * d[1]), x[2] - (h * d[2])], minus);
            double sum = 0;
            for (var i = 0; i < 3; i++)
            {
                sum += x[i] * (plus[i] - minus[i]) / (2 * h);
            }

            Assert.InRange(Math.Abs(sum), 0, 1e-8);
        }
    }

    [Fact]
    public void Nrtl_and_wilson_give_unit_activity_coefficients_with_zero_interaction()
    {
        // NRTL with A = 0 (τ = 0) and Wilson with Λ = 1 are ideal solutions. methanol/propylene carbonate has no NRTL or
        // Wilson entry in the tables, and propylene carbonate no UNIFAC groups to estimate one, so the pair is ideal — and flagged.
        var lnGamma = new double[2];
        foreach (var model in new[] { "nrtl", "wilson" })
        {
            var p = Package(model, "methanol", "propylene carbonate");
            Assert.Equal(ActivityParameterSource.Missing, Assert.Single(p.Parameters).Source);
            Assert.NotEmpty(p.Warnings);
            p.LnActivityCoefficients(320, [0.3, 0.7], lnGamma);
            Assert.Equal(0, lnGamma[0], 1e-14);
            Assert.Equal(0, lnGamma[1], 1e-14);
            Assert.Equal(0, p.ExcessEnthalpy(320, [0.3, 0.7]), 1e-9);
        }
    }

    [Fact]
    public void Uniquac_with_zero_energy_parameters_and_equal_sizes_gives_unit_activity_coefficients()
    {
        // UNIQUAC's residual part vanishes for A = 0 (τ = 1); its combinatorial part vanishes only for equal r and q.
        // Methanol's ChemSep r = q = 1.43 and a copy of it with another CAS number have no table entry.
        var methanol = C("methanol");
        var twin = methanol with { Name = "methanol twin", Cas = "0-00-0" };
        var p = (IActivityPropertyPackage)PropertyPackages.Create("uniquac", [methanol, twin]);
        Span<double> lnGamma = stackalloc double[2];
        p.LnActivityCoefficients(330, [0.4, 0.6], lnGamma);
        Assert.Equal(0, lnGamma[0], 1e-14);
        Assert.Equal(0, lnGamma[1], 1e-14);
        Assert.NotEmpty(p.Warnings);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Pure_components_have_unit_activity_coefficients_and_boil_at_their_raoult_point(string model)
    {
        var p = Package(model, "methanol", "water");
        Span<double> lnGamma = stackalloc double[2];
        p.LnActivityCoefficients(330, [1, 0], lnGamma);
        Assert.Equal(0, lnGamma[0], 1e-14);
        var ideal = PropertyPackages.Create("ideal", [C("methanol"), C("water")]).FlashPVF(OneAtm, 0, [1, 0]);
        var r = p.FlashPVF(OneAtm, 0, [1, 0]);
        Assert.True(r.Converged, r.FailureReason);
        Assert.Equal(ideal.TemperatureK, r.TemperatureK, 1e-6);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Flashes_are_consistent_PT_PH_bubble_and_dew(string model)
    {
        var p = Package(model, "methanol", "water");
        double[] z = [0.4, 0.6];
        var bubble = p.FlashPVF(OneAtm, 0, z);
        var dew = p.FlashPVF(OneAtm, 1, z);
        Assert.True(bubble.Converged && dew.Converged, bubble.FailureReason ?? dew.FailureReason);
        Assert.True(dew.TemperatureK > bubble.TemperatureK);
        var t = 0.5 * (bubble.TemperatureK + dew.TemperatureK);
        var pt = p.FlashPT(t, OneAtm, z);
        Assert.True(pt.Converged, pt.FailureReason);
        Assert.Equal(PhaseState.TwoPhase, pt.State);

        // Equal fugacities: yᵢP = xᵢγᵢPsatᵢ.
        var lnPhiL = new double[2];
        ((IFugacityModel)p).LnFugacityCoefficients(Phase.Liquid, t, OneAtm, pt.LiquidComposition, lnPhiL);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(pt.VaporComposition[i], pt.LiquidComposition[i] * Math.Exp(lnPhiL[i]), 1e-9);
        }

        // PH returns the PT temperature, and the states outside the bubble–dew interval are single phases.
        var ph = p.FlashPH(OneAtm, pt.EnthalpyJPerMol, z);
        Assert.True(ph.Converged, ph.FailureReason);
        Assert.Equal(t, ph.TemperatureK, 1e-6);
        Assert.Equal(PhaseState.Liquid, p.FlashPT(bubble.TemperatureK - 0.5, OneAtm, z).State);
        Assert.Equal(PhaseState.Vapor, p.FlashPT(dew.TemperatureK + 0.5, OneAtm, z).State);

        // H is continuous at the bubble point: the two-phase side tends to the liquid.
        var justAbove = p.FlashPT(bubble.TemperatureK + 1e-4, OneAtm, z);
        Assert.Equal(bubble.EnthalpyJPerMol, justAbove.EnthalpyJPerMol, 5.0);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Excess_enthalpy_is_the_temperature_derivative_of_the_excess_gibbs_energy(string model)
    {
        // H^E = −RT² ∂(Σ xᵢ ln γᵢ)/∂T, checked with a 100× wider difference step than the package's (error ≈ 1e-5 relative).
        var p = Package(model, "methanol", "water");
        double[] x = [0.5, 0.5];
        const double t = 298.15, dt = 0.3;
        double GOverRT(double temperatureK)
        {
            var lnGamma = new double[2];
            p.LnActivityCoefficients(temperatureK, x, lnGamma);
            return (x[0] * lnGamma[0]) + (x[1] * lnGamma[1]);
        }

        var expected = -FlashSettings.GasConstant * t * t * (GOverRT(t + dt) - GOverRT(t - dt)) / (2 * dt);
        var hE = p.ExcessEnthalpy(t, x);
        Assert.Equal(expected, hE, 1e-3 * Math.Max(1, Math.Abs(expected)));

        // Measured H^E of methanol–water at 25 °C is about −0.8 kJ/mol at x = 0.5 (Lama and Lu, J. Chem. Eng. Data 10
        // (1965) 216). Fits to VLE at 1 atm with temperature-independent A do not carry that information (NRTL gives
        // ≈ +0.3 kJ/mol); what the liquid enthalpy can promise is that H^E stays a small correction, under 2 kJ/mol
        // against ≈ 40 kJ/mol of vaporisation enthalpy.
        Assert.InRange(Math.Abs(hE), 0, 2000);
    }

    [Theory]
    [InlineData("nrtl")]
    [InlineData("uniquac")]
    public void A_liquid_the_model_splits_into_two_liquids_is_returned_as_two_liquids(string model)
    {
        // Water/1-butanol is partially miscible: at 25–60 °C the water-rich liquid holds ≈ 98 mol % water and the
        // butanol-rich one ≈ 50–65 % (Sørensen and Arlt, DECHEMA Chemistry Data Series V/1). A 95 % water feed lies inside
        // the gap, a 5 % water feed outside it. The split is computed (ThreePhaseFlashTests checks it against data), and
        // its bubble point is the heterogeneous one, not the homogeneous liquid's.
        var p = Package(model, "water", "1-butanol");
        var split = p.FlashPT(330, OneAtm, [0.95, 0.05]);
        Assert.True(split.Converged, split.FailureReason);
        Assert.Equal(PhaseState.LiquidLiquid, split.State);
        Assert.InRange(split.SecondLiquidComposition[0], 0.97, 0.995);
        Assert.InRange(split.LiquidComposition[0], 0.35, 0.7);
        var bubble = p.FlashPVF(OneAtm, 0, [0.95, 0.05]);
        Assert.True(bubble.Converged, bubble.FailureReason);
        Assert.Equal(PhaseState.LiquidLiquid, bubble.State);
        var miscible = p.FlashPT(330, OneAtm, [0.05, 0.95]);
        Assert.True(miscible.Converged, miscible.FailureReason);
        Assert.Equal(PhaseState.Liquid, miscible.State);
    }

    [Fact]
    public void Databank_parameters_keep_their_orientation_and_uniquac_sizes_come_from_chemsep()
    {
        // wilson.ipd lists "7732-18-5  64-19-7  801.0312  7.0955  Water/Acetic acid": from acetic acid's side A12 and A21 swap.
        var p = Package("wilson", "acetic acid", "water");
        var pair = Assert.Single(p.Parameters);
        Assert.Equal(ActivityParameterSource.ChemSep, pair.Source);
        Assert.Equal(7.0955, pair.A12);
        Assert.Equal(801.0312, pair.A21);

        // ChemSep chemsep1.xml: water r = 0.92, q = 1.4; methanol r = q = 1.43.
        Assert.Equal(0.92, C("water").UniquacR);
        Assert.Equal(1.4, C("water").UniquacQ);
        Assert.Equal(1.43, C("methanol").UniquacR);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Ternary_alcohol_water_flashes_converge_and_PH_inverts_PT(string model)
    {
        var p = Package(model, "methanol", "ethanol", "water");
        double[] z = [0.2, 0.2, 0.6];
        var bubble = p.FlashPVF(OneAtm, 0, z);
        var dew = p.FlashPVF(OneAtm, 1, z);
        Assert.True(bubble.Converged && dew.Converged, bubble.FailureReason ?? dew.FailureReason);
        foreach (var t in new[] { bubble.TemperatureK - 5, 0.5 * (bubble.TemperatureK + dew.TemperatureK), dew.TemperatureK + 5 })
        {
            var pt = p.FlashPT(t, OneAtm, z);
            Assert.True(pt.Converged, pt.FailureReason);
            var ph = p.FlashPH(OneAtm, pt.EnthalpyJPerMol, z);
            Assert.True(ph.Converged, ph.FailureReason);
            Assert.Equal(t, ph.TemperatureK, 1e-6);
        }
    }

    [Fact]
    public void Activity_packages_refuse_cubic_options()
    {
        Assert.Throws<ArgumentException>(() => PropertyPackages.Create("nrtl", [C("methanol"), C("water")], new Dictionary<(int, int), double> { [(0, 1)] = 0.1 }));
        Assert.Throws<ArgumentException>(() => PropertyPackages.Create("wilson", [C("methanol"), C("water")], PropertyPackageOptions.Default with { PenelouxTranslation = true }));
    }
}
