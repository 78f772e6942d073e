using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>Names people type are text wherever they are shown, never markup or script.</summary>
[Collection(BrowserGroup.Name)]
public sealed class XssTests(BrowserFixture browser, ITestOutputHelper output)
{
    private const string Payload = """<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>""";

    [Fact]
    public Task A_flowsheet_named_with_markup_and_script_shows_the_text_and_runs_nothing() => browser.RunAsync(output, async page =>
    {
        await Account.New().SignUpAsync(page, browser);
        var id = await Flows.CreateFromTemplateAsync(page, "blank", Payload);

        await Expect(page.GetByTestId("flowsheet-name")).ToHaveTextAsync(Payload);
        Assert.Equal("undefined", await page.EvaluateAsync<string>("typeof window.__xss"));
        Assert.Equal(0, await page.Locator("[data-testid=flowsheet-name] img, [data-testid=flowsheet-name] script").CountAsync());
        await Shots.TakeAsync(page, "designer");

        // The list, loaded fresh (server-rendered first, then the interactive table).
        await page.GotoAsync("/flowsheets");
        var link = page.GetByTestId("flowsheet-link").Filter(new() { HasText = "window.__xss" });
        await Expect(link).ToHaveTextAsync(Payload);
        Assert.Equal($"flowsheets/{id}", await link.GetAttributeAsync("href"));
        await Expect(page.GetByText(Payload, new() { Exact = true })).ToBeVisibleAsync();
        Assert.Equal("undefined", await page.EvaluateAsync<string>("typeof window.__xss"));
        Assert.Equal(0, await page.Locator("[data-testid=flowsheet-table] img[src=x]").CountAsync());
        await Shots.TakeAsync(page, "list");

        // And a fresh load of the designer page itself (its title too).
        await page.GotoAsync($"/flowsheets/{id}");
        await Expect(page.GetByTestId("flowsheet-name")).ToHaveTextAsync(Payload);
        await Expect(page).ToHaveTitleAsync(Payload + " · DeepSim");
        Assert.Equal("undefined", await page.EvaluateAsync<string>("typeof window.__xss"));
    });
}
