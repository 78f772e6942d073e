using System.Runtime.CompilerServices;
using Aspire.Hosting.Testing;
using DeepSim.AppHost.Tests;
using DeepSim.ServiceDefaults;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>
/// The whole platform started once (the AppHost tests' <see cref="PlatformFixture"/>) and one headless Chromium for
/// every browser test; each test gets a fresh browser context (its own cookies and storage) and page.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime, IDisposable
{
    /// <summary>Every Playwright wait (actions, navigations, expectations) gives up after this.</summary>
    public const float WaitMilliseconds = 15_000;

    // The platform fixture bounds each start attempt itself (one retry after a DCP hang); this is the backstop over
    // all of it, so a stuck start fails the collection instead of the whole test run's timeout.
    private static readonly TimeSpan PlatformStartBudget = TimeSpan.FromMinutes(8);
    private static readonly TimeSpan TestBudget = TimeSpan.FromMinutes(2);

    // Debian's chromium, not a Playwright download (there is no network here); the flags ENVIRONMENT.md found working.
    private static readonly string[] ChromiumArgs =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    private readonly PlatformFixture _platform;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string _startReport = "";

    public BrowserFixture() : this([])
    {
    }

    /// <summary>A platform started with more AppHost arguments (configuration), e.g. Stripe's settings.</summary>
    internal BrowserFixture(IEnumerable<string> platformArguments)
    {
        // The services' own logs (forwarded to this process's console at Information) would bury the browser tests'
        // output; their warnings and errors still show, and a failed test prints the errors they logged.
        _platform = new() { MoreArguments = ["--Logging:LogLevel:DeepSim.AppHost.Resources=Warning", .. platformArguments] };
    }

    public PlatformFixture Platform => _platform;

    /// <summary>The web app's address (the "web" resource's http endpoint), ending in '/'.</summary>
    public Uri WebUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Shots.Clear();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Said apart in the report: on a shared machine another checkout's orchestrator can hold the start up to 60 s.
        await Repo.WaitForOtherOrchestratorsToStopAsync();
        var waitSeconds = clock.Elapsed.TotalSeconds;
        try
        {
            await _platform.InitializeAsync().WaitAsync(PlatformStartBudget);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the platform did not start within {PlatformStartBudget.TotalMinutes} min");
        }
        WebUrl = _platform.App.GetEndpoint(ResourceNames.Web, "http");
        var platformSeconds = clock.Elapsed.TotalSeconds;
        Assertions.SetDefaultExpectTimeout(WaitMilliseconds);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ChromiumArgs,
            Timeout = 30_000,
        });
        _startReport = $"waited {waitSeconds:F0} s for other orchestrators, platform started in {platformSeconds - waitSeconds:F0} s, Chromium {_browser.Version} in {clock.Elapsed.TotalSeconds - platformSeconds:F1} s; "
            + $"web app at {WebUrl}; screenshots in {Shots.Folder}";
    }

    public async Task DisposeAsync()
    {
        // Also runs after a failed start (xunit disposes every fixture it created): each part may be missing.
        try
        {
            if (_browser is not null)
            {
                await _browser.CloseAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
        }
        finally
        {
            _playwright?.Dispose();
            await _platform.DisposeAsync();
        }
    }

    public void Dispose() => _platform.Dispose();

    /// <summary>
    /// Runs one test's <paramref name="body"/> in a fresh browser context and page, bounded; on failure the page's
    /// screenshot is written (see <see cref="Shots"/>) before the failure is rethrown.
    /// </summary>
    public Task RunAsync(ITestOutputHelper output, Func<IPage, Task> body, [CallerMemberName] string test = "") =>
        RunAsync(output, TestBudget, body, test);

    /// <summary>As <see cref="RunAsync(ITestOutputHelper, Func{IPage, Task}, string)"/> with a budget of the test's own (a study, a tour of every page).</summary>
    public async Task RunAsync(ITestOutputHelper output, TimeSpan budget, Func<IPage, Task> body, [CallerMemberName] string test = "")
    {
        var browser = _browser ?? throw new InvalidOperationException("the browser did not start");
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = WebUrl.ToString() });
        context.SetDefaultTimeout(WaitMilliseconds);
        context.SetDefaultNavigationTimeout(WaitMilliseconds);
        var page = await context.NewPageAsync();
        // What the browser itself reports goes to the test output: a failed circuit shows up here first.
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                output.WriteLine($"browser {message.Type}: {message.Text}");
            }
        };
        page.PageError += (_, error) => output.WriteLine($"browser page error: {error}");
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                output.WriteLine($"browser got {response.Status} for {response.Request.Method} {response.Url}");
            }
        };
        output.WriteLine(_startReport);

        Shots.Begin(test, output);
        var started = DateTimeOffset.UtcNow;
        try
        {
            await body(page).WaitAsync(budget);
        }
        catch (Exception failure)
        {
            output.WriteLine($"{test} failed: {failure.GetType().Name}; url {page.Url}");
            try
            {
                await Shots.TakeAsync(page, "failure").WaitAsync(TimeSpan.FromSeconds(20));
            }
            catch (Exception shotFailure) when (shotFailure is PlaywrightException or TimeoutException)
            {
                output.WriteLine($"no failure screenshot: {shotFailure.Message}");
            }
            try
            {
                var pageError = page.GetByTestId("page-error");
                if (await pageError.CountAsync() > 0)
                {
                    output.WriteLine("the page showed: " + await pageError.First.InnerTextAsync(new() { Timeout = 5_000 }));
                }
            }
            catch (Exception readFailure) when (readFailure is PlaywrightException or TimeoutException)
            {
                output.WriteLine($"the page could not be read: {readFailure.Message}");
            }
            await ServiceErrors.WriteAsync(_platform.App, output, started);
            throw;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserGroup : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
