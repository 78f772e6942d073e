using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using DeepSim.AppHost.Hosting;
using DeepSim.AppHost.Servers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DeepSim.AppHost.Dashboard;

/// <summary>
/// The dashboard: <c>/</c> (HTML that refreshes itself), <c>/api/resources</c> (JSON rows),
/// <c>/resources/{name}/logs</c> (last lines of a resource's output) and <c>/api/resources/{name}/logs</c> (plain text).
/// </summary>
internal sealed class DashboardServer : IAsyncDisposable
{
    private const int RefreshSeconds = 2;
    private readonly WebApplication _app;

    private DashboardServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }
    public string Url => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}");

    public static async Task<DashboardServer> StartAsync(DistributedApplication application, int preferredPort, CancellationToken cancellationToken)
    {
        const int MaxAttempts = 3;
        for (var attempt = 0; ; attempt++)
        {
            // The preferred port when free, else any: a busy port is replaced, and the caller prints the one chosen.
            var port = PortAllocator.Pick(attempt == 0 ? preferredPort : 0);
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            // The launcher handles Ctrl-C/SIGTERM itself and stops this server last.
            builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
            var app = builder.Build();
            Map(app, application);
            try
            {
                await app.StartAsync(cancellationToken);
                return new DashboardServer(app, port);
            }
            catch (IOException) when (attempt < MaxAttempts)
            {
                await app.DisposeAsync();
            }
        }
    }

    private static void Map(WebApplication app, DistributedApplication application)
    {
        app.MapGet("/api/resources", () => Results.Json(application.Resources.Select(ResourceSnapshot.Of), StateDocument.JsonOptions));
        app.MapGet("/api/resources/{name}/logs", (string name) => Find(application, name) is { } r
            ? Results.Text(string.Join('\n', r.Logs.Snapshot()) + "\n", "text/plain; charset=utf-8")
            : Results.NotFound());
        app.MapGet("/resources/{name}/logs", (string name) => Find(application, name) is { } r
            ? Results.Content(LogsPage(r), "text/html; charset=utf-8")
            : Results.NotFound());
        app.MapGet("/", () => Results.Content(ResourcesPage(application), "text/html; charset=utf-8"));
    }

    private static Resource? Find(DistributedApplication application, string name)
        => application.Resources.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));

    private static string ResourcesPage(DistributedApplication application)
    {
        var html = HtmlEncoder.Default;
        var page = new StringBuilder();
        page.Append(CultureInfo.InvariantCulture, $$"""
            <!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="{{RefreshSeconds}}">
            <title>DeepSim dashboard</title>
            <style>
              body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
              table { border-collapse: collapse; } th, td { padding: .35rem .8rem; border-bottom: 1px solid #ddd; text-align: left; }
              .Healthy { color: #137333; } .Unhealthy, .Exited, .FailedToStart { color: #b3261e; }
              .Waiting, .Starting, .Running { color: #8a5a00; } .NotConfigured, .Stopped { color: #777; }
              small { color: #666; }
            </style></head><body>
            <h1>DeepSim</h1>
            <p>{{(application.AllHealthy() ? "All resources healthy." : "Starting or degraded: see the states below.")}}</p>
            <table><tr><th>Resource</th><th>Type</th><th>State</th><th>Endpoints</th><th>PID</th><th>Uptime</th><th>Exit code</th><th>Logs</th></tr>
            """);
        foreach (var row in application.Resources.Select(ResourceSnapshot.Of))
        {
            var endpoints = string.Join(" ", row.Endpoints.Select(e => e.StartsWith("http", StringComparison.Ordinal)
                ? $"<a href=\"{html.Encode(e)}\">{html.Encode(e)}</a>"
                : html.Encode(e)));
            var uptime = row.UptimeSeconds is { } s ? TimeSpan.FromSeconds(Math.Floor(s)).ToString("c", CultureInfo.InvariantCulture) : "";
            page.Append(CultureInfo.InvariantCulture, $"""
                <tr><td>{html.Encode(row.Name)}</td><td>{html.Encode(row.Type)}</td>
                <td class="{row.State}">{row.State}{(row.StateDetail is { } d ? $"<br><small>{html.Encode(d)}</small>" : "")}</td>
                <td>{endpoints}</td><td>{row.Pid}</td><td>{uptime}</td><td>{row.ExitCode}</td>
                <td><a href="/resources/{Uri.EscapeDataString(row.Name)}/logs">logs</a></td></tr>
                """);
        }
        page.Append("</table><p><small>JSON: <a href=\"/api/resources\">/api/resources</a></small></p></body></html>");
        return page.ToString();
    }

    private static string LogsPage(Resource resource)
    {
        var html = HtmlEncoder.Default;
        var lines = resource.Logs.Snapshot();
        return string.Create(CultureInfo.InvariantCulture, $$"""
            <!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="{{RefreshSeconds}}">
            <title>{{html.Encode(resource.Name)}} logs</title>
            <style>body { font-family: system-ui, sans-serif; margin: 2rem; } pre { background: #f6f6f6; padding: 1rem; white-space: pre-wrap; }</style>
            </head><body><p><a href="/">&larr; all resources</a></p>
            <h1>{{html.Encode(resource.Name)}} <small>{{resource.State}}</small></h1>
            <p><small>last {{lines.Count}} of at most {{LogBuffer.DefaultCapacity}} lines of stdout/stderr</small></p>
            <pre>{{html.Encode(string.Join('\n', lines))}}</pre></body></html>
            """);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Open browser connections do not hold up the shutdown.
        }
        await _app.DisposeAsync();
    }

    private sealed class NoSignalLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
