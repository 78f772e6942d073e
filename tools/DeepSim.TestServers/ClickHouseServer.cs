using System.Globalization;
using System.Security;

namespace DeepSim.TestServers;

/// <summary>
/// A ClickHouse server of our own with its own config.xml/users.xml: 127.0.0.1 only, no interserver port,
/// a passwordless <c>default</c> user that only 127.0.0.1 may use, data and logs under the data directory.
/// </summary>
public sealed class ClickHouseServer : LocalServer
{
    private const string ServerName = "ClickHouse";
    private const string DebianPackage = "clickhouse-server";
    private const string DatabaseNameValue = "deepsim";

    // Debian's clickhouse-server 18.16 installs here (not under /usr/bin).
    private const string ServerBinary = "/usr/sbin/clickhouse-server";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly HttpClient ProbeClient = new() { Timeout = TimeSpan.FromSeconds(3) };

    private ClickHouseServer(string dataDirectory)
        : base(ServerName, dataDirectory, portCount: 2, stopSignal: Posix.SigTerm, gracefulStopTimeout: TimeSpan.FromSeconds(10),
            PollInterval, StartTimeout, readinessDescription: "answer SELECT 1")
    {
    }

    public int HttpPort => PortAt(0);
    public int TcpPort => PortAt(1);
    /// <summary>Created at start so services find it.</summary>
    public string DatabaseName { get; } = DatabaseNameValue;

    /// <summary>The HTTP interface, e.g. <c>http://127.0.0.1:58123</c>.</summary>
    public string HttpUrl => FormattableString.Invariant($"http://127.0.0.1:{HttpPort}");

    /// <summary>ClickHouse.Client-style key=value string: <c>Host=127.0.0.1;Port=P;Protocol=http;Database=deepsim;Username=default;Password=</c>.</summary>
    public string ConnectionString => FormattableString.Invariant($"Host=127.0.0.1;Port={HttpPort};Protocol=http;Database={DatabaseName};Username=default;Password=");

    /// <summary>Starts a server keeping its files under <paramref name="dataDirectory"/> on free ports.</summary>
    public static async Task<ClickHouseServer> StartAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        dataDirectory = CreateDataDirectory(dataDirectory, ServerName, DebianPackage, ServerBinary);
        var server = new ClickHouseServer(dataDirectory);
        await server.LaunchAsync(cancellationToken);
        return server;
    }

    /// <summary>True when the server answers <c>SELECT 1</c> over HTTP with 1.</summary>
    public override Task<bool> IsHealthyAsync(CancellationToken cancellationToken) => ProbeAsync(HttpUrl, cancellationToken);

    /// <summary>Real probe of a ClickHouse HTTP interface: POST <c>SELECT 1</c>, expect <c>1</c>.</summary>
    public static async Task<bool> ProbeAsync(string httpUrl, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await PostAsync(httpUrl, "SELECT 1", cancellationToken);
            return response.IsSuccessStatusCode && (await response.Content.ReadAsStringAsync(cancellationToken)).Trim() == "1";
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Runs one statement over HTTP and returns the response body; throws with ClickHouse's message on failure.</summary>
    public async Task<string> QueryAsync(string sql, CancellationToken cancellationToken)
    {
        using var response = await PostAsync(HttpUrl, sql, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return response.IsSuccessStatusCode ? body : throw new InvalidOperationException($"ClickHouse rejected '{sql}': {body}");
    }

    private static Task<HttpResponseMessage> PostAsync(string httpUrl, string sql, CancellationToken cancellationToken)
    {
        // No keep-alive: ClickHouse waits for open connections at shutdown, which would stall every stop.
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(httpUrl)) { Content = new StringContent(sql) };
        request.Headers.ConnectionClose = true;
        return ProbeClient.SendAsync(request, cancellationToken);
    }

    private string PidFile => Path.Combine(DataDirectory, "clickhouse.pid");

    private protected override ChildProcess StartProcess()
    {
        var configFile = WriteConfiguration();
        var arguments = new List<string> { $"--config-file={configFile}", $"--pid-file={PidFile}" };
        return ChildProcess.Start(ServerBinary, arguments, Logs, workingDirectory: DataDirectory);
    }

    private protected override Task OnStartedAsync(CancellationToken cancellationToken)
        => QueryAsync($"CREATE DATABASE IF NOT EXISTS {DatabaseName}", cancellationToken);

    private protected override void OnExitedBeforeReady()
    {
        // ClickHouse writes its reasons to its own log files, not stderr.
        var errorLog = Path.Combine(DataDirectory, "log", "clickhouse-server.err.log");
        if (File.Exists(errorLog))
        {
            foreach (var line in File.ReadLines(errorLog).TakeLast(10))
            {
                Logs.Add(line);
            }
        }
    }

    private string WriteConfiguration()
    {
        string Folder(string name)
        {
            var path = Path.Combine(DataDirectory, name) + "/";
            Directory.CreateDirectory(path);
            return SecurityElement.Escape(path);
        }
        var usersFile = Path.Combine(DataDirectory, "users.xml");
        var configFile = Path.Combine(DataDirectory, "config.xml");
        var logFolder = Folder("log");
        var invariant = CultureInfo.InvariantCulture;
        File.WriteAllText(usersFile, """
            <?xml version="1.0"?>
            <!-- Written by DeepSim.TestServers: one passwordless user, reachable from this machine only. -->
            <yandex>
              <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
              <users>
                <default>
                  <password></password>
                  <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
                  <profile>default</profile>
                  <quota>default</quota>
                </default>
              </users>
              <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
            </yandex>
            """);
        File.WriteAllText(configFile, string.Create(invariant, $"""
            <?xml version="1.0"?>
            <!-- Written by DeepSim.TestServers at each start: ports may change, everything else lives under this folder. -->
            <yandex>
              <logger>
                <level>information</level>
                <log>{logFolder}clickhouse-server.log</log>
                <errorlog>{logFolder}clickhouse-server.err.log</errorlog>
                <size>10M</size>
                <count>3</count>
              </logger>
              <http_port>{HttpPort}</http_port>
              <tcp_port>{TcpPort}</tcp_port>
              <listen_host>127.0.0.1</listen_host>
              <path>{Folder("data")}</path>
              <tmp_path>{Folder("tmp")}</tmp_path>
              <user_files_path>{Folder("user_files")}</user_files_path>
              <format_schema_path>{Folder("format_schemas")}</format_schema_path>
              <users_config>{SecurityElement.Escape(usersFile)}</users_config>
              <default_profile>default</default_profile>
              <default_database>default</default_database>
              <mark_cache_size>268435456</mark_cache_size>
            </yandex>
            """));
        return configFile;
    }
}
