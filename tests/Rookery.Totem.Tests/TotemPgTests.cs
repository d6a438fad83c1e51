using System.Text;

namespace Rookery.Totem.Tests;

public sealed class TotemPgTests
{
    /// <summary>The totempg packet inside the captured MCAST of wire-vectors.md §5 (three packed CPG messages).</summary>
    private const string CapturedPacketHex =
        "0000000000000300ad002101e50001000100610000020000000000a8000000000000000600000000000000777674657374000000000000000000000000000000" +
        "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
        "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000520600000000000001000000000000000100010061" +
        "03000200000000001c01000000000000060000000000000077767465737400000000000000000000000000000000000000000000000000000000000000000000" +
        "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
        "000000000000000000000000000000000000000000000000640000000000000052060000000000000100000000000000706617a9405600007cbec0c000000000" +
        "010000005206000000000000000000002ec0c80a1f79eb18640000000000000028292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f4041424344454647" +
        "48494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f6061626301000100610300020000000000e000000000000000060000000000000077767465737400" +
        "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
        "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000028000000000000" +
        "0052060000000000000100000000000000706617a9405600007cbec0c00100000001000000520600000100000000000000fb01c90a1f79eb1864000000000000" +
        "00";

    [Fact]
    public void CapturedPacketUnpacksIntoThreeMessagesAndPacksBackIdentically()
    {
        var packet = Convert.FromHexString(CapturedPacketHex);
        var messages = new List<byte[]>();
        var assembler = new TotemPgAssembler(TotemLimits.MessageSizeMax);
        assembler.Deliver(packet, messages);
        Assert.Equal([173, 289, 229], messages.Select(m => m.Length));
        Assert.Equal(0, assembler.Dropped);

        var packer = new TotemPgPacker(65446);
        var packets = new List<byte[]>();
        foreach (var message in messages)
        {
            packer.Add(message);
        }

        packer.TakeAll(packets);
        Assert.Equal(packet, Assert.Single(packets));
    }

    [Theory]
    [InlineData(65446, 65536)]
    [InlineData(65446, 102_584)]
    [InlineData(1410, 65536)]
    [InlineData(1410, 1_048_576)]
    [InlineData(100, 1000)]
    public void LargeMessagesAreFragmentedAndReassembled(int packetSize, int messageSize)
    {
        var prng = new Prng((ulong)(packetSize ^ messageSize));
        var big = new byte[messageSize];
        prng.Fill(big);
        var small = Encoding.UTF8.GetBytes("small");
        var packer = new TotemPgPacker(packetSize);
        var packets = new List<byte[]>();
        packer.Add(small);
        packer.Add(big);
        packer.Add(small);
        packer.TakeAll(packets);
        Assert.All(packets, p => Assert.True(p.Length <= packetSize));
        Assert.True(packets.Count >= messageSize / packetSize);

        var assembler = new TotemPgAssembler(TotemLimits.MessageSizeMax);
        var delivered = new List<byte[]>();
        foreach (var packet in packets)
        {
            assembler.Deliver(packet, delivered);
        }

        Assert.Equal(3, delivered.Count);
        Assert.Equal(small, delivered[0]);
        Assert.Equal(big, delivered[1]);
        Assert.Equal(small, delivered[2]);
    }

    [Fact]
    public void FirstFragmentSplitMatchesCorosync()
    {
        // wire-vectors §6: a 102 589-byte message (5-byte group header + 102 584-byte cpg message) after a 173-byte one: packet 1 carries [173, 65261]
        // with fragmented = 1, packet 2 carries [37328] with continuation = 1.
        var packer = new TotemPgPacker(65446);
        var packets = new List<byte[]>();
        packer.Add(new byte[173]);
        packer.Add(new byte[102_589]);
        packer.TakeAll(packets);
        Assert.Equal(2, packets.Count);
        Assert.Equal(65446, packets[0].Length);
        Assert.Equal(Convert.FromHexString("0000000001000200ad00edfe"), packets[0][..12]);
        Assert.Equal(Convert.FromHexString("000000000001010" + "0d091"), packets[1][..10]);
    }

    [Fact]
    public void LostFirstFragmentThrowsTheMessageAwayAndRecovers()
    {
        var packer = new TotemPgPacker(200);
        var packets = new List<byte[]>();
        packer.Add(new byte[500]);
        packer.Add(Encoding.UTF8.GetBytes("after"));
        packer.TakeAll(packets);
        var assembler = new TotemPgAssembler(TotemLimits.MessageSizeMax);
        var delivered = new List<byte[]>();
        foreach (var packet in packets.Skip(1))
        {
            assembler.Deliver(packet, delivered);
        }

        Assert.Equal("after", Encoding.UTF8.GetString(Assert.Single(delivered)));
        Assert.True(assembler.Dropped > 0);
    }

    [Fact]
    public void PartlySentMessageIsSentAgainWholeAfterRestartAndEveryFreshAssemblyAgrees()
    {
        // The first fragment goes out in the old ring; the ring changes; the rest would go out in the new one.
        var prng = new Prng(7);
        var big = new byte[900];
        prng.Fill(big);
        var packer = new TotemPgPacker(200);
        packer.Add(big);
        packer.Add(Encoding.UTF8.GetBytes("after"));
        Assert.True(packer.TryTake(out var oldRingPacket));
        Assert.NotEqual(0, oldRingPacket[4]);
        var pendingBefore = packer.PacketsPending;

        Assert.True(packer.RestartPartialMessage());
        Assert.False(packer.RestartPartialMessage());
        Assert.True(packer.PacketsPending > pendingBefore);
        var newRing = new List<byte[]>();
        packer.TakeAll(newRing);
        Assert.True(packer.IsEmpty);
        Assert.Equal(0, packer.PacketsPending);
        Assert.Equal(0, newRing[0][5]);

        // An old member that had the first fragment and a joiner that did not, both with the fresh assemblies
        // of the new ring, deliver the same: the whole message once, then the next.
        var oldMember = new TotemPgAssembler(TotemLimits.MessageSizeMax);
        var scratch = new List<byte[]>();
        oldMember.Deliver(oldRingPacket, scratch);
        Assert.Empty(scratch);
        foreach (var assembler in new[] { new TotemPgAssembler(TotemLimits.MessageSizeMax), new TotemPgAssembler(TotemLimits.MessageSizeMax) })
        {
            var delivered = new List<byte[]>();
            foreach (var packet in newRing)
            {
                assembler.Deliver(packet, delivered);
            }

            Assert.Equal(2, delivered.Count);
            Assert.Equal(big, delivered[0]);
            Assert.Equal("after", Encoding.UTF8.GetString(delivered[1]));
        }
    }

    [Fact]
    public void PendingPacketEstimateCoversWhatIsTaken()
    {
        var prng = new Prng(11);
        for (var sample = 0; sample < 200; sample++)
        {
            var packer = new TotemPgPacker(1410);
            var count = (int)prng.NextInRange(1, 20);
            for (var i = 0; i < count; i++)
            {
                packer.Add(new byte[prng.NextInRange(0, 5000)]);
            }

            var estimate = packer.PacketsPending;
            var packets = new List<byte[]>();
            packer.TakeAll(packets);
            Assert.InRange(packets.Count, estimate, estimate + count);
        }
    }

    [Fact]
    public void MalformedPacketsAreDroppedWithoutThrowing()
    {
        var assembler = new TotemPgAssembler(TotemLimits.MessageSizeMax);
        var delivered = new List<byte[]>();
        assembler.Deliver([1, 2, 3], delivered);
        assembler.Deliver(Convert.FromHexString("0000000000000100ff00"), delivered);
        assembler.Deliver(Convert.FromHexString("0000000000000000"), delivered);
        Assert.Empty(delivered);
        Assert.Equal(3, assembler.Dropped);
    }
}
