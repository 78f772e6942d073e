namespace DeepSim.TestServers;

/// <summary>
/// PostgreSQL and Redis started from the Debian binaries in a fresh temporary folder: the real servers the tests and
/// the load benchmark run against. Disposing stops both (each even when the other fails) and deletes the folder.
/// </summary>
public sealed class ScratchServers : IAsyncDisposable
{
    private ScratchServers(string folder, PostgresServer postgres, RedisServer redis)
    {
        Folder = folder;
        Postgres = postgres;
        Redis = redis;
    }

    public string Folder { get; }
    public PostgresServer Postgres { get; }
    public RedisServer Redis { get; }

    /// <summary>Starts both servers in a new folder under the temporary directory named <paramref name="prefix"/>….</summary>
    public static async Task<ScratchServers> StartAsync(string prefix, CancellationToken ct)
    {
        var folder = Directory.CreateTempSubdirectory(prefix).FullName;
        // PostgreSQL runs as its own OS user when started by root, and must traverse into the folder.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
        PostgresServer? postgres = null;
        try
        {
            postgres = await PostgresServer.StartAsync(Path.Combine(folder, "postgres"), ct);
            var redis = await RedisServer.StartAsync(Path.Combine(folder, "redis"), ct);
            return new ScratchServers(folder, postgres, redis);
        }
        catch
        {
            // A half-started pair still stops what it started.
            if (postgres is not null)
            {
                await postgres.DisposeAsync();
            }
            TryDelete(folder);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Redis.DisposeAsync();
        }
        finally
        {
            try
            {
                await Postgres.DisposeAsync();
            }
            finally
            {
                TryDelete(Folder);
            }
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // files owned by the postgres user or still closing; the temporary directory is cleaned eventually
        }
    }
}
