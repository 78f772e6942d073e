using DeepSim.Web.Flowsheets;

namespace DeepSim.Web.Tests;

public class StudyInputsTests
{
    [Fact]
    public void Every_number_in_the_specs_is_offered_at_the_path_the_Api_varies()
    {
        var flowsheet = FlowsheetTemplates.Find("benzene-toluene-flash")!.Json;

        var inputs = StudyInputs.Of(flowsheet);

        var drumTemperature = Assert.Single(inputs, i => i.Path == "$.units[1].spec.temperature.value");
        Assert.Equal(("DRUM · temperature", 95.0, "C"), (drumTemperature.Label, drumTemperature.Value, drumTemperature.Unit));
        Assert.Contains(inputs, i => i.Path == "$.units[0].spec.moleFractions.benzene" && i.Value == 0.5 && i.Unit is null);
        Assert.DoesNotContain(inputs, i => i.Path.Contains("unit", StringComparison.Ordinal) && i.Path.EndsWith(".unit", StringComparison.Ordinal));
    }

    [Fact]
    public void Outputs_are_offered_for_every_stream_and_for_the_duty_or_power_of_units_that_have_one()
    {
        var outputs = StudyInputs.OutputsOf(FlowsheetTemplates.Find("two-stage-compression")!.Json).Select(o => o.Output).ToList();

        Assert.Contains(outputs, o => o.EndsWith(".temperatureK", StringComparison.Ordinal));
        Assert.Contains(outputs, o => o.EndsWith(".powerW", StringComparison.Ordinal));
        Assert.DoesNotContain(outputs, o => o.EndsWith(".dutyW", StringComparison.Ordinal) && o.StartsWith("FEED", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("80, 90,100", new[] { 80.0, 90, 100 })]
    [InlineData("1e5 2e5", new[] { 1e5, 2e5 })]
    public void Lists_of_numbers_are_read(string text, double[] expected) => Assert.Equal(expected, StudyInputs.ParseList(text));

    [Theory]
    [InlineData("80, ninety")]
    [InlineData("")]
    [InlineData("NaN")]
    public void Lists_with_anything_but_numbers_are_refused(string text) => Assert.Null(StudyInputs.ParseList(text));
}
