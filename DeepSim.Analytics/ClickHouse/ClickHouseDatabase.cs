using ClickHouse.Driver;
using ClickHouse.Driver.Compression;

namespace DeepSim.Analytics.ClickHouse;

/// <summary>
/// The analytics database through ClickHouse.Driver, in the ways that work against 18.16 (ENVIRONMENT.md): statements
/// without parameters (literals from <see cref="ClickHouseSql"/>), reads as raw TSV, and binary bulk inserts with
/// the column types given, uncompressed unless the connection asks for gzip.
/// </summary>
public sealed class ClickHouseDatabase : IDisposable
{
    private readonly ClickHouseClient client;
    private readonly ClickHouseClient serverClient;

    public ClickHouseDatabase(ClickHouseConnection connection)
    {
        Connection = connection;
        client = new ClickHouseClient(connection.DriverConnectionString());
        // CREATE DATABASE runs before the database exists, so on a connection to one that always does.
        serverClient = new ClickHouseClient(connection.DriverConnectionString("system"));
    }

    public ClickHouseConnection Connection { get; }

    public string DatabaseName => ClickHouseSql.Identifier(Connection.Database);

    public Task EnsureDatabaseAsync(CancellationToken ct) =>
        serverClient.ExecuteNonQueryAsync($"CREATE DATABASE IF NOT EXISTS {DatabaseName}", null, null, ct);

    // The driver asks for RowBinaryWithNamesAndTypes by default, which 18.16 lacks and refuses for an INSERT … SELECT.
    private static readonly QueryOptions StatementOptions = new() { CustomSettings = new Dictionary<string, object> { ["default_format"] = "TabSeparated" } };

    public Task ExecuteAsync(string sql, CancellationToken ct) => client.ExecuteNonQueryAsync(sql, null, StatementOptions, ct);

    /// <summary>The rows of <paramref name="sql"/> (without a FORMAT clause) as TSV fields, unescaped.</summary>
    public async Task<List<string[]>> QueryTsvAsync(string sql, CancellationToken ct)
    {
        using var result = await client.ExecuteRawResultAsync(sql + " FORMAT TSV", null, ct);
        var text = await result.ReadAsStringAsync();
        var rows = new List<string[]>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            rows.Add(line.Split('\t').Select(UnescapeTsv).ToArray());
        }
        return rows;
    }

    public Task<long> InsertAsync(string table, IReadOnlyList<(string Name, string Type)> columns, IEnumerable<object[]> rows, CancellationToken ct) =>
        client.InsertBinaryAsync(ClickHouseSql.Identifier(table), columns.Select(c => c.Name), rows,
            new InsertOptions
            {
                ColumnTypes = columns.ToDictionary(c => c.Name, c => c.Type, StringComparer.Ordinal),
                // The driver's default, zstd, is not a request encoding 18.16 knows: gzip or nothing (the connection says).
                Compressor = Connection.Compression == InsertCompression.Gzip ? GZipCompressor.Default : null,
            }, ct);

    private static string UnescapeTsv(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }
        var text = new System.Text.StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] != '\\' || i + 1 == field.Length)
            {
                text.Append(field[i]);
                continue;
            }
            var next = field[++i];
            text.Append(next switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '0' => '\0', 'b' => '\b', 'f' => '\f', _ => next });
        }
        return text.ToString();
    }

    public void Dispose()
    {
        client.Dispose();
        serverClient.Dispose();
    }
}
