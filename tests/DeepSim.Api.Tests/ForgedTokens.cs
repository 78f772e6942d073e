using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace DeepSim.Api.Tests;

/// <summary>
/// JWTs built by hand, without the library under test: a real token's claims re-signed with another algorithm or key,
/// so a refusal can only be about the signature. Shared with DeepSim.Analytics.Tests (linked source).
/// </summary>
public static class ForgedTokens
{
    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] FromBase64Url(string s)
    {
        var padded = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
    }

    public static JsonElement Header(string token) => JsonDocument.Parse(FromBase64Url(token.Split('.')[0])).RootElement.Clone();

    public static string? Kid(string token) => Header(token).TryGetProperty("kid", out var kid) ? kid.GetString() : null;

    /// <summary>The token's payload as JSON text.</summary>
    public static string Payload(string token) => Encoding.UTF8.GetString(FromBase64Url(token.Split('.')[1]));

    public static string Es256(ECDsa key, string? kid, string payloadJson)
    {
        var input = SigningInput(new Dictionary<string, string?> { ["alg"] = "ES256", ["kid"] = kid, ["typ"] = "JWT" }, payloadJson);
        // .NET's ECDsa signs in the IEEE P1363 form (r || s) that JWS uses.
        return input + "." + Base64Url(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256));
    }

    public static string Hs256(byte[] key, string? kid, string payloadJson)
    {
        var input = SigningInput(new Dictionary<string, string?> { ["alg"] = "HS256", ["kid"] = kid, ["typ"] = "JWT" }, payloadJson);
        return input + "." + Base64Url(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(input)));
    }

    public static string None(string? kid, string payloadJson) =>
        SigningInput(new Dictionary<string, string?> { ["alg"] = "none", ["kid"] = kid, ["typ"] = "JWT" }, payloadJson) + ".";

    /// <summary>The payload with <paramref name="name"/> set to <paramref name="value"/> (other claims kept).</summary>
    public static string WithClaim(string payloadJson, string name, object value)
    {
        var claims = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(payloadJson)!;
        claims[name] = JsonSerializer.SerializeToElement(value);
        return JsonSerializer.Serialize(claims);
    }

    private static string SigningInput(Dictionary<string, string?> header, string payloadJson)
    {
        var present = header.Where(h => h.Value is not null).ToDictionary(h => h.Key, h => h.Value);
        return Base64Url(JsonSerializer.SerializeToUtf8Bytes(present)) + "." + Base64Url(Encoding.UTF8.GetBytes(payloadJson));
    }
}
