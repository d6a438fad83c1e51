using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Rookery.Integration.Tests.Hostile;

/// <summary>One IPv4/UDP packet as a raw socket received it (IP header included), to be sent again unchanged.</summary>
public sealed record RecordedPacket(IPAddress Source, IPAddress Destination, int DestinationPort, byte[] Packet);

/// <summary>
/// Records and replays IPv4/UDP packets with raw sockets (root): a raw <c>IPPROTO_UDP</c> socket receives a copy of
/// every UDP packet its network namespace receives, IP header included; a raw socket with <c>IP_HDRINCL</c> sends such
/// a packet again exactly as it was, source address included.
/// </summary>
public static class RawUdp
{
    /// <summary>A socket that receives every IPv4 UDP packet of the current network namespace.</summary>
    public static Socket OpenRecorder() => new(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Udp);

    /// <summary>A socket that sends whole IPv4 packets (header included) from the current network namespace.</summary>
    public static Socket OpenReplayer()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Udp);
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.HeaderIncluded, true);
        return socket;
    }

    /// <summary>Receives until cancelled (or the socket is disposed) and keeps every packet <paramref name="keep"/> accepts.</summary>
    public static async Task RecordAsync(Socket recorder, Func<RecordedPacket, bool> keep, List<RecordedPacket> recorded, CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        while (!cancellationToken.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await recorder.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (Parse(buffer.AsSpan(0, length)) is { } packet && keep(packet))
            {
                lock (recorded)
                {
                    recorded.Add(packet);
                }
            }
        }
    }

    /// <summary>The addresses and destination port of an IPv4/UDP packet; null for anything else or a truncated one.</summary>
    public static RecordedPacket? Parse(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 28 || packet[0] >> 4 != 4 || packet[9] != (byte)ProtocolType.Udp)
        {
            return null;
        }

        var headerLength = (packet[0] & 0x0F) * 4;
        if (headerLength < 20 || packet.Length < headerLength + 8)
        {
            return null;
        }

        return new RecordedPacket(
            new IPAddress(packet.Slice(12, 4)),
            new IPAddress(packet.Slice(16, 4)),
            BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(headerLength + 2, 2)),
            packet.ToArray());
    }

    /// <summary>
    /// Sends every packet <paramref name="copies"/> times over, in recorded order, each through the socket
    /// <paramref name="via"/> picks for it (the one in its sender's namespace); returns how many sends failed (EMSGSIZE, …).
    /// </summary>
    public static int Replay(IReadOnlyList<RecordedPacket> packets, int copies, Func<RecordedPacket, Socket> via)
    {
        var failed = 0;
        for (var copy = 0; copy < copies; copy++)
        {
            foreach (var packet in packets)
            {
                try
                {
                    via(packet).SendTo(packet.Packet, new IPEndPoint(packet.Destination, 0));
                }
                catch (SocketException)
                {
                    failed++;
                }
            }
        }

        return failed;
    }

    /// <summary>Whether <paramref name="port"/> is one of the knet ports the tests' clusters use (5405 and the next few).</summary>
    public static bool IsKnetPort(int port) => port is >= 5405 and <= 5412;
}
