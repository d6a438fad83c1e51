using System.Buffers.Binary;
using Rookery.Wire.Totem;

namespace Rookery.Wire.Services;

/// <summary>
/// The service synchronisation messages of exec/sync.c, sent in group "sync" (ids are plain 0 and 1,
/// without a service number): BARRIER {ring_id} (32 bytes) and SERVICE_BUILD {ring_id, service list}
/// (552 bytes). ring_id is corosync's packed <c>memb_ring_id</c>: u32 rep, u64 seq, then 4 pad bytes.
/// </summary>
public static class SyncMessages
{
    public const int BarrierId = 0;
    public const int ServiceBuildId = 1;
    public const int BarrierSize = 32;
    public const int ServiceBuildSize = 552;

    /// <summary>Services in one SERVICE_BUILD (corosync: <c>SERVICES_COUNT_MAX</c> = 128).</summary>
    public const int ServicesMax = 128;

    public static byte[] EncodeBarrier(RingId ringId)
    {
        var result = new byte[BarrierSize];
        ServiceHeader.Write(result, BarrierId, BarrierSize);
        WriteRingId(result.AsSpan(ServiceHeader.Size), ringId);
        return result;
    }

    public static ServiceDecodeStatus TryDecodeBarrier(ReadOnlySpan<byte> message, out RingId ringId)
    {
        ringId = default;
        var status = ServiceHeader.TryRead(message, out var id, out _);
        if (status != ServiceDecodeStatus.Ok)
        {
            return status;
        }

        if (id != BarrierId)
        {
            return ServiceDecodeStatus.UnknownMessage;
        }

        if (message.Length != BarrierSize)
        {
            return ServiceDecodeStatus.LengthMismatch;
        }

        ringId = ReadRingId(message[ServiceHeader.Size..]);
        return ServiceDecodeStatus.Ok;
    }

    public static byte[] EncodeServiceBuild(RingId ringId, IReadOnlyList<int> services)
    {
        Invariant.Require(services.Count <= ServicesMax);
        var result = new byte[ServiceBuildSize];
        ServiceHeader.Write(result, ServiceBuildId, ServiceBuildSize);
        WriteRingId(result.AsSpan(ServiceHeader.Size), ringId);
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(32), services.Count);
        for (var i = 0; i < services.Count; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(40 + (4 * i)), services[i]);
        }

        return result;
    }

    public static ServiceDecodeStatus TryDecodeServiceBuild(ReadOnlySpan<byte> message, out RingId ringId, out int[] services)
    {
        ringId = default;
        services = [];
        var status = ServiceHeader.TryRead(message, out var id, out _);
        if (status != ServiceDecodeStatus.Ok)
        {
            return status;
        }

        if (id != ServiceBuildId)
        {
            return ServiceDecodeStatus.UnknownMessage;
        }

        if (message.Length != ServiceBuildSize)
        {
            return ServiceDecodeStatus.LengthMismatch;
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(message[32..]);
        if (count is < 0 or > ServicesMax)
        {
            return ServiceDecodeStatus.InvalidField;
        }

        ringId = ReadRingId(message[ServiceHeader.Size..]);
        services = new int[count];
        for (var i = 0; i < count; i++)
        {
            services[i] = BinaryPrimitives.ReadInt32LittleEndian(message[(40 + (4 * i))..]);
        }

        return ServiceDecodeStatus.Ok;
    }

    internal static void WriteRingId(Span<byte> destination, RingId ringId)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, ringId.Representative.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[4..], ringId.Sequence);
    }

    internal static RingId ReadRingId(ReadOnlySpan<byte> source) =>
        new(new NodeId(BinaryPrimitives.ReadUInt32LittleEndian(source)), BinaryPrimitives.ReadUInt64LittleEndian(source[4..]));
}
