using System.Globalization;
using Rookery.Config.Syntax;

namespace Rookery.Config;

/// <summary>
/// Changes a corosync.conf in place, touching only the lines an edit concerns: every other byte
/// (comments, blank lines, indentation, order, CRLF) stays as it was, unlike pvecm, which rewrites
/// the whole file. Each edit re-parses the text, so the editor always works on what is there.
/// New lines copy the indentation and line ending of their neighbours.
/// </summary>
public sealed class ConfigEditor
{
    private List<string> _lines;
    private ConfigDocument _document;

    private ConfigEditor(string text, string fileName)
    {
        FileName = fileName;
        _lines = ConfigParser.SplitLines(text);
        _document = ConfigParser.Parse(text, fileName).Document;
    }

    public string FileName { get; }

    public string Text => string.Concat(_lines);

    /// <summary>The model of the current text.</summary>
    public CorosyncConfig Config => ConfigLoader.Parse(Text, FileName).Config;

    /// <summary>Opens a text for editing; a text with parse errors is refused (the errors are returned).</summary>
    public static ConfigEditor? TryOpen(string text, string fileName, out IReadOnlyList<Diagnostic> errors)
    {
        var parsed = ConfigLoader.Parse(text, fileName);
        errors = [.. parsed.Errors];
        return errors.Count == 0 ? new ConfigEditor(text, fileName) : null;
    }

    /// <summary>Sets (or, with null, removes) <paramref name="key"/> in a top-level section; a dotted key addresses a subsection, created when needed.</summary>
    public void SetKey(string section, string key, string? value)
    {
        var path = key.Split('.');
        if (value is null)
        {
            // corosync merges repeated sections; remove the key wherever it is.
            while (_document.Root.Sections.Where(s => s.Name == section).Select(s => Resolve(s, path)).FirstOrDefault(e => e is not null) is { } entry)
            {
                RemoveLine(entry.Line);
            }

            return;
        }

        // The last value wins in corosync, so change the section that holds the last one.
        var sections = _document.Root.Sections.Where(s => s.Name == section).ToList();
        var target = sections.LastOrDefault(s => Resolve(s, path) is not null) ?? sections.FirstOrDefault() ?? AppendTopLevelSection(section);

        for (var i = 0; i < path.Length - 1 && target is not null; i++)
        {
            var child = target.Sections.LastOrDefault(s => s.Name == path[i]);
            if (child is null)
            {
                if (value is null)
                {
                    return;
                }

                InsertBlock(target, path[i], []);
                target = FindPath(section, path[..(i + 1)]);
                continue;
            }

            target = child;
        }

        if (target is not null)
        {
            SetEntry(target, path[^1], value);
        }
    }

    /// <summary>Sets (or removes) a key of the node named <paramref name="nodeName"/>.</summary>
    public void SetNodeKey(string nodeName, string key, string? value)
    {
        var node = FindNode(nodeName) ?? throw new ArgumentException($"node '{nodeName}' is not in the nodelist", nameof(nodeName));
        SetEntry(node, key, value);
    }

    /// <summary>Adds a node block at the end of the nodelist (creating the nodelist when there is none).</summary>
    public void AddNode(IReadOnlyList<KeyValue> keys)
    {
        var nodelist = FindSection(_document.Root, "nodelist") ?? AppendTopLevelSection("nodelist");
        InsertBlock(nodelist, "node", keys);
    }

    /// <summary>Removes the node block(s) of that name (or ring0_addr); false when there is none.</summary>
    public bool RemoveNode(string nodeName)
    {
        var node = FindNode(nodeName);
        if (node is null)
        {
            return false;
        }

        RemoveBlock(node);
        return true;
    }

    /// <summary>Sets (or removes) a key of the interface block of <paramref name="link"/>, creating the block when needed.</summary>
    public void SetInterfaceKey(byte link, string key, string? value)
    {
        var face = FindInterface(link);
        if (face is null)
        {
            if (value is null)
            {
                return;
            }

            var totem = FindSection(_document.Root, "totem") ?? AppendTopLevelSection("totem");
            InsertBlock(totem, "interface", [new KeyValue("linknumber", link.ToString(CultureInfo.InvariantCulture))]);
            face = FindInterface(link)!;
        }

        SetEntry(face, key, value);
    }

    /// <summary>Adds link <paramref name="link"/>: a ringX_addr on every named node and an interface block (with a priority when given).</summary>
    public void AddLink(byte link, IReadOnlyDictionary<string, string> addressByNode, byte? priority = null)
    {
        foreach (var (node, address) in addressByNode.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            SetNodeKey(node, NodeConfig.RingKey(link), address);
        }

        if (FindInterface(link) is null)
        {
            var totem = FindSection(_document.Root, "totem") ?? AppendTopLevelSection("totem");
            List<KeyValue> keys = [new("linknumber", link.ToString(CultureInfo.InvariantCulture))];
            if (priority is { } p)
            {
                keys.Add(new KeyValue("knet_link_priority", p.ToString(CultureInfo.InvariantCulture)));
            }

            InsertBlock(totem, "interface", keys);
        }
        else if (priority is { } p)
        {
            SetInterfaceKey(link, "knet_link_priority", p.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Removes link <paramref name="link"/>: every node's ringX_addr and the link's interface block(s).</summary>
    public void RemoveLink(byte link)
    {
        var key = NodeConfig.RingKey(link);
        while (AllNodes().FirstOrDefault(n => n.Entries.Any(e => e.Key == key)) is { } node)
        {
            RemoveLine(node.Entries.Last(e => e.Key == key).Line);
        }

        while (FindInterface(link) is { } face)
        {
            RemoveBlock(face);
        }
    }

    /// <summary>Raises totem.config_version by one (from 0 when unset) and returns the new version; throws <see cref="InvalidOperationException"/> at its maximum.</summary>
    public ulong BumpConfigVersion()
    {
        var current = Config.Totem.ConfigVersion;
        if (current == ulong.MaxValue)
        {
            throw new InvalidOperationException($"config_version {current} cannot be raised any further");
        }

        var next = current + 1;
        SetKey("totem", "config_version", next.ToString(CultureInfo.InvariantCulture));
        return next;
    }

    private static ConfigEntry? Resolve(ConfigSection section, string[] path)
    {
        ConfigSection? current = section;
        foreach (var name in path[..^1])
        {
            current = current?.Sections.LastOrDefault(s => s.Name == name);
        }

        return current?.Entries.LastOrDefault(e => e.Key == path[^1]);
    }

    private static ConfigSection? FindSection(ConfigSection parent, string name) => parent.Sections.FirstOrDefault(s => s.Name == name);

    private ConfigSection? FindPath(string section, string[] path)
    {
        var target = FindSection(_document.Root, section);
        foreach (var name in path)
        {
            target = target?.Sections.LastOrDefault(s => s.Name == name);
        }

        return target;
    }

    private IEnumerable<ConfigSection> AllNodes() =>
        _document.Root.Sections.Where(s => s.Name == "nodelist").SelectMany(l => l.Sections.Where(s => s.Name == "node"));

    private ConfigSection? FindNode(string nameOrAddress) =>
        AllNodes().LastOrDefault(n => n.Entries.LastOrDefault(e => e.Key == "name")?.Value == nameOrAddress)
        ?? AllNodes().LastOrDefault(n => n.Entries.LastOrDefault(e => e.Key == "ring0_addr")?.Value == nameOrAddress);

    private ConfigSection? FindInterface(byte link) =>
        _document.Root.Sections.Where(s => s.Name == "totem")
            .SelectMany(t => t.Sections.Where(s => s.Name == "interface"))
            .LastOrDefault(f => (ValueParsing.TryParseInteger(f.Entries.LastOrDefault(e => e.Key == "linknumber")?.Value ?? "0", 0, 255, out var n) ? n : -1) == link);

    private void SetEntry(ConfigSection section, string key, string? value)
    {
        if (value is not null && (!CanonicalWriter.IsWritableValue(value) || !CanonicalWriter.IsWritableKey(key)))
        {
            throw new ArgumentException($"'{key}: {value}' cannot be written to corosync.conf");
        }

        var entries = section.Entries.Where(e => e.Key == key).ToList();
        if (value is null)
        {
            for (var i = entries.Count - 1; i >= 0; i--)
            {
                RemoveLine(entries[i].Line);
            }

            return;
        }

        if (entries.Count > 0)
        {
            ReplaceValue(entries[^1].Line, value);
            return;
        }

        var indent = ChildIndent(section);
        InsertLines(InsertionLine(section), [$"{indent}{key}: {value}"]);
    }

    private void ReplaceValue(int line, string value)
    {
        var physical = _lines[line - 1];
        var content = ConfigParser.Content(physical);
        var ending = physical[content.Length..];
        var colon = content.IndexOf(':');
        var valueStart = colon + 1;
        while (valueStart < content.Length && ConfigParser.IsWhitespace(content[valueStart]))
        {
            valueStart++;
        }

        var prefix = content[..valueStart];
        if (valueStart == colon + 1)
        {
            prefix += " ";
        }

        _lines[line - 1] = prefix + value + ending;
        Reparse();
    }

    private void InsertBlock(ConfigSection parent, string name, IReadOnlyList<KeyValue> keys)
    {
        var indent = ChildIndent(parent);
        var unit = IndentUnit();
        var siblings = parent.Sections.Where(s => s.Name == name).ToList();
        var lines = new List<string>();
        int at;
        if (siblings.Count > 0)
        {
            var last = siblings[^1];
            at = last.EndLine + 1;
            var spaced = siblings.Count > 1
                ? IsBlank(siblings[0].EndLine + 1)
                : IsBlank(last.Line - 1) && last.Line - 1 > parent.Line;
            if (spaced)
            {
                lines.Add(string.Empty);
            }
        }
        else
        {
            at = InsertionLine(parent);
        }

        lines.Add($"{indent}{name} {{");
        lines.AddRange(keys.Select(k => $"{indent}{unit}{k.Key}: {k.Value}"));
        lines.Add($"{indent}}}");
        InsertLines(at, lines);
    }

    private ConfigSection AppendTopLevelSection(string name)
    {
        var lines = new List<string>();
        if (_lines.Count > 0 && !IsBlank(_lines.Count))
        {
            lines.Add(string.Empty);
        }

        lines.Add($"{name} {{");
        lines.Add("}");
        if (_lines.Count > 0 && !_lines[^1].EndsWith('\n'))
        {
            _lines[^1] += Newline();
        }

        InsertLines(_lines.Count + 1, lines);
        return _document.Root.Sections.Last(s => s.Name == name);
    }

    /// <summary>Removes a block's lines, and one blank line with it when the block stood between blank lines.</summary>
    private void RemoveBlock(ConfigSection block)
    {
        var first = block.Line;
        var last = block.EndLine;
        if (IsBlank(first - 1) && IsBlank(last + 1))
        {
            last++;
        }

        _lines.RemoveRange(first - 1, last - first + 1);
        Reparse();
    }

    private void RemoveLine(int line)
    {
        _lines.RemoveAt(line - 1);
        Reparse();
    }

    /// <summary>Inserts lines before 1-based line <paramref name="at"/>, with the file's line ending.</summary>
    private void InsertLines(int at, IReadOnlyList<string> lines)
    {
        var newline = Newline();
        var index = Math.Clamp(at - 1, 0, _lines.Count);
        if (index == _lines.Count && index > 0 && !_lines[index - 1].EndsWith('\n'))
        {
            _lines[index - 1] += newline;
        }

        _lines.InsertRange(index, lines.Select(l => l + newline));
        Reparse();
    }

    /// <summary>Where a new item of a section goes: after its last item, or before its closing brace.</summary>
    private static int InsertionLine(ConfigSection section)
    {
        var last = section.Items.Count > 0 ? section.Items[^1] : null;
        return last switch
        {
            ConfigEntry entry => entry.Line + 1,
            ConfigSection child => child.EndLine + 1,
            _ => section.EndLine > 0 ? section.EndLine : section.Line + 1,
        };
    }

    private string ChildIndent(ConfigSection section)
    {
        if (section.Items.Count > 0)
        {
            return Indent(section.Items[^1].Line);
        }

        return section.Line == 0 ? string.Empty : Indent(section.Line) + IndentUnit();
    }

    private string IndentUnit()
    {
        foreach (var section in _document.Root.Sections)
        {
            if (section.Items.Count > 0)
            {
                var inner = Indent(section.Items[0].Line);
                var outer = Indent(section.Line);
                if (inner.Length > outer.Length && inner.StartsWith(outer, StringComparison.Ordinal))
                {
                    return inner[outer.Length..];
                }
            }
        }

        return "  ";
    }

    private string Indent(int line)
    {
        var content = ConfigParser.Content(_lines[line - 1]);
        var length = 0;
        while (length < content.Length && ConfigParser.IsWhitespace(content[length]))
        {
            length++;
        }

        return content[..length];
    }

    private bool IsBlank(int line) =>
        line >= 1 && line <= _lines.Count && ConfigParser.Content(_lines[line - 1]).All(ConfigParser.IsWhitespace);

    private string Newline()
    {
        var crlf = _lines.Count(l => l.EndsWith("\r\n", StringComparison.Ordinal));
        return crlf * 2 > _lines.Count ? "\r\n" : "\n";
    }

    private void Reparse() => _document = ConfigParser.Parse(Text, FileName).Document;
}
