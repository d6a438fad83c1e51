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
        assembler.Deliver(Convert.FromHexString("0000000000010000"), delivered);
        Assert.Empty(delivered);
        Assert.Equal(3, assembler.Dropped);
    }

    [Fact]
    public void AfterAFragmentTheNextRingBeginsWithAResetPacketThatCorosyncsStaleAssemblyDeliversNothingFromThenForgets()
    {
        // The first fragment of a message is delivered in the old ring; the ring changes; this node sends it again whole.
        var prng = new Prng(11);
        var big = new byte[900];
        prng.Fill(big);
        var packer = new TotemPgPacker(200);
        packer.Add(big);
        Assert.True(packer.TryTake(out var oldRingPacket));
        Assert.True(packer.FragmentSent);
        Assert.True(packer.RestartPartialMessage());
        packer.RequestReset();
        packer.Add(Encoding.UTF8.GetBytes("after"));
        var newRing = new List<byte[]>();
        packer.TakeAll(newRing);
        Assert.Equal(new byte[TotemPgPacker.HeaderSize], newRing[0]);

        // corosync keeps the assembly of a sender that stayed: without the reset it throws the whole message away,
        // with it it delivers what every Rookery member delivers.
        var withoutReset = new CorosyncReceiverModel();
        withoutReset.Deliver(oldRingPacket);
        foreach (var packet in newRing.Skip(1))
        {
            withoutReset.Deliver(packet);
        }

        Assert.DoesNotContain(withoutReset.Delivered, m => m.SequenceEqual(big));

        var corosync = new CorosyncReceiverModel();
        var rookery = new TotemPgAssembler(TotemLimits.MessageSizeMax);
        var rookeryDelivered = new List<byte[]>();
        corosync.Deliver(oldRingPacket);
        rookery.Deliver(oldRingPacket, rookeryDelivered);
        foreach (var packet in newRing)
        {
            corosync.Deliver(packet);
            rookery.Deliver(packet, rookeryDelivered);
        }

        Assert.Equal(2, corosync.Delivered.Count);
        Assert.Equal(big, corosync.Delivered[0]);
        Assert.Equal(rookeryDelivered, corosync.Delivered);
        Assert.Equal(0, rookery.Dropped);
    }

    [Fact]
    public void AResetPacketIsCutOnlyWhenAskedAndFirst()
    {
        var packer = new TotemPgPacker(200);
        Assert.True(packer.IsEmpty);
        packer.RequestReset();
        Assert.False(packer.IsEmpty);
        Assert.Equal(1, packer.PacketsPending);
        packer.Add(Encoding.UTF8.GetBytes("one"));
        var packets = new List<byte[]>();
        packer.TakeAll(packets);
        Assert.Equal(2, packets.Count);
        Assert.Equal(new byte[TotemPgPacker.HeaderSize], packets[0]);
        Assert.False(packer.FragmentSent);
        Assert.True(packer.IsEmpty);
    }

    /// <summary>
    /// corosync 3.1.7's totempg receiver for one sender (exec/totempg.c, <c>totempg_deliver_fn</c>), modelled from
    /// reading it: one assembly buffer, the last fragment number, a throw-away mode. A continuation that does not
    /// match throws away everything up to a packet that ends on a message boundary (whose own messages are not
    /// delivered either); a packet with fragmented = 0 frees the assembly (the next packet finds a fresh one).
    /// </summary>
    private sealed class CorosyncReceiverModel
    {
        private readonly byte[] _data = new byte[TotemLimits.MessageSizeMax + 4096];
        private int _index;
        private byte _lastFragment;
        private bool _throwAway;

        public List<byte[]> Delivered { get; } = [];

        public void Deliver(byte[] packet)
        {
            var fragmented = packet[4];
            var continuation = packet[5];
            int count = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(packet.AsSpan(6));
            var lengths = Enumerable.Range(0, count).Select(i => (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(packet.AsSpan(8 + (2 * i)))).ToArray();
            int LengthAt(int i) => i < count ? lengths[i] : 0;

            // Every piece is appended after what the assembly holds.
            packet.AsSpan(8 + (2 * count)).CopyTo(_data.AsSpan(_index));
            var complete = fragmented != 0 ? count - 1 : count;
            if (_throwAway)
            {
                if (fragmented is 0 or 1)
                {
                    _throwAway = false;
                    _index += LengthAt(0);
                }
            }
            else if (continuation == _lastFragment)
            {
                _lastFragment = fragmented;
                var start = 0;
                var length = _index + LengthAt(0);
                for (var i = 0; i < complete; i++)
                {
                    Delivered.Add(_data.AsSpan(start, length).ToArray());
                    _index += lengths[i];
                    start = _index;
                    length = LengthAt(i + 1);
                }
            }
            else
            {
                _throwAway = true;
            }

            if (fragmented == 0)
            {
                // assembly_deref: the next packet from this sender finds a fresh assembly.
                _index = 0;
                _lastFragment = 0;
                _throwAway = false;
                return;
            }

            // The trailing fragment stays; with other messages before it, it moves to the front.
            var trailing = LengthAt(complete);
            if (count > 1)
            {
                _data.AsSpan(_index, trailing).CopyTo(_data);
                _index = 0;
            }

            _index += trailing;
        }
    }
}
