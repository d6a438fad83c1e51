namespace Rookery.Services;

/// <summary>
/// One node's <c>totem.interface.knet_link_priority</c> per configured link, as LINK_PRIORITIES carries it:
/// 8 priority bytes (link 0..7) then a byte whose bit L says link L is configured.
/// </summary>
public readonly record struct LinkPriorities(ulong Values, byte Configured)
{
    /// <summary>Bytes in the message body: 8 priorities, the configured mask, 7 pad.</summary>
    public const int EncodedSize = 16;

    public bool Has(int link) => link is >= 0 and < Limits.LinksMax && (Configured & (1 << link)) != 0;

    public int Priority(int link) => (int)((Values >> (8 * link)) & 0xFF);

    /// <summary>Builds the set from (link, priority) pairs; priorities are knet's 0..255.</summary>
    public static LinkPriorities From(IEnumerable<(int Link, int Priority)> links)
    {
        ulong values = 0;
        byte configured = 0;
        foreach (var (link, priority) in links)
        {
            Invariant.Require(link is >= 0 and < Limits.LinksMax && priority is >= 0 and <= 255, "link priority out of range");
            values |= (ulong)priority << (8 * link);
            configured |= (byte)(1 << link);
        }

        return new LinkPriorities(values, configured);
    }

    public void Write(Span<byte> body)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(body, Values);
        body[8] = Configured;
    }

    public static LinkPriorities Read(ReadOnlySpan<byte> body) =>
        new(System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(body), body[8]);
}
