using System.Text.Json.Nodes;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Solver;
using DeepSim.Engine.Tests.Examples;
using FsCheck.Xunit;

namespace DeepSim.Engine.Tests.Solver;

/// <summary>
/// Property: a randomly broken flowsheet (an example with random edits anywhere in its JSON) never makes the
/// engine throw, and every solve returns within its time bound with either a converged result or a reason.
/// </summary>
public class BrokenFlowsheetProperties
{
    /// <summary>Each broken flowsheet gets this solve time limit (seconds).</summary>
    private const double SolveTimeLimitSeconds = 5;

    /// <summary>A hang guard far above the solve limit: only a solver that ignores its deadline can reach it.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private static readonly string[] Examples =
    [
        "natural-gas-flash", "benzene-toluene-flash", "two-stage-compression", "feed-effluent-exchanger", "ammonia-synthesis-loop", "design-spec-heater-duty",
    ];

    private static readonly Lazy<string[]> Texts = new(() => Examples.Select(ExampleFiles.Text).ToArray());

    private static readonly JsonNode?[] Junk =
    [
        null, 0, -1, 1e308, -273.15, 0.5, 2, "", "C", "bar", "MIX.out", "FEED.in", "nitrogen", "heater", "wegstein", true,
        new JsonObject(), new JsonArray(), new JsonObject { ["value"] = -5, ["unit"] = "K" }, new JsonObject { ["value"] = 1, ["unit"] = "furlong" },
    ];

    /// <summary>Every node of the document with a way to replace or remove it.</summary>
    private static List<(JsonNode Parent, string? Key, int Index)> Slots(JsonNode root)
    {
        var slots = new List<(JsonNode, string?, int)>();
        void Walk(JsonNode node)
        {
            if (node is JsonObject o)
            {
                foreach (var (key, child) in o.ToArray())
                {
                    slots.Add((o, key, -1));
                    if (child is not null)
                    {
                        Walk(child);
                    }
                }
            }
            else if (node is JsonArray a)
            {
                for (var i = 0; i < a.Count; i++)
                {
                    slots.Add((a, null, i));
                    if (a[i] is { } child)
                    {
                        Walk(child);
                    }
                }
            }
        }
        Walk(root);
        return slots;
    }

    private static JsonNode? Pick(Random random)
    {
        var j = Junk[random.Next(Junk.Length)];
        return j?.DeepClone();
    }

    /// <summary>Applies 1 to 4 random edits: replace a value, delete it, scale a number, or duplicate an array item.</summary>
    internal static string Break(int seed)
    {
        var random = new Random(seed);
        var doc = JsonNode.Parse(Texts.Value[random.Next(Texts.Value.Length)])!;
        doc["solver"] ??= new JsonObject();
        doc["solver"]!["timeLimitSeconds"] = SolveTimeLimitSeconds;
        var edits = 1 + random.Next(4);
        for (var e = 0; e < edits; e++)
        {
            var slots = Slots(doc);
            var (parent, key, index) = slots[random.Next(slots.Count)];
            if (key == "timeLimitSeconds")
            {
                continue;
            }
            var current = key is not null ? parent[key] : parent[index];
            switch (random.Next(4))
            {
                case 0:
                    if (key is not null)
                    {
                        parent.AsObject()[key] = Pick(random);
                    }
                    else
                    {
                        parent.AsArray()[index] = Pick(random);
                    }
                    break;
                case 1:
                    if (key is not null)
                    {
                        parent.AsObject().Remove(key);
                    }
                    else
                    {
                        parent.AsArray().RemoveAt(index);
                    }
                    break;
                case 2:
                    if (current is JsonValue v && v.TryGetValue<double>(out var d))
                    {
                        var scaled = d * (random.NextDouble() * 4 - 1);
                        // A junk 1e308 can scale past double's range, and infinity cannot be written as JSON: skip that edit.
                        if (!double.IsFinite(scaled))
                        {
                            break;
                        }
                        if (key is not null)
                        {
                            parent.AsObject()[key] = scaled;
                        }
                        else
                        {
                            parent.AsArray()[index] = scaled;
                        }
                    }
                    break;
                default:
                    if (key is null)
                    {
                        parent.AsArray().Add(current?.DeepClone());
                    }
                    break;
            }
        }
        return doc.ToJsonString();
    }

    [Property(MaxTest = 200)]
    public void A_broken_flowsheet_never_throws_and_always_returns_within_its_time_bound(int a, int b, int c)
    {
        // FsCheck's integers are small (bounded by its size parameter); three of them spread the seeds widely.
        var seed = unchecked((a * 1_000_003) + (b * 1009) + c);
        var json = Break(seed);
        var task = Task.Run(() =>
        {
            var read = FlowsheetReader.Read(json, DefaultThermoCatalog.Instance);
            if (!read.IsValid)
            {
                Assert.NotEmpty(read.Errors);
                Assert.All(read.Errors, e => Assert.StartsWith("$", e.Path, StringComparison.Ordinal));
                return (SolveResult?)null;
            }
            return FlowsheetSolver.Solve(read.Flowsheet!);
        });
        Assert.True(task.Wait(HangGuard), $"seed {seed}: the engine ran past its time bound");
        var result = task.Result;
        if (result is { Converged: false })
        {
            Assert.False(string.IsNullOrWhiteSpace(result.FailureReason));
        }
    }

    [Fact]
    public void The_breaker_really_breaks_flowsheets()
    {
        // Guards the property above against a generator that only ever produces valid files.
        var invalid = Enumerable.Range(0, 60).Count(seed => !FlowsheetReader.Read(Break(seed), DefaultThermoCatalog.Instance).IsValid);
        Assert.InRange(invalid, 20, 60);
    }
}
