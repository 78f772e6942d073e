using System.Text;
using Microsoft.Kiota.Abstractions.Serialization;
using Microsoft.Kiota.Serialization.Json;
using ApiJson = DeepSim.Web.ApiClient.Models.JsonElement;

namespace DeepSim.Web.Services;

/// <summary>
/// Free-form JSON (flowsheet documents, results) between text and the generated client's types: the OpenAPI document
/// types them as "any", which Kiota models as <see cref="UntypedNode"/> (responses) and an additional-data holder
/// (requests).
/// </summary>
public static class KiotaJson
{
    public static string ToJson(UntypedNode? node)
    {
        if (node is null)
        {
            return "null";
        }
        using var writer = new JsonSerializationWriter();
        writer.WriteObjectValue(null, node);
        using var stream = writer.GetSerializedContent();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>A JSON object as the request model the generated client sends; throws <see cref="System.Text.Json.JsonException"/> for bad JSON.</summary>
    public static ApiJson ToRequest(string json)
    {
        var request = new ApiJson();
        foreach (var (key, value) in ToUntyped(json).GetValue())
        {
            request.AdditionalData[key] = value;
        }
        return request;
    }

    /// <summary>A JSON object as the generated client's untyped node; throws <see cref="System.Text.Json.JsonException"/> for bad JSON.</summary>
    public static UntypedObject ToUntyped(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            throw new System.Text.Json.JsonException("The document must be a JSON object.");
        }
        return new JsonParseNode(document.RootElement.Clone()).GetObjectValue(UntypedNode.CreateFromDiscriminatorValue) as UntypedObject
            ?? throw new System.Text.Json.JsonException("The document must be a JSON object.");
    }
}
