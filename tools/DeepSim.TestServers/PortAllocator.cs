using System.Net;
using System.Net.Sockets;

namespace DeepSim.TestServers;

/// <summary>Chooses free loopback ports for test servers.</summary>
public static class PortAllocator
{
    /// <summary>A port the kernel reports free, not one of <paramref name="avoid"/>.</summary>
    public static int Pick(ISet<int>? avoid = null)
    {
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
