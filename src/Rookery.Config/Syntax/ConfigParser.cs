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
/// </remarks>
public static class ConfigParser
{
    /// <summary>Longest line content in bytes: corosync reads lines into a 512-byte buffer with <c>fgets</c>.</summary>
    public const int LineBytesMax = 510;

    /// <summary>cmap key names are shorter than this (corosync: <c>ICMAP_KEYNAME_MAXLEN</c>).</summary>
    public const int KeyPathLengthMax = 255;

    /// <summary>Syntax errors reported before the parser gives up (a binary file would otherwise give one per "line").</summary>
    public const int ParseErrorsMax = 10;

    public static (ConfigDocument Document, IReadOnlyList<Diagnostic> Diagnostics) Parse(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        var lines = SplitLines(text);
        var diagnostics = new List<Diagnostic>();
        var root = new ConfigSection(string.Empty, 0);
        var stack = new Stack<(ConfigSection Section, string Path)>();
        stack.Push((root, string.Empty));

        for (var index = 0; index < lines.Count; index++)
        {
            var lineNumber = index + 1;
            var error = ParseLine(lines[index], lineNumber, stack);
            if (error is not null)
            {
                diagnostics.Add(Diagnostic.ParseError(fileName, lineNumber, error));
                if (diagnostics.Count == ParseErrorsMax && index + 1 < lines.Count)
                {
                    var what = IsText(text)
                        ? "the file does not look like corosync.conf"
                        : "the file is not text (it holds NUL bytes or bytes that are not UTF-8): is it the right file?";
                    diagnostics.Add(Diagnostic.ParseError(fileName, lineNumber, $"stopped after {ParseErrorsMax} syntax errors, {lines.Count - lineNumber} more lines not read: {what}"));
                    root.EndLine = lines.Count + 1;
                    return (new ConfigDocument(fileName, lines, root), diagnostics);
                }
            }
        }

        if (stack.Count > 1)
        {
            diagnostics.Add(Diagnostic.ParseError(fileName, Math.Max(lines.Count, 1), "Missing closing brace"));
        }

        root.EndLine = lines.Count + 1;
        return (new ConfigDocument(fileName, lines, root), diagnostics);
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

    private static string? ParseLine(string physicalLine, int lineNumber, Stack<(ConfigSection Section, string Path)> stack)
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

        var (current, path) = stack.Peek();
        var brace = line.IndexOf('{');
        if (brace >= 0)
        {
            return OpenSection(line, brace, lineNumber, stack, current, path);
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

            current.Add(new ConfigEntry(key, value, lineNumber));
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

    private static string? OpenSection(
        string line, int brace, int lineNumber, Stack<(ConfigSection Section, string Path)> stack, ConfigSection current, string path)
    {
        var name = TrimName(line[..brace]);
        var after = TrimStart(line[(brace + 1)..]);
        var childPath = path.Length == 0 ? name : $"{path}.{name}";
        var section = new ConfigSection(name, lineNumber);
        current.Add(section);
        stack.Push((section, childPath));
        if (name.Length == 0)
        {
            return "Missing section name before opening bracket '{'";
        }

        if (after.Length != 0)
        {
            return "Extra characters after opening bracket '{'";
        }

        if (path.Length + name.Length + 1 >= KeyPathLengthMax)
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
