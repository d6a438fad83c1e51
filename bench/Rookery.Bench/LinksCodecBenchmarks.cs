using BenchmarkDotNet.Attributes;
using Rookery.Wire.Knet;

namespace Rookery.Bench;

/// <summary>
/// knet frames through encode + encrypt (aes256-cbc + hmac-sha256, libknet's corosync default) + decrypt +
/// decode. A payload larger than one frame is cut into 1397-byte fragments (the data MTU of a 1500-byte
/// path), as the links core sends it; frames/s = operations/s × <see cref="Frames"/>.
/// Run: <c>dotnet run -c Release --project bench/Rookery.Bench -- --filter '*LinksCodec*'</c>.
/// </summary>
[MemoryDiagnoser]
public class LinksCodecBenchmarks
{
    private const int FragmentSize = 1397;
    private readonly byte[] _plain = new byte[FragmentSize + 64];
    private readonly byte[] _sealed = new byte[FragmentSize + 256];
    private readonly byte[] _opened = new byte[FragmentSize + 256];
    private readonly byte[] _salt = new byte[16];
    private KnetCrypto _crypto = KnetCrypto.Clear;
    private byte[] _payload = [];

    /// <summary>Application payload size.</summary>
    [Params(100, 1024, 65536)]
    public int PayloadSize { get; set; }

    /// <summary>Frames per operation.</summary>
    public int Frames => (PayloadSize + FragmentSize - 1) / FragmentSize;

    [GlobalSetup]
    public void Setup()
    {
        var key = new byte[256];
        new Prng(1).Fill(key);
        _crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, key);
        _payload = new byte[PayloadSize];
        new Prng(2).Fill(_payload);
    }

    [GlobalCleanup]
    public void Cleanup() => _crypto.Dispose();

    /// <summary>One message: every fragment encoded, sealed, opened and decoded.</summary>
    [Benchmark]
    public int EncodeSealOpenDecode()
    {
        var frames = (_payload.Length + FragmentSize - 1) / FragmentSize;
        var checksum = 0;
        for (var index = 0; index < frames; index++)
        {
            var start = index * FragmentSize;
            var piece = _payload.AsSpan(start, Math.Min(FragmentSize, _payload.Length - start));
            var length = KnetCodec.WriteData(_plain, 1, 7, true, (byte)frames, frames == 1 ? (byte)0 : (byte)(index + 1), 0, piece);
            var sealedLength = _crypto.Seal(_plain.AsSpan(0, length), _salt, _sealed);
            _crypto.TryOpen(_sealed.AsSpan(0, sealedLength), _opened, out var openedLength);
            KnetFrame.TryDecode(_opened.AsSpan(0, openedLength), out var frame);
            checksum += frame.PayloadLength;
        }

        return checksum;
    }
}
