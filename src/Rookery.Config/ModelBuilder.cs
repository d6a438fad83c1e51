using System.Globalization;
using Rookery.Config.Syntax;

namespace Rookery.Config;

/// <summary>
/// Turns a parsed file into the typed model the way corosync maps it into cmap (corosync:
/// <c>main_config_parser_cb</c>): repeated sections merge, the last value of a key wins,
/// interface blocks are keyed by their linknumber, every nodelist section restarts node
/// numbering at 0 (so a second nodelist overwrites the first one's nodes), and typed keys are
/// checked with corosync's messages, reported as parse errors on the key's line.
/// </summary>
internal sealed class ModelBuilder
{
    private readonly string _file;
    private readonly List<Diagnostic> _diagnostics;
    private readonly List<(KeyValue Item, int Line)> _totem = [];
    private readonly SortedDictionary<byte, List<(KeyValue Item, int Line)>> _interfaces = [];
    private readonly Dictionary<byte, int> _interfaceLines = [];
    private readonly List<List<(KeyValue Item, int Line)>> _nodes = [];
    private readonly List<int> _nodeLines = [];
    private readonly List<(KeyValue Item, int Line)> _quorum = [];
    private readonly List<(KeyValue Item, int Line)> _logging = [];
    private readonly SortedDictionary<string, List<(KeyValue Item, int Line)>> _subsystems = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, List<(KeyValue Item, int Line)>> _other = new(StringComparer.Ordinal);
    private int _totemLine;
    private int _quorumLine;
    private int _loggingLine;
    private bool _hasTotem;
    private bool _hasNodelist;
    private bool _hasQuorum;
    private bool _hasLogging;

    private ModelBuilder(string file, List<Diagnostic> diagnostics)
    {
        _file = file;
        _diagnostics = diagnostics;
    }

    public static CorosyncConfig Build(ConfigDocument document, List<Diagnostic> diagnostics)
    {
        var builder = new ModelBuilder(document.FileName, diagnostics);
        builder.Walk(document.Root);
        return builder.Finish();
    }

    private void Walk(ConfigSection root)
    {
        foreach (var item in root.Items)
        {
            if (item is ConfigEntry entry)
            {
                Add(Other(string.Empty), entry, string.Empty, entry.Key);
                continue;
            }

            var section = (ConfigSection)item;
            switch (section.Name)
            {
                case "totem":
                    _hasTotem = true;
                    _totemLine = _totemLine == 0 ? section.Line : _totemLine;
                    WalkTotem(section);
                    break;
                case "nodelist":
                    _hasNodelist = true;
                    WalkNodelist(section);
                    break;
                case "quorum":
                    _hasQuorum = true;
                    _quorumLine = _quorumLine == 0 ? section.Line : _quorumLine;
                    Flatten(section, _quorum, "quorum", string.Empty);
                    break;
                case "logging":
                    _hasLogging = true;
                    _loggingLine = _loggingLine == 0 ? section.Line : _loggingLine;
                    WalkLogging(section);
                    break;
                default:
                    Flatten(section, Other(section.Name), section.Name, string.Empty);
                    break;
            }
        }
    }

    private void WalkTotem(ConfigSection totem)
    {
        foreach (var item in totem.Items)
        {
            switch (item)
            {
                case ConfigEntry entry:
                    Add(_totem, entry, "totem", entry.Key);
                    break;
                case ConfigSection { Name: "interface" } face:
                    WalkInterface(face);
                    break;
                case ConfigSection other:
                    Flatten(other, _totem, "totem." + other.Name, other.Name + ".");
                    break;
            }
        }
    }

    private void WalkInterface(ConfigSection face)
    {
        var items = new List<(KeyValue Item, int Line)>();
        Flatten(face, items, "totem.interface", string.Empty);
        byte link = 0;
        foreach (var (item, _) in items)
        {
            if (item.Key == "linknumber" && ValueParsing.TryParseInteger(item.Value, 0, byte.MaxValue, out var number))
            {
                link = (byte)number;
            }
        }

        _interfaceLines.TryAdd(link, face.Line);
        ListFor(_interfaces, link).AddRange(items.Where(i => i.Item.Key != "linknumber"));
    }

    private void WalkNodelist(ConfigSection nodelist)
    {
        var index = 0;
        foreach (var item in nodelist.Items)
        {
            switch (item)
            {
                case ConfigSection { Name: "node" } node:
                    if (index == _nodes.Count)
                    {
                        _nodes.Add([]);
                        _nodeLines.Add(node.Line);
                    }

                    var path = string.Create(CultureInfo.InvariantCulture, $"nodelist.node.{index}");
                    FlattenNode(node, _nodes[index], path, string.Empty);
                    index++;
                    break;
                case ConfigEntry entry:
                    Add(Other("nodelist"), entry, "nodelist", entry.Key);
                    break;
                case ConfigSection other:
                    Flatten(other, Other("nodelist"), "nodelist." + other.Name, other.Name + ".");
                    break;
            }
        }
    }

    private void FlattenNode(ConfigSection section, List<(KeyValue Item, int Line)> target, string indexedPath, string prefix)
    {
        foreach (var (entry, subsection) in Entries(section))
        {
            var key = subsection.Length == 0 ? prefix + entry.Key : $"{prefix}{subsection}.{entry.Key}";
            var spec = key.Length == entry.Key.Length ? KeyCatalog.Find("nodelist.node." + entry.Key) : null;
            Check(spec, $"{indexedPath}.{key}", entry);
            target.Add((new KeyValue(key, entry.Value), entry.Line));
        }
    }

    private void WalkLogging(ConfigSection logging)
    {
        foreach (var item in logging.Items)
        {
            switch (item)
            {
                case ConfigEntry entry:
                    Add(_logging, entry, "logging", entry.Key);
                    break;
                case ConfigSection { Name: "logger_subsys" } block:
                    var items = new List<(KeyValue Item, int Line)>();
                    Flatten(block, items, "logging.logger_subsys", string.Empty);
                    var subsys = items.LastOrDefault(i => i.Item.Key == "subsys").Item.Value;
                    if (subsys is null)
                    {
                        _diagnostics.Add(Diagnostic.ParseError(_file, block.EndLine > 0 ? block.EndLine : block.Line, "No subsys key in logger_subsys directive"));
                        break;
                    }

                    ListFor(_subsystems, subsys).AddRange(items.Where(i => i.Item.Key != "subsys"));
                    break;
                case ConfigSection other:
                    Flatten(other, _logging, "logging." + other.Name, other.Name + ".");
                    break;
            }
        }
    }

    /// <summary>Adds every key of a section and its subsections, dotted, checking known keys by their cmap path.</summary>
    private void Flatten(ConfigSection section, List<(KeyValue Item, int Line)> target, string path, string prefix)
    {
        foreach (var (entry, subsection) in Entries(section))
        {
            var (sectionPath, key) = subsection.Length == 0
                ? (path, prefix + entry.Key)
                : ($"{path}.{subsection}", $"{prefix}{subsection}.{entry.Key}");
            Add(target, entry, sectionPath, key);
        }
    }

    /// <summary>
    /// Every entry of a section and its subsections in file order, with the dotted path of the
    /// subsection it is in ("" for the section itself). Walks with an explicit stack: the parser bounds nesting
    /// (<see cref="ConfigParser.NestingDepthMax"/>), and the call stack is not what enforces it.
    /// </summary>
    private static IEnumerable<(ConfigEntry Entry, string Subsection)> Entries(ConfigSection section)
    {
        var pending = new Stack<(IEnumerator<ConfigItem> Items, string Path)>();
        pending.Push((section.Items.GetEnumerator(), string.Empty));
        while (pending.Count > 0)
        {
            var (items, current) = pending.Peek();
            if (!items.MoveNext())
            {
                items.Dispose();
                pending.Pop();
                continue;
            }

            switch (items.Current)
            {
                case ConfigEntry entry:
                    yield return (entry, current);
                    break;
                case ConfigSection child:
                    pending.Push((child.Items.GetEnumerator(), current.Length == 0 ? child.Name : $"{current}.{child.Name}"));
                    break;
            }
        }
    }

    private void Add(List<(KeyValue Item, int Line)> target, ConfigEntry entry, string sectionPath, string key)
    {
        var path = sectionPath.Length == 0 ? entry.Key : $"{sectionPath}.{entry.Key}";
        Check(KeyCatalog.Find(path), path, entry);
        target.Add((new KeyValue(key, entry.Value), entry.Line));
    }

    private void Check(KeySpec? spec, string displayPath, ConfigEntry entry)
    {
        if (!IsValidCmapName(displayPath))
        {
            _diagnostics.Add(Diagnostic.ParseError(
                _file, entry.Line, $"Can't store key \"{displayPath}\" into icmap, returned error is CS_ERR_NAME_TOO_LONG"));
            return;
        }

        if (spec is not null && KeyCatalog.CheckValue(spec, displayPath, entry.Value) is { } error)
        {
            _diagnostics.Add(Diagnostic.ParseError(_file, entry.Line, error));
        }
    }

    /// <summary>cmap names: 3..255 characters of <c>[A-Za-z0-9._/:-]</c> (corosync: <c>icmap_is_valid_name_char</c>).</summary>
    public static bool IsValidCmapName(string name) =>
        name.Length is >= 3 and < ConfigParser.KeyPathLengthMax
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '/' or ':' or '-');

    private List<(KeyValue Item, int Line)> Other(string name) => ListFor(_other, name);

    private static List<(KeyValue Item, int Line)> ListFor<TKey>(SortedDictionary<TKey, List<(KeyValue Item, int Line)>> lists, TKey key)
        where TKey : notnull
    {
        if (!lists.TryGetValue(key, out var list))
        {
            list = [];
            lists[key] = list;
        }

        return list;
    }

    private CorosyncConfig Finish()
    {
        var interfaces = _interfaces.Select(pair => new InterfaceConfig(pair.Key, Keys(pair.Value), _interfaceLines[pair.Key])).ToList();
        var totem = new TotemConfig(_hasTotem, Keys(_totem), interfaces, _totemLine);
        var nodes = _nodes.Select((items, i) => new NodeConfig(Keys(items), _nodeLines[i])).ToList();
        var quorum = new QuorumConfig(_hasQuorum, Keys(_quorum), _quorumLine);
        var subsystems = _subsystems.Select(pair => new LoggerSubsysConfig(pair.Key, Keys(pair.Value))).ToList();
        var logging = new LoggingConfig(_hasLogging, Keys(_logging), subsystems, _loggingLine);
        var other = _other.Select(pair => new SectionConfig(pair.Key, Keys(pair.Value))).ToList();
        return new CorosyncConfig(totem, nodes, quorum, logging, other, _hasNodelist);
    }

    private static KeyValues Keys(List<(KeyValue Item, int Line)> items)
    {
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (item, line) in items)
        {
            lines[item.Key] = line;
        }

        return new KeyValues(items.Select(i => i.Item), lines);
    }
}
