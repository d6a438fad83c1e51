namespace Rookery.Control;

/// <summary>The outcome of reading one frame.</summary>
public enum FrameStatus
{
    /// <summary>A complete line (without its newline) is in the result.</summary>
    Frame,

    /// <summary>A line longer than the limit was read and dropped.</summary>
    TooLarge,

    /// <summary>The peer closed the stream.</summary>
    EndOfStream,

    /// <summary>A complete binary frame (<see cref="GroupFrames"/>), header included, is in the result.</summary>
    Binary,
}

/// <summary>
/// Reads newline-terminated frames from a stream with a size limit. A frame over the limit is skipped up to its
/// newline and reported as <see cref="FrameStatus.TooLarge"/>, so the next frame is read normally; the reader
/// never holds more than the limit plus one read in memory. A frame that starts with <see cref="GroupFrames.Marker"/>
/// is a binary frame of a known length (<see cref="GroupFrames"/>), returned whole as <see cref="FrameStatus.Binary"/>;
/// one over the limit is skipped by its length and reported as <see cref="FrameStatus.TooLarge"/>.
/// </summary>
public sealed class LineFrameReader
{
    private const int InitialBufferSize = 16 * 1024;

    private readonly Stream _stream;
    private readonly int _frameSizeMax;
    private byte[] _buffer = new byte[InitialBufferSize];
    private int _start;
    private int _end;

    /// <summary>Bytes of an oversized binary frame still to skip.</summary>
    private long _skip;

    public LineFrameReader(Stream stream, int frameSizeMax)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frameSizeMax, 1);
        _stream = stream;
        _frameSizeMax = frameSizeMax;
    }

    public async ValueTask<(FrameStatus Status, byte[] Frame)> ReadAsync(CancellationToken cancellationToken)
    {
        var discarding = false;
        while (true)
        {
            if (_skip > 0)
            {
                var skipped = (int)Math.Min(_skip, _end - _start);
                _start += skipped;
                _skip -= skipped;
                if (_skip == 0)
                {
                    return (FrameStatus.TooLarge, []);
                }
            }
            else if (!discarding && _end > _start && _buffer[_start] == GroupFrames.Marker)
            {
                if (_end - _start >= GroupFrames.HeaderSize)
                {
                    var length = (long)GroupFrames.HeaderSize + GroupFrames.BodyLength(_buffer.AsSpan(_start));
                    if (length > _frameSizeMax)
                    {
                        _skip = length;
                        continue;
                    }

                    if (_end - _start >= length)
                    {
                        var frame = _buffer.AsSpan(_start, (int)length).ToArray();
                        _start += (int)length;
                        return (FrameStatus.Binary, frame);
                    }
                }
            }
            else
            {
                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline >= 0)
                {
                    var length = newline - _start;
                    var start = _start;
                    _start = newline + 1;
                    if (discarding || length > _frameSizeMax)
                    {
                        return (FrameStatus.TooLarge, []);
                    }

                    if (length > 0 && _buffer[newline - 1] == (byte)'\r')
                    {
                        length--;
                    }

                    return (FrameStatus.Frame, _buffer.AsSpan(start, length).ToArray());
                }

                if (discarding || _end - _start > _frameSizeMax)
                {
                    // Over the limit with no newline yet: drop what we have and skip to the next newline.
                    discarding = true;
                    _start = 0;
                    _end = 0;
                }
            }

            MakeRoom();
            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                var truncated = discarding || _skip > 0;
                _skip = 0;
                return truncated ? (FrameStatus.TooLarge, []) : (FrameStatus.EndOfStream, []);
            }

            _end += read;
        }
    }

    private void MakeRoom()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            // Room for a whole frame plus its newline, never more.
            var size = (int)Math.Min((long)_buffer.Length * 2, (long)_frameSizeMax + 2);
            if (size > _buffer.Length)
            {
                Array.Resize(ref _buffer, size);
            }
        }
    }
}
