using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Rookery.Control;
using Rookery.Totem;
using Rookery.Wire.Knet;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Bench;

/// <summary>
/// One hop of the agreed-order data path per benchmark, from the datagram to the client's frame, with allocations
/// (so a regression shows before the end-to-end run): knet seal and open (aes256-cbc + hmac-sha256, the bench
/// cluster's crypto), Totem MCAST decode, totempg reassembly, cpg decode, and the frame a client gets (JSON with
/// base64, as before, against the binary frame). The decode hops use the memory overloads the daemon uses (slices,
/// no copies); before this branch there were only the span ones, which copy. One operation = one message of <see cref="PayloadSize"/> bytes that
/// fits one datagram. Run: <c>dotnet run -c Release --project bench/Rookery.Bench -- --filter '*DataPath*'</c>.
/// </summary>
[MemoryDiagnoser]
public class DataPathBenchmarks
{
    private readonly byte[] _salt = new byte[16];
    private readonly byte[] _plain = new byte[2048];
    private readonly byte[] _opened = new byte[2048];
    private readonly List<ReadOnlyMemory<byte>> _slices = [];
    private readonly ArrayBufferWriter<byte> _frames = new(64 * 1024);
    private KnetCrypto _crypto = KnetCrypto.Clear;
    private byte[] _packet = [];
    private byte[] _sealed = [];
    private byte[] _mcast = [];
    private byte[] _pgPacket = [];
    private byte[] _cpg = [];
    private byte[] _group = [];
    private byte[] _ring = [];
    private GroupEvent _event = null!;
    private TotemPgAssembler _assembler = new(1 << 20);
    private Utf8JsonWriter _json = null!;

    /// <summary>Application payload size (the e2e rows that fit one datagram).</summary>
    [Params(100, 1024)]
    public int PayloadSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var key = new byte[256];
        new Prng(1).Fill(key);
        _crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, key);
        var payload = new byte[PayloadSize];
        new Prng(2).Fill(payload);
        var group = CpgGroupName.FromString("bench");
        _cpg = CpgCodec.Encode(new CpgMcastMessage(group, 4242, 1, 7, payload));
        var packer = new TotemPgPacker(1400);
        packer.Add(_cpg);
        packer.TryTake(out _pgPacket);
        _mcast = TotemCodec.Encode(new Mcast(new NodeId(1), new NodeId(0), 0, new NodeId(1), 42, 1, new RingId(new NodeId(1), 8), 0, 0, _pgPacket));
        var length = KnetCodec.WriteData(_plain, 1, 7, true, 1, 0, 0, _mcast);
        _packet = _plain.AsSpan(0, length).ToArray();
        _sealed = new byte[_crypto.SealedLength(length)];
        _crypto.Seal(_packet, _salt, _sealed);
        _group = "bench"u8.ToArray();
        _ring = "1.8"u8.ToArray();
        _event = new GroupEvent(GroupEvent.Deliver, "bench", 1, 4242, payload.Length, payload, null, null, null, "1.8", 1_765_000_000.123456m);
        _json = new Utf8JsonWriter(_frames);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _crypto.Dispose();
        _json.Dispose();
    }

    /// <summary>knet: encrypt and MAC one DATA packet.</summary>
    [Benchmark]
    public int KnetSeal() => _crypto.Seal(_packet, _salt, _opened);

    /// <summary>knet: check the MAC, decrypt, decode the header.</summary>
    [Benchmark]
    public int KnetOpen()
    {
        _crypto.TryOpen(_sealed, _opened, out var length);
        KnetFrame.TryDecode(_opened.AsSpan(0, length), out var frame);
        return frame.PayloadLength;
    }

    /// <summary>Totem: decode the MCAST the knet payload carries (the daemon's path: the payload stays a slice of the delivery).</summary>
    [Benchmark]
    public int TotemDecode()
    {
        TotemCodec.TryDecode(_mcast.AsMemory(), out var message);
        return ((Mcast)message!).Payload.Length;
    }

    /// <summary>totempg: one unfragmented packet in, its message out (as a slice of the packet).</summary>
    [Benchmark]
    public int TotemPgReassemble()
    {
        _slices.Clear();
        _assembler.Deliver(_pgPacket.AsMemory(), _slices);
        return _slices.Count;
    }

    /// <summary>cpg: decode the service message (header, group; the data stays a slice).</summary>
    [Benchmark]
    public int CpgDecode()
    {
        CpgCodec.TryDecode(_cpg.AsMemory(), out var message);
        return ((CpgMcastMessage)message!).Data.Length;
    }

    /// <summary>The client's frame as it was: a JSON line with the payload in base64.</summary>
    [Benchmark]
    public int ClientFrameJson()
    {
        _frames.ResetWrittenCount();
        _json.Reset(_frames);
        JsonSerializer.Serialize(_json, new ServerFrame { GroupEvent = _event }, ControlJsonContext.Default.ServerFrame);
        _json.Flush();
        return _frames.WrittenCount;
    }

    /// <summary>The client's frame now: binary (<see cref="GroupFrames"/>).</summary>
    [Benchmark]
    public int ClientFrameBinary()
    {
        _frames.ResetWrittenCount();
        GroupFrames.WriteDeliver(_frames, 1, 4242, 1_765_000_000_123_456, _ring, _group, _event.Data);
        return _frames.WrittenCount;
    }

    /// <summary>The client library reading a JSON delivery line.</summary>
    [Benchmark]
    public int ClientParseJson() => ControlProtocol.TryParseServerFrame(JsonLine)!.GroupEvent!.Size ?? 0;

    /// <summary>The client library reading a binary delivery frame.</summary>
    [Benchmark]
    public int ClientParseBinary()
    {
        GroupFrames.TryReadDeliver(BinaryFrame, out var deliver);
        return deliver.Payload.ToArray().Length;
    }

    private byte[] JsonLine => _jsonLine ??= ControlProtocol.Serialize(new ServerFrame { GroupEvent = _event });

    private byte[] BinaryFrame
    {
        get
        {
            if (_binaryFrame is null)
            {
                var writer = new ArrayBufferWriter<byte>();
                GroupFrames.WriteDeliver(writer, 1, 4242, 1_765_000_000_123_456, _ring, _group, _event.Data);
                _binaryFrame = writer.WrittenSpan.ToArray();
            }

            return _binaryFrame;
        }
    }

    private byte[]? _jsonLine;
    private byte[]? _binaryFrame;
}
