using Microsoft.Playwright;
using Xunit.Abstractions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>
/// Full-page screenshots as test artifacts, in <see cref="Folder"/> (the test build's <c>screenshots/</c>, emptied when
/// the browser tests start), named <c>&lt;test&gt;-&lt;name&gt;.png</c>; each path is written to the test's output.
/// </summary>
public static class Shots
{
    public static string Folder { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    // The running test, set by BrowserFixture.RunAsync: flows with the test's awaits, so a helper needs only the page.
    private static readonly AsyncLocal<(string Test, ITestOutputHelper Output)?> Current = new();

    public static async Task<string> TakeAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        var current = Current.Value ?? throw new InvalidOperationException("Shots.TakeAsync outside BrowserFixture.RunAsync");
        var path = Path.Combine(Folder, $"{current.Test}-{name}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        current.Output.WriteLine($"screenshot: {path}");
        return path;
    }

    internal static void Begin(string test, ITestOutputHelper output) => Current.Value = (test, output);

    private static readonly Lazy<bool> Cleared = new(() =>
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
        Directory.CreateDirectory(Folder);
        return true;
    });

    /// <summary>Empties the folder once per test run: each browser collection's fixture calls it, and keeps the others' shots.</summary>
    internal static void Clear() => _ = Cleared.Value;
}
