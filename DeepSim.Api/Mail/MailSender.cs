using DeepSim.Api.Infrastructure;
using DeepSim.ServiceDefaults;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace DeepSim.Api.Mail;

/// <summary>Mail settings (section <c>Mail</c>); the server is <c>ConnectionStrings:mail</c> (<c>smtp://host:port</c>).</summary>
public sealed class MailSettings
{
    public const string Section = "Mail";

    public string From { get; set; } = "DeepSim <no-reply@deepsim.local>";
    public int PollMilliseconds { get; set; } = 1000;
    public int BatchSize { get; set; } = 20;

    /// <summary>The web app's public address, for links in mail (the AppHost sets it); none means mail carries no links.</summary>
    public string? WebUrl { get; set; }

    /// <summary>An absolute link into the web app, or null when <see cref="WebUrl"/> is not set.</summary>
    public string? WebLink(string relative) =>
        Uri.TryCreate(WebUrl, UriKind.Absolute, out var root) ? new Uri(new Uri(root.ToString().TrimEnd('/') + "/"), relative).ToString() : null;
}

/// <summary>
/// Sends the mail outbox over SMTP (MailKit). A message is leased while it is sent, marked sent after the server
/// accepted it, and retried with a doubling delay (up to an hour) when the server refuses it or is down. So mail is
/// sent at least once: a sender that dies between the server's acceptance and the mark sends it again after the
/// lease. Without <c>ConnectionStrings:mail</c> nothing is sent and the mail waits in the outbox.
/// </summary>
public sealed partial class MailSender(TenantDb db, IConfiguration configuration, IOptions<MailSettings> options, ILogger<MailSender> log)
    : BackgroundService
{
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromHours(1);

    private sealed record Pending(Guid Id, string To, string Subject, string Body, int Attempts);

    /// <summary>The SMTP server, or null when none is configured.</summary>
    public Uri? Server => configuration.GetConnectionString(ResourceNames.Mail) is { Length: > 0 } value
        && Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "smtp" or "smtps" ? uri : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Server is null)
        {
            Log.NotConfigured(log);
            return;
        }
        var poll = TimeSpan.FromMilliseconds(Math.Max(100, options.Value.PollMilliseconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await SendPendingAsync(stoppingToken) > 0)
                {
                    continue;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Log.PassFailed(log, ex);
            }
            await Task.Delay(poll, stoppingToken);
        }
    }

    /// <summary>Sends one batch; returns how many messages the server accepted.</summary>
    public async Task<int> SendPendingAsync(CancellationToken ct)
    {
        var server = Server ?? throw new InvalidOperationException("no SMTP server is configured (ConnectionStrings:mail)");
        var batch = (await db.WithoutTenantAsync(s => s.QueryAsync<Pending>(
            """select o_id as "Id", o_to as "To", o_subject as "Subject", o_body as "Body", o_attempts as "Attempts" from mail_outbox_claim(@limit, @lease)""",
            new { limit = Math.Clamp(options.Value.BatchSize, 1, 100), lease = Lease }, ct), ct)).ToList();
        if (batch.Count == 0)
        {
            return 0;
        }
        using var smtp = new SmtpClient();
        try
        {
            await smtp.ConnectAsync(server.Host, server.Port, server.Scheme == "smtps" ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTlsWhenAvailable, ct);
            if (server.UserInfo is { Length: > 0 } userInfo)
            {
                var parts = userInfo.Split(':', 2);
                await smtp.AuthenticateAsync(Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "", ct);
            }
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ProtocolException or AuthenticationException or SslHandshakeException)
        {
            foreach (var message in batch)
            {
                await FailedAsync(message, "SMTP server unavailable: " + ex.Message, ct);
            }
            Log.ServerUnavailable(log, server.Host, server.Port, ex.Message);
            return 0;
        }
        var sent = 0;
        foreach (var message in batch)
        {
            try
            {
                await smtp.SendAsync(Build(message), ct);
                await db.WithoutTenantAsync(s => s.ExecuteAsync("select mail_outbox_sent(@id)", new { id = message.Id }, ct), ct);
                sent++;
            }
            catch (Exception ex) when (ex is SmtpCommandException or SmtpProtocolException or IOException or ParseException)
            {
                await FailedAsync(message, ex.Message, ct);
                if (!smtp.IsConnected)
                {
                    break;
                }
            }
        }
        await smtp.DisconnectAsync(quit: true, ct);
        return sent;
    }

    private MimeMessage Build(Pending pending)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(options.Value.From));
        message.To.Add(MailboxAddress.Parse(pending.To));
        message.Subject = pending.Subject;
        message.Body = new TextPart("plain") { Text = pending.Body };
        // The outbox id: a message sent again after a crash carries the same Message-Id, so mail clients can tell.
        message.MessageId = $"{pending.Id:N}@deepsim";
        return message;
    }

    private Task<int> FailedAsync(Pending message, string error, CancellationToken ct)
    {
        var delay = TimeSpan.FromSeconds(Math.Min(MaxRetryDelay.TotalSeconds, Math.Pow(2, Math.Min(message.Attempts, 12))));
        return db.WithoutTenantAsync(s => s.ExecuteAsync("select mail_outbox_failed(@id, @error, @delay)", new { id = message.Id, error, delay }, ct), ct);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "No SMTP server is configured (ConnectionStrings:mail): mail stays in the outbox")]
        public static partial void NotConfigured(ILogger logger);

        [LoggerMessage(Level = LogLevel.Warning, Message = "SMTP server {Host}:{Port} unavailable ({Reason}); mail is retried later")]
        public static partial void ServerUnavailable(ILogger logger, string host, int port, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Mail pass failed; retried on the next poll")]
        public static partial void PassFailed(ILogger logger, Exception exception);
    }
}
