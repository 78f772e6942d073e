using System.Text.Json;
using Microsoft.Kiota.Abstractions.Serialization;

namespace DeepSim.Web.Components.Results;

/// <summary>Writes the Kiota client's free-form values (<see cref="UntypedNode"/>: a run's result, a study's rows) back as JSON text.</summary>
public static class ApiJson
{
    public static string ToJson(UntypedNode? node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, node);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, UntypedNode? node)
    {
        switch (node)
        {
            case UntypedObject obj:
                writer.WriteStartObject();
                foreach (var (name, value) in obj.GetValue())
                {
                    writer.WritePropertyName(name);
                    Write(writer, value);
                }
                writer.WriteEndObject();
                break;
            case UntypedArray array:
                writer.WriteStartArray();
                foreach (var item in array.GetValue())
                {
                    Write(writer, item);
                }
                writer.WriteEndArray();
                break;
            case UntypedString s when s.GetValue() is { } text:
                writer.WriteStringValue(text);
                break;
            case UntypedBoolean b:
                writer.WriteBooleanValue(b.GetValue());
                break;
            case UntypedInteger i:
                writer.WriteNumberValue(i.GetValue());
                break;
            case UntypedLong l:
                writer.WriteNumberValue(l.GetValue());
                break;
            case UntypedDecimal d:
                writer.WriteNumberValue(d.GetValue());
                break;
            case UntypedDouble d when double.IsFinite(d.GetValue()):
                writer.WriteNumberValue(d.GetValue());
                break;
            case UntypedFloat f when float.IsFinite(f.GetValue()):
                writer.WriteNumberValue(f.GetValue());
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }
}
