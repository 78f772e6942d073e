using DeepSim.Web.Flowsheets;

namespace DeepSim.Web.Tests;

public class LineDiffTests
{
    [Fact]
    public void A_changed_value_is_one_removed_and_one_added_line_between_unchanged_ones()
    {
        var before = LineDiff.Pretty("""{"name":"Drum","units":[{"id":"FEED","spec":{"pressure":1}}]}""");
        var after = LineDiff.Pretty("""{"name":"Drum","units":[{"id":"FEED","spec":{"pressure":2}}]}""");

        var diff = LineDiff.Compare(before, after);

        var changed = diff.Where(d => d.Kind != DiffKind.Same).ToList();
        Assert.Equal(2, changed.Count);
        Assert.Equal((DiffKind.Removed, "\"pressure\": 1"), (changed[0].Kind, changed[0].Text.Trim()));
        Assert.Equal((DiffKind.Added, "\"pressure\": 2"), (changed[1].Kind, changed[1].Text.Trim()));
        Assert.Equal(before.Split('\n').Length - 1, diff.Count(d => d.Kind == DiffKind.Same));
    }

    [Fact]
    public void Identical_documents_have_no_changes_and_the_diff_rebuilds_both_sides()
    {
        var a = "x\ny\nz";
        var b = "w\ny\nz\nq";
        var diff = LineDiff.Compare(a, b);
        Assert.Equal(a, string.Join('\n', diff.Where(d => d.Kind != DiffKind.Added).Select(d => d.Text)));
        Assert.Equal(b, string.Join('\n', diff.Where(d => d.Kind != DiffKind.Removed).Select(d => d.Text)));
        Assert.All(LineDiff.Compare(a, a), d => Assert.Equal(DiffKind.Same, d.Kind));
    }
}
