using System.Globalization;
using DeepSim.Api.Auth;
using DeepSim.Api.Plans;
using DeepSim.Api.Runs;
using DeepSim.Api.Usage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DeepSim.Api.RateLimiting;

/// <summary>
/// Applies the tenant's hourly API limit (from its plan) to every authenticated tenant request, answering 429 with
/// <c>Retry-After</c>, and stating the policy and what is left on every response (<c>RateLimit-Policy</c>,
/// <c>RateLimit</c>, IETF httpapi-ratelimit-headers). Allowed calls are counted for the usage meter.
/// </summary>
public sealed class RateLimitMiddleware(RequestDelegate next, TenantRateLimiter limiter, PlanCatalog plans, ApiCallCounter calls,
    IProblemDetailsService problems)
{
    public const string PolicyName = "hourly";

    public async Task InvokeAsync(HttpContext context)
    {
        var actor = Actor.FromPrincipal(context.User);
        if (actor.TenantId is not { } tenant)
        {
            await next(context);
            return;
        }
        var plan = await plans.GetAsync(actor.Plan, context.RequestAborted);
        var decision = await limiter.DecideAsync(tenant, plan.ApiCallsPerHour, context.RequestAborted);
        var headers = context.Response.Headers;
        var window = (long)TenantRateLimiter.Window.TotalSeconds;
        headers["RateLimit-Policy"] = string.Create(CultureInfo.InvariantCulture, $"\"{PolicyName}\";q={decision.Limit};w={window}");
        var resetSeconds = (long)Math.Ceiling((decision.Allowed ? decision.ResetAfter : decision.RetryAfter).TotalSeconds);
        headers["RateLimit"] = string.Create(CultureInfo.InvariantCulture, $"\"{PolicyName}\";r={decision.Remaining};t={resetSeconds}");
        if (!decision.Allowed)
        {
            var retryAfter = Math.Max(1, (long)Math.Ceiling(decision.RetryAfter.TotalSeconds));
            headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails =
                {
                    Status = StatusCodes.Status429TooManyRequests,
                    Title = "Rate limit reached",
                    Type = RunProblems.RateLimited,
                    Detail = string.Create(CultureInfo.InvariantCulture,
                        $"The {plan.Name} plan allows {decision.Limit} API calls per hour; retry in {retryAfter} s."),
                    Extensions = { ["limit"] = "api-calls-per-hour", ["max"] = decision.Limit, ["retryAfterSeconds"] = retryAfter },
                },
            });
            return;
        }
        calls.Add(tenant);
        await next(context);
    }
}

/// <summary>Degraded while Redis is unreachable: limits then hold per Api process, not across them.</summary>
public sealed class RateLimiterHealthCheck(TenantRateLimiter limiter) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(limiter.UsingLocalFallback
            ? HealthCheckResult.Degraded("Redis unavailable: rate limits enforced by a local per-process limiter")
            : HealthCheckResult.Healthy("rate limits shared through Redis"));
}
