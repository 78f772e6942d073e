using System.Net;
using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSim.Api.Tests;

[Collection(ApiTests.Name)]
public sealed class HostTests(ApiFixture api)
{
    private static readonly TimeSpan ServerBudget = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Health_checks_postgres_and_redis_for_real_and_follows_redis_going_down_degraded_and_back()
    {
        using var client = api.CreateClient();
        using (var healthy = await TestApi.Send(client, HttpMethod.Get, "/health"))
        {
            Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
            var checks = (await healthy.ReadJsonAsync()).GetProperty("checks");
            // "PostgreSql" is Aspire.Npgsql's own check (select 1 through the Api's data source).
            Assert.Equal("Healthy", checks.GetProperty("PostgreSql").GetProperty("status").GetString());
            Assert.Equal("Healthy", checks.GetProperty("redis").GetProperty("status").GetString());
        }
        var a = await TestApi.SignUpAsync(api);
        var secondSession = await TestApi.SignInAsync(api, a.OwnerEmail, a.OwnerPassword);
        var operatorTokens = await TestApi.OperatorAsync(api);
        var secondOperatorTokens = await TestApi.OperatorAsync(api);
        var (analystTenant, analystTokens) = await TestApi.AnalystAsync(api);
        var secondAnalystTokens = await TestApi.SignInAsync(api, analystTenant.OwnerEmail, analystTenant.OwnerPassword, asAnalyst: true);
        using var timeout = new CancellationTokenSource(ServerBudget);
        await api.Redis.StopAsync();
        try
        {
            // Degraded, not Unhealthy: the Api serves without Redis, so it answers 200 and stays in load balancing;
            // the report still says Redis is down and why.
            using var down = await TestApi.Send(client, HttpMethod.Get, "/health");
            Assert.Equal(HttpStatusCode.OK, down.StatusCode);
            var redisCheck = (await down.ReadJsonAsync()).GetProperty("checks").GetProperty("redis");
            Assert.Equal("Degraded", redisCheck.GetProperty("status").GetString());
            Assert.Contains("did not answer PING", redisCheck.GetProperty("description").GetString(), StringComparison.Ordinal);

            // Tenant users keep working: their sign-out is also a revoked session family in PostgreSQL.
            using var signedIn = api.CreateClient(a.Owner.AccessToken);
            using (var call = await TestApi.Send(signedIn, HttpMethod.Get, "/api/v1/flowsheets"))
            {
                Assert.Equal(HttpStatusCode.OK, call.StatusCode);
            }
            using var second = api.CreateClient(secondSession.AccessToken);
            using (var signOut = await TestApi.Send(second, HttpMethod.Post, "/api/v1/auth/signout"))
            {
                Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
            }
            using (var afterSignOut = await TestApi.Send(second, HttpMethod.Get, "/api/v1/flowsheets"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, afterSignOut.StatusCode);
            }

            // Operators keep working too (their sign-out is also recorded in PostgreSQL), and a sign-out made while
            // Redis is down holds.
            using var operatorClient = api.CreateClient(operatorTokens.AccessToken);
            using (var operatorCall = await TestApi.Send(operatorClient, HttpMethod.Get, "/api/v1/platform/tenants"))
            {
                Assert.Equal(HttpStatusCode.OK, operatorCall.StatusCode);
            }
            using var secondOperator = api.CreateClient(secondOperatorTokens.AccessToken);
            using (var signOut = await TestApi.Send(secondOperator, HttpMethod.Post, "/api/v1/auth/signout"))
            {
                Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
            }
            using (var afterSignOut = await TestApi.Send(secondOperator, HttpMethod.Get, "/api/v1/platform/tenants"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, afterSignOut.StatusCode);
            }

            // Analysts likewise: their tokens are platform tokens, checked in PostgreSQL.
            using var analystClient = api.CreateClient(analystTokens.AccessToken);
            using (var analystCall = await TestApi.Send(analystClient, HttpMethod.Get, "/api/v1/auth/me"))
            {
                Assert.Equal(HttpStatusCode.OK, analystCall.StatusCode);
            }
            using var secondAnalyst = api.CreateClient(secondAnalystTokens.AccessToken);
            using (var signOut = await TestApi.Send(secondAnalyst, HttpMethod.Post, "/api/v1/auth/signout"))
            {
                Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
            }
            using (var afterSignOut = await TestApi.Send(secondAnalyst, HttpMethod.Get, "/api/v1/auth/me"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, afterSignOut.StatusCode);
            }
        }
        finally
        {
            await api.Redis.StartAgainAsync(timeout.Token);
        }
        // The client reconnects on its own; poll a bounded number of times until the Redis check is Healthy again.
        string? status = null;
        for (var attempt = 0; attempt < 40 && status != "Healthy"; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), timeout.Token);
            using var again = await TestApi.Send(client, HttpMethod.Get, "/health");
            status = again.StatusCode == HttpStatusCode.OK
                ? (await again.ReadJsonAsync()).GetProperty("checks").GetProperty("redis").GetProperty("status").GetString()
                : again.StatusCode.ToString();
        }
        Assert.Equal("Healthy", status);

        // The operator signed out while Redis was down stays signed out once it is back.
        using var signedOutOperator = api.CreateClient(secondOperatorTokens.AccessToken);
        using (var stillSignedOut = await TestApi.Send(signedOutOperator, HttpMethod.Get, "/api/v1/platform/tenants"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, stillSignedOut.StatusCode);
        }
        using var signedOutAnalyst = api.CreateClient(secondAnalystTokens.AccessToken);
        using (var stillSignedOut = await TestApi.Send(signedOutAnalyst, HttpMethod.Get, "/api/v1/auth/me"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, stillSignedOut.StatusCode);
        }
    }

    [Theory]
    [InlineData("ConnectionStrings:redis")]
    [InlineData("ConnectionStrings:deepsimdb")]
    [InlineData("ConnectionStrings:platformdb")]
    public void A_missing_setting_stops_the_start_naming_its_key(string key)
    {
        using var factory = api.CreateFactory(new Dictionary<string, string?> { [key] = "" });
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        var messages = string.Join(" | ", Flatten(error).Select(e => e.Message));
        Assert.Contains(key, messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tenant_work_without_a_tenant_fails_loudly()
    {
        var db = api.Factory.Services.GetRequiredService<TenantDb>();
        await Assert.ThrowsAsync<TenantContextMissingException>(() => db.InTenantAsync(Guid.Empty, _ => Task.FromResult(0), CancellationToken.None));
        await Assert.ThrowsAsync<TenantContextMissingException>(() => db.ForActorAsync(Actor.Anonymous, _ => Task.FromResult(0), CancellationToken.None));
        await Assert.ThrowsAsync<TenantContextMissingException>(() => db.WithoutTenantAsync<int>(async s => { await Outbox.AddAsync(s, "x", new { }, CancellationToken.None); return 0; }, CancellationToken.None));
    }

    private static IEnumerable<Exception> Flatten(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
        {
            yield return current;
            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                {
                    yield return inner;
                }
            }
        }
    }
}
