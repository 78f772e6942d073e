using Bunit;
using DeepSim.Web.Components.Results;
using DeepSim.Web.Units;

namespace DeepSim.Web.Tests.Results;

public class RunCompareTests : ResultsComponentTest
{
    private IRenderedComponent<RunCompare> RenderFlashes(UnitSystem system = UnitSystem.SI) =>
        Render<RunCompare>(p => p.Add(c => c.A, ResultFixtures.Load("benzene-toluene-flash"))
            .Add(c => c.B, ResultFixtures.Load("benzene-toluene-flash-96C"))
            .Add(c => c.UnitSystem, system));

    [Fact]
    public void A_changed_drum_temperature_highlights_the_products_and_not_the_feed()
    {
        var cut = RenderFlashes(UnitSystem.Metric);

        var vapour = cut.Find("[data-testid='compare-V-temperature']");
        Assert.Equal("true", vapour.GetAttribute("data-differs"));
        Assert.Contains("differs", vapour.ClassList);
        Assert.Equal("95", cut.Find("[data-testid='compare-V-temperature-a']").TextContent.Trim());
        Assert.Equal("96", cut.Find("[data-testid='compare-V-temperature-b']").TextContent.Trim());
        Assert.Equal("1", cut.Find("[data-testid='compare-V-temperature-diff']").TextContent.Trim());
        Assert.Equal("true", cut.Find("[data-testid='compare-L-molarFlow']").GetAttribute("data-differs"));

        var feed = cut.Find("[data-testid='compare-S1-temperature']");
        Assert.Equal("false", feed.GetAttribute("data-differs"));
        Assert.DoesNotContain("differs", feed.ClassList);
    }

    [Fact]
    public void The_same_run_twice_has_no_difference()
    {
        var result = ResultFixtures.Load("ammonia-synthesis-loop");
        var cut = Render<RunCompare>(p => p.Add(c => c.A, result).Add(c => c.B, ResultFixtures.Load("ammonia-synthesis-loop")));

        Assert.Empty(cut.FindAll("tr.differs"));
        Assert.Equal("0", cut.Find("[data-testid='compare-summary']").GetAttribute("data-differences"));
    }

    [Fact]
    public void Differences_at_the_tolerance_are_not_highlighted_and_above_it_are()
    {
        var a = RunResultView.Parse("""{"streams":[{"id":"S","temperatureK":300,"pressurePa":100000}]}""");
        var b = RunResultView.Parse("""{"streams":[{"id":"S","temperatureK":300.0001,"pressurePa":100000.2}]}""");

        var values = RunComparison.Compare(a, b, "S", componentFlows: false);

        // 0.0001 / 300 = 3.3e-7: noise; 0.2 / 100000 = 2e-6: a change.
        Assert.False(values.Single(v => v.Row.Key == "temperature").Differs(RunComparison.DefaultTolerance));
        Assert.True(values.Single(v => v.Row.Key == "pressure").Differs(RunComparison.DefaultTolerance));
    }

    [Fact]
    public void A_stream_only_one_run_has_is_a_difference()
    {
        var a = RunResultView.Parse("""{"streams":[{"id":"S","temperatureK":300}]}""");
        var b = RunResultView.Parse("""{"streams":[]}""");

        var cut = Render<RunCompare>(p => p.Add(c => c.A, a).Add(c => c.B, b));

        Assert.Equal("true", cut.Find("[data-testid='compare-S-temperature']").GetAttribute("data-differs"));
        Assert.Equal("–", cut.Find("[data-testid='compare-S-temperature-b']").TextContent.Trim());
    }
}
