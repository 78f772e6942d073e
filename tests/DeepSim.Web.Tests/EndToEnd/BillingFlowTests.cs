using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>
/// An owner upgrades their own workspace, sees the price before confirming, pays through the local ledger (no payment
/// provider is configured under the test platform), reads the invoice, and schedules a downgrade.
/// </summary>
[Collection(BrowserGroup.Name)]
public sealed class BillingFlowTests(BrowserFixture browser, ITestOutputHelper output)
{
    private static readonly Regex InvoiceUrl = new(@"/billing/invoices/[0-9a-f-]{36}$", RegexOptions.None, TimeSpan.FromSeconds(1));

    [Fact]
    public Task An_owner_upgrades_to_pro_sees_the_invoice_schedules_a_downgrade_and_is_refused_one_over_the_limits() => browser.RunAsync(output, TimeSpan.FromMinutes(3), async page =>
    {
        var owner = Account.New();
        await owner.SignUpAsync(page, browser);

        await page.GetByRole(AriaRole.Link, new() { Name = "Plan and billing" }).ClickAsync();
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        await Expect(page.GetByTestId("current-plan-name")).ToContainTextAsync("Free");
        await page.GetByTestId("cycle-annual").ClickAsync();
        await Expect(page.GetByTestId("plan-pro")).ToContainTextAsync("$990.00 / year");
        await page.GetByTestId("cycle-monthly").ClickAsync();
        await Expect(page.GetByTestId("plan-pro")).ToContainTextAsync("$99.00 / month");

        await page.GetByTestId("choose-pro").ClickAsync();
        await Expect(page.GetByTestId("preview-due")).ToHaveTextAsync("$99.00");
        await Shots.TakeAsync(page, "upgrade-preview");
        // Nothing has changed yet: the preview only computed the price.
        await Expect(page.GetByTestId("current-plan-name")).ToContainTextAsync("Free");
        await page.GetByTestId("confirm-plan").ClickAsync();
        await Expect(page.GetByTestId("current-plan-name")).ToContainTextAsync("Pro");
        await Expect(page.GetByTestId("current-charge")).ToContainTextAsync("$99.00 / month");
        await Shots.TakeAsync(page, "upgraded");

        await page.GetByTestId("invoices-link").ClickAsync();
        var table = page.GetByTestId("invoice-table");
        await Expect(table).ToContainTextAsync("New subscription");
        await Expect(table.GetByTestId("invoice-status")).ToHaveTextAsync("paid");
        await page.GetByTestId("invoice-link").First.ClickAsync();
        await Expect(page).ToHaveURLAsync(InvoiceUrl);
        await Expect(page.GetByTestId("invoice-lines")).ToContainTextAsync("Pro (monthly)");
        await Expect(page.GetByTestId("invoice-paid")).ToHaveTextAsync("$99.00");
        await Shots.TakeAsync(page, "invoice");

        // The printable page (its link is relative to the app's base, /) comes through the web app with the session, not a token in the browser.
        var printable = await page.Context.APIRequest.GetAsync(await page.GetByTestId("invoice-print").GetAttributeAsync("href") is { } href
            ? new Uri(new Uri(page.Url), "/" + href.TrimStart('/')).ToString() : throw new InvalidOperationException("no print link"));
        Assert.Equal(200, printable.Status);
        Assert.Contains("$99.00", await printable.TextAsync(), StringComparison.Ordinal);

        // Back to Free is a downgrade: at the end of the period, nothing charged now, and it can be undone.
        await page.GotoAsync("/billing");
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        await page.GetByTestId("choose-free").ClickAsync();
        await Expect(page.GetByTestId("preview-later")).ToContainTextAsync("end of the current period");
        await page.GetByTestId("confirm-plan").ClickAsync();
        await Expect(page.GetByTestId("scheduled-change")).ToContainTextAsync("Changes to Free");
        await Expect(page.GetByTestId("current-plan-name")).ToContainTextAsync("Pro");
        await Shots.TakeAsync(page, "downgrade-scheduled");
        await page.GetByTestId("reactivate").ClickAsync();
        await Expect(page.GetByTestId("scheduled-change")).ToHaveCountAsync(0);

        // The upgrade is what lets a second person in: the Free plan allowed one member.
        await page.GotoAsync("/team");
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        var colleague = Account.New();
        await page.GetByTestId("invite-email").FillAsync(colleague.Email);
        await page.GetByTestId("invite-submit").ClickAsync();
        await Expect(page.GetByTestId("invitation-table")).ToContainTextAsync(colleague.Email);

        // Now Free is out of reach: the refusal says by how much, before anything is scheduled.
        await page.GotoAsync("/billing");
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        await page.GetByTestId("choose-free").ClickAsync();
        await Expect(page.GetByTestId("change-refused")).ToContainTextAsync("2 members and open invitations where Free allows 1 (1 over)");
        await Shots.TakeAsync(page, "downgrade-refused");
    });
}
