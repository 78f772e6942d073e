using System.Text.RegularExpressions;
using Aspire.Hosting.Testing;
using DeepSim.Api.Tests;
using DeepSim.ServiceDefaults;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>
/// The platform with Stripe configured (its own AppHost: Stripe changes how a Free workspace upgrades), against the
/// local fake Stripe server: Stripe's service cannot run here, and its hosted Checkout and Billing Portal pages are
/// answered by the browser context itself.
/// </summary>
public sealed class StripeBrowserFixture() : FakeBackedBrowserFixture<FakeStripe>(new FakeStripe(), stripe =>
    [$"--Stripe:SecretKey={FakeStripe.SecretKey}", $"--Stripe:WebhookSecret={FakeStripe.WebhookSecret}", $"--Stripe:ApiBase={stripe.Url}"])
{
    public FakeStripe Stripe => Fake;
}

[CollectionDefinition(Name)]
public sealed class StripeBrowserGroup : ICollectionFixture<StripeBrowserFixture>
{
    public const string Name = "browser-stripe";
}

/// <summary>
/// With Stripe on, an owner upgrades from Free through Stripe Checkout (told so before confirming), the plan moves
/// when Stripe's signed webhook says so, the page says how Checkout ended, and the payment method is managed in
/// Stripe's Billing Portal.
/// </summary>
[Collection(StripeBrowserGroup.Name)]
public sealed class StripeBillingFlowTests(StripeBrowserFixture fixture, ITestOutputHelper output)
{
    private static readonly Regex CheckoutPage = new(@"^https://checkout\.stripe\.test/c/pay/cs_", RegexOptions.None, TimeSpan.FromSeconds(1));
    private static readonly Regex PortalPage = new(@"^https://billing\.stripe\.test/p/session/bps_", RegexOptions.None, TimeSpan.FromSeconds(1));

    [Fact]
    public Task An_owner_upgrades_through_checkout_and_opens_the_billing_portal() => fixture.Browser.RunAsync(output, TimeSpan.FromMinutes(3), async page =>
    {
        output.WriteLine(FakeStripe.Notice);
        var stripe = fixture.Stripe;
        // Stripe's hosted pages, answered here: the test follows where the web app sends the browser, not Stripe's UI.
        await page.Context.RouteAsync(new Regex(@"^https://(checkout|billing)\.stripe\.test/", RegexOptions.None, TimeSpan.FromSeconds(1)),
            route => route.FulfillAsync(new() { Status = 200, ContentType = "text/html", Body = "<h1>Stripe (fake)</h1>" }));
        await Account.New().SignUpAsync(page, fixture.Browser);

        await page.GotoAsync("/billing");
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        await Expect(page.GetByTestId("current-plan-name")).ToContainTextAsync("Free");
        await Expect(page.GetByTestId("payment-method")).ToBeVisibleAsync();
        await page.GetByTestId("choose-pro").ClickAsync();
        await Expect(page.GetByTestId("preview-checkout")).ToContainTextAsync("Stripe Checkout");
        await Shots.TakeAsync(page, "checkout-preview");
        await page.GetByTestId("confirm-plan").ClickAsync();
        await Expect(page).ToHaveURLAsync(CheckoutPage);

        // Nothing moved yet: Stripe says when the subscription exists, in a signed webhook to the Api.
        var session = stripe.RequestsTo("POST", "/v1/checkout/sessions")[^1];
        Assert.Equal("deepsim_pro_monthly", stripe.LookupKeyOf(session.Form["line_items[0][price]"]));
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var subscription = stripe.Subscription(stripe.NewId("sub"), session.Form["customer"], "deepsim_pro_monthly", "active", start, start.AddMonths(1));
        using (var api = new HttpClient { BaseAddress = fixture.Browser.Platform.App.GetEndpoint(ResourceNames.Api, "http") })
        {
            using var delivered = await FakeStripe.DeliverAsync(api, stripe.Event("customer.subscription.created", subscription, FakeStripe.Unix(start)).ToJsonString());
            Assert.True(delivered.IsSuccessStatusCode, $"webhook: {(int)delivered.StatusCode} {await delivered.Content.ReadAsStringAsync()}");
        }

        // Checkout's way back, as Stripe sends it.
        Assert.EndsWith("/billing?checkout=success", session.Form["success_url"], StringComparison.Ordinal);
        await page.GotoAsync(session.Form["success_url"]);
        await page.WaitForSelectorAsync("[data-testid=app-interactive]", new() { State = WaitForSelectorState.Attached });
        await Expect(page.GetByTestId("checkout-returned")).ToContainTextAsync("Payment details received");
        await Expect(page.GetByTestId("current-plan-name")).ToContainTextAsync("Pro");
        await Shots.TakeAsync(page, "checkout-returned");

        await page.GetByTestId("payment-method").ClickAsync();
        await Expect(page).ToHaveURLAsync(PortalPage);
        var portal = stripe.RequestsTo("POST", "/v1/billing_portal/sessions")[^1];
        Assert.Equal(session.Form["customer"], portal.Form["customer"]);
        Assert.Equal("payment_method_update", portal.Form["flow_data[type]"]);
    });
}
