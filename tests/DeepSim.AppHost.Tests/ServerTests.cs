using DeepSim.AppHost.Servers;
using Npgsql;
using StackExchange.Redis;

namespace DeepSim.AppHost.Tests;

public class PostgresServerTests
{
    private static readonly TimeSpan StartBudget = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Owner_role_owns_the_database_and_app_role_can_only_use_it()
    {
        using var folder = new TempDirectory();
        using var timeout = new CancellationTokenSource(StartBudget);
        await using var server = await PostgresServer.StartAsync(folder.Path, timeout.Token);

        await using (var owner = new NpgsqlConnection(server.OwnerConnectionString))
        {
            await owner.OpenAsync(timeout.Token);
            await Execute(owner, "create table widgets (id int primary key, name text not null)");
            await Execute(owner, "insert into widgets values (1, 'first')");
            Assert.Equal(server.OwnerRole, await Scalar<string>(owner, "select pg_catalog.pg_get_userbyid(datdba) from pg_database where datname = current_database()"));
        }

        await using var app = new NpgsqlConnection(server.AppConnectionString);
        await app.OpenAsync(timeout.Token);
        Assert.Equal(server.AppRole, await Scalar<string>(app, "select current_user"));
        Assert.False(await Scalar<bool>(app, "select rolsuper or rolbypassrls or rolcreaterole or rolcreatedb from pg_roles where rolname = current_user"));
        Assert.Equal("first", await Scalar<string>(app, "select name from widgets where id = 1"));
        var denied = await Assert.ThrowsAsync<PostgresException>(() => Execute(app, "create table intruders (id int)"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
        Assert.True(await server.IsHealthyAsync(timeout.Token));
    }

    [Fact]
    public async Task Tcp_logins_need_the_password()
    {
        using var folder = new TempDirectory();
        using var timeout = new CancellationTokenSource(StartBudget);
        await using var server = await PostgresServer.StartAsync(folder.Path, timeout.Token);
        var wrong = new NpgsqlConnectionStringBuilder(server.AppConnectionString) { Password = "not-the-password" }.ConnectionString;
        var noPassword = new NpgsqlConnectionStringBuilder(server.OwnerConnectionString) { Username = "postgres", Password = null }.ConnectionString;

        Assert.False(await PostgresServer.ProbeAsync(wrong, timeout.Token));
        Assert.False(await PostgresServer.ProbeAsync(noPassword, timeout.Token));
        Assert.True(await PostgresServer.ProbeAsync(server.AppConnectionString, timeout.Token));
    }

    [Fact]
    public async Task A_second_start_reuses_the_cluster_and_its_passwords()
    {
        using var folder = new TempDirectory();
        using var timeout = new CancellationTokenSource(StartBudget * 2);
        string firstOwner;
        await using (var first = await PostgresServer.StartAsync(folder.Path, timeout.Token))
        {
            firstOwner = first.OwnerConnectionString;
            await using var owner = new NpgsqlConnection(first.OwnerConnectionString);
            await owner.OpenAsync(timeout.Token);
            await Execute(owner, "create table kept (v int); insert into kept values (42)");
        }

        await using var second = await PostgresServer.StartAsync(folder.Path, timeout.Token);
        Assert.Equal(
            new NpgsqlConnectionStringBuilder(firstOwner).Password,
            new NpgsqlConnectionStringBuilder(second.OwnerConnectionString).Password);
        await using var app = new NpgsqlConnection(second.AppConnectionString);
        await app.OpenAsync(timeout.Token);
        Assert.Equal(42, await Scalar<int>(app, "select v from kept"));
    }

    [Fact]
    public async Task A_data_folder_the_postgres_user_cannot_reach_still_gets_a_cluster()
    {
        using var folder = new TempDirectory();
        using var timeout = new CancellationTokenSource(StartBudget);
        // Like a clone under /root (0700): as root, PostgreSQL runs as 'postgres', which cannot enter it.
        var privateFolder = Path.Combine(folder.Path, "private");
        Directory.CreateDirectory(privateFolder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var dataDirectory = Path.Combine(privateFolder, "postgres");
        string? cluster = null;
        try
        {
            await using var server = await PostgresServer.StartAsync(dataDirectory, timeout.Token);
            cluster = server.ClusterDirectory;

            Assert.True(await server.IsHealthyAsync(timeout.Token));
            if (Posix.IsRoot)
            {
                Assert.StartsWith("/var/tmp/deepsim-postgres-", cluster, StringComparison.Ordinal);
                Assert.Contains(cluster, await File.ReadAllTextAsync(Path.Combine(dataDirectory, "cluster-location.txt")), StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(Path.Combine(dataDirectory, "data"), cluster);
            }
        }
        finally
        {
            if (cluster is not null && cluster.StartsWith("/var/tmp/deepsim-postgres-", StringComparison.Ordinal))
            {
                Directory.Delete(Path.GetDirectoryName(cluster)!, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Removing_a_state_folder_resets_its_cluster_even_when_the_cluster_lives_outside_it()
    {
        using var folder = new TempDirectory();
        using var timeout = new CancellationTokenSource(StartBudget * 2);
        var privateFolder = Path.Combine(folder.Path, "private");
        Directory.CreateDirectory(privateFolder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var dataDirectory = Path.Combine(privateFolder, "postgres");
        string? cluster = null;
        try
        {
            await using (var first = await PostgresServer.StartAsync(dataDirectory, timeout.Token))
            {
                cluster = first.ClusterDirectory;
                await using var connection = new NpgsqlConnection(first.OwnerConnectionString);
                await connection.OpenAsync(timeout.Token);
                await using var create = new NpgsqlCommand("create table left_behind (id int)", connection);
                await create.ExecuteNonQueryAsync(timeout.Token);
            }

            // What `rm -rf .deepsim` does.
            Directory.Delete(dataDirectory, recursive: true);

            await using var second = await PostgresServer.StartAsync(dataDirectory, timeout.Token);
            cluster = second.ClusterDirectory;
            await using var check = new NpgsqlConnection(second.OwnerConnectionString);
            await check.OpenAsync(timeout.Token);
            await using var query = new NpgsqlCommand("select count(*) from pg_tables where tablename = 'left_behind'", check);
            Assert.Equal(0L, (long)(await query.ExecuteScalarAsync(timeout.Token))!);
        }
        finally
        {
            if (cluster is not null && cluster.StartsWith("/var/tmp/deepsim-postgres-", StringComparison.Ordinal))
            {
                Directory.Delete(Path.GetDirectoryName(cluster)!, recursive: true);
            }
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> Scalar<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}

public class RedisServerTests
{
    private static readonly TimeSpan StartBudget = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Commands_need_the_password_and_work_with_it()
    {
        using var folder = new TempDirectory();
        using var timeout = new CancellationTokenSource(StartBudget);
        await using var server = await RedisServer.StartAsync(folder.Path, timeout.Token);

        await using (var redis = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString))
        {
            var db = redis.GetDatabase();
            Assert.Equal(3, await db.StringIncrementAsync("counter", 3));
            Assert.Equal("3", (string?)await db.StringGetAsync("counter"));
        }
        Assert.False(await RedisServer.ProbeAsync($"127.0.0.1:{server.Port},password=wrong", timeout.Token));
        Assert.False(await RedisServer.ProbeAsync($"127.0.0.1:{server.Port}", timeout.Token));
    }
}
