using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace DeepSim.Api.Runs;

/// <summary>
/// One text per JSON meaning: object keys sorted (ordinal), numbers as the shortest round-trip double
/// (1, 1.0 and 1e0 are one number), no insignificant whitespace. Its SHA-256 names flowsheet content in the cache.
/// </summary>
public static class CanonicalJson
{
    /// <summary>Bumped when the engine's results for the same content would change, so old cache entries miss.</summary>
    public const string HashVersion = "v1";

    private const int MaxDepth = 64;

    public static string Write(JsonElement element)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, SkipValidation = false }))
        {
            WriteElement(writer, element, 0);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Hex SHA-256 of the canonical text, prefixed by <see cref="HashVersion"/>.</summary>
    public static string Hash(JsonElement element) =>
        HashVersion + ":" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Write(element))));

    private static void WriteElement(Utf8JsonWriter w, JsonElement e, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new JsonException($"JSON nested deeper than {MaxDepth} levels");
        }
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var p in e.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    w.WritePropertyName(p.Name);
                    WriteElement(w, p.Value, depth + 1);
                }
                w.WriteEndObject();
                break;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var item in e.EnumerateArray())
                {
                    WriteElement(w, item, depth + 1);
                }
                w.WriteEndArray();
                break;
            case JsonValueKind.Number:
                var d = e.GetDouble();
                // -0 and 0 are the same quantity.
                w.WriteRawValue(d == 0 ? "0" : d.ToString("R", CultureInfo.InvariantCulture));
                break;
            case JsonValueKind.String:
                w.WriteStringValue(e.GetString());
                break;
            case JsonValueKind.True:
                w.WriteBooleanValue(true);
                break;
            case JsonValueKind.False:
                w.WriteBooleanValue(false);
                break;
            default:
                w.WriteNullValue();
                break;
        }
    }
}
