using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DeepSim.Api.Webhooks;

/// <summary>
/// The <c>DeepSim-Signature</c> header: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256&gt;</c> of <c>"&lt;t&gt;.&lt;body&gt;"</c>,
/// keyed by the UTF-8 bytes of the endpoint's secret. A receiver recomputes it and refuses old timestamps (replays).
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "DeepSim-Signature";
    public const string EventHeader = "DeepSim-Event";
    public const string DeliveryHeader = "DeepSim-Delivery";
    public const string SecretPrefix = "whsec_";

    public static string NewSecret() => SecretPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static string Compute(string secret, long timestamp, string body)
    {
        var t = timestamp.ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(t + "." + body));
        return Convert.ToHexStringLower(mac);
    }

    public static string Header(string secret, long timestamp, string body) =>
        string.Create(CultureInfo.InvariantCulture, $"t={timestamp},v1={Compute(secret, timestamp, body)}");
}
