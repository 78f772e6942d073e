namespace DeepSim.AppHost.Servers;

/// <summary>Writes files so readers never see half of one: write a sibling, then rename over.</summary>
public static class StateFile
{
    public static void WriteAtomically(string path, string contents, bool ownerOnly)
    {
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (ownerOnly && !OperatingSystem.IsWindows())
        {
            // Created 600 from the start, so the secret is never world-readable even for a moment.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(contents);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
