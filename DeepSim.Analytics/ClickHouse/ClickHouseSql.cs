using System.Globalization;
using System.Text;

namespace DeepSim.Analytics.ClickHouse;

/// <summary>
/// The one place values become ClickHouse SQL text. ClickHouse 18.16 has no query parameters, so every literal in a
/// statement is built here and nowhere else: strings are quoted with every backslash and quote escaped, and
/// identifiers are accepted only when they are plain names (no quoting, nothing to escape).
/// </summary>
public static class ClickHouseSql
{
    /// <summary>A single-quoted string literal; backslash, quote and control characters escaped.</summary>
    public static string Literal(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sql = new StringBuilder(value.Length + 2).Append('\'');
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': sql.Append(@"\\"); break;
                case '\'': sql.Append(@"\'"); break;
                case '\n': sql.Append(@"\n"); break;
                case '\r': sql.Append(@"\r"); break;
                case '\t': sql.Append(@"\t"); break;
                case '\0': sql.Append(@"\0"); break;
                default:
                    if (char.IsControl(c))
                    {
                        sql.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
                    }
                    else
                    {
                        sql.Append(c);
                    }
                    break;
            }
        }
        return sql.Append('\'').ToString();
    }

    /// <summary>An unsigned integer literal.</summary>
    public static string Literal(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A Date literal, <c>toDate('YYYY-MM-DD')</c>.</summary>
    public static string Literal(DateOnly value) => $"toDate({Literal(value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))})";

    /// <summary>A UTC DateTime literal to the second, <c>toDateTime('YYYY-MM-DD hh:mm:ss', 'UTC')</c>; a local or unspecified time throws.</summary>
    public static string Literal(DateTime value)
    {
        if (value.Kind != DateTimeKind.Utc)
        {
            throw new ArgumentException("only UTC times become ClickHouse literals", nameof(value));
        }
        return $"toDateTime({Literal(value.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))}, 'UTC')";
    }

    /// <summary>A list of string literals, <c>['a', 'b']</c>.</summary>
    public static string Literal(IEnumerable<string> values) => "[" + string.Join(", ", values.Select(Literal)) + "]";

    /// <summary>A database or table name: letters, digits and underscores, not starting with a digit; anything else throws.</summary>
    public static string Identifier(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length > 64 || char.IsAsciiDigit(name[0]) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new FormatException($"'{name}' is not a plain ClickHouse name (letters, digits, underscores; at most 64)");
        }
        return name;
    }
}
