using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Analytics.Usage;

public enum Granularity { Day, Week, Month }

public enum RunsBy { Status, Flowsheet, User }

public enum ResultFormat { Json, Csv }

/// <summary>A range of whole UTC days, both ends included.</summary>
public sealed record DayRange(DateOnly From, DateOnly To)
{
    /// <summary>The most days a query may span (a leap year).</summary>
    public const int MaxDays = 366;

    public int Days => To.DayNumber - From.DayNumber + 1;
}

/// <summary>
/// Parses and checks the query-string parameters of the analytics queries, in one place. Each value is parsed into a
/// type (a date, an enum) and nothing else reaches SQL, so a malformed or hostile value is a 400 naming its field
/// (<c>query.from</c>, …) and never text in a statement.
/// </summary>
public sealed class AnalyticsQuery
{
    private const string DateFormat = "yyyy-MM-dd";
    private const int DefaultDays = 30;

    // ClickHouse's Date holds 1970-01-01 .. 2105-12-31 (2149 in current versions): stay inside the narrower one.
    private static readonly DateOnly Earliest = new(1970, 1, 1);
    private static readonly DateOnly Latest = new(2105, 12, 31);

    /// <summary>A query parameter as the OpenAPI document describes it (see <see cref="Infrastructure.OpenApiContract.DocumentQuery"/>).</summary>
    public sealed record Parameter(string Name, string Description, string? Format = null, IReadOnlyList<string>? Values = null);

    /// <summary>The parameters parsed below, for the document: names and values come from the same code that reads them.</summary>
    public static class Parameters
    {
        public static readonly Parameter From = new("from",
            $"First UTC day, YYYY-MM-DD, included; not after 'to', at most {DayRange.MaxDays} days before it. By default {DefaultDays - 1} days before 'to'.", "date");

        public static readonly Parameter To = new("to", "Last UTC day, YYYY-MM-DD, included. By default today.", "date");

        public static readonly Parameter Granularity = new("granularity",
            "Bucket size: day, week (ISO weeks, labelled by their Monday) or month (labelled by the 1st). By default day.", Values: Names<Usage.Granularity>());

        public static readonly Parameter By = new("by",
            "Group runs by their latest status, their flowsheet id or their submitting user id. By default status.", Values: Names<RunsBy>());

        public static readonly Parameter Format = new("format",
            "json or csv (a text/csv attachment with a header row); without it, 'Accept: text/csv' asks for CSV.", Values: Names<ResultFormat>());

        private static string[] Names<T>() where T : struct, Enum => Enum.GetValues<T>().Select(Name).ToArray();
    }

    private readonly Dictionary<string, List<string>> errors = new(StringComparer.Ordinal);

    public bool Valid => errors.Count == 0;

    public ValidationProblem Problem() =>
        TypedResults.ValidationProblem(errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal),
            detail: "One or more query parameters are invalid.", title: "Validation failed", type: ProblemTypes.Validation);

    /// <summary><c>from</c> and <c>to</c> (YYYY-MM-DD, UTC days, both included); by default the 30 days to today.</summary>
    public DayRange Range(HttpRequest request, DateOnly today)
    {
        var to = Date(request, "to") ?? (Has(request, "to") ? null : today);
        var from = Date(request, "from") ?? (Has(request, "from") ? null : (to ?? today).AddDays(-(DefaultDays - 1)));
        if (from is null || to is null)
        {
            return new DayRange(today, today);
        }
        if (from > to)
        {
            Add("query.from", "must not be after query.to");
        }
        else if (to.Value.DayNumber - from.Value.DayNumber + 1 > DayRange.MaxDays)
        {
            Add("query.to", $"the range may span at most {DayRange.MaxDays} days");
        }
        return new DayRange(from.Value, to.Value);
    }

    public Granularity Granularity(HttpRequest request) => Choice(request, "granularity", Usage.Granularity.Day);

    public RunsBy By(HttpRequest request) => Choice(request, "by", RunsBy.Status);

    /// <summary><c>format=json|csv</c>; without it, <c>Accept: text/csv</c> asks for CSV.</summary>
    public ResultFormat Format(HttpRequest request)
    {
        if (Has(request, "format"))
        {
            return Choice(request, "format", ResultFormat.Json);
        }
        return request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals(Csv.MediaType, StringComparison.OrdinalIgnoreCase))
            ? ResultFormat.Csv
            : ResultFormat.Json;
    }

    private static bool Has(HttpRequest request, string name) => request.Query.ContainsKey(name);

    private string? Single(HttpRequest request, string name)
    {
        var values = request.Query[name];
        if (values.Count > 1)
        {
            Add("query." + name, "must be given once");
            return null;
        }
        return values.Count == 1 ? values[0] : null;
    }

    private DateOnly? Date(HttpRequest request, string name)
    {
        if (!Has(request, name))
        {
            return null;
        }
        var text = Single(request, name);
        if (text is null)
        {
            return null;
        }
        if (!DateOnly.TryParseExact(text, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            Add("query." + name, "must be a date YYYY-MM-DD");
            return null;
        }
        if (date < Earliest || date > Latest)
        {
            Add("query." + name, $"must be between {Earliest:yyyy-MM-dd} and {Latest:yyyy-MM-dd}");
            return null;
        }
        return date;
    }

    private T Choice<T>(HttpRequest request, string name, T fallback) where T : struct, Enum
    {
        if (!Has(request, name))
        {
            return fallback;
        }
        var text = Single(request, name);
        foreach (var value in Enum.GetValues<T>())
        {
            if (string.Equals(text, Name(value), StringComparison.Ordinal))
            {
                return value;
            }
        }
        if (text is not null)
        {
            Add("query." + name, "must be one of " + string.Join(", ", Enum.GetValues<T>().Select(Name)));
        }
        return fallback;
    }

    internal static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private void Add(string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }
        list.Add(message);
    }
}
