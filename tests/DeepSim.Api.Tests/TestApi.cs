using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepSim.Api.Auth;
using Npgsql;

namespace DeepSim.Api.Tests;

public sealed record Tokens(string AccessToken, string? RefreshToken, Guid? TenantId, string Role);

/// <summary>A tenant made for one test: its id, its owner's credentials and tokens.</summary>
public sealed record TestTenant(Guid Id, string Slug, string OwnerEmail, string OwnerPassword, Guid OwnerId, Tokens Owner);

/// <summary>A member of a test tenant with a given role.</summary>
public sealed record TestMember(Guid UserId, string Email, string Password, string Role, Tokens Tokens);

/// <summary>Drives the Api the way a client does, to set up each test's own tenants and users.</summary>
public static class TestApi
{
    public const string Password = "correct-horse-battery";
    private static readonly TimeSpan CallBudget = TimeSpan.FromSeconds(30);

    public static string UniqueSlug(string prefix = "t") => $"{prefix}-{Guid.NewGuid():N}"[..30];

    public static string UniqueEmail(string prefix = "user") => $"{prefix}-{Guid.NewGuid():N}@example.test";

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        using var timeout = new CancellationTokenSource(CallBudget);
        var text = await response.Content.ReadAsStringAsync(timeout.Token);
        return string.IsNullOrEmpty(text) ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string url, object? body = null, IDictionary<string, string>? headers = null)
    {
        using var timeout = new CancellationTokenSource(CallBudget);
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = body is string raw
                ? new StringContent(raw, System.Text.Encoding.UTF8, "application/json")
                : JsonContent.Create(body);
        }
        foreach (var (key, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(key, value);
        }
        return await client.SendAsync(request, timeout.Token);
    }

    public static Tokens ToTokens(JsonElement json) => new(
        json.GetProperty("accessToken").GetString()!,
        json.TryGetProperty("refreshToken", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null,
        json.TryGetProperty("tenantId", out var t) && t.ValueKind == JsonValueKind.String ? t.GetGuid() : null,
        json.GetProperty("role").GetString()!);

    /// <summary>Signs up a tenant and moves it to <paramref name="plan"/> (pro by default, so teams of every role fit).</summary>
    public static async Task<TestTenant> SignUpAsync(ApiFixture api, string? name = null, string plan = "pro")
    {
        using var client = api.CreateClient();
        var slug = UniqueSlug();
        var email = UniqueEmail("owner");
        var tokens = await SignUpAndConfirmAsync(api, new { tenantName = name ?? "Tenant " + slug, slug, email, password = Password, displayName = "Owner" }, email);
        var ownerId = await ScalarAsync<Guid>(api, "select id from users where email_normalized = @e", ("e", email));
        if (plan != "free")
        {
            await ScalarAsync<string>(api, "update tenants set plan = @p where id = @t returning plan", ("p", plan), ("t", tokens.TenantId!.Value));
        }
        return new TestTenant(tokens.TenantId!.Value, slug, email, Password, ownerId, tokens);
    }

    /// <summary>Asks for a workspace, reads the confirmation link from the mail outbox as a mail sender would, confirms it.</summary>
    public static async Task<Tokens> SignUpAndConfirmAsync(ApiFixture api, object request, string email)
    {
        using var client = api.CreateClient();
        using (var asked = await Send(client, HttpMethod.Post, "/api/v1/auth/signup", request))
        {
            Assert.True(asked.StatusCode == HttpStatusCode.Accepted, $"sign-up failed: {asked.StatusCode} {await asked.Content.ReadAsStringAsync()}");
        }
        var token = await MailedTokenAsync(api, email, SignUpEndpoints.TokenPrefix);
        using var confirmed = await Send(client, HttpMethod.Post, "/api/v1/auth/signup/confirm", new { token });
        var json = await confirmed.ReadJsonAsync();
        Assert.True(confirmed.StatusCode == HttpStatusCode.Created, $"sign-up confirmation failed: {confirmed.StatusCode} {json}");
        return ToTokens(json);
    }

    /// <summary>The newest platform mail to <paramref name="email"/> carrying a token with <paramref name="prefix"/>: that token.</summary>
    public static async Task<string> MailedTokenAsync(ApiFixture api, string email, string prefix)
    {
        var body = await ScalarAsync<string>(api,
            "select body from mail_outbox where to_address = @e and tenant_id is null and position(@p in body) > 0 order by created_at desc limit 1",
            ("e", TokenService.NormalizeEmail(email)), ("p", prefix + "_"));
        var match = System.Text.RegularExpressions.Regex.Match(body, $@"\b{prefix}_[0-9a-f_]+", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
        Assert.True(match.Success, body);
        return match.Value;
    }

    public static async Task<Tokens> SignInAsync(ApiFixture api, string email, string password, Guid? tenantId = null, bool? asOperator = null,
        bool? asAnalyst = null)
    {
        using var client = api.CreateClient();
        using var response = await Send(client, HttpMethod.Post, "/api/v1/auth/signin", new { email, password, tenantId, asOperator, asAnalyst });
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"sign-in failed: {response.StatusCode} {json}");
        return ToTokens(json);
    }

    public static Task<Tokens> OperatorAsync(ApiFixture api) =>
        SignInAsync(api, ApiFixture.OperatorEmail, ApiFixture.OperatorPassword, asOperator: true);

    /// <summary>The operator grants the platform analyst role to <paramref name="email"/> (an existing person).</summary>
    public static async Task GrantAnalystAsync(ApiFixture api, string email)
    {
        var op = await OperatorAsync(api);
        using var client = api.CreateClient(op.AccessToken);
        using var response = await Send(client, HttpMethod.Post, "/api/v1/platform/analysts", new { email });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"grant failed: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>A new tenant's owner made a platform analyst: the tenant, and the owner's analyst tokens.</summary>
    public static async Task<(TestTenant Tenant, Tokens Analyst)> AnalystAsync(ApiFixture api)
    {
        var tenant = await SignUpAsync(api);
        await GrantAnalystAsync(api, tenant.OwnerEmail);
        return (tenant, await SignInAsync(api, tenant.OwnerEmail, tenant.OwnerPassword, asAnalyst: true));
    }

    /// <summary>Invites a new user with <paramref name="role"/> (as the owner), accepts with the mailed token, signs in.</summary>
    public static async Task<TestMember> AddMemberAsync(ApiFixture api, TestTenant tenant, string role)
    {
        var email = UniqueEmail(role);
        var token = await InviteAsync(api, tenant.Owner.AccessToken, email, role);
        using var client = api.CreateClient();
        using var accepted = await Send(client, HttpMethod.Post, "/api/v1/invitations/accept",
            new { token, password = Password, displayName = role + " user" });
        var json = await accepted.ReadJsonAsync();
        Assert.True(accepted.StatusCode == HttpStatusCode.OK, $"accept failed: {accepted.StatusCode} {json}");
        var userId = await ScalarAsync<Guid>(api, "select id from users where email_normalized = @e", ("e", email));
        return new TestMember(userId, email, Password, role, ToTokens(json));
    }

    /// <summary>Creates an invitation and returns its token, read from the mail outbox as a mail sender would.</summary>
    public static async Task<string> InviteAsync(ApiFixture api, string bearer, string email, string role)
    {
        using var client = api.CreateClient(bearer);
        using var response = await Send(client, HttpMethod.Post, "/api/v1/team/invitations", new { email, role });
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"invite failed: {response.StatusCode} {json}");
        var body = await ScalarAsync<string>(api, "select body from mail_outbox where to_address = @e order by created_at desc limit 1", ("e", email));
        var start = body.IndexOf("inv_", StringComparison.Ordinal);
        Assert.True(start >= 0, "the invitation mail carries no token");
        return new string(body[start..].TakeWhile(c => char.IsLetterOrDigit(c) || c == '_').ToArray());
    }

    public static async Task<HttpResponseMessage> CreateFlowsheetAsync(ApiFixture api, string bearer, string name)
    {
        using var client = api.CreateClient(bearer);
        return await Send(client, HttpMethod.Post, "/api/v1/flowsheets", new { name, description = "test", content = SampleFlowsheet() });
    }

    /// <summary>A valid engine flowsheet (examples/benzene-toluene-flash.json).</summary>
    public const string SampleFlowsheetJson = """
        {
          "name": "Benzene-toluene flash",
          "components": ["benzene", "toluene"],
          "propertyPackage": "ideal",
          "units": [
            { "id": "FEED", "type": "feed", "spec": {
                "temperature": { "value": 25, "unit": "C" }, "pressure": { "value": 1, "unit": "atm" },
                "molarFlow": { "value": 100, "unit": "kmol/h" }, "moleFractions": { "benzene": 0.5, "toluene": 0.5 } } },
            { "id": "DRUM", "type": "flash", "spec": { "temperature": { "value": 95, "unit": "C" }, "pressure": { "value": 1, "unit": "atm" } } },
            { "id": "VAPOR", "type": "product" },
            { "id": "LIQUID", "type": "product" }
          ],
          "streams": [
            { "id": "S1", "from": "FEED.out", "to": "DRUM.in" },
            { "id": "V", "from": "DRUM.vapor", "to": "VAPOR.in" },
            { "id": "L", "from": "DRUM.liquid", "to": "LIQUID.in" }
          ]
        }
        """;

    public static JsonElement SampleFlowsheet() => JsonDocument.Parse(SampleFlowsheetJson).RootElement.Clone();

    /// <summary>Owner-role query (sees every tenant): for checking what the database holds, never for the Api's own work.</summary>
    public static async Task<T> ScalarAsync<T>(ApiFixture api, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await api.OpenOwnerAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        var result = await command.ExecuteScalarAsync();
        return result is T t ? t : throw new InvalidOperationException($"query returned {result ?? "null"} for: {sql}");
    }

    /// <summary>The query's single value, or null when it returned SQL NULL or no row.</summary>
    public static async Task<T?> ScalarOrNullAsync<T>(ApiFixture api, string sql, params (string Name, object Value)[] parameters) where T : struct
    {
        await using var connection = await api.OpenOwnerAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return await command.ExecuteScalarAsync() is T t ? t : null;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails naming <paramref name="what"/> after <paramref name="budget"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan budget, string what)
    {
        var deadline = DateTime.UtcNow + budget;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out after {budget.TotalSeconds:0} s waiting for {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>Every row of every tenant-owned table for one tenant, as text: a fingerprint to compare before and after (without audit_log when the tenant's own failed requests are expected to be audited).</summary>
    public static async Task<string> TenantSnapshotAsync(ApiFixture api, Guid tenantId, bool includeAudit = true)
    {
        await using var connection = await api.OpenOwnerAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
            "select table_name from information_schema.columns where table_schema = 'public' and column_name = 'tenant_id' order by 1", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }
        if (!includeAudit)
        {
            tables.Remove("audit_log");
        }
        // Metering counts every request, refused ones too, and is flushed on a timer: it is not the tenant's data changing.
        tables.Remove("usage_monthly");
        var parts = new List<string>();
        foreach (var table in tables)
        {
            var metering = table == "event_outbox" ? " and t.type not like 'usage.%'" : "";
            await using var command = new NpgsqlCommand($"select coalesce(string_agg(t::text, '|' order by t::text), '') from {table} t where tenant_id = @t{metering}", connection);
            command.Parameters.AddWithValue("t", tenantId);
            parts.Add(table + ":" + await command.ExecuteScalarAsync());
        }
        await using (var tenant = new NpgsqlCommand("select t::text from tenants t where id = @t", connection))
        {
            tenant.Parameters.AddWithValue("t", tenantId);
            parts.Add("tenant:" + await tenant.ExecuteScalarAsync());
        }
        return string.Join('\n', parts);
    }
}
