using DeepSim.Engine.Flowsheets;

namespace DeepSim.Engine.Solver;

/// <summary>One step of the calculation order: a single unit, or a recycle block converged on its tear streams.</summary>
public sealed record CalculationBlock(IReadOnlyList<int> Units, IReadOnlyList<int> TearStreams)
{
    public bool IsCycle => TearStreams.Count > 0;
}

/// <summary>
/// Sequencing for the sequential-modular solve: strongly connected components (Tarjan), ordered topologically
/// with ties by declaration order; in each cyclic component the tear set is chosen automatically.
/// <para>
/// Tear choice: the minimum number of tear streams that breaks every cycle (fewest torn variables, so the
/// accelerated fixed-point problem is smallest), found by exhaustive search over stream subsets of growing
/// size. Among minimum sets, prefer tears that enter a unit also fed from outside the cycle (a mixer where fresh
/// feed meets the recycle): the first pass then starts from real feed information rather than the guess
/// alone. Remaining ties go to the first set in declaration order, so the choice is deterministic. Components
/// too large to search exhaustively fall back to the back edges of a depth-first search (always a valid,
/// deterministic tear set, not necessarily minimal).
/// </para>
/// </summary>
public static class FlowsheetGraph
{
    /// <summary>Bound on acyclicity tests in the exhaustive tear search; beyond it the DFS fallback is used.</summary>
    private const int MaxTearCandidatesTested = 50_000;

    public static IReadOnlyList<CalculationBlock> Sequence(int unitCount, IReadOnlyList<StreamConnection> streams)
    {
        var outgoing = new List<int>[unitCount];
        for (var u = 0; u < unitCount; u++)
        {
            outgoing[u] = [];
        }
        for (var s = 0; s < streams.Count; s++)
        {
            outgoing[streams[s].FromUnit].Add(s);
        }
        var components = StronglyConnectedComponents(unitCount, streams, outgoing);
        var componentOf = new int[unitCount];
        for (var c = 0; c < components.Count; c++)
        {
            foreach (var u in components[c])
            {
                componentOf[u] = c;
            }
        }
        // Kahn's algorithm on the condensation; ready components are taken in order of their first unit.
        var indegree = new int[components.Count];
        foreach (var s in streams)
        {
            if (componentOf[s.FromUnit] != componentOf[s.ToUnit])
            {
                indegree[componentOf[s.ToUnit]]++;
            }
        }
        var ready = new SortedSet<(int FirstUnit, int Component)>();
        for (var c = 0; c < components.Count; c++)
        {
            if (indegree[c] == 0)
            {
                ready.Add((components[c].Min(), c));
            }
        }
        var blocks = new List<CalculationBlock>();
        while (ready.Count > 0)
        {
            var next = ready.Min;
            ready.Remove(next);
            var members = components[next.Component];
            blocks.Add(BuildBlock(members, streams, outgoing));
            foreach (var u in members)
            {
                foreach (var s in outgoing[u])
                {
                    var target = componentOf[streams[s].ToUnit];
                    if (target != next.Component && --indegree[target] == 0)
                    {
                        ready.Add((components[target].Min(), target));
                    }
                }
            }
        }
        return blocks;
    }

    /// <summary>Tarjan's algorithm (iterative, so deep flowsheets cannot overflow the stack).</summary>
    public static List<List<int>> StronglyConnectedComponents(int unitCount, IReadOnlyList<StreamConnection> streams, List<int>[] outgoing)
    {
        var index = new int[unitCount];
        var low = new int[unitCount];
        var onStack = new bool[unitCount];
        Array.Fill(index, -1);
        var stack = new Stack<int>();
        var result = new List<List<int>>();
        var counter = 0;
        var work = new Stack<(int Unit, int Edge)>();
        for (var root = 0; root < unitCount; root++)
        {
            if (index[root] >= 0)
            {
                continue;
            }
            work.Push((root, 0));
            index[root] = low[root] = counter++;
            stack.Push(root);
            onStack[root] = true;
            while (work.Count > 0)
            {
                var (u, e) = work.Pop();
                if (e < outgoing[u].Count)
                {
                    work.Push((u, e + 1));
                    var v = streams[outgoing[u][e]].ToUnit;
                    if (index[v] < 0)
                    {
                        index[v] = low[v] = counter++;
                        stack.Push(v);
                        onStack[v] = true;
                        work.Push((v, 0));
                    }
                    else if (onStack[v])
                    {
                        low[u] = Math.Min(low[u], index[v]);
                    }
                    continue;
                }
                if (low[u] == index[u])
                {
                    var component = new List<int>();
                    int w;
                    do
                    {
                        w = stack.Pop();
                        onStack[w] = false;
                        component.Add(w);
                    }
                    while (w != u);
                    component.Sort();
                    result.Add(component);
                }
                if (work.Count > 0)
                {
                    var parent = work.Peek().Unit;
                    low[parent] = Math.Min(low[parent], low[u]);
                }
            }
        }
        return result;
    }

    private static CalculationBlock BuildBlock(List<int> members, IReadOnlyList<StreamConnection> streams, List<int>[] outgoing)
    {
        var inside = new HashSet<int>(members);
        var internalStreams = new List<int>();
        foreach (var u in members)
        {
            foreach (var s in outgoing[u])
            {
                if (inside.Contains(streams[s].ToUnit))
                {
                    internalStreams.Add(s);
                }
            }
        }
        internalStreams.Sort();
        if (internalStreams.Count == 0)
        {
            return new CalculationBlock(members, []);
        }
        var tears = ChooseTears(members, internalStreams, streams, outgoing);
        return new CalculationBlock(Order(members, internalStreams, tears, streams), tears);
    }

    private static int[] ChooseTears(List<int> members, List<int> internalStreams, IReadOnlyList<StreamConnection> streams, List<int>[] outgoing)
    {
        var inside = new HashSet<int>(members);
        var fedFromOutside = new HashSet<int>();
        for (var s = 0; s < streams.Count; s++)
        {
            if (inside.Contains(streams[s].ToUnit) && !inside.Contains(streams[s].FromUnit))
            {
                fedFromOutside.Add(streams[s].ToUnit);
            }
        }
        var tested = 0;
        for (var k = 1; k <= internalStreams.Count; k++)
        {
            int[]? best = null;
            var bestScore = -1;
            var combination = new int[k];
            for (var i = 0; i < k; i++)
            {
                combination[i] = i;
            }
            while (true)
            {
                if (++tested > MaxTearCandidatesTested)
                {
                    return best ?? DepthFirstBackEdges(members, internalStreams, streams, outgoing);
                }
                var candidate = combination.Select(i => internalStreams[i]).ToArray();
                if (IsAcyclicWithout(members, internalStreams, candidate, streams))
                {
                    var score = candidate.Count(s => fedFromOutside.Contains(streams[s].ToUnit));
                    if (score > bestScore)
                    {
                        best = candidate;
                        bestScore = score;
                    }
                }
                // Next combination in lexicographic order.
                var pos = k - 1;
                while (pos >= 0 && combination[pos] == internalStreams.Count - k + pos)
                {
                    pos--;
                }
                if (pos < 0)
                {
                    break;
                }
                combination[pos]++;
                for (var j = pos + 1; j < k; j++)
                {
                    combination[j] = combination[j - 1] + 1;
                }
            }
            if (best is not null)
            {
                return best;
            }
        }
        return DepthFirstBackEdges(members, internalStreams, streams, outgoing);
    }

    private static bool IsAcyclicWithout(List<int> members, List<int> internalStreams, int[] removed, IReadOnlyList<StreamConnection> streams)
    {
        var indegree = members.ToDictionary(u => u, _ => 0);
        foreach (var s in internalStreams)
        {
            if (Array.IndexOf(removed, s) < 0)
            {
                indegree[streams[s].ToUnit]++;
            }
        }
        var queue = new Queue<int>(members.Where(u => indegree[u] == 0));
        var visited = 0;
        while (queue.Count > 0)
        {
            var u = queue.Dequeue();
            visited++;
            foreach (var s in internalStreams)
            {
                if (streams[s].FromUnit == u && Array.IndexOf(removed, s) < 0 && --indegree[streams[s].ToUnit] == 0)
                {
                    queue.Enqueue(streams[s].ToUnit);
                }
            }
        }
        return visited == members.Count;
    }

    private static int[] DepthFirstBackEdges(List<int> members, List<int> internalStreams, IReadOnlyList<StreamConnection> streams, List<int>[] outgoing)
    {
        var inside = new HashSet<int>(members);
        var state = members.ToDictionary(u => u, _ => 0); // 0 new, 1 on path, 2 done
        var back = new List<int>();
        foreach (var root in members)
        {
            if (state[root] != 0)
            {
                continue;
            }
            var work = new Stack<(int Unit, int Edge)>();
            work.Push((root, 0));
            state[root] = 1;
            while (work.Count > 0)
            {
                var (u, e) = work.Pop();
                if (e >= outgoing[u].Count)
                {
                    state[u] = 2;
                    continue;
                }
                work.Push((u, e + 1));
                var s = outgoing[u][e];
                var v = streams[s].ToUnit;
                if (!inside.Contains(v))
                {
                    continue;
                }
                if (state[v] == 1)
                {
                    back.Add(s);
                }
                else if (state[v] == 0)
                {
                    state[v] = 1;
                    work.Push((v, 0));
                }
            }
        }
        back.Sort();
        return [.. back];
    }

    /// <summary>Topological order of a block once its tears are cut; ties by declaration order.</summary>
    private static int[] Order(List<int> members, List<int> internalStreams, int[] tears, IReadOnlyList<StreamConnection> streams)
    {
        var indegree = members.ToDictionary(u => u, _ => 0);
        foreach (var s in internalStreams)
        {
            if (Array.IndexOf(tears, s) < 0)
            {
                indegree[streams[s].ToUnit]++;
            }
        }
        var ready = new SortedSet<int>(members.Where(u => indegree[u] == 0));
        var order = new List<int>();
        while (ready.Count > 0)
        {
            var u = ready.Min;
            ready.Remove(u);
            order.Add(u);
            foreach (var s in internalStreams)
            {
                if (streams[s].FromUnit == u && Array.IndexOf(tears, s) < 0 && --indegree[streams[s].ToUnit] == 0)
                {
                    ready.Add(streams[s].ToUnit);
                }
            }
        }
        return [.. order];
    }
}
