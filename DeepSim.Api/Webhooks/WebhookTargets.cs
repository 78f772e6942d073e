using System.Net;
using System.Net.Sockets;

namespace DeepSim.Api.Webhooks;

/// <summary>
/// Where a webhook may go (SSRF): only public unicast addresses, unless private targets are allowed. Checked when an
/// endpoint is registered (the URL and every address its host resolves to) and again on every connection, against the
/// address actually connected to, so a name that resolves elsewhere later (DNS rebinding) still cannot reach inside.
/// </summary>
public static class WebhookTargets
{
    /// <summary>Why <paramref name="address"/> is not a public unicast address, or null when it is.</summary>
    public static string? NonPublicReason(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return (b[0], b[1], b[2]) switch
            {
                (0, _, _) => "an unspecified (0.0.0.0/8) address",
                (10, _, _) => "a private (10.0.0.0/8) address",
                (100, >= 64 and <= 127, _) => "a shared (CGNAT, 100.64.0.0/10) address",
                (127, _, _) => "a loopback (127.0.0.0/8) address",
                (169, 254, _) => "a link-local (169.254.0.0/16, cloud metadata) address",
                (172, >= 16 and <= 31, _) => "a private (172.16.0.0/12) address",
                (192, 0, 0) => "an IETF protocol (192.0.0.0/24) address",
                (192, 0, 2) or (198, 51, 100) or (203, 0, 113) => "a documentation (TEST-NET) address",
                (192, 168, _) => "a private (192.168.0.0/16) address",
                (198, 18 or 19, _) => "a benchmarking (198.18.0.0/15) address",
                (>= 224 and <= 239, _, _) => "a multicast (224.0.0.0/4) address",
                (>= 240, _, _) => "a reserved or broadcast (240.0.0.0/4) address",
                _ => null,
            };
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.Equals(IPAddress.IPv6Any))
            {
                return "an unspecified (::) address";
            }
            if (address.Equals(IPAddress.IPv6Loopback))
            {
                return "a loopback (::1) address";
            }
            var b = address.GetAddressBytes();
            if (b[0] == 0xff)
            {
                return "a multicast (ff00::/8) address";
            }
            if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
            {
                return "a link-local (fe80::/10) address";
            }
            if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
            {
                return "a site-local (fec0::/10) address";
            }
            if ((b[0] & 0xfe) == 0xfc)
            {
                return "a unique-local (fc00::/7) address";
            }
            if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
            {
                return "a documentation (2001:db8::/32) address";
            }
            // NAT64 (64:ff9b::/96) and IPv4-compatible (::/96) addresses carry an IPv4 address: judge that one.
            if ((b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
                || b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
            {
                return NonPublicReason(new IPAddress(b.AsSpan(12, 4)));
            }
            return null;
        }
        return "not an IP address";
    }

    /// <summary>Why <paramref name="url"/> cannot be a webhook endpoint (scheme, form), or null when its form is fine.</summary>
    public static string? FormProblem(string url, WebhookSettings settings, out Uri? uri)
    {
        uri = null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
        {
            return "must be an absolute https URL";
        }
        if (parsed.Scheme == "http" && !settings.AllowHttp)
        {
            return "must use https";
        }
        if (!string.IsNullOrEmpty(parsed.UserInfo))
        {
            return "must not carry credentials (user:password@); authenticate deliveries by their signature";
        }
        if (!string.IsNullOrEmpty(parsed.Fragment))
        {
            return "must not have a fragment (#...)";
        }
        uri = parsed;
        return null;
    }

    /// <summary>
    /// Resolves the host and returns why it must not be called (it does not resolve, or any address is not public),
    /// or null when every address is public (or private targets are allowed).
    /// </summary>
    public static async Task<string?> HostProblemAsync(Uri uri, WebhookSettings settings, CancellationToken ct)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                addresses = await Dns.GetHostAddressesAsync(uri.IdnHost, timeout.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                return $"its host '{uri.Host}' does not resolve";
            }
        }
        if (addresses.Length == 0)
        {
            return $"its host '{uri.Host}' does not resolve";
        }
        if (settings.AllowPrivateTargets)
        {
            return null;
        }
        foreach (var address in addresses)
        {
            if (NonPublicReason(address) is { } reason)
            {
                return $"must be a public address: '{uri.Host}' is {reason} ({address})";
            }
        }
        return null;
    }
}
