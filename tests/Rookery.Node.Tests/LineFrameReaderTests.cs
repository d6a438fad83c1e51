using System.Text;
using CsCheck;
using Rookery.Control;

namespace Rookery.Node.Tests;

public sealed class LineFrameReaderTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Splits_lines_strips_carriage_returns_and_reports_the_end()
    {
        var reader = new LineFrameReader(new MemoryStream(Encoding.UTF8.GetBytes("one\r\ntwo\n\nthree\n")), 100);

        var frames = new List<string>();
        while (true)
        {
            var (status, frame) = await reader.ReadAsync(Token);
            if (status == FrameStatus.EndOfStream)
            {
                break;
            }

            Assert.Equal(FrameStatus.Frame, status);
            frames.Add(Encoding.UTF8.GetString(frame));
        }

        Assert.Equal(["one", "two", "", "three"], frames);
    }

    [Fact]
    public async Task A_line_over_the_limit_is_skipped_and_the_next_one_is_read()
    {
        var input = new string('x', 5000) + "\nok\n" + new string('y', 101) + "\n" + new string('z', 100) + "\n";
        var reader = new LineFrameReader(new TrickleStream(Encoding.UTF8.GetBytes(input), 7), 100);

        Assert.Equal(FrameStatus.TooLarge, (await reader.ReadAsync(Token)).Status);
        Assert.Equal("ok", Encoding.UTF8.GetString((await reader.ReadAsync(Token)).Frame));
        Assert.Equal(FrameStatus.TooLarge, (await reader.ReadAsync(Token)).Status);
        Assert.Equal(100, (await reader.ReadAsync(Token)).Frame.Length);
        Assert.Equal(FrameStatus.EndOfStream, (await reader.ReadAsync(Token)).Status);
    }

    [Fact]
    public void Any_split_of_the_input_into_reads_gives_the_same_frames() =>
        Gen.Select(Gen.String[Gen.Char["ab\n"], 0, 300], Gen.Int[1, 50], Gen.Int[1, 40]).Sample((text, chunk, limit) =>
        {
            var expected = Expected(text, limit);
            var reader = new LineFrameReader(new TrickleStream(Encoding.ASCII.GetBytes(text), chunk), limit);
            var actual = new List<string>();
            while (true)
            {
                var (status, frame) = reader.ReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
                if (status == FrameStatus.EndOfStream)
                {
                    break;
                }

                actual.Add(status == FrameStatus.TooLarge ? "<too large>" : Encoding.ASCII.GetString(frame));
            }

            return expected.SequenceEqual(actual);
        });

    private static List<string> Expected(string text, int limit)
    {
        var lines = text.Split('\n').ToList();
        var last = lines[^1];
        lines.RemoveAt(lines.Count - 1);
        var result = lines.Select(l => l.Length > limit ? "<too large>" : l).ToList();
        if (last.Length > limit)
        {
            // An unterminated tail over the limit is reported once; a shorter one is an incomplete frame.
            result.Add("<too large>");
        }

        return result;
    }

    /// <summary>Returns at most <c>chunk</c> bytes per read, as a socket may.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
