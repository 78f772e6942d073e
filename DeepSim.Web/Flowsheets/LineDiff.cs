using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepSim.Web.Flowsheets;

public enum DiffKind
{
    Same,
    Added,
    Removed,
}

public sealed record DiffLine(DiffKind Kind, string Text, int? OldNumber, int? NewNumber);

/// <summary>
/// A line diff of two flowsheet versions (longest common subsequence over lines of their indented JSON). Flowsheet
/// documents are a few hundred lines, so the quadratic table is small; larger inputs are refused rather than slow.
/// </summary>
public static class LineDiff
{
    public const int MaxLines = 5000;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The same JSON document always gives the same text, so only real changes show.</summary>
    public static string Pretty(string json) => JsonNode.Parse(json)?.ToJsonString(Indented) ?? "null";

    public static IReadOnlyList<DiffLine> Compare(string oldText, string newText)
    {
        var a = oldText.Split('\n');
        var b = newText.Split('\n');
        if (a.Length > MaxLines || b.Length > MaxLines)
        {
            throw new ArgumentException($"Documents longer than {MaxLines} lines are not compared.");
        }
        // lcs[i, j] = length of the longest common subsequence of a[i..] and b[j..]
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }
        var lines = new List<DiffLine>(a.Length + b.Length);
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                lines.Add(new DiffLine(DiffKind.Same, a[x], x + 1, y + 1));
                x++;
                y++;
            }
            else if (x < a.Length && (y == b.Length || lcs[x + 1, y] >= lcs[x, y + 1]))
            {
                lines.Add(new DiffLine(DiffKind.Removed, a[x], x + 1, null)); // removals before additions, as in unified diffs
                x++;
            }
            else
            {
                lines.Add(new DiffLine(DiffKind.Added, b[y], null, y + 1));
                y++;
            }
        }
        return lines;
    }
}
