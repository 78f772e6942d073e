using System.Net;
using DeepSim.Api.Auth;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DeepSim.Api.Tests;

/// <summary>A clock the test moves; timers still run on real time (nothing here waits on them).</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private long ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);

    public void Set(DateTimeOffset to)
    {
        Assert.True(to >= GetUtcNow(), "the test clock only moves forward");
        Interlocked.Exchange(ref ticks, to.UtcTicks);
    }
}

/// <summary>
/// The signing key timeline on its own servers (the ring is platform-wide, so moving the clock must not reach the shared
/// fixture's hosts), with the Api's TimeProvider replaced by a test clock. The background check is set far apart so
/// that only the test rotates and reloads.
/// </summary>
public sealed class KeyRotationTests : IAsyncLifetime
{
    private const int LifetimeMinutes = 15;
    private const int PublishDelayMinutes = 60;
    private const int RotationDays = 30;
    private static readonly TimeSpan Skew = AuthSettings.AllowedClockSkew;

    private readonly ManualTime clock = new(DateTimeOffset.UtcNow);
    private readonly ApiFixture api;

    public KeyRotationTests()
    {
        api = new ApiFixture(
            new Dictionary<string, string?>
            {
                ["Auth:AccessTokenMinutes"] = LifetimeMinutes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Auth:SigningKeyPublishDelayMinutes"] = PublishDelayMinutes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Auth:SigningKeyRotationDays"] = RotationDays.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Auth:SigningKeyCheckSeconds"] = "86400",
            },
            services => services.AddSingleton<TimeProvider>(clock));
    }

    public Task InitializeAsync() => api.InitializeAsync();

    public Task DisposeAsync() => api.DisposeAsync();

    private SigningKeyRing Ring => api.Factory.Services.GetRequiredService<SigningKeyRing>();

    private async Task<HttpStatusCode> StatusWith(string bearer)
    {
        using var client = api.CreateClient(bearer);
        using var response = await TestApi.Send(client, HttpMethod.Get, "/api/v1/flowsheets");
        return response.StatusCode;
    }

    private async Task<string> SignInAsync(TestTenant tenant) =>
        (await TestApi.SignInAsync(api, tenant.OwnerEmail, tenant.OwnerPassword, tenant.Id)).AccessToken;

    private async Task<List<string>> PublishedKidsAsync()
    {
        using var client = api.CreateClient();
        return SigningKeyTests.Kids(await SigningKeyTests.JwksAsync(client));
    }

    private static CancellationToken Bounded() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    [Fact]
    public async Task A_new_key_is_published_first_signs_after_the_delay_and_the_old_one_stays_until_its_tokens_expired()
    {
        var tenant = await TestApi.SignUpAsync(api);
        var first = ForgedTokens.Kid(tenant.Owner.AccessToken)!;
        Assert.Equal([first], await PublishedKidsAsync());

        // Not due yet: the check makes no key.
        clock.Advance(TimeSpan.FromDays(1));
        Assert.False(await Ring.RotateAsync(force: false, Bounded()));
        Assert.Equal([first], await PublishedKidsAsync());

        // Rotation: the new key is in the JWKS at once, but tokens are still signed with the old one.
        Assert.True(await Ring.RotateAsync(force: true, Bounded()));
        var rotatedAt = clock.GetUtcNow();
        var published = await PublishedKidsAsync();
        Assert.Equal(2, published.Count);
        var second = Assert.Single(published, k => k != first);
        Assert.Equal(first, ForgedTokens.Kid(await SignInAsync(tenant)));

        // Just before the new key activates: still the old key; this token outlives the switch.
        clock.Set(rotatedAt + TimeSpan.FromMinutes(PublishDelayMinutes) - TimeSpan.FromMinutes(1));
        var lastOfFirst = await SignInAsync(tenant);
        Assert.Equal(first, ForgedTokens.Kid(lastOfFirst));

        // After the publish delay new tokens use the new key only; the old key's tokens still validate.
        var activatedAt = rotatedAt + TimeSpan.FromMinutes(PublishDelayMinutes);
        clock.Set(activatedAt + TimeSpan.FromMinutes(1));
        var firstOfSecond = await SignInAsync(tenant);
        Assert.Equal(second, ForgedTokens.Kid(firstOfSecond));
        Assert.Equal(HttpStatusCode.OK, await StatusWith(lastOfFirst));
        Assert.Equal(HttpStatusCode.OK, await StatusWith(firstOfSecond));
        Assert.Equal([first, second], await PublishedKidsAsync());

        // Until the end of the old key's last token's life (plus skew) the old key stays published and that token works.
        clock.Set(activatedAt + TimeSpan.FromMinutes(LifetimeMinutes) - TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, await StatusWith(lastOfFirst));
        Assert.Contains(first, await PublishedKidsAsync());

        // After retention (token lifetime + skew from the switch) the old key leaves the JWKS and the database.
        clock.Set(activatedAt + TimeSpan.FromMinutes(LifetimeMinutes) + Skew + TimeSpan.FromSeconds(1));
        Assert.Equal([second], await PublishedKidsAsync());
        Assert.False(await Ring.RotateAsync(force: false, Bounded()));
        await using (var owner = await api.OpenOwnerAsync())
        await using (var count = new NpgsqlCommand("select count(*) from signing_keys where kid = @kid", owner))
        {
            count.Parameters.AddWithValue("kid", first);
            Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
        }
        // The new key's tokens are unaffected (this one was issued a minute after the switch and is still valid).
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith(lastOfFirst));
        Assert.Equal(HttpStatusCode.OK, await StatusWith(firstOfSecond));
        Assert.Equal(second, ForgedTokens.Kid(await SignInAsync(tenant)));
    }

    [Fact]
    public async Task The_background_interval_rotates_once_however_many_instances_check_at_the_same_time()
    {
        var first = Ring.CurrentSigningCredentials().Key.KeyId;
        clock.Advance(TimeSpan.FromDays(RotationDays) + TimeSpan.FromMinutes(1));
        // Eight instances' checks at once (the same database function each would call): one key, made once.
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Ring.RotateAsync(force: false, Bounded())));
        Assert.Single(results, stored => stored);
        Assert.Equal(2, (await PublishedKidsAsync()).Count);
        Assert.Equal(first, Ring.CurrentSigningCredentials().Key.KeyId);

        // An empty ring (a fresh database) under the same race: exactly one first key, which signs at once.
        await using (var owner = await api.OpenOwnerAsync())
        await using (var wipe = new NpgsqlCommand("delete from signing_keys", owner))
        {
            await wipe.ExecuteNonQueryAsync();
        }
        var fresh = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Ring.RotateAsync(force: false, Bounded())));
        Assert.Single(fresh, stored => stored);
        var only = Assert.Single(await PublishedKidsAsync());
        Assert.Equal(only, Ring.CurrentSigningCredentials().Key.KeyId);
    }
}
