using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DeepSim.Services.Tests;

/// <summary>A real HTTP server standing in for the Api's /health, whose answer a test can switch.</summary>
public sealed class StubApi : IAsyncDisposable
{
    private readonly WebApplication app;
    private volatile int healthStatus = StatusCodes.Status200OK;

    private StubApi(WebApplication app) => this.app = app;

    public Uri Url { get; private set; } = null!;

    private int healthCalls;

    public int HealthCalls => Volatile.Read(ref healthCalls);

    public static async Task<StubApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var stub = new StubApi(app);
        app.MapGet("/health", () =>
        {
            Interlocked.Increment(ref stub.healthCalls);
            return Results.StatusCode(stub.healthStatus);
        });
        await app.StartAsync();
        stub.Url = new Uri(app.Urls.First());
        return stub;
    }

    public void AnswerHealth(int statusCode) => healthStatus = statusCode;

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
