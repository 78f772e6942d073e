using System.Text;
using System.Text.Json;

namespace DeepSim.Api.Infrastructure;

/// <summary>
/// Text PostgreSQL cannot store (a NUL character, a lone UTF-16 surrogate) is refused in one place, before any handler runs:
/// every query parameter, route value and string (or field name) anywhere in a JSON body, walked once. The refusal is a
/// validation problem keyed by the field path (<c>query.search</c>, <c>email</c>, <c>content.units[2].name</c>), so such
/// input is a 400, never a 500 from the database, and nothing is stored.
/// </summary>
public static class TextInput
{
    public static IApplicationBuilder UseTextInputGuard(this IApplicationBuilder app) => app.UseMiddleware<TextInputGuard>();

    /// <summary>Why <paramref name="text"/> cannot be stored, or null when it can.</summary>
    internal static string? Problem(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return "must not contain a NUL character";
            }
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return LoneSurrogate;
            }
        }
        return null;
    }

    private const string LoneSurrogate = "must be valid Unicode text (it has a lone surrogate)";

    /// <summary>
    /// Every string and field name in <paramref name="json"/>, keyed by its path in the Api's error style. Broken JSON
    /// stops the walk quietly: the body binder reports it with its own path and message.
    /// </summary>
    internal static void CheckJson(ReadOnlySpan<byte> json, FieldErrors errors)
    {
        var frames = new List<Frame>();
        var reader = new Utf8JsonReader(json);
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var name = Read(ref reader, out var nameProblem);
                        frames[^1].Property = name;
                        if (nameProblem is not null)
                        {
                            errors.Add(PathOf(frames, upToParent: true), "has a field name that " + nameProblem);
                        }
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        NextValue(frames);
                        frames.Add(new Frame(reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    case JsonTokenType.String:
                        NextValue(frames);
                        Read(ref reader, out var problem);
                        if (problem is not null)
                        {
                            errors.Add(PathOf(frames, upToParent: false), problem);
                        }
                        break;
                    default:
                        NextValue(frames);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON (or deeper than the binder allows): the binder's own error says so.
        }
    }

    private static string? Read(ref Utf8JsonReader reader, out string? problem)
    {
        try
        {
            var text = reader.GetString()!;
            problem = Problem(text);
            return text;
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate (\ud800) or invalid UTF-8: the reader cannot make a string of it.
            problem = LoneSurrogate;
            return null;
        }
    }

    private static void NextValue(List<Frame> frames)
    {
        if (frames.Count > 0 && frames[^1].IsArray)
        {
            frames[^1].Index++;
        }
    }

    /// <summary><c>content.units[2].name</c>; the body itself is <c>$</c>, as in <see cref="JsonBodies.FieldPath"/>.</summary>
    private static string PathOf(List<Frame> frames, bool upToParent)
    {
        var path = new StringBuilder();
        for (var i = 0; i < frames.Count; i++)
        {
            var frame = frames[i];
            if (frame.IsArray)
            {
                path.Append('[').Append(frame.Index).Append(']');
            }
            else if (!(upToParent && i == frames.Count - 1) && frame.Property is { } property)
            {
                path.Append(path.Length > 0 ? "." : "").Append(property);
            }
        }
        return path.Length > 0 ? path.ToString() : "$";
    }

    private sealed class Frame(bool isArray)
    {
        public bool IsArray { get; } = isArray;
        public int Index { get; set; } = -1;
        public string? Property { get; set; }
    }
}

/// <summary>Runs after authentication and authorization (an unauthorised caller still gets 401/403), before any endpoint.</summary>
internal sealed partial class TextInputGuard(RequestDelegate next, ILogger<TextInputGuard> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var errors = new FieldErrors();
        foreach (var (key, values) in context.Request.Query)
        {
            var keyProblem = TextInput.Problem(key);
            if (keyProblem is not null)
            {
                errors.Add("query", "has a parameter name that " + keyProblem);
                continue;
            }
            foreach (var value in values)
            {
                if (value is not null && TextInput.Problem(value) is { } problem)
                {
                    errors.Add("query." + key, problem);
                }
            }
        }
        foreach (var (key, value) in context.Request.RouteValues)
        {
            if (value is string text && TextInput.Problem(text) is { } problem)
            {
                errors.Add("route." + key, problem);
            }
        }
        if (context.Request.HasJsonContentType())
        {
            // Buffered so the binder reads the same bytes after this walk; Kestrel's body size limit still applies.
            context.Request.EnableBuffering();
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            context.Request.Body.Position = 0;
            TextInput.CheckJson(body.GetBuffer().AsSpan(0, (int)body.Length), errors);
        }
        if (errors.Any)
        {
            LogRefused(logger, context.Request.Path);
            await errors.ToProblem().ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused text that cannot be stored on {RequestPath}")]
    private static partial void LogRefused(ILogger logger, PathString requestPath);
}
