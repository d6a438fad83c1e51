using CsCheck;

namespace Rookery.Config.Tests;

public sealed class EditorTests
{
    private const string Commented = """
        # cluster of three, edited by hand
        logging {
          debug: off   
          to_syslog: yes
        }

        nodelist {
          # the first node
          node {
            name: uno
            nodeid: 1
            ring0_addr: 10.10.10.1
          }

          node {
            name: due
            nodeid: 2
            ring0_addr: 10.10.10.2
          }

        }

        totem {
          version: 2
          config_version: 7
          # keep the token long: slow switches
          token: 5000
          interface {
            linknumber: 0
          }
        }

        """;

    [Fact]
    public void SettingAKeyChangesOnlyItsLine()
    {
        var editor = Open(Commented);
        editor.SetKey("totem", "token", "6000");

        Assert.Equal(Commented.Replace("token: 5000", "token: 6000", StringComparison.Ordinal), editor.Text);
    }

    [Fact]
    public void AddingAKeyInsertsOneLineWithTheNeighboursIndent()
    {
        var editor = Open(Commented);
        editor.SetKey("totem", "secauth", "on");

        Assert.Equal(Commented.Replace("  interface {\n    linknumber: 0\n  }\n", "  interface {\n    linknumber: 0\n  }\n  secauth: on\n", StringComparison.Ordinal), editor.Text);
    }

    [Fact]
    public void BumpingTheVersionKeepsTheComments()
    {
        var editor = Open(Commented);

        Assert.Equal(8UL, editor.BumpConfigVersion());
        Assert.Equal(Commented.Replace("config_version: 7", "config_version: 8", StringComparison.Ordinal), editor.Text);
    }

    [Fact]
    public void AddingANodeFollowsTheBlankLineStyleOfTheNodelist()
    {
        var editor = Open(Commented);
        editor.AddNode([new("name", "tre"), new("nodeid", "3"), new("ring0_addr", "10.10.10.3")]);

        var expected = Commented.Replace(
            "    ring0_addr: 10.10.10.2\n  }\n",
            "    ring0_addr: 10.10.10.2\n  }\n\n  node {\n    name: tre\n    nodeid: 3\n    ring0_addr: 10.10.10.3\n  }\n",
            StringComparison.Ordinal);
        Assert.Equal(expected, editor.Text);
    }

    [Fact]
    public void RemovingANodeRemovesItsBlockAndOneSurroundingBlankLine()
    {
        var editor = Open(Commented);

        Assert.True(editor.RemoveNode("due"));
        var expected = Commented.Replace("  node {\n    name: due\n    nodeid: 2\n    ring0_addr: 10.10.10.2\n  }\n\n", string.Empty, StringComparison.Ordinal);
        Assert.Equal(expected, editor.Text);
        Assert.False(editor.RemoveNode("due"));
    }

    [Fact]
    public void AddingAndRemovingALinkTouchesOnlyRingAddressesAndTheInterfaceBlock()
    {
        var editor = Open(Commented);
        editor.AddLink(1, new Dictionary<string, string> { ["uno"] = "10.20.20.1", ["due"] = "10.20.20.2" }, priority: 20);

        var config = editor.Config;
        Assert.Equal("10.20.20.2", config.FindNode("due")!.Address(1));
        Assert.Equal(20, config.Totem.Interface(new LinkId(1))!.Priority);
        Assert.Contains("    ring0_addr: 10.10.10.1\n    ring1_addr: 10.20.20.1\n", editor.Text, StringComparison.Ordinal);
        Assert.Contains("  interface {\n    linknumber: 0\n  }\n  interface {\n    linknumber: 1\n    knet_link_priority: 20\n  }\n", editor.Text, StringComparison.Ordinal);

        editor.RemoveLink(1);
        Assert.Equal(Commented, editor.Text);
    }

    [Fact]
    public void CrlfFilesGetCrlfLines()
    {
        var crlf = Commented.Replace("\n", "\r\n", StringComparison.Ordinal);
        var editor = Open(crlf);
        editor.SetKey("quorum", "provider", "corosync_votequorum");

        Assert.EndsWith("\r\nquorum {\r\n  provider: corosync_votequorum\r\n}\r\n", editor.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", editor.Text.Replace("\r\n", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void NestedKeysCreateTheirSubsection()
    {
        var editor = Open(Commented);
        editor.SetKey("totem", "x_ext.tuning", "fast");

        Assert.Equal("fast", editor.Config.Totem.Keys["x_ext.tuning"]);
        Assert.Contains("  x_ext {\n    tuning: fast\n  }\n}\n", editor.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void ATextThatDoesNotParseIsRefused()
    {
        Assert.Null(ConfigEditor.TryOpen("totem {\n", "f", out var errors));
        Assert.Equal("Missing closing brace", Assert.Single(errors).Message);
    }

    [Fact]
    public void EditsLeaveEveryUntouchedLineByteIdentical()
    {
        Gen.Select(Gen.Int[1, 5], Gen.Int[1, 3], Gen.ULong, Gen.Int[0, 5], Gen.Bool).Sample((nodes, links, seed, operation, crlf) =>
        {
            var text = RandomConfigs.Decorate(CanonicalWriter.Write(RandomConfigs.Model(nodes, links, seed)), seed, crlf);
            var editor = Open(text);
            var before = editor.Config;
            var original = Syntax.ConfigParser.SplitLines(text);
            var kind = Apply(editor, before, operation);
            var edited = Syntax.ConfigParser.SplitLines(editor.Text);

            Assert.True(ConfigLoader.Parse(editor.Text, "f").Parsed, editor.Text);
            var (longer, shorter) = kind == EditKind.Removes ? (original, edited) : (edited, original);
            if (kind == EditKind.Replaces)
            {
                Assert.Equal(original.Count, edited.Count);
                Assert.True(original.Zip(edited).Count(p => p.First != p.Second) <= 1, editor.Text);
            }
            else
            {
                Assert.True(IsSubsequence(shorter, longer), $"operation {operation}\n--- before\n{text}\n--- after\n{editor.Text}");
            }
        }, iter: 300);
    }

    private enum EditKind
    {
        Adds,
        Removes,
        Replaces,
    }

    private static EditKind Apply(ConfigEditor editor, CorosyncConfig before, int operation)
    {
        switch (operation)
        {
            case 0:
                editor.BumpConfigVersion();
                Assert.Equal(before.Totem.ConfigVersion + 1, editor.Config.Totem.ConfigVersion);
                return before.Totem.Keys.Contains("config_version") ? EditKind.Replaces : EditKind.Adds;
            case 1:
                editor.SetKey("totem", "token", "4321");
                Assert.Equal(4321u, editor.Config.Totem.Token);
                return before.Totem.Keys.Contains("token") ? EditKind.Replaces : EditKind.Adds;
            case 2:
                var keys = new List<KeyValue> { new("name", "zz"), new("nodeid", "999") };
                keys.AddRange(before.ConfiguredLinks.Select(l => new KeyValue(NodeConfig.RingKey(l.Value), $"10.{l.Value}.1.250")));
                editor.AddNode(keys);
                Assert.Equal(before.Nodes.Count + 1, editor.Config.Nodes.Count);
                return EditKind.Adds;
            case 3:
                editor.RemoveNode(before.Nodes[0].Name!);
                Assert.Null(editor.Config.FindNode(before.Nodes[0].Name!));
                return EditKind.Removes;
            case 4:
                var free = Enumerable.Range(0, Limits.LinksMax).First(l => !before.ConfiguredLinks.Contains(new LinkId((byte)l)));
                editor.AddLink((byte)free, before.Nodes.ToDictionary(n => n.Name!, n => $"10.{free}.7.{n.NodeId}"));
                Assert.Contains(new LinkId((byte)free), editor.Config.ConfiguredLinks);
                return EditKind.Adds;
            default:
                var link = before.ConfiguredLinks[^1].Value;
                editor.RemoveLink(link);
                Assert.DoesNotContain(new LinkId(link), editor.Config.ConfiguredLinks);
                return EditKind.Removes;
        }
    }

    private static bool IsSubsequence(IReadOnlyList<string> shorter, IReadOnlyList<string> longer)
    {
        var j = 0;
        foreach (var line in longer)
        {
            if (j < shorter.Count && shorter[j] == line)
            {
                j++;
            }
        }

        return j == shorter.Count;
    }

    private static ConfigEditor Open(string text) =>
        ConfigEditor.TryOpen(text, "f", out var errors) ?? throw new InvalidOperationException(Fixture.Describe(errors));
}
