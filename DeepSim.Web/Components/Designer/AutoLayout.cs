namespace DeepSim.Web.Components.Designer;

/// <summary>
/// A layered left-to-right layout from the stream graph: feeds on the left, products in the rightmost column, every
/// other unit one column right of its furthest upstream unit. Recycles are tolerated (the streams that close a
/// cycle are ignored for layering). Deterministic: ties go to document order.
/// </summary>
public static class AutoLayout
{
    public const double Left = 60;
    public const double Top = 60;
    public const double ColumnWidth = 190;
    public const double RowHeight = 130;

    public static Dictionary<string, (double X, double Y)> Arrange(IReadOnlyList<UnitView> units, IReadOnlyList<StreamView> streams)
    {
        var ids = units.Select(u => u.Id).Distinct(StringComparer.Ordinal).ToList();
        var index = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);
        var type = new string[ids.Count];
        foreach (var u in units)
        {
            type[index[u.Id]] ??= u.Type;
        }
        var successors = ids.Select(_ => new List<int>()).ToArray();
        foreach (var s in streams)
        {
            if (index.TryGetValue(s.FromUnit, out var a) && index.TryGetValue(s.ToUnit, out var b) && a != b && !successors[a].Contains(b))
            {
                successors[a].Add(b);
            }
        }

        var forward = ForwardEdges(ids.Count, successors, type);
        var layer = LongestPathLayers(ids.Count, forward);

        // Feeds sit just left of the first unit they feed; products all share the rightmost column.
        var last = Enumerable.Range(0, ids.Count).Where(i => type[i] != "product").Select(i => layer[i]).DefaultIfEmpty(0).Max();
        for (var i = 0; i < ids.Count; i++)
        {
            if (type[i] == "feed" && forward[i].Count > 0)
            {
                layer[i] = Math.Max(0, forward[i].Min(j => layer[j]) - 1);
            }
            else if (type[i] == "product")
            {
                layer[i] = last + 1;
            }
        }

        // Within a column, order by the mean row of the units feeding it (one sweep), ties by document order.
        var row = new double[ids.Count];
        var predecessors = ids.Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < ids.Count; i++)
        {
            foreach (var j in successors[i])
            {
                predecessors[j].Add(i);
            }
        }
        var columns = Enumerable.Range(0, ids.Count).GroupBy(i => layer[i]).OrderBy(g => g.Key).ToList();
        var tallest = columns.Count == 0 ? 0 : columns.Max(c => c.Count());
        var result = new Dictionary<string, (double X, double Y)>(StringComparer.Ordinal);
        foreach (var column in columns)
        {
            var ordered = column
                .Select(i => (i, key: predecessors[i].Where(p => layer[p] < layer[i]).Select(p => row[p]).DefaultIfEmpty(double.MaxValue).Average()))
                .OrderBy(x => x.key).ThenBy(x => x.i).Select(x => x.i).ToList();
            var offset = (tallest - ordered.Count) / 2.0;
            for (var r = 0; r < ordered.Count; r++)
            {
                row[ordered[r]] = r + offset;
                // Centres on the row line, so a feed, a drum and a product in one row have their ports level.
                var height = CanvasGeometry.Size(type[ordered[r]] ?? "").Height;
                result[ids[ordered[r]]] = (Left + column.Key * ColumnWidth, Math.Round(Top + (r + offset) * RowHeight + (RowHeight - height) / 2 - RowHeight / 4));
            }
        }
        return result;
    }

    /// <summary>The edges of a depth-first search from the feeds (then the rest, in order) that do not close a cycle.</summary>
    private static List<int>[] ForwardEdges(int n, List<int>[] successors, string[] type)
    {
        var forward = Enumerable.Range(0, n).Select(_ => new List<int>()).ToArray();
        var state = new int[n]; // 0 unvisited, 1 on the stack, 2 done
        var roots = Enumerable.Range(0, n).OrderBy(i => type[i] == "feed" ? 0 : 1).ThenBy(i => i);
        foreach (var root in roots)
        {
            if (state[root] != 0)
            {
                continue;
            }
            var stack = new Stack<(int Node, int Next)>();
            stack.Push((root, 0));
            state[root] = 1;
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                if (next < successors[node].Count)
                {
                    stack.Push((node, next + 1));
                    var child = successors[node][next];
                    if (state[child] == 1)
                    {
                        continue; // back edge: closes a recycle
                    }
                    forward[node].Add(child);
                    if (state[child] == 0)
                    {
                        state[child] = 1;
                        stack.Push((child, 0));
                    }
                }
                else
                {
                    state[node] = 2;
                }
            }
        }
        return forward;
    }

    private static int[] LongestPathLayers(int n, List<int>[] forward)
    {
        var indegree = new int[n];
        foreach (var list in forward)
        {
            foreach (var j in list)
            {
                indegree[j]++;
            }
        }
        var layer = new int[n];
        var queue = new Queue<int>(Enumerable.Range(0, n).Where(i => indegree[i] == 0));
        while (queue.Count > 0)
        {
            var i = queue.Dequeue();
            foreach (var j in forward[i])
            {
                layer[j] = Math.Max(layer[j], layer[i] + 1);
                if (--indegree[j] == 0)
                {
                    queue.Enqueue(j);
                }
            }
        }
        return layer;
    }
}
