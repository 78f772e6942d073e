using System.Text.Json.Nodes;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Tests.Examples;
using DeepSim.Engine.UnitOperations.Columns;
using static DeepSim.Engine.Tests.UnitOperations.UnitTestKit;

namespace DeepSim.Engine.Tests.UnitOperations;

/// <summary>The "column" unit type: its file format, its refusals by field path, and its examples through the flowsheet solver.</summary>
public class ColumnUnitTests
{
    private static JsonObject Example() => ExampleFiles.Json("benzene-toluene-column");

    private static JsonObject Spec(JsonObject flowsheet) => flowsheet["units"]![1]!["spec"]!.AsObject();

    private static void Rejected(JsonObject flowsheet, string path, string fragment) => ExampleFiles.AssertRejected(flowsheet, path, fragment);

    [Fact]
    public void Example_column_converges_balanced_with_the_stage_profile_in_its_details()
    {
        var r = ExampleFiles.Solve(ExampleFiles.Text("benzene-toluene-column"));
        Assert.True(r.Converged, r.FailureReason);
        var u = Balanced(r.Units[ExampleFiles.UnitIndex(r, "COLUMN")]!, r.Streams[ExampleFiles.StreamIndex(r, "F")]!);
        Assert.Equal(2.166, u.Details["refluxRatio"], 1e-8);
        Assert.InRange(u.Details["maxMassResidual"], 0, ColumnSolver.Tolerance);
        Assert.InRange(u.Details["maxEnergyResidual"], 0, ColumnSolver.Tolerance);
        Assert.True(u.Details["stage.23.temperatureK"] > u.Details["stage.1.temperatureK"]);
        Assert.Equal(101325, u.Details["stage.1.pressurePa"], 1e-6);
        Assert.Equal(101325 + 22 * 908, u.Details["stage.23.pressurePa"], 1e-6);
        var b = r.Streams[ExampleFiles.StreamIndex(r, "B")]!;
        var f = r.Streams[ExampleFiles.StreamIndex(r, "F")]!;
        Assert.Equal(0.99, b.ComponentMolarFlows[1] / f.ComponentMolarFlows[1], 1e-8);
        Assert.Equal(u.Details["condenserDutyW"] + u.Details["reboilerDutyW"], u.DutyW, 1e-9 * u.Details["reboilerDutyW"]);
    }

    [Fact]
    public void Stage_pressures_given_at_the_ends_solve_the_same_column_as_top_pressure_and_drop()
    {
        var byDrop = ExampleFiles.Solve(ExampleFiles.Text("benzene-toluene-column"));
        var f = Example();
        Spec(f).Remove("topPressure");
        Spec(f).Remove("pressureDrop");
        Spec(f)["stagePressures"] = new JsonObject
        {
            ["1"] = new JsonObject { ["value"] = 101325, ["unit"] = "Pa" },
            ["23"] = new JsonObject { ["value"] = 101325 + 22 * 908, ["unit"] = "Pa" },
        };
        var byProfile = ExampleFiles.Solve(f.ToJsonString());
        Assert.True(byProfile.Converged, byProfile.FailureReason);
        var a = byDrop.Units[ExampleFiles.UnitIndex(byDrop, "COLUMN")]!;
        var b = byProfile.Units[ExampleFiles.UnitIndex(byProfile, "COLUMN")]!;
        for (var j = 1; j <= 23; j++)
        {
            Assert.Equal(a.Details[$"stage.{j}.pressurePa"], b.Details[$"stage.{j}.pressurePa"], 1e-6);
            Assert.Equal(a.Details[$"stage.{j}.temperatureK"], b.Details[$"stage.{j}.temperatureK"], 1e-6);
        }
        Assert.Equal(a.DutyW, b.DutyW, 1e-6 * Math.Abs(a.DutyW));
    }

    [Fact]
    public void Stage_pressures_are_interpolated_between_the_given_stages_and_held_beyond_them()
    {
        // A condenser below the top tray's pressure, then a linear drop over the trays to a kettle at the bottom tray's.
        var f = Example();
        Spec(f).Remove("topPressure");
        Spec(f).Remove("pressureDrop");
        Spec(f)["stagePressures"] = new JsonObject
        {
            ["1"] = new JsonObject { ["value"] = 1.0, ["unit"] = "bar" },
            ["2"] = new JsonObject { ["value"] = 1.1, ["unit"] = "bar" },
            ["22"] = new JsonObject { ["value"] = 1.3, ["unit"] = "bar" },
        };
        var r = ExampleFiles.Solve(f.ToJsonString());
        Assert.True(r.Converged, r.FailureReason);
        var u = Balanced(r.Units[ExampleFiles.UnitIndex(r, "COLUMN")]!, r.Streams[ExampleFiles.StreamIndex(r, "F")]!);
        Assert.Equal(1.0e5, u.Details["stage.1.pressurePa"], 1e-6);
        Assert.Equal(1.1e5, u.Details["stage.2.pressurePa"], 1e-6);
        Assert.Equal(1.2e5, u.Details["stage.12.pressurePa"], 1e-6);
        Assert.Equal(1.3e5, u.Details["stage.22.pressurePa"], 1e-6);
        Assert.Equal(1.3e5, u.Details["stage.23.pressurePa"], 1e-6);
        Assert.Equal(1.0e5, r.Streams[ExampleFiles.StreamIndex(r, "D")]!.PressurePa, 1e-6);
        Assert.Equal(1.3e5, r.Streams[ExampleFiles.StreamIndex(r, "B")]!.PressurePa, 1e-6);
    }

    [Fact]
    public void Stage_pressures_are_refused_at_their_field_when_they_cannot_hold()
    {
        JsonObject With(JsonNode profile, bool keepTop = false)
        {
            var f = Example();
            if (!keepTop)
            {
                Spec(f).Remove("topPressure");
                Spec(f).Remove("pressureDrop");
            }
            Spec(f)["stagePressures"] = profile;
            return f;
        }
        JsonObject Bar(double v) => new() { ["value"] = v, ["unit"] = "bar" };
        Rejected(With(new JsonObject { ["1"] = Bar(1) }, keepTop: true), "$.units[1].spec.topPressure", "either 'stagePressures' or 'topPressure'");
        Rejected(With(new JsonObject { ["24"] = Bar(1) }), "$.units[1].spec.stagePressures['24']", "not a stage number of this column (1 to 23)");
        Rejected(With(new JsonObject { ["top"] = Bar(1) }), "$.units[1].spec.stagePressures.top", "not a stage number");
        Rejected(With(new JsonObject { ["1"] = Bar(2), ["10"] = Bar(1.5) }), "$.units[1].spec.stagePressures['10']", "falls from stage 1 to stage 10");
        Rejected(With(new JsonObject { ["1"] = Bar(-1) }), "$.units[1].spec.stagePressures['1']", "must be positive");
        Rejected(With(new JsonObject()), "$.units[1].spec.stagePressures", "at least one stage");
        Rejected(With(new JsonArray()), "$.units[1].spec.stagePressures", "object");
    }

    [Fact]
    public void Absorber_example_converges_with_no_specification()
    {
        var r = ExampleFiles.Solve(ExampleFiles.Text("absorber"));
        Assert.True(r.Converged, r.FailureReason);
        var gas = r.Streams[ExampleFiles.StreamIndex(r, "G")]!;
        var rich = r.Streams[ExampleFiles.StreamIndex(r, "L")]!;
        var propane = 2;
        Assert.True(rich.ComponentMolarFlows[propane] > 0.5 * gas.ComponentMolarFlows[propane]);
    }

    [Fact]
    public void A_non_positive_reflux_ratio_is_refused_at_its_field()
    {
        var f = Example();
        Spec(f)["refluxRatio"] = -1;
        Rejected(f, "$.units[1].spec.refluxRatio", "refluxRatio must be > 0");
    }

    [Fact]
    public void A_missing_or_extra_specification_is_refused()
    {
        var f = Example();
        Spec(f).Remove("bottomsRecovery");
        Rejected(f, "$.units[1].spec", "needs 2 of refluxRatio");
        var g = Example();
        Spec(g)["distillateRate"] = 10;
        Rejected(g, "$.units[1].spec.bottomsRecovery", "extra specification");
    }

    [Fact]
    public void Specifications_that_need_equipment_the_column_lacks_are_refused()
    {
        var f = Example();
        Spec(f)["condenser"] = "none";
        Rejected(f, "$.units[1].spec.refluxRatio", "needs a condenser");
        var g = Example();
        Spec(g)["condenserDuty"] = 1000;
        Spec(g).Remove("bottomsRecovery");
        Rejected(g, "$.units[1].spec.condenserDuty", "must be < 0");
    }

    [Fact]
    public void Stage_numbers_are_checked_against_the_column()
    {
        var f = Example();
        Spec(f)["feedStage"] = 24;
        Rejected(f, "$.units[1].spec.feedStage", "outside [1, 23]");
        var g = Example();
        Spec(g)["feedStage"] = 1;
        Rejected(g, "$.units[1].spec.feedStage", "total condenser");
        var h = Example();
        Spec(h)["stages"] = 1;
        Rejected(h, "$.units[1].spec.stages", "outside [2, 500]");
    }

    [Fact]
    public void A_component_specification_names_a_flowsheet_component_and_a_fraction_inside_0_1()
    {
        var f = Example();
        Spec(f)["bottomsRecovery"] = new JsonObject { ["component"] = "xylene", ["value"] = 0.99 };
        Rejected(f, "$.units[1].spec.bottomsRecovery.component", "xylene");
        var g = Example();
        Spec(g)["bottomsRecovery"] = new JsonObject { ["component"] = "toluene", ["value"] = 1 };
        Rejected(g, "$.units[1].spec.bottomsRecovery.value", "within (0, 1)");
    }

    [Fact]
    public void Side_draws_and_extra_feeds_are_ports_the_spec_declares()
    {
        // At the example's near-minimum reflux a benzene-rich draw leaves 99 % toluene recovery out of reach; a
        // distillate rate is attainable.
        var f = Example();
        Spec(f).Remove("bottomsRecovery");
        Spec(f)["distillateRate"] = 10;
        Spec(f)["sideDraws"] = new JsonObject { ["SIDE"] = new JsonObject { ["stage"] = 5, ["phase"] = "liquid", ["molarFlow"] = 1 } };
        f["units"]!.AsArray().Add(new JsonObject { ["id"] = "SIDEPRODUCT", ["type"] = "product" });
        f["streams"]!.AsArray().Add(new JsonObject { ["id"] = "S", ["from"] = "COLUMN.SIDE", ["to"] = "SIDEPRODUCT.in" });
        var r = ExampleFiles.Solve(f.ToJsonString());
        Assert.True(r.Converged, r.FailureReason);
        Assert.Equal(1, r.Streams[ExampleFiles.StreamIndex(r, "S")]!.TotalMolarFlow, 1e-9);
        Balanced(r.Units[ExampleFiles.UnitIndex(r, "COLUMN")]!, r.Streams[ExampleFiles.StreamIndex(r, "F")]!);

        var g = Example();
        g["streams"]!.AsArray().Add(new JsonObject { ["id"] = "X", ["from"] = "COLUMN.other", ["to"] = "BOTTOMS.in" });
        Rejected(g, "$.streams[3].from", "no outlet port 'other'");

        var h = Example();
        Spec(h)["sideDraws"] = new JsonObject { ["SIDE"] = new JsonObject { ["stage"] = 23, ["phase"] = "liquid", ["molarFlow"] = 1 } };
        h["units"]!.AsArray().Add(new JsonObject { ["id"] = "SIDEPRODUCT", ["type"] = "product" });
        h["streams"]!.AsArray().Add(new JsonObject { ["id"] = "S", ["from"] = "COLUMN.SIDE", ["to"] = "SIDEPRODUCT.in" });
        Rejected(h, "$.units[1].spec.sideDraws.SIDE.stage", "reboiler");
    }

    [Fact]
    public void A_column_that_cannot_converge_fails_as_a_unit_result_not_an_exception()
    {
        var f = Example();
        Spec(f)["maxIterations"] = 1;
        var r = ExampleFiles.Solve(f.ToJsonString());
        Assert.False(r.Converged);
        Assert.Contains("column not converged", r.FailureReason);
        Assert.Contains("did not converge in 1 Newton iterations", r.FailureReason);
    }
}
