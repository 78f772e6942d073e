using System.Globalization;
using DeepSim.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Api.Runs;

/// <summary>Problem types and responses of runs, studies and quotas.</summary>
public static class RunProblems
{
    public const string QuotaExceeded = ProblemTypes.Base + "quota-exceeded";
    public const string IdempotencyKeyReused = ProblemTypes.Base + "idempotency-key-reused";
    public const string RunFinished = ProblemTypes.Base + "run-finished";
    public const string StaleAttempt = ProblemTypes.Base + "stale-attempt";
    public const string RateLimited = ProblemTypes.Base + "rate-limited";

    public static ProblemHttpResult Quota(string plan, int limit, int usage, DateTimeOffset resetsAt) =>
        TypedResults.Problem(
            string.Create(CultureInfo.InvariantCulture,
                $"The {plan} plan allows {limit} simulations per month; {usage} were used this month. The quota resets at {resetsAt:O}."),
            statusCode: StatusCodes.Status403Forbidden,
            title: "Monthly simulation quota reached",
            type: QuotaExceeded,
            extensions: new Dictionary<string, object?>
            {
                ["limit"] = "simulations-per-month",
                ["max"] = limit,
                ["usage"] = usage,
                ["plan"] = plan,
                ["resetsAt"] = resetsAt,
            });

    public static ProblemHttpResult KeyReused() =>
        TypedResults.Problem(
            "This Idempotency-Key was already used with a different request body; use a new key for a new request.",
            statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency key reused", type: IdempotencyKeyReused);

    /// <summary>The first day of the month after <paramref name="now"/>, UTC: when a monthly quota resets.</summary>
    public static DateTimeOffset NextMonth(DateTimeOffset now) => new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);

    public static DateOnly MonthOf(DateTimeOffset now) => new(now.Year, now.Month, 1);
}
