using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

[Collection(BrowserGroup.Name)]
public sealed class HomePageTests(BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public Task The_home_page_renders_in_Chromium_with_MudBlazor_styles_and_an_interactive_circuit() => browser.RunAsync(output, async page =>
    {
        var response = await page.GotoAsync("/");
        Assert.Equal(200, response?.Status);
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });

        await Expect(page).ToHaveTitleAsync("DeepSim");
        await Expect(page.GetByTestId("home-signup")).ToBeVisibleAsync();
        // The web app reaches the Api through service discovery.
        await Expect(page.GetByTestId("api-status")).ToHaveTextAsync("healthy");
        // MudBlazor's stylesheet and the theme's variables: the app bar is a flex box in the theme's app bar colour
        // (#12344d); unstyled, a <header> is a transparent block.
        var appBar = await page.Locator(".mud-appbar").EvaluateAsync<string[]>(
            "e => { const s = getComputedStyle(e); return [s.display, s.backgroundColor]; }");
        Assert.Equal(["flex", "rgb(18, 52, 77)"], appBar);

        var path = await Shots.TakeAsync(page, "home");
        Assert.True(new FileInfo(path).Length > 0, $"empty screenshot {path}");
    });
}
