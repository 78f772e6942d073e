using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>Someone who forgot their password gets a link by mail, sets a new one, and signs in with it.</summary>
[Collection(BrowserGroup.Name)]
public sealed class PasswordResetFlowTests(BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public Task A_forgotten_password_is_replaced_through_the_mailed_link_and_the_old_one_stops_working() => browser.RunAsync(output, TimeSpan.FromMinutes(3), async page =>
    {
        var user = Account.New();
        await user.SignUpAsync(page, browser);
        await using var context = await Flows.OtherContextAsync(page, browser);
        var forgetful = await context.NewPageAsync();

        await forgetful.GotoAsync("/account/signin");
        await forgetful.GetByTestId("forgot-password-link").ClickAsync();
        await forgetful.GetByTestId("reset-email").FillAsync(user.Email);
        await forgetful.GetByTestId("reset-request").ClickAsync();
        await Expect(forgetful.GetByTestId("reset-sent")).ToContainTextAsync("If an account exists");
        await Shots.TakeAsync(forgetful, "reset-requested");

        var (token, link) = Flows.TokenAndLink(await Flows.MailTextAsync(browser, user.Email, "new DeepSim password"));
        await forgetful.GotoAsync(link);
        await Expect(forgetful.GetByTestId("reset-token")).ToHaveValueAsync(token);
        await forgetful.GetByTestId("reset-password").FillAsync("short");
        await forgetful.GetByTestId("reset-submit").ClickAsync();
        await Expect(forgetful.GetByTestId("error-password")).ToBeVisibleAsync();
        const string NewPassword = "a-new-and-longer-password-7";
        await forgetful.GetByTestId("reset-password").FillAsync(NewPassword);
        await forgetful.GetByTestId("reset-submit").ClickAsync();
        await Expect(forgetful.GetByTestId("password-changed-note")).ToBeVisibleAsync();
        await Shots.TakeAsync(forgetful, "password-changed");

        await user.SubmitSignInAsync(forgetful, user.Password);
        await Expect(forgetful.GetByTestId("form-error")).ToBeVisibleAsync();
        await user.SubmitSignInAsync(forgetful, NewPassword);
        await Expect(forgetful).ToHaveURLAsync(Account.FlowsheetsUrl);
    });
}
