using System.Globalization;
using System.Text;

namespace Rookery.Config;

/// <summary>
/// Writes a model in pvecm's layout (pve-cluster: <c>PVE::Corosync::write_conf</c>): at every level
/// keys and subsections sorted together by name (ordinal), two spaces of indent per level,
/// <c>key: value</c>, node blocks sorted by name (else ring0_addr), interface blocks by link
/// number, and a blank line after each top-level section. Comments cannot survive this; use
/// <see cref="ConfigEditor"/> to change an existing file.
/// </summary>
public static class CanonicalWriter
{
    public static string Write(CorosyncConfig config)
    {
        var root = new Tree();
        if (config.Section(string.Empty) is { } topLevel)
        {
            root.AddKeys(topLevel.Keys);
        }

        if (config.Logging.Present || config.Logging.Keys.Count > 0 || config.Logging.Subsystems.Count > 0)
        {
            var logging = root.Child("logging");
            logging.AddKeys(config.Logging.Keys);
            foreach (var subsys in config.Logging.Subsystems)
            {
                var block = logging.ArrayItem("logger_subsys");
                block.AddKeys(subsys.Keys);
                block.AddKeys(KeyValues.Of(("subsys", subsys.Subsys)));
            }
        }

        if (config.HasNodelist)
        {
            var nodelist = root.Child("nodelist");
            if (config.Section("nodelist") is { } extra)
            {
                nodelist.AddKeys(extra.Keys);
            }

            nodelist.EnsureArray("node");
            foreach (var node in config.Nodes.OrderBy(n => n.Name ?? n.Address(0) ?? string.Empty, StringComparer.Ordinal))
            {
                nodelist.ArrayItem("node").AddKeys(node.Keys);
            }
        }

        if (config.Quorum.Present || config.Quorum.Keys.Count > 0)
        {
            root.Child("quorum").AddKeys(config.Quorum.Keys);
        }

        if (config.Totem.Present || config.Totem.Keys.Count > 0 || config.Totem.Interfaces.Count > 0)
        {
            var totem = root.Child("totem");
            totem.AddKeys(config.Totem.Keys);
            foreach (var face in config.Totem.Interfaces)
            {
                var block = totem.ArrayItem("interface");
                block.AddKeys(face.Keys);
                block.AddKeys(KeyValues.Of(("linknumber", face.LinkNumber.ToString(CultureInfo.InvariantCulture))));
            }
        }

        foreach (var section in config.OtherSections.Where(s => s.Name is not ("" or "nodelist")))
        {
            root.Child(section.Name).AddKeys(section.Keys);
        }

        var output = new StringBuilder();
        Dump(root, string.Empty, output);
        return output.ToString();
    }

    /// <summary>Whether a value survives a write and a re-read unchanged (no line breaks, no '{', no edge whitespace).</summary>
    public static bool IsWritableValue(string value) =>
        !value.Contains('\n') && !value.Contains('\r') && !value.Contains('{') && !value.Contains('\0')
        && (value.Length == 0 || (!ConfigParserWhitespace(value[0]) && !ConfigParserWhitespace(value[^1])));

    /// <summary>Whether a key survives a write: a cmap-valid name (letters, digits, '.', '_', '/', ':', '-'), no empty segment.</summary>
    public static bool IsWritableKey(string key) =>
        key.Length > 0 && !key.Contains(':') && !key.StartsWith('.') && !key.EndsWith('.') && !key.Contains("..", StringComparison.Ordinal)
        && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '/' or '-');

    private static bool ConfigParserWhitespace(char c) => Syntax.ConfigParser.IsWhitespace(c);

    private static void Dump(Tree tree, string indent, StringBuilder output)
    {
        foreach (var (name, item) in tree.Items.OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            switch (item)
            {
                case string value:
                    if (!IsWritableValue(value) || !IsWritableKey(name))
                    {
                        throw new ArgumentException($"'{name}: {value}' cannot be written to corosync.conf");
                    }

                    output.Append(indent).Append(name).Append(": ").Append(value).Append('\n');
                    break;
                case Tree child:
                    output.Append(indent).Append(name).Append(" {\n");
                    Dump(child, indent + "  ", output);
                    output.Append(indent).Append("}\n");
                    if (indent.Length == 0)
                    {
                        output.Append('\n');
                    }

                    break;
                case List<Tree> array:
                    foreach (var element in array)
                    {
                        output.Append(indent).Append(name).Append(" {\n");
                        Dump(element, indent + "  ", output);
                        output.Append(indent).Append("}\n");
                    }

                    break;
            }
        }
    }

    /// <summary>A section being assembled: named values, subsections and arrays of blocks.</summary>
    private sealed class Tree
    {
        public List<(string Name, object Item)> Items { get; } = [];

        public void AddKeys(KeyValues keys)
        {
            foreach (var item in keys)
            {
                var dot = item.Key.IndexOf('.');
                if (dot > 0 && dot < item.Key.Length - 1)
                {
                    Child(item.Key[..dot]).AddKeys(KeyValues.Of((item.Key[(dot + 1)..], item.Value)));
                }
                else
                {
                    Items.Add((item.Key, item.Value));
                }
            }
        }

        public Tree Child(string name)
        {
            foreach (var (existingName, item) in Items)
            {
                if (existingName == name && item is Tree tree)
                {
                    return tree;
                }
            }

            var child = new Tree();
            Items.Add((name, child));
            return child;
        }

        public void EnsureArray(string name)
        {
            if (!Items.Any(i => i.Name == name && i.Item is List<Tree>))
            {
                Items.Add((name, new List<Tree>()));
            }
        }

        public Tree ArrayItem(string name)
        {
            EnsureArray(name);
            var array = (List<Tree>)Items.First(i => i.Name == name && i.Item is List<Tree>).Item;
            var element = new Tree();
            array.Add(element);
            return element;
        }
    }
}
