namespace Rookery.Config.Syntax;

/// <summary>An item of a corosync.conf file as written: a <c>key: value</c> line or a section block.</summary>
public abstract class ConfigItem
{
    private protected ConfigItem(int line)
    {
        Line = line;
    }

    /// <summary>The 1-based line the item starts on.</summary>
    public int Line { get; }
}

/// <summary>A <c>key: value</c> line. The value is everything after the first colon, trimmed.</summary>
public sealed class ConfigEntry(string key, string value, int line) : ConfigItem(line)
{
    public string Key { get; } = key;

    public string Value { get; } = value;

    public override string ToString() => $"{Key}: {Value}";
}

/// <summary>A <c>name {</c> … <c>}</c> block with its items in file order.</summary>
public sealed class ConfigSection(string name, int line) : ConfigItem(line)
{
    private readonly List<ConfigItem> _items = [];

    public string Name { get; } = name;

    /// <summary>The line of the closing brace (0 when the file ended first).</summary>
    public int EndLine { get; internal set; }

    public IReadOnlyList<ConfigItem> Items => _items;

    public IEnumerable<ConfigEntry> Entries => _items.OfType<ConfigEntry>();

    public IEnumerable<ConfigSection> Sections => _items.OfType<ConfigSection>();

    internal void Add(ConfigItem item) => _items.Add(item);

    public override string ToString() => $"{Name} {{ {_items.Count} items }}";
}

/// <summary>A parsed file: its physical lines (with their terminators, so an editor can splice them) and its tree.</summary>
public sealed class ConfigDocument
{
    internal ConfigDocument(string fileName, IReadOnlyList<string> lines, ConfigSection root)
    {
        FileName = fileName;
        Lines = lines;
        Root = root;
    }

    public string FileName { get; }

    /// <summary>Every physical line including its line terminator ("\n" or "\r\n"; the last may have none).</summary>
    public IReadOnlyList<string> Lines { get; }

    /// <summary>The top level of the file (name "", line 0).</summary>
    public ConfigSection Root { get; }

    public string Text => string.Concat(Lines);
}
