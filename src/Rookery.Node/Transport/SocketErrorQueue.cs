using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Rookery.Node.Transport;

/// <summary>
/// Linux's per-socket error queue (<c>IP_RECVERR</c>, <c>recvmsg(MSG_ERRQUEUE)</c>): the only way an
/// unconnected UDP socket learns which destination an ICMP "unreachable" was about. libknet's UDP
/// transport reads it the same way (<c>transport_udp.c: read_errs_from_sock</c>).
/// </summary>
internal static class SocketErrorQueue
{
    /// <summary>One entry of the error queue.</summary>
    internal readonly record struct Entry(IPEndPoint Destination, int Errno, byte Origin, byte IcmpType, byte IcmpCode);

    internal const int Econnrefused = 111;
    internal const int Ehostunreach = 113;
    internal const int Ehostdown = 112;
    internal const int Enetunreach = 101;
    internal const int Enetdown = 100;

    /// <summary><c>SO_EE_ORIGIN_ICMP</c>: the kernel got an ICMP error for a datagram we sent.</summary>
    internal const byte OriginIcmp = 2;

    private const int SolIp = 0;
    private const int IpRecverr = 11;
    private const int MsgDontwait = 0x40;
    private const int MsgErrqueue = 0x2000;

    /// <summary>Bytes for the destination address (sockaddr_in) and the control data (cmsghdr + sock_extended_err + offender).</summary>
    private const int NameBufferSize = 128;
    private const int ControlBufferSize = 512;

    /// <summary>Upper bound of entries read per drain, so a flood cannot pin the calling thread.</summary>
    private const int EntriesPerDrainMax = 64;

    /// <summary>Turns on the error queue for an IPv4 UDP socket. Returns false where it is unsupported.</summary>
    internal static bool Enable(Socket socket)
    {
        if (!OperatingSystem.IsLinux() || socket.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        Span<byte> one = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(one, 1);
        socket.SetRawSocketOption(SolIp, IpRecverr, one);
        return true;
    }

    /// <summary>Reads every queued entry without blocking and hands each to <paramref name="sink"/>.</summary>
    internal static int Drain(Socket socket, Action<Entry> sink)
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        var name = Marshal.AllocHGlobal(NameBufferSize);
        var control = Marshal.AllocHGlobal(ControlBufferSize);
        var data = Marshal.AllocHGlobal(64);
        var iov = Marshal.AllocHGlobal(Marshal.SizeOf<IoVec>());
        var count = 0;
        var added = false;
        try
        {
            socket.SafeHandle.DangerousAddRef(ref added);
            var fd = (int)socket.SafeHandle.DangerousGetHandle();
            Marshal.StructureToPtr(new IoVec { Base = data, Length = 64 }, iov, false);
            while (count < EntriesPerDrainMax)
            {
                var header = new MessageHeader
                {
                    Name = name,
                    NameLength = NameBufferSize,
                    Iov = iov,
                    IovLength = 1,
                    Control = control,
                    ControlLength = ControlBufferSize,
                };
                var received = RecvMsg(fd, ref header, MsgErrqueue | MsgDontwait);
                if (received < 0)
                {
                    // EAGAIN: the queue is empty. Any other error: nothing more can be learnt now.
                    break;
                }

                if (TryParse(name, (int)header.NameLength, control, (int)header.ControlLength, out var entry))
                {
                    sink(entry);
                    count++;
                }
            }
        }
        finally
        {
            if (added)
            {
                socket.SafeHandle.DangerousRelease();
            }

            Marshal.FreeHGlobal(iov);
            Marshal.FreeHGlobal(data);
            Marshal.FreeHGlobal(control);
            Marshal.FreeHGlobal(name);
        }

        return count;
    }

    private static bool TryParse(IntPtr name, int nameLength, IntPtr control, int controlLength, out Entry entry)
    {
        entry = default;
        if (nameLength < 8 || controlLength < 16)
        {
            return false;
        }

        var nameBytes = new byte[8];
        Marshal.Copy(name, nameBytes, 0, 8);
        if (BinaryPrimitives.ReadUInt16LittleEndian(nameBytes) != (ushort)AddressFamily.InterNetwork)
        {
            return false;
        }

        var port = BinaryPrimitives.ReadUInt16BigEndian(nameBytes.AsSpan(2));
        var destination = new IPEndPoint(new IPAddress(nameBytes.AsSpan(4, 4)), port);

        var controlBytes = new byte[Math.Min(controlLength, ControlBufferSize)];
        Marshal.Copy(control, controlBytes, 0, controlBytes.Length);
        var offset = 0;
        while (offset + 16 <= controlBytes.Length)
        {
            // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then data, 8-byte aligned.
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(controlBytes.AsSpan(offset));
            var level = BinaryPrimitives.ReadInt32LittleEndian(controlBytes.AsSpan(offset + 8));
            var type = BinaryPrimitives.ReadInt32LittleEndian(controlBytes.AsSpan(offset + 12));
            if (length < 16 || offset + length > controlBytes.Length)
            {
                return false;
            }

            // struct sock_extended_err { u32 ee_errno; u8 ee_origin, ee_type, ee_code, ee_pad; u32 ee_info, ee_data; }
            if (level == SolIp && type == IpRecverr && length >= 16 + 16)
            {
                var error = controlBytes.AsSpan(offset + 16);
                entry = new Entry(
                    destination,
                    (int)BinaryPrimitives.ReadUInt32LittleEndian(error),
                    error[4],
                    error[5],
                    error[6]);
                return true;
            }

            offset += (length + 7) & ~7;
        }

        return false;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public IntPtr Base;
        public nuint Length;
    }

    /// <summary><c>struct msghdr</c> on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public IntPtr Name;
        public uint NameLength;
        public IntPtr Iov;
        public nuint IovLength;
        public IntPtr Control;
        public nuint ControlLength;
        public int Flags;
    }

    [DllImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static extern nint RecvMsg(int fd, ref MessageHeader message, int flags);
}
