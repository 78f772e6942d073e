using System.Text.Json;
using System.Text.RegularExpressions;
using DeepSim.ServiceDefaults;
using Microsoft.Playwright;
using Npgsql;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>Steps the flow tests share: flowsheets made and run through the pages, second browser contexts, the platform's secrets.</summary>
internal static class Flows
{
    /// <summary>A run is queued, picked up by a worker and solved: a few seconds here, this much at the most.</summary>
    public const float RunMilliseconds = 90_000;

    public static readonly Regex FlowsheetUrl = new(@"/flowsheets/([0-9a-f-]{36})$", RegexOptions.None, TimeSpan.FromSeconds(1));

    /// <summary>Creates a flowsheet from a template on the flowsheets page; returns its id once its designer shows.</summary>
    public static async Task<Guid> CreateFromTemplateAsync(IPage page, string templateKey, string? name = null)
    {
        await page.GotoAsync("/flowsheets");
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        await page.GetByTestId("new-flowsheet").ClickAsync();
        await page.GetByTestId($"template-{templateKey}").ClickAsync();
        // Choosing a template also sets the name box (same render): typing before it arrives gets appended to.
        await Expect(page.GetByTestId($"template-{templateKey}")).ToHaveClassAsync(new Regex(@"\bchosen\b", RegexOptions.None, TimeSpan.FromSeconds(1)));
        if (name is not null)
        {
            await page.GetByTestId("new-flowsheet-name").FillAsync(name);
        }
        await page.GetByTestId("create-flowsheet").ClickAsync();
        await Expect(page).ToHaveURLAsync(FlowsheetUrl);
        await Expect(page.GetByTestId("designer-canvas")).ToBeVisibleAsync();
        return Guid.Parse(FlowsheetUrl.Match(page.Url).Groups[1].Value);
    }

    /// <summary>Imports a flowsheet document through the flowsheets page's import button (a file named <paramref name="fileName"/>).</summary>
    public static async Task<Guid> ImportAsync(IPage page, string fileName, string json)
    {
        await page.GotoAsync("/flowsheets");
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        await page.Locator("input[type=file]").SetInputFilesAsync(new FilePayload
        {
            Name = fileName, MimeType = "application/json", Buffer = System.Text.Encoding.UTF8.GetBytes(json),
        });
        await Expect(page).ToHaveURLAsync(FlowsheetUrl);
        return Guid.Parse(FlowsheetUrl.Match(page.Url).Groups[1].Value);
    }

    /// <summary>Clicks Run on the flowsheet page and waits (bounded) for the results under the designer; returns the run's id.</summary>
    public static async Task<Guid> RunAsync(IPage page)
    {
        var link = page.GetByTestId("last-run-link");
        var previous = await link.CountAsync() == 0 ? null : await link.GetAttributeAsync("href");
        await page.GetByTestId("run-flowsheet").ClickAsync();
        if (previous is not null)
        {
            // The previous run's results stay on the page until the new run is submitted.
            await Expect(link).Not.ToHaveAttributeAsync("href", previous);
        }
        await Expect(page.GetByTestId("designer-results")).ToBeVisibleAsync(new() { Timeout = RunMilliseconds });
        var href = await link.GetAttributeAsync("href") ?? throw new InvalidOperationException("no run link");
        return Guid.Parse(href[(href.LastIndexOf('/') + 1)..]);
    }

    /// <summary>A second browser (its own cookies), as another person at another computer; dispose it.</summary>
    public static async Task<IBrowserContext> OtherContextAsync(IPage page, BrowserFixture browser)
    {
        var chromium = page.Context.Browser ?? throw new InvalidOperationException("the page has no browser");
        var context = await chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = browser.WebUrl.ToString() });
        context.SetDefaultTimeout(BrowserFixture.WaitMilliseconds);
        context.SetDefaultNavigationTimeout(BrowserFixture.WaitMilliseconds);
        return context;
    }

    public static async Task SignInAsOperatorAsync(IPage page, BrowserFixture browser)
    {
        await page.GotoAsync("/account/signin");
        await page.GetByTestId("signin-email").FillAsync("operator@deepsim.local");
        await page.GetByTestId("signin-password").FillAsync(Secret(browser, "operator-password"));
        await page.GetByTestId("signin-as-operator").CheckAsync();
        await page.GetByTestId("signin-submit").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/operator$", RegexOptions.None, TimeSpan.FromSeconds(1)));
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
    }

    /// <summary>On the operator console: puts the tenant <paramref name="slug"/> on the plan shown as <paramref name="planDisplayName"/>.</summary>
    public static async Task ChangePlanAsync(IPage console, string slug, string planDisplayName)
    {
        await console.GetByTestId("tenant-search").FillAsync(slug);
        // Wait for the (debounced) search to reload the table, which would close a plan list opened before it.
        await Expect(console.GetByTestId("tenant-table").Locator("tbody tr")).ToHaveCountAsync(1);
        var row = console.GetByTestId("tenant-table").Locator("tbody tr").Filter(new() { Has = console.GetByTestId($"tenant-status-{slug}") });
        await Expect(row).ToHaveCountAsync(1);
        await row.Locator(".mud-select").First.ClickAsync();
        await console.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = planDisplayName }).ClickAsync();
        // The console names the plan by its key (TenantsPage.ChangePlanAsync): Enterprise is "enterprise".
        await Expect(console.Locator(".mud-snackbar").Last).ToContainTextAsync($"is now on {planDisplayName.ToLowerInvariant()}");
    }

    /// <summary>The invitation token mailed to <paramref name="email"/>: only in the mail outbox, as the Api sends no mail yet.</summary>
    public static async Task<string> InvitationTokenAsync(BrowserFixture browser, string email)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        // The outbox is tenant-owned under row-level security: the owner role reads it across tenants, as the AppHost tests do.
        await using var connection = new NpgsqlConnection(await OwnerConnectionStringAsync(browser));
        await connection.OpenAsync(timeout.Token);
        while (true)
        {
            await using var command = new NpgsqlCommand("select body from mail_outbox where to_address = @to order by created_at desc limit 1", connection);
            command.Parameters.AddWithValue("to", email);
            if (await command.ExecuteScalarAsync(timeout.Token) is string body)
            {
                var match = Regex.Match(body, @"with this token: (\S+)", RegexOptions.None, TimeSpan.FromSeconds(1));
                Assert.True(match.Success, $"no token in the invitation mail: {body}");
                return match.Groups[1].Value.TrimEnd('.');
            }
            await Task.Delay(250, timeout.Token);
        }
    }

    private static async Task<string> OwnerConnectionStringAsync(BrowserFixture browser)
    {
        var app = new NpgsqlConnectionStringBuilder(await browser.Platform.ConnectionStringAsync(ResourceNames.Database))
        {
            Username = "deepsim_owner",
            Password = Secret(browser, $"{ResourceNames.Postgres}-owner-password"),
            Pooling = false,
        };
        return app.ConnectionString;
    }

    /// <summary>A secret the AppHost generated into the state folder's secrets.json (LocalMachine.UseLocalSecrets).</summary>
    private static string Secret(BrowserFixture browser, string name)
    {
        using var secrets = JsonDocument.Parse(File.ReadAllText(Path.Combine(browser.Platform.StateDirectory, "secrets.json")));
        return secrets.RootElement.GetProperty(name).GetString() ?? throw new InvalidOperationException($"secret {name} is empty");
    }
}
