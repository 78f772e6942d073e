using System.Net;
using System.Net.Sockets;

namespace DeepSim.AppHost.Servers;

/// <summary>Chooses loopback ports: the preferred one when it is free, any free one otherwise.</summary>
public static class PortAllocator
{
    public static bool IsFree(int port)
    {
        if (port is <= 0 or > IPEndPoint.MaxPort)
        {
            return false;
        }
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Server.ExclusiveAddressUse = true;
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The preferred port when free; otherwise (or when it is 0) a port the kernel reports free.</summary>
    public static int Pick(int preferredPort, ISet<int>? avoid = null)
    {
        if (preferredPort > 0 && (avoid is null || !avoid.Contains(preferredPort)) && IsFree(preferredPort))
        {
            return preferredPort;
        }
        // The kernel's ephemeral choice can repeat a port we just handed out; a few tries make that vanishingly rare.
        const int MaxAttempts = 20;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            if (avoid is null || !avoid.Contains(port))
            {
                return port;
            }
        }
        throw new InvalidOperationException($"No free loopback port found after {MaxAttempts} attempts.");
    }
}
