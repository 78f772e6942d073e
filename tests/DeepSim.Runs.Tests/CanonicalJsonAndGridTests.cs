using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSim.Api.Infrastructure;
using DeepSim.Api.Runs;
using DeepSim.Api.Studies;

namespace DeepSim.Runs.Tests;

/// <summary>Pure functions under the cache and the studies: no I/O.</summary>
public sealed class CanonicalJsonAndGridTests
{
    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;

    [Theory]
    [InlineData("""{"a": 1, "b": [1.0, 2]}""", """{"b":[1,2.0],"a":1e0}""")]
    [InlineData("""{"x": -0.0}""", """{"x": 0}""")]
    [InlineData("""{"s": "é", "n": null}""", """{ "n": null, "s": "\u00e9" }""")]
    public void Same_meaning_gives_the_same_hash(string left, string right) =>
        Assert.Equal(CanonicalJson.Hash(Parse(left)), CanonicalJson.Hash(Parse(right)));

    [Theory]
    [InlineData("""{"a": 1}""", """{"a": 1.0000001}""")]
    [InlineData("""{"a": [1, 2]}""", """{"a": [2, 1]}""")]
    [InlineData("""{"a": "1"}""", """{"a": 1}""")]
    public void Different_meaning_gives_a_different_hash(string left, string right) =>
        Assert.NotEqual(CanonicalJson.Hash(Parse(left)), CanonicalJson.Hash(Parse(right)));

    [Fact]
    public void Canonical_text_sorts_keys_and_drops_whitespace() =>
        Assert.Equal("""{"a":[1,2.5],"b":{"c":true}}""", CanonicalJson.Write(Parse("""{ "b": {"c": true}, "a": [1.0, 2.50] }""")));

    [Fact]
    public void A_two_parameter_grid_has_every_combination_first_parameter_slowest()
    {
        var flowsheet = JsonNode.Parse("""{"units": [{"t": 1.0}, {"p": 2.0}]}""")!;
        var errors = new FieldErrors();
        var axes = StudyGrid.Expand(
            [new StudyParameter("$.units[0].t", null, 10, 30, 3), new StudyParameter("$.units[1]['p']", [5, 6], null, null, null)], flowsheet, errors);

        Assert.False(errors.Any);
        var points = StudyGrid.Points(axes);
        Assert.Equal([[10, 5], [10, 6], [20, 5], [20, 6], [30, 5], [30, 6]], points.Select(p => p.ToArray()));
        var applied = JsonNode.Parse(StudyGrid.Apply(flowsheet, ["$.units[0].t", "$.units[1]['p']"], [20, 6]))!;
        Assert.Equal(20.0, applied["units"]![0]!["t"]!.GetValue<double>());
        Assert.Equal(6.0, applied["units"]![1]!["p"]!.GetValue<double>());
        // The original is untouched.
        Assert.Equal(1.0, flowsheet["units"]![0]!["t"]!.GetValue<double>());
    }

    [Theory]
    [InlineData("units[0].t")]
    [InlineData("$.units[9].t")]
    [InlineData("$.units[0]")]
    [InlineData("$.units[0].t[")]
    [InlineData("$..t")]
    public void Paths_that_do_not_name_a_number_are_refused(string path)
    {
        var errors = new FieldErrors();
        StudyGrid.Expand([new StudyParameter(path, [1], null, null, null)], JsonNode.Parse("""{"units": [{"t": 1.0}]}""")!, errors);
        Assert.True(errors.Any);
    }

    [Fact]
    public void More_than_two_parameters_or_none_are_refused()
    {
        var flowsheet = JsonNode.Parse("""{"t": 1.0}""")!;
        var none = new FieldErrors();
        StudyGrid.Expand([], flowsheet, none);
        var three = new FieldErrors();
        StudyGrid.Expand([new("$.t", [1], null, null, null), new("$.t", [1], null, null, null), new("$.t", [1], null, null, null)], flowsheet, three);
        Assert.True(none.Any);
        Assert.True(three.Any);
    }
}
