using DeepSim.ServiceDefaults;
using Npgsql;

namespace DeepSim.AppHost.Servers;

/// <summary>Where and how a <see cref="PostgresServer"/> runs.</summary>
public sealed record PostgresServerOptions
{
    public const string DefaultBinDirectory = "/usr/lib/postgresql/15/bin";

    /// <summary>The port to use when it is free; 0 picks any free port (what test fixtures want).</summary>
    public int PreferredPort { get; init; }

    /// <summary>Folder holding initdb and postgres (Debian package 'postgresql').</summary>
    public string BinDirectory { get; init; } = DefaultBinDirectory;

    public string DatabaseName { get; init; } = ResourceNames.Database;

    /// <summary>Owns the database and runs migrations.</summary>
    public string OwnerRole { get; init; } = "deepsim_owner";

    /// <summary>What the services log in as: no superuser, no BYPASSRLS, owns nothing.</summary>
    public string AppRole { get; init; } = "deepsim_app";

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>The connection strings of one database on a <see cref="PostgresServer"/>.</summary>
public sealed record PostgresDatabase(string Name, string OwnerConnectionString, string AppConnectionString);

/// <summary>
/// A PostgreSQL cluster of our own (initdb under the data directory) listening on 127.0.0.1, with an owner role
/// that owns the database and a separate application role that owns nothing and cannot bypass row-level security.
/// Passwords are generated once and kept in credentials.json (mode 600) beside the cluster.
/// </summary>
public sealed class PostgresServer : LocalServer
{
    private const string ServerName = "PostgreSQL";
    private const string DebianPackage = "postgresql";
    private const string OsUser = "postgres";
    private const string Superuser = "postgres";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private readonly PostgresServerOptions _options;
    private readonly string _clusterDirectory;
    private readonly string _ownerPassword;
    private readonly string _appPassword;

    // SIGINT is PostgreSQL's fast shutdown (what `pg_ctl stop -m fast` sends).
    private PostgresServer(string dataDirectory, string clusterDirectory, PostgresServerOptions options, SecretStore secrets)
        : base(ServerName, dataDirectory, portCount: 1, stopSignal: Posix.SigInt, gracefulStopTimeout: TimeSpan.FromSeconds(10),
            PollInterval, options.StartTimeout, readinessDescription: "accept connections")
    {
        _clusterDirectory = clusterDirectory;
        _options = options;
        _ownerPassword = secrets.GetOrCreate("postgres-owner-password");
        _appPassword = secrets.GetOrCreate("postgres-app-password");
    }

    /// <summary>The initdb cluster: under the data directory, unless the postgres user cannot reach it (see below).</summary>
    public string ClusterDirectory => _clusterDirectory;

    public int Port => PortAt(0);
    public string DatabaseName => _options.DatabaseName;
    public string OwnerRole => _options.OwnerRole;
    public string AppRole => _options.AppRole;

    /// <summary>Npgsql connection string of the owner role (migrations) to the main database.</summary>
    public string OwnerConnectionString => ConnectionString(DatabaseName, OwnerRole, _ownerPassword);

    /// <summary>Npgsql connection string of the application role to the main database.</summary>
    public string AppConnectionString => ConnectionString(DatabaseName, AppRole, _appPassword);

    /// <summary>Starts (creating on first use) a cluster under <paramref name="dataDirectory"/> on any free port.</summary>
    public static Task<PostgresServer> StartAsync(string dataDirectory, CancellationToken cancellationToken)
        => StartAsync(dataDirectory, new PostgresServerOptions(), cancellationToken);

    public static async Task<PostgresServer> StartAsync(string dataDirectory, PostgresServerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        dataDirectory = CreateDataDirectory(dataDirectory, ServerName, DebianPackage,
            Path.Combine(options.BinDirectory, "initdb"), Path.Combine(options.BinDirectory, "postgres"));
        var secrets = new SecretStore(Path.Combine(dataDirectory, "credentials.json"));
        var clusterDirectory = await ChooseClusterDirectoryAsync(dataDirectory, cancellationToken);
        var server = new PostgresServer(dataDirectory, clusterDirectory, options, secrets);
        await server.LaunchAsync([options.PreferredPort], cancellationToken);
        return server;
    }

    /// <summary>Creates (if missing) another database owned by the owner role, with the same grants as the main one.</summary>
    public async Task<PostgresDatabase> CreateDatabaseAsync(string databaseName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(databaseName);
        await EnsureDatabaseAsync(databaseName, cancellationToken);
        return new PostgresDatabase(
            databaseName,
            ConnectionString(databaseName, OwnerRole, _ownerPassword),
            ConnectionString(databaseName, AppRole, _appPassword));
    }

    /// <summary>True when the application role can run <c>select 1</c> on the main database.</summary>
    public override Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
        => ProbeAsync(AppConnectionString, cancellationToken);

    /// <summary>Real probe of any Npgsql connection string: <c>select 1</c>, no pooling, bounded.</summary>
    public static async Task<bool> ProbeAsync(string connectionString, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 3, CommandTimeout = 3 };
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("select 1", connection);
            return (int)(await command.ExecuteScalarAsync(cancellationToken))! == 1;
        }
        catch (NpgsqlException)
        {
            return false;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private string ConnectionString(string database, string role, string password) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Database = database,
        Username = role,
        Password = password,
    }.ConnectionString;

    private string SuperuserSocketConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        // A Host that is a folder means the Unix socket in it; trust there is safe because the folder is 0700.
        Host = _clusterDirectory,
        Port = Port,
        Database = database,
        Username = Superuser,
        Pooling = false,
        Timeout = 5,
    }.ConnectionString;

    /// <summary>
    /// As root, PostgreSQL runs as 'postgres', which must traverse every folder above its data. A state folder under
    /// a private home (/root is 0700) is out of its reach: then the cluster lives under /var/tmp, named after the state
    /// folder so every start finds the same one, and cluster-location.txt says where.
    /// </summary>
    private static async Task<string> ChooseClusterDirectoryAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var inside = Path.Combine(dataDirectory, "data");
        if (!Posix.IsRoot
            || await ChildProcess.RunAsync("/usr/bin/test", ["-x", dataDirectory], new LogBuffer(), TimeSpan.FromSeconds(10), cancellationToken, OsUser) == 0)
        {
            return inside;
        }
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(dataDirectory)))[..16];
        var outside = Path.Combine("/var/tmp", $"deepsim-postgres-{hash}");
        var locationFile = Path.Combine(dataDirectory, "cluster-location.txt");
        // A state folder without its location note was removed and made anew (`rm -rf .deepsim` resets): so is the cluster.
        if (!File.Exists(locationFile) && Directory.Exists(outside))
        {
            Directory.Delete(outside, recursive: true);
        }
        Directory.CreateDirectory(outside);
        await File.WriteAllTextAsync(
            locationFile,
            $"The '{OsUser}' user cannot reach {dataDirectory}, so this cluster lives in {outside}/data.\n",
            cancellationToken);
        return Path.Combine(outside, "data");
    }

    // Creates the cluster on first use; on later starts stops what a killed launcher left running on it.
    private protected override async Task PrepareAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(_clusterDirectory, "PG_VERSION")))
        {
            await StopOrphanedPostmasterAsync();
            return;
        }
        // A half-made cluster from an interrupted first start cannot be repaired; initdb needs an empty folder.
        if (Directory.Exists(_clusterDirectory))
        {
            Directory.Delete(_clusterDirectory, recursive: true);
        }
        Directory.CreateDirectory(_clusterDirectory);
        var runAs = Posix.IsRoot ? OsUser : null;
        if (runAs is not null)
        {
            await RunOrThrowAsync("/bin/chown", [$"{OsUser}:{OsUser}", _clusterDirectory], null, cancellationToken);
            if (await ChildProcess.RunAsync("/usr/bin/test", ["-w", _clusterDirectory], Logs, TimeSpan.FromSeconds(10), cancellationToken, runAs) != 0)
            {
                throw new InvalidOperationException(
                    $"The '{OsUser}' user cannot reach {_clusterDirectory}: PostgreSQL refuses to run as root, so every folder above the data directory must be traversable (chmod o+x) by '{OsUser}'. Choose a state folder elsewhere (--state-dir).");
            }
        }
        await RunOrThrowAsync(
            Path.Combine(_options.BinDirectory, "initdb"),
            ["-D", _clusterDirectory, "-A", "trust", "-U", Superuser, "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"],
            runAs,
            cancellationToken);
        // Passwords over TCP; the socket (inside the 0700 data folder) is for the superuser's setup only.
        await File.WriteAllTextAsync(
            Path.Combine(_clusterDirectory, "pg_hba.conf"),
            """
            # Written by DeepSim.AppHost. The Unix socket lives inside the 0700 data folder: only its owner reaches it.
            local   all   postgres                  trust
            host    all   all        127.0.0.1/32   scram-sha-256
            """ + "\n",
            cancellationToken);
    }

    // A launcher killed with SIGKILL leaves its postmaster running; a new one could not start beside it.
    // SIGINT is PostgreSQL's fast shutdown; SIGKILL follows if it does not finish in time.
    private Task StopOrphanedPostmasterAsync() =>
        OrphanedServer.StopAsync(Path.Combine(_clusterDirectory, "postmaster.pid"),
            commandLine => commandLine.Contains(_clusterDirectory, StringComparison.Ordinal), Posix.SigInt, GracefulStopTimeout, Logs);

    private protected override ChildProcess StartProcess() => ChildProcess.Start(
        Path.Combine(_options.BinDirectory, "postgres"),
        ["-D", _clusterDirectory, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-k", _clusterDirectory, "-c", "listen_addresses=127.0.0.1"],
        Logs,
        runAsUser: Posix.IsRoot ? OsUser : null);

    // The roles may not exist yet: readiness is the superuser's socket answering.
    private protected override Task<bool> IsReadyAsync(CancellationToken cancellationToken)
        => ProbeAsync(SuperuserSocketConnectionString("postgres"), cancellationToken);

    private protected override Task OnStartedAsync(CancellationToken cancellationToken) => EnsureDatabaseAsync(DatabaseName, cancellationToken);

    private async Task EnsureDatabaseAsync(string databaseName, CancellationToken cancellationToken)
    {
        var owner = QuoteIdentifier(OwnerRole);
        var app = QuoteIdentifier(AppRole);
        var database = QuoteIdentifier(databaseName);
        await using (var connection = new NpgsqlConnection(SuperuserSocketConnectionString("postgres")))
        {
            await connection.OpenAsync(cancellationToken);
            // Idempotent on every start, so an interrupted first start heals and stored passwords stay the truth.
            await ExecuteAsync(connection, $"""
                DO $$
                BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {QuoteLiteral(OwnerRole)}) THEN CREATE ROLE {owner}; END IF;
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {QuoteLiteral(AppRole)}) THEN CREATE ROLE {app}; END IF;
                END $$;
                ALTER ROLE {owner} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD {QuoteLiteral(_ownerPassword)};
                ALTER ROLE {app} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD {QuoteLiteral(_appPassword)};
                """, cancellationToken);
            await using var exists = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = @name", connection);
            exists.Parameters.AddWithValue("name", databaseName);
            if ((long)(await exists.ExecuteScalarAsync(cancellationToken))! == 0)
            {
                await ExecuteAsync(connection, $"CREATE DATABASE {database} OWNER {owner}", cancellationToken);
            }
        }
        await using (var connection = new NpgsqlConnection(SuperuserSocketConnectionString(databaseName)))
        {
            await connection.OpenAsync(cancellationToken);
            // The app role gets data rights on what the owner creates (tables, sequences), never ownership or DDL.
            await ExecuteAsync(connection, $"""
                REVOKE ALL ON DATABASE {database} FROM PUBLIC;
                GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {app};
                REVOKE CREATE ON SCHEMA public FROM PUBLIC;
                GRANT USAGE ON SCHEMA public TO {app};
                ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app};
                ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app};
                """, cancellationToken);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
#pragma warning disable CA2100 // Identifiers and literals are quoted above; DDL cannot take parameters.
        await using var command = new NpgsqlCommand(sql, connection);
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string QuoteLiteral(string literal) => "'" + literal.Replace("'", "''", StringComparison.Ordinal) + "'";

    private async Task RunOrThrowAsync(string fileName, IReadOnlyList<string> arguments, string? runAs, CancellationToken cancellationToken)
    {
        var exitCode = await ChildProcess.RunAsync(fileName, arguments, Logs, TimeSpan.FromSeconds(120), cancellationToken, runAs);
        if (exitCode != 0)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(fileName)} exited with {exitCode}:{Environment.NewLine}{string.Join(Environment.NewLine, Logs.Tail(20))}");
        }
    }
}
