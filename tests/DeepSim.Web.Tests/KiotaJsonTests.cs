using System.Text.Json.Nodes;
using DeepSim.Web.Services;
using Microsoft.Kiota.Serialization.Json;

namespace DeepSim.Web.Tests;

public class KiotaJsonTests
{
    private const string Document = """
        {"name":"Drum","components":["benzene","toluene"],"units":[{"id":"FEED","spec":{"temperature":{"value":25.5,"unit":"C"},"molarFlow":100,"flag":true,"none":null}}],"big":12345678901}
        """;

    [Fact]
    public void A_document_survives_the_round_trip_through_the_generated_clients_types()
    {
        var request = KiotaJson.ToRequest(Document);
        using var writer = new JsonSerializationWriter();
        writer.WriteObjectValue(null, request);
        using var reader = new StreamReader(writer.GetSerializedContent());
        var sent = JsonNode.Parse(reader.ReadToEnd());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Document), sent), sent?.ToJsonString());
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("{not json")]
    public void Anything_but_a_JSON_object_is_refused(string json) =>
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => KiotaJson.ToRequest(json));
}
