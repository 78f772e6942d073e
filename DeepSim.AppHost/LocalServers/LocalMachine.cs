using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;

namespace DeepSim.AppHost.LocalServers;

public static class SecretExtensions
{
    /// <summary>
    /// A secret parameter. Run mode takes its value from the state folder's secrets.json (see UseLocalSecrets);
    /// the manifest asks the deployment tool to generate one (azd does), so no deployment needs a value typed in.
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddSecret(this IDistributedApplicationBuilder builder, string name)
        => builder.AddParameter(name, new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: false);
}


/// <summary>
/// What the run-mode resources share: the state folder (<c>.deepsim/</c>, or <c>DeepSim:StateDirectory</c>), the
/// init scripts, the Debian binaries (a missing one names its package), ports, and secrets generated once.
/// </summary>
internal static class LocalMachine
{
    public const string StateDirectoryKey = "DeepSim:StateDirectory";

    public static string StateDirectory(this IDistributedApplicationBuilder builder)
    {
        var configured = builder.Configuration[StateDirectoryKey];
        var path = string.IsNullOrWhiteSpace(configured)
            ? Path.Combine(builder.AppHostDirectory, "..", ".deepsim")
            : configured;
        return Directory.CreateDirectory(Path.GetFullPath(path)).FullName;
    }

    /// <summary>
    /// An endpoint the server itself binds on 127.0.0.1 at <paramref name="port"/>: no DCP proxy, since the port is
    /// already free-chosen and the init step writes it into the server's config.
    /// </summary>
    public static IResourceBuilder<T> WithLocalEndpoint<T>(this IResourceBuilder<T> builder, string name, int port, string scheme)
        where T : IResourceWithEndpoints
        => builder.WithEndpoint(name, endpoint =>
        {
            endpoint.Port = port;
            endpoint.TargetPort = port;
            endpoint.IsProxied = false;
            endpoint.UriScheme = scheme;
        });

    public static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "scripts", name);

    /// <summary>
    /// The binary at <c>DeepSim:Binaries:{key}</c> or the first of <paramref name="candidates"/> that exists;
    /// none found stops the AppHost before anything starts, naming the Debian package to install.
    /// </summary>
    public static string RequireBinary(this IDistributedApplicationBuilder builder, string key, string debianPackage, params string[] candidates)
    {
        var configured = builder.Configuration[$"DeepSim:Binaries:{key}"];
        string[] tried = string.IsNullOrWhiteSpace(configured) ? candidates : [configured];
        return tried.FirstOrDefault(File.Exists) ?? throw new MissingServerBinaryException(key, debianPackage, tried);
    }

    /// <summary>
    /// The port at <c>DeepSim:Ports:{name}</c> (default <paramref name="preferred"/>) when it is free on 127.0.0.1,
    /// otherwise any free one: a busy port (a system PostgreSQL on 5432, a second checkout) never stops the platform.
    /// 0 asks for any free port, as the tests do.
    /// </summary>
    public static int ChoosePort(this IDistributedApplicationBuilder builder, string name, int preferred)
    {
        var key = $"DeepSim:Ports:{name}";
        var configured = builder.Configuration[key];
        if (configured is not null && (!int.TryParse(configured, out preferred) || preferred is < 0 or > 65535))
        {
            throw new InvalidOperationException($"Configuration '{key}' must be a port number from 0 to 65535 (got '{configured}').");
        }
        return preferred != 0 && IsFree(preferred) ? preferred : AnyFreePort();
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int AnyFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Run mode: every secret parameter gets a value generated once and kept in <c>secrets.json</c> (mode 600) in the
    /// state folder, so the next <c>up</c> reuses it and <c>rm -rf .deepsim</c> resets it. Values set in configuration
    /// (<c>Parameters:{name}</c>) win. Nothing here is ever written to a log.
    /// </summary>
    public static void UseLocalSecrets(this IDistributedApplicationBuilder builder, params string[] names)
    {
        var file = Path.Combine(builder.StateDirectory(), "secrets.json");
        var stored = File.Exists(file) ? JsonNode.Parse(File.ReadAllText(file))?.AsObject() ?? [] : [];
        var changed = false;
        foreach (var name in names)
        {
            if (stored[name] is null)
            {
                // 32 random bytes as hex: safe inside connection strings, config files and SQL literals alike.
                stored[name] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
                changed = true;
            }
        }
        if (changed)
        {
            using (File.Create(file))
            {
            }
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            File.WriteAllText(file, stored.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        builder.Configuration.AddInMemoryCollection(names
            .Where(name => string.IsNullOrEmpty(builder.Configuration[$"Parameters:{name}"]))
            .Select(name => KeyValuePair.Create($"Parameters:{name}", (string?)stored[name]!.GetValue<string>())));
    }
}

/// <summary>A server binary is not installed: the message names the Debian package that provides it.</summary>
public sealed class MissingServerBinaryException(string server, string debianPackage, IReadOnlyList<string> tried)
    : Exception($"{server}: none of {string.Join(", ", tried)} exists. Install the Debian package '{debianPackage}' (apt-get install {debianPackage}), or run ./deepsim up, which installs it.")
{
    public string DebianPackage { get; } = debianPackage;
}
