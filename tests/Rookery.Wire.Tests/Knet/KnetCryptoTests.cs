using CsCheck;
using Rookery.Wire.Knet;

namespace Rookery.Wire.Tests.Knet;

/// <summary>The crypto envelope against datagrams captured from corosync 3.1.7 / libknet 1.25 (aes256 + sha256).</summary>
public sealed class KnetCryptoTests
{
    private static readonly byte[] s_authKey = Convert.FromHexString(KnetVectors.AuthKey);

    /// <summary>Every captured (datagram, plaintext) pair of wire-vectors.md.</summary>
    public static TheoryData<string, string, string> Captured => new()
    {
        { "ping", KnetVectors.PingDatagram, KnetVectors.PingPlaintext },
        { "pong", KnetVectors.PongDatagram, KnetVectors.PongPlaintext },
        { "ping link 1", KnetVectors.PingLink1Datagram, KnetVectors.PingLink1Plaintext },
        { "pmtud", KnetVectors.PmtudDatagram, PmtudPlaintextHex() },
        { "pmtud reply", KnetVectors.PmtudReplyDatagram, KnetVectors.PmtudReplyPlaintext },
        { "orf token", KnetVectors.DataOrfTokenDatagram, KnetVectors.DataOrfTokenPlaintext },
        { "orf token rtr", KnetVectors.DataOrfTokenRetransmitDatagram, KnetVectors.DataOrfTokenRetransmitPlaintext },
        { "mcast", KnetVectors.DataMcastDatagram, KnetVectors.DataMcastPlaintext },
        { "join", KnetVectors.DataJoinDatagram, KnetVectors.DataJoinPlaintext },
        { "leave", KnetVectors.DataLeaveDatagram, KnetVectors.DataLeavePlaintext },
        { "commit token", KnetVectors.DataCommitTokenDatagram, KnetVectors.DataCommitTokenPlaintext },
        { "merge detect", KnetVectors.DataMergeDetectDatagram, KnetVectors.DataMergeDetectPlaintext },
        { "token hold cancel", KnetVectors.DataTokenHoldCancelDatagram, KnetVectors.DataTokenHoldCancelPlaintext },
        { "fragment 1", KnetVectors.Fragment1Datagram, KnetVectors.Fragment1Plaintext },
        { "fragment 2", KnetVectors.Fragment2Datagram, KnetVectors.Fragment2Plaintext },
        { "foreign ping", KnetVectors.PingGoodBDatagram, KnetVectors.PingGoodBPlaintext },
        { "pong to foreign", KnetVectors.PongRxBDatagram, KnetVectors.PongRxBPlaintext },
        { "ping to foreign", KnetVectors.PingRxBDatagram, KnetVectors.PingRxBPlaintext },
        { "foreign pong", KnetVectors.PongTxDatagram, KnetVectors.PongTxPlaintext },
        { "foreign pmtud reply", KnetVectors.PmtudReplyTxDatagram, KnetVectors.PmtudReplyTxPlaintext },
    };

    [Theory]
    [MemberData(nameof(Captured))]
    public void Opening_a_captured_datagram_gives_its_knet_packet(string name, string datagramHex, string plaintextHex)
    {
        using var crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, s_authKey);
        var datagram = Convert.FromHexString(datagramHex);
        var plaintext = new byte[datagram.Length];

        var status = crypto.TryOpen(datagram, plaintext, out var written);

        Assert.True(status == KnetCryptoStatus.Ok, $"{name}: {status}");
        Assert.Equal(plaintextHex, Convert.ToHexStringLower(plaintext.AsSpan(0, written)));
    }

    [Theory]
    [MemberData(nameof(Captured))]
    public void Sealing_with_the_captured_salt_reproduces_the_datagram_byte_for_byte(string name, string datagramHex, string plaintextHex)
    {
        using var crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, s_authKey);
        var datagram = Convert.FromHexString(datagramHex);
        var plaintext = Convert.FromHexString(plaintextHex);
        var sealedBytes = new byte[crypto.SealedLength(plaintext.Length)];

        var length = crypto.Seal(plaintext, datagram.AsSpan(0, 16), sealedBytes);

        Assert.Equal(datagram.Length, length);
        Assert.True(datagram.AsSpan().SequenceEqual(sealedBytes), name);
    }

    [Fact]
    public void A_datagram_whose_hmac_used_another_key_is_rejected()
    {
        using var crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, s_authKey);
        var datagram = Convert.FromHexString(KnetVectors.PingBadHmacKeyDatagram);

        Assert.Equal(KnetCryptoStatus.BadDigest, crypto.TryOpen(datagram, new byte[datagram.Length], out _));
    }

    [Fact]
    public void A_clear_text_ping_is_rejected_as_too_short_like_knet_does()
    {
        using var crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, s_authKey);
        var datagram = Convert.FromHexString(KnetVectors.PingCleartextDatagram);

        Assert.Equal(KnetCryptoStatus.TooShort, crypto.TryOpen(datagram, new byte[datagram.Length], out _));
    }

    [Theory]
    [MemberData(nameof(Captured))]
    public void Every_truncation_and_every_bit_flip_is_rejected_without_an_exception(string name, string datagramHex, string plaintextHex)
    {
        _ = plaintextHex;
        using var crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, s_authKey);
        var datagram = Convert.FromHexString(datagramHex);
        var scratch = new byte[datagram.Length];
        for (var length = 0; length < datagram.Length; length++)
        {
            Assert.NotEqual(KnetCryptoStatus.Ok, crypto.TryOpen(datagram.AsSpan(0, length), scratch, out _));
        }

        // Flipping every bit of a 1472-byte probe is 11 776 HMACs; flip every bit of the first and last
        // 64 bytes and one bit of every other byte to keep the test fast while touching every byte.
        for (var index = 0; index < datagram.Length; index++)
        {
            var allBits = index < 64 || index >= datagram.Length - 64;
            for (var bit = 0; bit < 8; bit += allBits ? 1 : 8)
            {
                datagram[index] ^= (byte)(1 << bit);
                var status = crypto.TryOpen(datagram, scratch, out _);
                datagram[index] ^= (byte)(1 << bit);
                Assert.True(status == KnetCryptoStatus.BadDigest, $"{name}: byte {index} bit {bit}: {status}");
            }
        }
    }

    [Theory]
    [InlineData(KnetCipher.Aes128, KnetHash.Sha1, 16, 20)]
    [InlineData(KnetCipher.Aes192, KnetHash.Sha256, 16, 32)]
    [InlineData(KnetCipher.Aes256, KnetHash.Sha384, 16, 48)]
    [InlineData(KnetCipher.Aes256, KnetHash.Sha512, 16, 64)]
    [InlineData(KnetCipher.Aes128, KnetHash.Md5, 16, 16)]
    [InlineData(KnetCipher.None, KnetHash.Sha256, 0, 32)]
    [InlineData(KnetCipher.None, KnetHash.None, 0, 0)]
    public void Every_cipher_and_hash_round_trips_with_knet_sizes(KnetCipher cipher, KnetHash hash, int saltSize, int hashSize)
    {
        using var crypto = KnetCrypto.Create(cipher, hash, s_authKey);
        var prng = new Prng(7);
        var salt = new byte[16];
        for (var length = 1; length < 80; length++)
        {
            var plaintext = new byte[length];
            prng.Fill(plaintext);
            prng.Fill(salt);
            var sealedBytes = new byte[crypto.SealedLength(length)];
            crypto.Seal(plaintext, salt, sealedBytes);
            var opened = new byte[sealedBytes.Length];

            Assert.Equal(KnetCryptoStatus.Ok, crypto.TryOpen(sealedBytes, opened, out var written));
            Assert.Equal(plaintext, opened.AsSpan(0, written).ToArray());
            var padding = cipher == KnetCipher.None ? 0 : 16 - length % 16;
            Assert.Equal(length + padding + saltSize + hashSize, sealedBytes.Length);
        }
    }

    [Fact]
    public void Sealing_and_opening_on_the_kept_contexts_match_one_shot_aes_cbc_below_and_above_the_chaining_limit()
    {
        // Short packets are chained block by block through one ECB context, long ones take the one-shot call;
        // opening always decrypts all blocks at once. All of them must be plain AES-256-CBC with PKCS#7.
        using var crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, s_authKey);
        using var reference = System.Security.Cryptography.Aes.Create();
        reference.Key = s_authKey[..32];
        var prng = new Prng(11);
        var salt = new byte[16];
        for (var length = 1; length <= (KnetCrypto.ChainedSealBlocksMax + 3) * 16; length += 7)
        {
            var plaintext = new byte[length];
            prng.Fill(plaintext);
            prng.Fill(salt);
            var sealedBytes = new byte[crypto.SealedLength(length)];
            crypto.Seal(plaintext, salt, sealedBytes);
            var expected = reference.EncryptCbc(plaintext, salt, System.Security.Cryptography.PaddingMode.PKCS7);

            Assert.Equal(salt, sealedBytes[..16]);
            Assert.Equal(expected, sealedBytes.AsSpan(16, expected.Length).ToArray());
            var opened = new byte[sealedBytes.Length];
            Assert.Equal(KnetCryptoStatus.Ok, crypto.TryOpen(sealedBytes, opened, out var written));
            Assert.Equal(plaintext, opened.AsSpan(0, written).ToArray());
        }
    }

    [Fact]
    public void Each_cipher_uses_its_own_key_length_from_the_start_of_the_authkey()
    {
        var plaintext = Convert.FromHexString(KnetVectors.PingPlaintext);
        var salt = new byte[16];
        var sealed128 = Seal(KnetCipher.Aes128, plaintext, salt);
        var sealed256 = Seal(KnetCipher.Aes256, plaintext, salt);

        Assert.False(sealed128.AsSpan(16, 32).SequenceEqual(sealed256.AsSpan(16, 32)));
        using var expected = System.Security.Cryptography.Aes.Create();
        expected.Key = s_authKey[..16];
        Assert.Equal(expected.EncryptCbc(plaintext, salt), sealed128[16..48]);
    }

    [Fact]
    public void A_datagram_sealed_with_another_hash_is_rejected()
    {
        using var sha256 = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, s_authKey);
        using var sha512 = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha512, s_authKey);
        var plaintext = Convert.FromHexString(KnetVectors.PingPlaintext);
        var sealedBytes = new byte[sha512.SealedLength(plaintext.Length)];
        sha512.Seal(plaintext, new byte[16], sealedBytes);

        Assert.NotEqual(KnetCryptoStatus.Ok, sha256.TryOpen(sealedBytes, new byte[sealedBytes.Length], out _));
    }

    [Fact]
    public void Data_mtu_arithmetic_matches_libknet()
    {
        using var aes = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, s_authKey);

        Assert.Equal(1397, aes.MaxDataLength(1500 - 28));
        Assert.Equal(421, aes.MaxDataLength(576 - 40 - 28));
        Assert.Equal(1446, KnetCrypto.Clear.MaxDataLength(1500 - 28));
        Assert.Equal(482, KnetCrypto.Clear.MaxDataLength(576 - 40 - 28));
        Assert.Equal(1472, aes.SealedLength(1397 + KnetFrame.HeaderAllSize));
        Assert.Equal(80, aes.SealedLength(KnetFrame.PingSize));
    }

    [Fact]
    public void Configurations_knet_refuses_are_refused_with_a_reason()
    {
        var error = Assert.Throws<ArgumentException>(() => KnetCrypto.Create(KnetCipher.Aes256, KnetHash.None, s_authKey));
        Assert.Contains("requires crypto_hash", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, new byte[127]));
        Assert.Contains("128..4096", error.Message, StringComparison.Ordinal);
        Assert.True(KnetCrypto.TryParseCipher("aes192", out var cipher));
        Assert.Equal(KnetCipher.Aes192, cipher);
        Assert.False(KnetCrypto.TryParseCipher("3des", out _));
        Assert.True(KnetCrypto.TryParseHash("sha384", out var hash));
        Assert.Equal(KnetHash.Sha384, hash);
        Assert.False(KnetCrypto.TryParseHash("crc32", out _));
    }

    [Fact]
    public void Random_bytes_never_make_opening_throw()
    {
        // One KnetCrypto per link layer, used from one thread (the node's loop): CsCheck samples on several
        // threads by default, and a shared HMAC would then fail for a reason that has nothing to do with the bytes.
        using var crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, s_authKey);
        Gen.Byte.Array[0, 200].Sample(bytes =>
        {
            Assert.NotEqual(KnetCryptoStatus.Ok, crypto.TryOpen(bytes, new byte[bytes.Length], out _));
        }, threads: 1);
    }

    private static byte[] Seal(KnetCipher cipher, byte[] plaintext, byte[] salt)
    {
        using var crypto = KnetCrypto.Create(cipher, KnetHash.Sha256, s_authKey);
        var sealedBytes = new byte[crypto.SealedLength(plaintext.Length)];
        crypto.Seal(plaintext, salt, sealedBytes);
        return sealedBytes;
    }

    private static string PmtudPlaintextHex() => "01830001000000dc05" + new string('0', 1414 * 2);
}
