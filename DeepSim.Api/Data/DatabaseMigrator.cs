using System.Reflection;
using DeepSim.ServiceDefaults;
using Npgsql;

namespace DeepSim.Api.Data;

/// <summary>
/// Applies the embedded, ordered SQL migrations (<c>Data/Migrations/NNNN_name.sql</c>) as the owner role,
/// under a PostgreSQL advisory lock, each in its own transaction and recorded in <c>schema_migrations</c>;
/// then re-applies the application role's and the platform role's grants. Safe to run any number of times, also concurrently.
/// </summary>
public static class DatabaseMigrator
{
    /// <summary>Configuration key naming the application role to grant to.</summary>
    public const string AppRoleKey = "Database:AppRole";

    /// <summary>The application role's name when <see cref="AppRoleKey"/> is not set.</summary>
    public const string DefaultAppRole = "deepsim_app";

    /// <summary>Configuration key naming the platform role (the operator endpoints' login) to grant to.</summary>
    public const string PlatformRoleKey = "Database:PlatformRole";

    /// <summary>The platform role's name when <see cref="PlatformRoleKey"/> is not set.</summary>
    public const string DefaultPlatformRole = "deepsim_platform";

    // An arbitrary fixed key: every migrator in every process contends for the same lock.
    private const long AdvisoryLockKey = 0x4465_6570_5369_6D01;
    private const string MigrationPrefix = "DeepSim.Api.Data.Migrations.";

    /// <summary>The <c>migrate</c> command: returns the process exit code.</summary>
    public static async Task<int> RunCommandAsync(IConfiguration configuration, CancellationToken cancellationToken = default)
    {
        var connectionString = configuration.GetConnectionString(ResourceNames.Database);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await Console.Error.WriteLineAsync($"migrate: missing configuration ConnectionStrings:{ResourceNames.Database} (the owner role's connection string)");
            return 2;
        }
        var appRole = configuration[AppRoleKey] is { Length: > 0 } role ? role : DefaultAppRole;
        var platformRole = configuration[PlatformRoleKey] is { Length: > 0 } platform ? platform : DefaultPlatformRole;
        try
        {
            var applied = await MigrateAsync(connectionString, appRole, platformRole, cancellationToken);
            Console.WriteLine(applied.Count == 0
                ? "migrate: database is up to date"
                : $"migrate: applied {string.Join(", ", applied)}");
            Console.WriteLine($"migrate: grants applied to roles {appRole} and {platformRole}");
            return 0;
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"migrate: failed: {ex.Message}");
            return 1;
        }
    }

    /// <summary>Applies pending migrations and grants (platform role: <see cref="DefaultPlatformRole"/>).</summary>
    public static Task<IReadOnlyList<string>> MigrateAsync(string ownerConnectionString, string appRole, CancellationToken cancellationToken = default) =>
        MigrateAsync(ownerConnectionString, appRole, DefaultPlatformRole, cancellationToken);

    /// <summary>Applies pending migrations and grants; returns the versions applied by this call.</summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(
        string ownerConnectionString, string appRole, string platformRole, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ownerConnectionString);
        await connection.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, $"select pg_advisory_lock({AdvisoryLockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, null,
                "create table if not exists schema_migrations (version text primary key, applied_at timestamptz not null default now())",
                cancellationToken);
            var done = new HashSet<string>(StringComparer.Ordinal);
            await using (var select = new NpgsqlCommand("select version from schema_migrations", connection))
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    done.Add(reader.GetString(0));
                }
            }

            var applied = new List<string>();
            foreach (var (version, sql) in LoadMigrations())
            {
                if (done.Contains(version))
                {
                    continue;
                }
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(connection, transaction, sql, cancellationToken);
                await using (var record = new NpgsqlCommand("insert into schema_migrations (version) values (@v)", connection, transaction))
                {
                    record.Parameters.AddWithValue("v", version);
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);
                applied.Add(version);
            }

            await ApplyGrantsAsync(connection, appRole, platformRole, cancellationToken);
            return applied;
        }
        finally
        {
            await ExecuteAsync(connection, null, $"select pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
        }
    }

    internal static IReadOnlyList<(string Version, string Sql)> LoadMigrations()
    {
        var assembly = typeof(DatabaseMigrator).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(MigrationPrefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(name => (name[MigrationPrefix.Length..^4], ReadResource(assembly, name)))
            .ToList();
    }

    private static async Task ApplyGrantsAsync(NpgsqlConnection connection, string appRole, string platformRole, CancellationToken cancellationToken)
    {
        await RequireRoleAsync(connection, appRole, $"the application role '{appRole}' does not exist (set {AppRoleKey} to the role the Api connects as)", cancellationToken);
        await RequireRoleAsync(connection, platformRole,
            $"the platform role '{platformRole}' does not exist (create it as the roles script does, or set {PlatformRoleKey} to the role the operator endpoints connect as)",
            cancellationToken);
        if (string.Equals(appRole, platformRole, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{AppRoleKey} and {PlatformRoleKey} name the same role '{appRole}': the platform role must be a role of its own");
        }
        var sql = ReadResource(typeof(DatabaseMigrator).Assembly, "DeepSim.Api.Data.Grants.sql")
            .Replace("{app_role}", QuoteIdentifier(appRole), StringComparison.Ordinal)
            .Replace("{platform_role}", QuoteIdentifier(platformRole), StringComparison.Ordinal);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, sql, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static async Task RequireRoleAsync(NpgsqlConnection connection, string role, string missing, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand("select exists (select 1 from pg_roles where rolname = @r)", connection);
        exists.Parameters.AddWithValue("r", role);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not true)
        {
            throw new InvalidOperationException(missing);
        }
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
