using System.Security.Cryptography;
using DeepSim.ServiceDefaults;
using Npgsql;

namespace DeepSim.TestServers;

/// <summary>
/// A PostgreSQL cluster of our own (initdb under the data directory) listening on 127.0.0.1, with an owner role
/// that owns the database and a separate application role that owns nothing and cannot bypass row-level security.
/// Passwords are generated per server and live only in this object.
/// </summary>
public sealed class PostgresServer : LocalServer
{
    private const string ServerName = "PostgreSQL";
    private const string DebianPackage = "postgresql";
    private const string OsUser = "postgres";
    private const string Superuser = "postgres";
    private const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string _clusterDirectory;
    private readonly string _ownerPassword;
    private readonly string _appPassword;
    private readonly string _platformPassword;

    // SIGINT is PostgreSQL's fast shutdown (what `pg_ctl stop -m fast` sends).
    private PostgresServer(string dataDirectory)
        : base(ServerName, dataDirectory, portCount: 1, stopSignal: Posix.SigInt, gracefulStopTimeout: TimeSpan.FromSeconds(10),
            PollInterval, StartTimeout, readinessDescription: "accept connections")
    {
        _clusterDirectory = Path.Combine(dataDirectory, "data");
        _ownerPassword = NewPassword();
        _appPassword = NewPassword();
        _platformPassword = NewPassword();
    }

    /// <summary>The initdb cluster, under the data directory.</summary>
    public string ClusterDirectory => _clusterDirectory;

    public int Port => PortAt(0);
    public string DatabaseName { get; } = ResourceNames.Database;

    /// <summary>Owns the database and runs migrations.</summary>
    public string OwnerRole { get; } = "deepsim_owner";

    /// <summary>What the services log in as: no superuser, no BYPASSRLS, owns nothing.</summary>
    public string AppRole { get; } = "deepsim_app";

    /// <summary>What the operator endpoints log in as: owns nothing, may only execute the platform functions.</summary>
    public string PlatformRole { get; } = "deepsim_platform";

    /// <summary>Npgsql connection string of the owner role (migrations) to the main database.</summary>
    public string OwnerConnectionString => ConnectionString(DatabaseName, OwnerRole, _ownerPassword);

    /// <summary>Npgsql connection string of the application role to the main database.</summary>
    public string AppConnectionString => ConnectionString(DatabaseName, AppRole, _appPassword);

    /// <summary>Npgsql connection string of the platform role to the main database.</summary>
    public string PlatformConnectionString => ConnectionString(DatabaseName, PlatformRole, _platformPassword);

    /// <summary>Starts (creating on first use) a cluster under <paramref name="dataDirectory"/> on any free port.</summary>
    public static async Task<PostgresServer> StartAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        dataDirectory = CreateDataDirectory(dataDirectory, ServerName, DebianPackage,
            Path.Combine(BinDirectory, "initdb"), Path.Combine(BinDirectory, "postgres"));
        var server = new PostgresServer(dataDirectory);
        await server.LaunchAsync(cancellationToken);
        return server;
    }

    // Hex: the value goes into connection strings and SQL literals.
    private static string NewPassword() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

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

    // Creates the cluster; initdb needs an empty folder.
    private protected override async Task PrepareAsync(CancellationToken cancellationToken)
    {
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
                    $"The '{OsUser}' user cannot reach {_clusterDirectory}: PostgreSQL refuses to run as root, so every folder above the data directory must be traversable (chmod o+x) by '{OsUser}'. Choose a data directory elsewhere (TMPDIR).");
            }
        }
        await RunOrThrowAsync(
            Path.Combine(BinDirectory, "initdb"),
            ["-D", _clusterDirectory, "-A", "trust", "-U", Superuser, "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"],
            runAs,
            cancellationToken);
        // Passwords over TCP; the socket (inside the 0700 data folder) is for the superuser's setup only.
        await File.WriteAllTextAsync(
            Path.Combine(_clusterDirectory, "pg_hba.conf"),
            """
            # Written by DeepSim.TestServers. The Unix socket lives inside the 0700 data folder: only its owner reaches it.
            local   all   postgres                  trust
            host    all   all        127.0.0.1/32   scram-sha-256
            """ + "\n",
            cancellationToken);
    }

    private protected override ChildProcess StartProcess() => ChildProcess.Start(
        Path.Combine(BinDirectory, "postgres"),
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
        var platform = QuoteIdentifier(PlatformRole);
        var database = QuoteIdentifier(databaseName);
        await using (var connection = new NpgsqlConnection(SuperuserSocketConnectionString("postgres")))
        {
            await connection.OpenAsync(cancellationToken);
            // Idempotent: StartAgainAsync runs this again on the same cluster.
            await ExecuteAsync(connection, $"""
                DO $$
                BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {QuoteLiteral(OwnerRole)}) THEN CREATE ROLE {owner}; END IF;
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {QuoteLiteral(AppRole)}) THEN CREATE ROLE {app}; END IF;
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {QuoteLiteral(PlatformRole)}) THEN CREATE ROLE {platform}; END IF;
                END $$;
                ALTER ROLE {owner} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD {QuoteLiteral(_ownerPassword)};
                ALTER ROLE {app} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD {QuoteLiteral(_appPassword)};
                ALTER ROLE {platform} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD {QuoteLiteral(_platformPassword)};
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
                GRANT CONNECT ON DATABASE {database} TO {platform};
                REVOKE CREATE ON SCHEMA public FROM PUBLIC;
                GRANT USAGE ON SCHEMA public TO {app}, {platform};
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
