using System.Security.Cryptography;
using System.Text.Json;

namespace DeepSim.AppHost.Servers;

/// <summary>
/// Secrets generated once and kept in a JSON file readable by its owner only, so a second start reuses them.
/// </summary>
public sealed class SecretStore
{
    private const int SecretBytes = 32;
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private readonly string _path;
    private readonly Lock _gate = new();

    public SecretStore(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = Path.GetFullPath(path);
    }

    public string FilePath => _path;

    /// <summary>The stored secret named <paramref name="name"/>, generating and saving it on first use.</summary>
    public string GetOrCreate(string name)
    {
        lock (_gate)
        {
            var secrets = Load();
            if (secrets.TryGetValue(name, out var existing) && !string.IsNullOrEmpty(existing))
            {
                return existing;
            }
            // URL-safe characters only: the value goes into connection strings and command lines unquoted.
            var value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(SecretBytes))
                .Replace('+', 'x').Replace('/', 'y').TrimEnd('=');
            secrets[name] = value;
            Save(secrets);
            return value;
        }
    }

    private Dictionary<string, string> Load()
    {
        if (!File.Exists(_path))
        {
            return new Dictionary<string, string>(StringComparer.Ordinal);
        }
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(_path))
                ?? new Dictionary<string, string>(StringComparer.Ordinal);
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"The secrets file {_path} is not valid JSON; delete it to generate new secrets.", ex);
        }
    }

    private void Save(Dictionary<string, string> secrets)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        StateFile.WriteAtomically(_path, JsonSerializer.Serialize(secrets, JsonOptions), ownerOnly: true);
    }
}
