using System.Text;

namespace Rookery.Config.Syntax;

/// <summary>
/// corosync.conf grammar, as corosync's own parser reads it (corosync: <c>exec/coroparse.c</c>
/// <c>parse_section</c>): line oriented, at most 510 bytes a line, CRLF accepted, whole-line
/// <c>#</c> comments only, and each line classified by the first rule that matches: contains
/// <c>{</c> → section start; contains <c>:</c> → key/value split at the first colon; contains
/// <c>}</c> → section end; anything else is an error. There is no quoting and no include.
/// </summary>
/// <remarks>
/// corosync stops at the first error. This parser reports the same error for that line, then
/// recovers (skips the line, or still opens/closes the section so braces stay balanced) and
/// goes on, so a user sees every syntax error in one run. It never throws on any input.
/// Hostile input is bounded before work is done: a text over <see cref="TextBytesMax"/> is refused
/// without being split, the first section nested deeper than <see cref="NestingDepthMax"/> ends the
/// parse, a section or key whose cmap path is too long (an error in corosync too) is reported but
/// kept out of the tree, and the parse stops after <see cref="ParseErrorsMax"/> errors. So time and
/// memory are linear in the text and no later stage meets a path longer than cmap allows.
/// </remarks>
public static class ConfigParser
{
    /// <summary>Longest line content in bytes: corosync reads lines into a 512-byte buffer with <c>fgets</c>.</summary>
    public const int LineBytesMax = 510;

    /// <summary>cmap key names are shorter than this (corosync: <c>ICMAP_KEYNAME_MAXLEN</c>).</summary>
    public const int KeyPathLengthMax = 255;

    /// <summary>
    /// Largest configuration text in UTF-8 bytes (1 MiB). corosync has no limit; a 200-node
    /// nodelist with eight links each is about 60 KiB, so this refuses only files that are not configs.
    /// </summary>
    public const int TextBytesMax = 1024 * 1024;

    /// <summary>
    /// Deepest section nesting. A section path of one-character names at depth 128 is 255
    /// characters, which corosync refuses ("Start of section makes total cmap path too long"), so
    /// no file corosync accepts is refused by this bound.
    /// </summary>
    public const int NestingDepthMax = 127;

    /// <summary>Syntax errors reported before the parser gives up (a binary file would otherwise give one per "line").</summary>
    public const int ParseErrorsMax = 10;

    public static (ConfigDocument Document, IReadOnlyList<Diagnostic> Diagnostics) Parse(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        var diagnostics = new List<Diagnostic>();
        var root = new ConfigSection(string.Empty, 0);
        if (TooLargeAtLine(text) is { } tooLargeLine)
        {
            diagnostics.Add(Diagnostic.ParseError(
                fileName, tooLargeLine, $"File too large: more than {TextBytesMax} bytes (the limit of a configuration file); nothing was read"));
            root.EndLine = 1;
            return (new ConfigDocument(fileName, [], root), diagnostics);
        }

        var lines = SplitLines(text);
        var stack = new Stack<OpenSection>();
        stack.Push(new OpenSection(root, string.Empty, Kept: true));
        var errors = 0;
        void Report(int line, string message)
        {
            errors++;
            diagnostics.Add(Diagnostic.ParseError(fileName, line, message));
        }

        var tooDeep = false;
        for (var index = 0; index < lines.Count && !tooDeep; index++)
        {
            var lineNumber = index + 1;
            if (ParseLine(lines[index], lineNumber, stack) is { } error)
            {
                Report(lineNumber, error);
                if (errors == ParseErrorsMax && index + 1 < lines.Count)
                {
                    // A binary or foreign file would otherwise give one error per "line": stop and say what it looks like.
                    var what = IsText(text)
                        ? "the file does not look like corosync.conf"
                        : "the file is not text (it holds NUL bytes or bytes that are not UTF-8): is it the right file?";
                    diagnostics.Add(Diagnostic.ParseError(fileName, lineNumber, $"stopped after {ParseErrorsMax} syntax errors, {lines.Count - lineNumber} more lines not read: {what}"));
                    root.EndLine = lines.Count + 1;
                    return (new ConfigDocument(fileName, lines, root), diagnostics);
                }
            }

            // The deepest section just opened: everything inside it would only repeat the error.
            tooDeep = stack.Count > NestingDepthMax + 1;
        }

        if (stack.Count > 1 && !tooDeep)
        {
            Report(Math.Max(lines.Count, 1), "Missing closing brace");
        }

        root.EndLine = lines.Count + 1;
        return (new ConfigDocument(fileName, lines, root), diagnostics);
    }

    /// <summary>The line on which <paramref name="text"/> passes <see cref="TextBytesMax"/> UTF-8 bytes, or null when it does not.</summary>
    private static int? TooLargeAtLine(string text)
    {
        // A char is at least one UTF-8 byte: shorter texts need no count, and a counted text
        // is at most TextBytesMax chars, so the scan is bounded whatever the input's length.
        if (text.Length <= TextBytesMax / 3)
        {
            return null;
        }

        var bytes = 0L;
        var line = 1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            bytes += c < 0x80 ? 1 : c < 0x800 || char.IsSurrogate(c) ? 2 : 3;
            if (bytes > TextBytesMax)
            {
                return line;
            }

            if (c == '\n')
            {
                line++;
            }
        }

        return null;
    }

    /// <summary>Text holds no NUL and no U+FFFD (what UTF-8 decoding puts in place of bytes that are not UTF-8).</summary>
    public static bool IsText(string text) => !text.Contains('\0') && !text.Contains('\uFFFD');

    /// <summary>Splits after every '\n', keeping terminators, so concatenating the lines gives the text back.</summary>
    public static List<string> SplitLines(string text)
    {
        var lines = new List<string>();
        var start = 0;
        while (start < text.Length)
        {
            var newline = text.IndexOf('\n', start);
            var end = newline < 0 ? text.Length : newline + 1;
            lines.Add(text[start..end]);
            start = end;
        }

        return lines;
    }

    /// <summary>The content of a physical line: without its "\n" and one "\r", as corosync strips them.</summary>
    public static string Content(string physicalLine)
    {
        var content = physicalLine.EndsWith('\n') ? physicalLine[..^1] : physicalLine;
        return content.EndsWith('\r') ? content[..^1] : content;
    }

    public static bool IsWhitespace(char c) => c is ' ' or '\t' or '\u00A0';

    /// <summary>Whether a line is blank or a comment (corosync ignores it).</summary>
    public static bool IsIgnored(string content)
    {
        foreach (var c in content)
        {
            if (!IsWhitespace(c))
            {
                return c == '#';
            }
        }

        return true;
    }

    private static string? ParseLine(string physicalLine, int lineNumber, Stack<OpenSection> stack)
    {
        var withoutNewline = physicalLine.EndsWith('\n') ? physicalLine[..^1] : physicalLine;
        if (Encoding.UTF8.GetByteCount(withoutNewline) > LineBytesMax)
        {
            return "Line too long";
        }

        var nul = withoutNewline.IndexOf('\0');
        if (nul == 0)
        {
            return null;
        }

        if (nul > 0)
        {
            // fgets stops at the newline but strlen stops at the NUL: corosync sees no newline.
            return "Line too long";
        }

        var line = TrimEnd(Content(physicalLine));
        if (IsIgnored(line))
        {
            return null;
        }

        var (current, path, kept) = stack.Peek();
        var brace = line.IndexOf('{');
        if (brace >= 0)
        {
            return Open(line, brace, lineNumber, stack, current, path, kept);
        }

        var colon = line.IndexOf(':');
        if (colon >= 0)
        {
            var key = TrimName(line[..colon]);
            var value = TrimStart(line[(colon + 1)..]);
            if (key.Length == 0)
            {
                return "Key name can't be empty";
            }

            if (path.Length + key.Length + 1 >= KeyPathLengthMax)
            {
                return "New key makes total cmap path too long";
            }

            if (kept)
            {
                current.Add(new ConfigEntry(key, value, lineNumber));
            }

            return null;
        }

        if (line.Contains('}'))
        {
            var extra = TrimStart(line) != "}";
            if (stack.Count == 1)
            {
                return extra ? "Extra characters before or after closing bracket '}'" : "Unexpected closing brace";
            }

            current.EndLine = lineNumber;
            stack.Pop();
            return extra ? "Extra characters before or after closing bracket '}'" : null;
        }

        return "Line is not opening or closing section or key value";
    }

    private static string? Open(
        string line, int brace, int lineNumber, Stack<OpenSection> stack, ConfigSection current, string path, bool kept)
    {
        var name = TrimName(line[..brace]);
        var after = TrimStart(line[(brace + 1)..]);
        var section = new ConfigSection(name, lineNumber);
        var pathTooLong = path.Length + name.Length + 1 >= KeyPathLengthMax;

        // A section whose path is too long is an error and stays out of the tree (so are all its
        // contents); its path is not grown, which keeps every path string under the cmap limit.
        var childKept = kept && !pathTooLong;
        if (childKept)
        {
            current.Add(section);
        }

        stack.Push(new OpenSection(section, pathTooLong ? path : path.Length == 0 ? name : $"{path}.{name}", childKept));
        if (stack.Count > NestingDepthMax + 1)
        {
            return $"Sections nested more than {NestingDepthMax} levels deep; the rest of the file was not read";
        }

        if (name.Length == 0)
        {
            return "Missing section name before opening bracket '{'";
        }

        if (after.Length != 0)
        {
            return "Extra characters after opening bracket '{'";
        }

        if (pathTooLong)
        {
            return "Start of section makes total cmap path too long";
        }

        if (path == "uidgid" || path.StartsWith("uidgid.", StringComparison.Ordinal))
        {
            return "Subsections are not allowed within uidgid section";
        }

        if (path == "totem.interface.member" || path.StartsWith("totem.interface.member.", StringComparison.Ordinal))
        {
            return "Subsections are not allowed within totem.interface.member section";
        }

        return null;
    }

    /// <summary>A section being read: its node, its cmap path, and whether it is part of the tree.</summary>
    private readonly record struct OpenSection(ConfigSection Section, string Path, bool Kept);

    /// <summary>Trims whitespace at both ends and trailing ':' and '{', but never the first character (corosync's <c>remove_whitespace</c>).</summary>
    private static string TrimName(string text)
    {
        var start = 0;
        while (start < text.Length && IsWhitespace(text[start]))
        {
            start++;
        }

        var end = text.Length - 1;
        while (end > start && (IsWhitespace(text[end]) || text[end] == ':' || text[end] == '{'))
        {
            end--;
        }

        if (start >= text.Length)
        {
            return string.Empty;
        }

        // A single remaining whitespace character is what corosync keeps too; treat it as empty.
        var name = text[start..(end + 1)];
        return name.Length == 1 && IsWhitespace(name[0]) ? string.Empty : name;
    }

    private static string TrimStart(string text)
    {
        var start = 0;
        while (start < text.Length && IsWhitespace(text[start]))
        {
            start++;
        }

        return text[start..];
    }

    private static string TrimEnd(string text)
    {
        var end = text.Length;
        while (end > 0 && IsWhitespace(text[end - 1]))
        {
            end--;
        }

        return text[..end];
    }
}
