using System.Text;
using DeepSim.Api.Infrastructure;

namespace DeepSim.Api.Tests;

/// <summary>The one-pass JSON walk behind the text guard: no I/O, just paths and verdicts.</summary>
public sealed class TextInputTests
{
    [Theory]
    [InlineData("""{"name":"a\u0000"}""", "name")]
    [InlineData("""{"content":{"units":[{},{},{"name":"x\udc00"}]}}""", "content.units[2].name")]
    [InlineData("""{"a":[["ok",1,null,"\ud800"]]}""", "a[0][3]")]
    [InlineData("""{"a":{"b\u0000":1}}""", "a")]
    [InlineData("\"\\u0000\"", "$")]
    public void A_bad_string_is_named_by_its_path(string json, string path)
    {
        var errors = Check(json);
        Assert.True(errors.Any);
        Assert.Equal(path, Assert.Single(Keys(errors)));
    }

    [Theory]
    [InlineData("""{"name":"caf\u00e9 \ud83d\ude00","units":[{"id":"u1"}]}""")]
    [InlineData("""{"broken": """)]
    [InlineData("not json \u0000")]
    public void Storable_text_and_broken_json_pass_the_walk(string json) => Assert.False(Check(json).Any);

    [Fact]
    public void A_pair_of_surrogates_is_storable_and_a_lone_one_is_not()
    {
        Assert.Null(TextInput.Problem("\ud83d\ude00"));
        Assert.NotNull(TextInput.Problem("\ude00\ud83d"));
        Assert.NotNull(TextInput.Problem("a\0"));
    }

    private static FieldErrors Check(string json)
    {
        var errors = new FieldErrors();
        TextInput.CheckJson(Encoding.UTF8.GetBytes(json), errors);
        return errors;
    }

    private static IEnumerable<string> Keys(FieldErrors errors) =>
        ((Microsoft.AspNetCore.Http.HttpResults.ValidationProblem)errors.ToProblem()).ProblemDetails.Errors.Keys;
}
