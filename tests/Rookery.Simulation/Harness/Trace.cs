using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Rookery.Simulation.Harness;

/// <summary>
/// The record of one run: a SHA-256 over every step (time, kind, node, and every datagram's bytes),
/// so two runs of one seed can be compared byte for byte, and optionally a human-readable line per
/// step for the replay tool. Hashing never formats text, so it stays cheap in seed sweeps.
/// </summary>
public sealed class Trace : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly TextWriter? _writer;
    private readonly byte[] _scratch = new byte[32];

    public Trace(TextWriter? writer) => _writer = writer;

    /// <summary>True when lines are printed (callers may skip building text otherwise).</summary>
    public bool IsPrinting => _writer is not null;

    public long Steps { get; private set; }

    /// <summary>One step: hashed as (time, kind, node, a, b, bytes); printed as <paramref name="text"/> when printing.</summary>
    public void Step(Instant now, TraceKind kind, NodeId node, long a, long b, ReadOnlySpan<byte> bytes, Func<string>? text)
    {
        Steps++;
        BinaryPrimitives.WriteInt64LittleEndian(_scratch.AsSpan(0, 8), now.Microseconds);
        BinaryPrimitives.WriteInt32LittleEndian(_scratch.AsSpan(8, 4), (int)kind);
        BinaryPrimitives.WriteUInt32LittleEndian(_scratch.AsSpan(12, 4), node.Value);
        BinaryPrimitives.WriteInt64LittleEndian(_scratch.AsSpan(16, 8), a);
        BinaryPrimitives.WriteInt64LittleEndian(_scratch.AsSpan(24, 8), b);
        _hash.AppendData(_scratch);
        _hash.AppendData(bytes);
        if (_writer is not null && text is not null)
        {
            _writer.WriteLine($"{now.Microseconds / 1000,8}.{now.Microseconds % 1000:D3} {text()}");
        }
    }

    /// <summary>A free-text line (plan, phase changes, violations); hashed like a step.</summary>
    public void Note(Instant now, string text) =>
        Step(now, TraceKind.Note, default, 0, 0, Encoding.UTF8.GetBytes(text), () => text);

    /// <summary>
    /// A line that is printed but not hashed: node log lines, which only describe what the hashed
    /// steps already show, so a run hashes the same whether or not it prints.
    /// </summary>
    public void Print(Instant now, string text) => _writer?.WriteLine($"{now.Microseconds / 1000,8}.{now.Microseconds % 1000:D3} {text}");

    /// <summary>The hash of everything so far, in lowercase hex.</summary>
    public string Hash
    {
        get
        {
            Span<byte> digest = stackalloc byte[32];
            _hash.GetCurrentHash(digest);
            return Convert.ToHexStringLower(digest);
        }
    }

    public void Dispose() => _hash.Dispose();
}

/// <summary>Kinds of trace steps (hashed as numbers: append only).</summary>
public enum TraceKind
{
    Note = 0,
    Send = 1,
    Drop = 2,
    Receive = 3,
    Tick = 4,
    Submit = 5,
    Deliver = 6,
    Configuration = 7,
    Group = 8,
    Fault = 9,
    NodeLog = 10,
}
