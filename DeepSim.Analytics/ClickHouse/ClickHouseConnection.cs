using System.Data.Common;

namespace DeepSim.Analytics.ClickHouse;

/// <summary>
/// Where ClickHouse's HTTP interface is. <c>ConnectionStrings:clickhouse</c> is either a URL
/// (<c>http://127.0.0.1:8123</c>) or key=value pairs in the ClickHouse.Client style
/// (<c>Host=127.0.0.1;Port=8123;Protocol=http;Database=deepsim;Username=default;Password=</c>), optionally with
/// <c>Compression=gzip</c> for inserts (see <see cref="InsertCompression"/>).
/// </summary>
public sealed record ClickHouseConnection(Uri HttpEndpoint, string Database, string Username, string Password)
{
    public const string DefaultDatabase = "deepsim";

    /// <summary>
    /// How insert bodies travel. None by default: on loopback or a data-centre network gzip costs more CPU than the bytes
    /// it saves (the analytics bench measures both in one run); <c>Compression=gzip</c> where the link is slow. 18.16
    /// knows no other request encoding (not the driver's default, zstd).
    /// </summary>
    public InsertCompression Compression { get; init; } = InsertCompression.None;

    public static ClickHouseConnection Parse(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        if (Uri.TryCreate(connectionString, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
        {
            return new ClickHouseConnection(new Uri(url.GetLeftPart(UriPartial.Authority) + "/"), DefaultDatabase, "default", "");
        }

        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        string Get(string key, string fallback) => builder.TryGetValue(key, out var value) && value is string s && s.Length > 0 ? s : fallback;
        var host = Get("Host", "");
        if (host.Length == 0)
        {
            throw new FormatException("ClickHouse connection string needs a URL or a Host=…;Port=… pair (ConnectionStrings:clickhouse).");
        }

        var port = int.TryParse(Get("Port", "8123"), out var p) && p is > 0 and < 65536
            ? p
            : throw new FormatException("ClickHouse connection string has an invalid Port (ConnectionStrings:clickhouse).");
        var scheme = Get("Protocol", "http");
        var compression = Get("Compression", "none").ToUpperInvariant() switch
        {
            "NONE" => InsertCompression.None,
            "GZIP" => InsertCompression.Gzip,
            _ => throw new FormatException("ClickHouse connection string has an invalid Compression: none or gzip (ConnectionStrings:clickhouse)."),
        };
        return new ClickHouseConnection(new Uri($"{scheme}://{host}:{port}/"), Get("Database", DefaultDatabase), Get("Username", "default"), Get("Password", ""))
        {
            Compression = compression,
        };
    }

    /// <summary>
    /// The ClickHouse.Driver connection string for <paramref name="database"/> (this connection's when null). JSON
    /// modes off: with them on, the driver sends settings 18.16 does not know.
    /// </summary>
    public string DriverConnectionString(string? database = null)
    {
        var builder = new DbConnectionStringBuilder
        {
            ["Host"] = HttpEndpoint.Host,
            ["Port"] = HttpEndpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Protocol"] = HttpEndpoint.Scheme,
            ["Database"] = database ?? Database,
            ["Username"] = Username,
            ["Password"] = Password,
            ["JsonReadMode"] = "None",
            ["JsonWriteMode"] = "None",
        };
        return builder.ConnectionString;
    }
}

public enum InsertCompression
{
    None,
    Gzip,
}
