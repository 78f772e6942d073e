using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>With no model configured (the default platform), the designer's assistant says so and points at the MCP server.</summary>
[Collection(BrowserGroup.Name)]
public sealed class AssistantChatNotConfiguredTests(BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public Task The_panel_says_no_model_is_configured_and_that_mcp_still_works() => browser.RunAsync(output, async page =>
    {
        await Account.New().SignUpAsync(page, browser);
        await Flows.CreateFromTemplateAsync(page, "benzene-toluene-flash");
        await Expect(page.GetByTestId("assistant-panel")).ToBeHiddenAsync();
        await page.GetByTestId("assistant-toggle").ClickAsync();
        var notice = page.GetByTestId("assistant-not-configured");
        await Expect(notice).ToContainTextAsync("No assistant model is configured");
        await Expect(notice).ToContainTextAsync("MCP server at /mcp");
        await Expect(notice).ToContainTextAsync("Claude Desktop / VS Code");
        await Expect(page.GetByTestId("assistant-input")).ToHaveCountAsync(0);
        // The designer around it still works.
        await Expect(page.GetByTestId("unit-DRUM")).ToBeVisibleAsync();
        await page.GetByTestId("assistant-close").ClickAsync();
        await Expect(page.GetByTestId("assistant-panel")).ToBeHiddenAsync();
    });
}
