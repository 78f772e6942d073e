namespace DeepSim.AppHost.Tests;

/// <summary>A fresh folder under /tmp (reachable by the postgres user when tests run as root), removed afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("deepsim-test-").FullName;
        // Temp subdirectories are created 700; PostgreSQL (as its own user) must traverse into it.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A server still shutting down may hold a file for a moment; /tmp is cleaned eventually.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }
}
