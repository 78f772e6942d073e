using System.Globalization;
using System.Text;
using System.Text.Json;
using DeepSim.Analytics.Ingest;

namespace DeepSim.AnalyticsBench;

/// <summary>
/// Outbox events shaped like the Api's (the types and payload fields the roll-ups read), generated from a seed so every
/// run inserts the same rows. A tenant's day holds its runs (submitted, then completed, failed or cancelled), a few new
/// flowsheets and the hourly API-call counts.
/// </summary>
internal static class SyntheticEvents
{
    /// <summary>One tenant's <paramref name="perDay"/> events on each of the days ending at <paramref name="lastDay"/>.</summary>
    public static IEnumerable<FeedEvent> ForTenant(Guid tenant, DateOnly lastDay, int days, int perDay, int seed)
    {
        var random = new Random(seed);
        var users = Enumerable.Range(0, 8).Select(_ => NewGuid(random)).ToArray();
        var flowsheets = Enumerable.Range(0, 20).Select(_ => NewGuid(random)).ToArray();
        long n = 0;
        for (var d = days - 1; d >= 0; d--)
        {
            var day = lastDay.AddDays(-d).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
            const int hourly = 24;
            const int newFlowsheets = 3;
            var runs = Math.Max(1, (perDay - hourly - newFlowsheets) / 2);
            for (var h = 0; h < hourly; h++)
            {
                yield return Event(random, ref n, tenant, "usage.api_calls", day.AddHours(h).AddMinutes(59), $$"""{"count":{{random.Next(10, 500)}}}""");
            }
            for (var f = 0; f < newFlowsheets; f++)
            {
                yield return Event(random, ref n, tenant, "flowsheet.created", day.AddHours(8 + f),
                    $$"""{"flowsheetId":"{{NewGuid(random)}}","actorId":"{{users[random.Next(users.Length)]}}"}""");
            }
            for (var r = 0; r < runs; r++)
            {
                var at = day.AddSeconds(random.Next(86_000));
                var run = NewGuid(random);
                yield return Event(random, ref n, tenant, "run.submitted", at,
                    $$"""{"runId":"{{run}}","flowsheetId":"{{flowsheets[random.Next(flowsheets.Length)]}}","createdBy":"{{users[random.Next(users.Length)]}}"}""");
                var outcome = random.Next(100);
                var end = at.AddSeconds(random.Next(1, 300));
                yield return outcome switch
                {
                    < 85 => Event(random, ref n, tenant, "run.completed", end,
                        string.Create(CultureInfo.InvariantCulture, $$"""{"runId":"{{run}}","converged":{{(outcome < 78 ? "true" : "false")}},"solverSeconds":{{random.NextDouble() * 20:F3}}}""")),
                    < 95 => Event(random, ref n, tenant, "run.failed", end, $$"""{"runId":"{{run}}","reason":"worker lost"}"""),
                    _ => Event(random, ref n, tenant, "run.cancelled", end, $$"""{"runId":"{{run}}"}"""),
                };
            }
        }
    }

    private static FeedEvent Event(Random random, ref long n, Guid tenant, string type, DateTime at, string payload)
    {
        n++;
        using var document = JsonDocument.Parse(payload);
        return new FeedEvent(string.Create(CultureInfo.InvariantCulture, $"{n}-{n}"), NewGuid(random), tenant, type, at, document.RootElement.Clone());
    }

    private static Guid NewGuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    /// <summary>The rows as clickhouse-client reads them (<c>FORMAT TabSeparated</c>, the events table's column order).</summary>
    public static void WriteTsv(IEnumerable<FeedEvent> events, DateTime ingestedAt, string path)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        var ingested = ingestedAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        foreach (var e in events)
        {
            writer.Write(e.Id.ToString("D"));
            writer.Write('\t');
            writer.Write((e.TenantId ?? Guid.Empty).ToString("D"));
            writer.Write('\t');
            writer.Write(Escape(e.Type));
            writer.Write('\t');
            writer.Write(e.OccurredAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
            writer.Write('\t');
            writer.Write(Escape(e.Payload.GetRawText()));
            writer.Write('\t');
            writer.Write(Escape(e.Position));
            writer.Write('\t');
            writer.Write(ingested);
            writer.Write('\n');
        }
    }

    private static string Escape(string field) =>
        field.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
