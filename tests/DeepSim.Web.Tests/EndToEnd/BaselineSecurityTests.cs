using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>What a signed-out visitor's browser sees of the web app's defences, before any account exists.</summary>
[Collection(BrowserGroup.Name)]
public sealed class BaselineSecurityTests(BrowserFixture browser, ITestOutputHelper output)
{
    private static readonly string[] StackTraceMarks = ["Exception", "   at ", "Stack trace", "at DeepSim.", ".cs:line"];

    [Fact]
    public Task An_unknown_address_shows_the_not_found_page_with_status_404_and_no_stack_trace() => browser.RunAsync(output, async page =>
    {
        var response = await page.GotoAsync("/no-such-page");
        Assert.Equal(404, response?.Status);
        await Expect(page.GetByTestId("not-found")).ToHaveTextAsync("Nothing here.");
        await Expect(page.Locator(".mud-appbar")).ToBeVisibleAsync();

        var html = await page.ContentAsync();
        foreach (var leak in StackTraceMarks)
        {
            Assert.DoesNotContain(leak, html, StringComparison.Ordinal);
        }
        await Shots.TakeAsync(page, "not-found");
    });

    [Fact]
    public Task Pages_refuse_framing_and_the_antiforgery_cookie_is_HttpOnly_and_SameSite_Strict() => browser.RunAsync(output, async page =>
    {
        var response = await page.GotoAsync("/") ?? throw new InvalidOperationException("no response for /");
        var headers = await response.AllHeadersAsync();
        Assert.Equal("SAMEORIGIN", headers.GetValueOrDefault("x-frame-options"));
        Assert.Contains("frame-ancestors 'self'", headers.GetValueOrDefault("content-security-policy") ?? "", StringComparison.Ordinal);

        var antiforgery = (await page.Context.CookiesAsync()).Where(c => c.Name.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal)).ToList();
        var cookie = Assert.Single(antiforgery);
        Assert.True(cookie.HttpOnly, "the antiforgery cookie is readable from script");
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        // Script sees no cookie at all: every cookie the app sets so far is HttpOnly.
        Assert.Equal("", await page.EvaluateAsync<string>("() => document.cookie"));
    });
}
