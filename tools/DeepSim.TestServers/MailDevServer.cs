using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace DeepSim.TestServers;

/// <summary>
/// A mail catcher of our own: npm <c>maildev</c> (installed by <c>./deepsim</c> into tools/maildev) on 127.0.0.1,
/// an SMTP port that accepts everything and keeps it in memory, and a REST port to read what arrived.
/// </summary>
public sealed class MailDevServer : LocalServer
{
    private const string ServerName = "maildev";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly string _binary;

    private MailDevServer(string dataDirectory, string binary)
        : base(ServerName, dataDirectory, portCount: 2, stopSignal: Posix.SigTerm, gracefulStopTimeout: TimeSpan.FromSeconds(5),
            PollInterval, StartTimeout, readinessDescription: "answer /api/healthz")
    {
        _binary = binary;
    }

    public int SmtpPort => PortAt(0);
    public int WebPort => PortAt(1);

    /// <summary>The connection string the Api reads (<c>ConnectionStrings:mail</c>), as the AppHost injects it.</summary>
    public string ConnectionString => FormattableString.Invariant($"smtp://127.0.0.1:{SmtpPort}");

    public Uri WebUri => new(FormattableString.Invariant($"http://127.0.0.1:{WebPort}/"));

    /// <summary>The maildev launcher in the repository's tools/maildev (found from the test's output folder upwards).</summary>
    public static string FindBinary()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DeepSim.sln")))
            {
                var binary = Path.Combine(directory.FullName, "tools", "maildev", "node_modules", ".bin", "maildev");
                return File.Exists(binary) ? binary
                    : throw new MissingServerBinaryException($"maildev not found at {binary}: run ./deepsim test (or npm ci in tools/maildev) first.");
            }
        }
        throw new MissingServerBinaryException($"the repository root (DeepSim.sln) is not above {AppContext.BaseDirectory}");
    }

    public static async Task<MailDevServer> StartAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var binary = FindBinary();
        var fullPath = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(fullPath);
        var server = new MailDevServer(fullPath, binary);
        await server.LaunchAsync(cancellationToken);
        return server;
    }

    public override async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Http.GetAsync(new Uri(WebUri, "api/healthz"), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Every message received so far, as maildev's REST API lists them (subject, to, text, html, ...).</summary>
    public async Task<IReadOnlyList<JsonElement>> MessagesAsync(CancellationToken cancellationToken = default)
    {
        var list = await Http.GetFromJsonAsync<JsonElement>(new Uri(WebUri, "api/email"), cancellationToken);
        return list.ValueKind == JsonValueKind.Array ? list.EnumerateArray().Select(m => m.Clone()).ToList() : [];
    }

    /// <summary>Waits (bounded) until a message to <paramref name="recipient"/> arrived, and returns it.</summary>
    public async Task<JsonElement> WaitForMessageToAsync(string recipient, TimeSpan budget, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + budget;
        while (true)
        {
            var found = (await MessagesAsync(cancellationToken)).FirstOrDefault(m => RecipientsOf(m).Contains(recipient, StringComparer.OrdinalIgnoreCase));
            if (found.ValueKind != JsonValueKind.Undefined)
            {
                return found;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no mail to {recipient} reached maildev within {budget.TotalSeconds:0} s");
            }
            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    public static IEnumerable<string> RecipientsOf(JsonElement message) =>
        message.TryGetProperty("to", out var to) && to.ValueKind == JsonValueKind.Array
            ? to.EnumerateArray().Select(a => a.TryGetProperty("address", out var address) ? address.GetString() ?? "" : "")
            : [];

    private protected override ChildProcess StartProcess() =>
        ChildProcess.Start(_binary,
        [
            "--smtp", SmtpPort.ToString(CultureInfo.InvariantCulture), "--ip", "127.0.0.1",
            "--web", WebPort.ToString(CultureInfo.InvariantCulture), "--web-ip", "127.0.0.1",
        ], Logs, workingDirectory: DataDirectory);
}
