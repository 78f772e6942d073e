using System.Buffers;
using System.Text;
using System.Text.Json;

namespace DeepSim.Api.Infrastructure;

/// <summary>
/// Many rows as one JSON array parameter, read in SQL with <c>jsonb_to_recordset</c>: one statement for a whole batch
/// instead of one per row. Embedded JSON values (flowsheet content, results) are written as they are, not re-parsed.
/// </summary>
public static class JsonRows
{
    /// <summary>An array of one object per row; <paramref name="write"/> writes the row's properties.</summary>
    public static string Array<T>(IEnumerable<T> rows, Action<Utf8JsonWriter, T> write)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(write);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var row in rows)
            {
                json.WriteStartObject();
                write(json, row);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes <paramref name="raw"/> (JSON text) as the property's value, or null.</summary>
    public static void WriteRawOrNull(this Utf8JsonWriter json, string name, string? raw)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WritePropertyName(name);
        if (raw is null)
        {
            json.WriteNullValue();
        }
        else
        {
            json.WriteRawValue(raw);
        }
    }
}
