using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Solver;

namespace DeepSim.Engine.Tests.Solver;

public class FlowsheetGraphTests
{
    private static StreamConnection S(string id, int from, int to) => new(id, from, "out", to, "in", null);

    [Fact]
    public void A_chain_is_calculated_in_order_without_tears()
    {
        var blocks = FlowsheetGraph.Sequence(3, [S("b", 1, 2), S("a", 0, 1)]);
        Assert.Equal([0, 1, 2], blocks.Select(b => Assert.Single(b.Units)));
        Assert.All(blocks, b => Assert.False(b.IsCycle));
    }

    [Fact]
    public void A_recycle_is_torn_where_it_rejoins_the_fresh_feed()
    {
        // 0 feed -> 1 mixer -> 2 reactor -> 3 splitter -> 1 (recycle), 3 -> 4 product
        var streams = new[] { S("feed", 0, 1), S("s1", 1, 2), S("s2", 2, 3), S("recycle", 3, 1), S("out", 3, 4) };
        var blocks = FlowsheetGraph.Sequence(5, streams);
        Assert.Equal(3, blocks.Count);
        var cycle = blocks[1];
        Assert.Equal([3], cycle.TearStreams); // "recycle" enters the mixer, which also takes the feed
        Assert.Equal([1, 2, 3], cycle.Units);
    }

    [Fact]
    public void Two_loops_sharing_a_stream_need_only_that_one_tear()
    {
        // 1 -> 2 -> 3 -> 1 and 1 -> 2 -> 4 -> 1 share 1 -> 2.
        var streams = new[] { S("f", 0, 1), S("a", 1, 2), S("b", 2, 3), S("c", 3, 1), S("d", 2, 4), S("e", 4, 1), S("p", 3, 5) };
        var blocks = FlowsheetGraph.Sequence(6, streams);
        var cycle = Assert.Single(blocks, b => b.IsCycle);
        Assert.Equal([1], cycle.TearStreams);
        Assert.Equal([1, 2, 3, 4], cycle.Units.Order());
    }

    [Fact]
    public void Two_independent_loops_get_a_block_each_in_flow_order()
    {
        var streams = new[] { S("f", 0, 1), S("a", 1, 2), S("r1", 2, 1), S("x", 2, 3), S("b", 3, 4), S("r2", 4, 3), S("p", 4, 5) };
        var blocks = FlowsheetGraph.Sequence(6, streams);
        var cycles = blocks.Where(b => b.IsCycle).ToArray();
        Assert.Equal(2, cycles.Length);
        Assert.Equal([2], cycles[0].TearStreams);
        Assert.Equal([5], cycles[1].TearStreams);
        Assert.True(Array.IndexOf(blocks.ToArray(), cycles[0]) < Array.IndexOf(blocks.ToArray(), cycles[1]));
    }

    [Fact]
    public void Two_disjoint_cycles_through_one_unit_need_two_tears()
    {
        // Figure eight through unit 1: 1 -> 2 -> 1 and 1 -> 3 -> 1.
        var streams = new[] { S("f", 0, 1), S("a", 1, 2), S("b", 2, 1), S("c", 1, 3), S("d", 3, 1) };
        var cycle = Assert.Single(FlowsheetGraph.Sequence(4, streams), b => b.IsCycle);
        Assert.Equal(2, cycle.TearStreams.Count);
    }

    [Fact]
    public void A_self_loop_is_a_cycle_torn_at_itself()
    {
        var cycle = Assert.Single(FlowsheetGraph.Sequence(2, [S("f", 0, 1), S("self", 1, 1)]), b => b.IsCycle);
        Assert.Equal([1], cycle.TearStreams);
    }

    [Fact]
    public void Tarjan_finds_the_strongly_connected_components()
    {
        var streams = new[] { S("a", 0, 1), S("b", 1, 2), S("c", 2, 0), S("d", 2, 3), S("e", 3, 4), S("f", 4, 3) };
        var outgoing = Enumerable.Range(0, 5).Select(u => streams.Select((s, i) => (s, i)).Where(x => x.s.FromUnit == u).Select(x => x.i).ToList()).ToArray();
        var components = FlowsheetGraph.StronglyConnectedComponents(5, streams, outgoing).Select(c => string.Join(",", c)).Order(StringComparer.Ordinal);
        Assert.Equal(["0,1,2", "3,4"], components);
    }
}
