namespace DeepSim.TestServers;

/// <summary>A server binary is not installed; the message names the Debian package that provides it.</summary>
public sealed class MissingServerBinaryException : Exception
{
    public MissingServerBinaryException(string serverName, string binaryPath, string debianPackage)
        : base($"{serverName} server binary {binaryPath} not found: install the Debian package '{debianPackage}' (sudo apt-get install {debianPackage}).")
    {
        BinaryPath = binaryPath;
        DebianPackage = debianPackage;
    }

    public MissingServerBinaryException()
    {
        BinaryPath = string.Empty;
        DebianPackage = string.Empty;
    }

    public MissingServerBinaryException(string message)
        : base(message)
    {
        BinaryPath = string.Empty;
        DebianPackage = string.Empty;
    }

    public MissingServerBinaryException(string message, Exception innerException)
        : base(message, innerException)
    {
        BinaryPath = string.Empty;
        DebianPackage = string.Empty;
    }

    public string BinaryPath { get; }
    public string DebianPackage { get; }

    internal static void ThrowIfMissing(string serverName, string binaryPath, string debianPackage)
    {
        if (!File.Exists(binaryPath))
        {
            throw new MissingServerBinaryException(serverName, binaryPath, debianPackage);
        }
    }
}
