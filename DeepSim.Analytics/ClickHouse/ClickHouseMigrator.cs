namespace DeepSim.Analytics.ClickHouse;

/// <summary>
/// Applies the embedded, ordered SQL files (<c>ClickHouse/Migrations/NNNN_name.sql</c>, one statement each) that
/// <c>schema_migrations</c> does not list yet, then records them. ClickHouse has no transactions or locks, so every
/// statement is written to be safe to run again (<c>IF NOT EXISTS</c>): a crash between a statement and its record,
/// or two ingesters starting at once, reapplies harmlessly.
/// </summary>
public static class ClickHouseMigrator
{
    private const string Prefix = "DeepSim.Analytics.ClickHouse.Migrations.";

    public static async Task<IReadOnlyList<string>> MigrateAsync(ClickHouseDatabase database, CancellationToken ct)
    {
        await database.EnsureDatabaseAsync(ct);
        await database.ExecuteAsync(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version String, applied_at DateTime('UTC')) ENGINE = ReplacingMergeTree(applied_at) ORDER BY version",
            ct);
        var done = (await database.QueryTsvAsync("SELECT DISTINCT version FROM schema_migrations", ct)).Select(r => r[0]).ToHashSet(StringComparer.Ordinal);
        var applied = new List<string>();
        foreach (var (version, sql) in Load())
        {
            if (done.Contains(version))
            {
                continue;
            }
            await database.ExecuteAsync(sql, ct);
            await database.ExecuteAsync($"INSERT INTO schema_migrations (version, applied_at) VALUES ({ClickHouseSql.Literal(version)}, now())", ct);
            applied.Add(version);
        }
        return applied;
    }

    internal static IReadOnlyList<(string Version, string Sql)> Load()
    {
        var assembly = typeof(ClickHouseMigrator).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(Prefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(name =>
            {
                using var stream = assembly.GetManifestResourceStream(name)!;
                using var reader = new StreamReader(stream);
                return (name[Prefix.Length..^4], reader.ReadToEnd());
            })
            .ToList();
    }
}
