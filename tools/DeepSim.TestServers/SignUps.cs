using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;

namespace DeepSim.TestServers;

/// <summary>
/// Sign-up as a customer does it since sign-up is by confirmation: ask, read the link's token from the mail, confirm.
/// Where the mail is read depends on the test: the outbox table when no sender runs (the mail waits there as written),
/// the mail catcher when the platform sends it (the outbox copy loses its token once sent).
/// </summary>
public static partial class SignUps
{
    private static readonly TimeSpan MailBudget = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>The sign-up token a mail carries ("dss_" and 64 hex digits).</summary>
    public static string TokenIn(string mailText) =>
        SignUpToken().Match(mailText) is { Success: true } match
            ? match.Value
            : throw new InvalidOperationException($"the mail carries no sign-up token: {mailText}");

    /// <summary>
    /// Asks for a workspace with <paramref name="request"/> (an object with tenantName, slug, email, password, displayName),
    /// confirms it with the token <paramref name="mailTo"/> finds in the newest mail to <paramref name="email"/>, and
    /// returns the confirmation's answer: the owner's tokens (tenantId, accessToken, refreshToken, role).
    /// </summary>
    public static async Task<JsonElement> SignUpAsync(HttpClient api, object request, string email,
        Func<string, CancellationToken, Task<string>> mailTo, CancellationToken ct)
    {
        using (var asked = await api.PostAsJsonAsync("/api/v1/auth/signup", request, ct))
        {
            if (asked.StatusCode != HttpStatusCode.Accepted)
            {
                throw new InvalidOperationException($"sign-up: {(int)asked.StatusCode} {await asked.Content.ReadAsStringAsync(ct)}");
            }
        }
        var token = TokenIn(await mailTo(email, ct));
        using var confirmed = await api.PostAsJsonAsync("/api/v1/auth/signup/confirm", new { token }, ct);
        var text = await confirmed.Content.ReadAsStringAsync(ct);
        return confirmed.StatusCode == HttpStatusCode.Created
            ? JsonDocument.Parse(text).RootElement.Clone()
            : throw new InvalidOperationException($"sign-up confirmation: {(int)confirmed.StatusCode} {text}");
    }

    /// <summary>Reads the newest sign-up mail to an address from the mail outbox, as the database owner.</summary>
    public static Func<string, CancellationToken, Task<string>> FromOutbox(Func<Task<NpgsqlConnection>> openOwner) => async (email, ct) =>
    {
        await using var connection = await openOwner();
        await using var command = new NpgsqlCommand(
            "select body from mail_outbox where to_address = @e and position('dss_' in body) > 0 order by created_at desc limit 1", connection);
        command.Parameters.AddWithValue("e", email.Trim().ToLowerInvariant());
        return await command.ExecuteScalarAsync(ct) as string
            ?? throw new InvalidOperationException($"no sign-up mail to {email} in the outbox");
    };

    /// <summary>Waits (bounded) for a sign-up mail to an address at a maildev catcher (its web address), and reads its text.</summary>
    public static Func<string, CancellationToken, Task<string>> FromMailDev(Uri mailDevWeb) => async (email, ct) =>
    {
        using var http = new HttpClient { BaseAddress = mailDevWeb, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + MailBudget;
        while (true)
        {
            var messages = await http.GetFromJsonAsync<JsonElement>("api/email", ct);
            var text = messages.ValueKind != JsonValueKind.Array ? null : messages.EnumerateArray()
                .Where(m => MailDevServer.RecipientsOf(m).Contains(email, StringComparer.OrdinalIgnoreCase))
                .Select(m => m.TryGetProperty("text", out var t) ? t.GetString() : null)
                .LastOrDefault(t => t is not null && SignUpToken().IsMatch(t));
            if (text is not null)
            {
                return text;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no sign-up mail to {email} reached the mail catcher within {MailBudget.TotalSeconds:0} s");
            }
            await Task.Delay(PollInterval, ct);
        }
    };

    [GeneratedRegex(@"\bdss_[0-9a-f]{64}\b")]
    private static partial Regex SignUpToken();
}
