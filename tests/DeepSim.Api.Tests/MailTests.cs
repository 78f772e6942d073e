using System.Globalization;
using DeepSim.Api.Mail;
using DeepSim.TestServers;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSim.Api.Tests;

/// <summary>
/// The mail outbox goes out over SMTP to a real mail catcher (npm maildev on its own ports), and survives the SMTP
/// server being down.
/// </summary>
[Collection(ApiTests.Name)]
public sealed class MailTests(ApiFixture api) : IAsyncLifetime
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);
    private MailDevServer? mail;

    public async Task InitializeAsync() =>
        mail = await MailDevServer.StartAsync(Path.Combine(Path.GetTempPath(), "deepsim-maildev-" + Guid.NewGuid().ToString("N")), CancellationToken.None);

    public async Task DisposeAsync()
    {
        if (mail is not null)
        {
            await mail.DisposeAsync();
        }
    }

    private Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<ApiEntry> HostSendingTo(string connectionString, int pollMilliseconds = 200) =>
        api.CreateFactory(new Dictionary<string, string?>
        {
            ["ConnectionStrings:mail"] = connectionString,
            ["Mail:PollMilliseconds"] = pollMilliseconds.ToString(CultureInfo.InvariantCulture),
        });

    /// <summary>
    /// Marks the mail other tests left unsent as sent, so a batch holds this test's message (a batch takes the oldest
    /// first, and every sign-up leaves its link there when no sender runs).
    /// </summary>
    private Task<int> SetAsideOtherPendingMailAsync(string email) => TestApi.ScalarAsync<int>(api,
        "with aside as (update mail_outbox set sent_at = now() where sent_at is null and to_address <> @e returning 1) select count(*)::int from aside", ("e", email));

    [Fact]
    public async Task An_invitation_is_delivered_over_smtp_with_its_link_and_marked_sent()
    {
        // Signed up before the sender starts: the test reads the sign-up link from the outbox before it goes out.
        var a = await TestApi.SignUpAsync(api);
        await using var host = HostSendingTo(mail!.ConnectionString);
        using var started = host.CreateClient(); // starts the host, and with it the sender
        var email = TestApi.UniqueEmail("mailed");
        var token = await TestApi.InviteAsync(api, a.Owner.AccessToken, email, "viewer");
        await SetAsideOtherPendingMailAsync(email);

        var message = await mail.WaitForMessageToAsync(email, Budget);
        Assert.Contains("invit", message.GetProperty("subject").GetString()!, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(token, message.GetProperty("text").GetString()!, StringComparison.Ordinal);
        Assert.Contains("no-reply@deepsim.local", message.GetProperty("from")[0].GetProperty("address").GetString()!, StringComparison.Ordinal);
        await TestApi.WaitUntilAsync(async () => await TestApi.ScalarAsync<long>(api,
            "select count(*) from mail_outbox where to_address = @e and sent_at is not null", ("e", email)) == 1, Budget, "the row marked sent");
        // Once sent, the copy kept in the outbox no longer holds the token (nor its link); the invitation's hash still works.
        var kept = await TestApi.ScalarAsync<string>(api, "select body from mail_outbox where to_address = @e", ("e", email));
        Assert.DoesNotContain(token, kept, StringComparison.Ordinal);
        Assert.Contains("[token removed after sending]", kept, StringComparison.Ordinal);
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api,
            "select count(*) from invitations where token_hash = sha256(convert_to(@t, 'UTF8'))", ("t", token)));
    }

    [Fact]
    public async Task Mail_waits_while_the_smtp_server_is_down_and_goes_out_once_it_is_back()
    {
        var a = await TestApi.SignUpAsync(api);
        var email = TestApi.UniqueEmail("delayed");
        await TestApi.InviteAsync(api, a.Owner.AccessToken, email, "viewer");
        await SetAsideOtherPendingMailAsync(email);

        // A server that refuses connections: nothing is sent, the row records why and when to try again.
        var closedPort = PortAllocator.Pick();
        await using (var down = HostSendingTo(FormattableString.Invariant($"smtp://127.0.0.1:{closedPort}"), pollMilliseconds: 3_600_000))
        {
            Assert.Equal(0, await down.Services.GetRequiredService<MailSender>().SendPendingAsync(CancellationToken.None));
        }
        Assert.Null(await TestApi.ScalarOrNullAsync<DateTime>(api, "select sent_at from mail_outbox where to_address = @e", ("e", email)));
        Assert.StartsWith("SMTP server unavailable", await TestApi.ScalarAsync<string>(api, "select last_error from mail_outbox where to_address = @e", ("e", email)), StringComparison.Ordinal);
        Assert.True(await TestApi.ScalarAsync<int>(api, "select attempts from mail_outbox where to_address = @e", ("e", email)) >= 1);

        // The retry is due in seconds; a sender with a working server then delivers it, once.
        await using var up = HostSendingTo(mail!.ConnectionString);
        using var started = up.CreateClient();
        await mail.WaitForMessageToAsync(email, Budget);
        await TestApi.WaitUntilAsync(async () => await TestApi.ScalarAsync<long>(api,
            "select count(*) from mail_outbox where to_address = @e and sent_at is not null", ("e", email)) == 1, Budget, "the row marked sent");
        Assert.Single(await mail.MessagesAsync(), m => MailDevServer.RecipientsOf(m).Contains(email));
    }
}
