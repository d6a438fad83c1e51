using System.Reflection;
using System.Xml.Linq;
using Rookery.Node.Control;
using Rookery.Node.Logging;
using Rookery.Node.Shell;
using GroupChat;

namespace Rookery.Client.Tests;

/// <summary>
/// Goal: an application that only talks to a daemon depends on Rookery.Client and the contracts (Rookery.Control),
/// never on the node or a protocol core (issue 9 point 4), and the sample built that way really chats.
/// Method: walk the project references of the client and the sample from their .csproj files, and the assembly
/// references of the built sample from its metadata; then run the sample's chat against a real one-node cluster in
/// this process, served on a real control socket.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class GroupChatSampleTests : IDisposable
{
    private static readonly string[] s_protocolCores =
        ["Rookery.Node", "Rookery.Core", "Rookery.Wire", "Rookery.Links", "Rookery.Totem", "Rookery.Quorum", "Rookery.Groups", "Rookery.Config", "Rookery.Services"];

    private readonly string _directory = Directory.CreateTempSubdirectory("rookery-chat-").FullName;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Client_and_sample_projects_reference_only_the_contracts()
    {
        var root = RepositoryRoot();
        Assert.Equal(["Rookery.Control"], ProjectClosure(Path.Combine(root, "src/Rookery.Client/Rookery.Client.csproj")));
        Assert.Equal(["Rookery.Client", "Rookery.Control"], ProjectClosure(Path.Combine(root, "samples/GroupChat/GroupChat.csproj")));
        Assert.Empty(ProjectClosure(Path.Combine(root, "src/Rookery.Control/Rookery.Control.csproj")));
    }

    [Fact]
    public void Built_sample_loads_the_client_and_the_contracts_nothing_else()
    {
        var loaded = AssemblyClosure(typeof(ChatSession).Assembly);

        Assert.Equal(["GroupChat", "Rookery.Client", "Rookery.Control"], loaded);
        Assert.DoesNotContain(loaded, s_protocolCores.Contains);
    }

    [Fact]
    public async Task Sample_chats_through_a_real_node_over_the_control_socket()
    {
        var address = $"127.{10 + (Environment.ProcessId % 90)}.9.2";
        var config = Path.Combine(_directory, "corosync.conf");
        await File.WriteAllTextAsync(config,
            "totem {\n version: 2\n cluster_name: chat\n config_version: 1\n crypto_cipher: none\n crypto_hash: none\n}\n" +
            "logging {\n to_stderr: no\n to_syslog: no\n}\nquorum {\n provider: corosync_votequorum\n}\n" +
            $"nodelist {{\n node {{\n  name: chat\n  nodeid: 1\n  ring0_addr: {address}\n }}\n}}\n", Token);
        using var log = new ClusterLog(new LoggingSettings(), [new MemoryLogSink()]);
        var node = ClusterNode.Start(new NodeOptions { ConfigPath = config, StateDirectory = Path.Combine(_directory, "state"), NodeName = "chat", LogDestinationsFromConfig = false }, log);
        await using var _ = node;
        using var stop = new CancellationTokenSource();
        var running = node.RunAsync(stop.Token);
        await node.InService.WaitAsync(TimeSpan.FromSeconds(30), Token);
        var socket = Path.Combine(_directory, "rookery.sock");
        await using var server = new ControlServer(socket, node, log);
        server.Start();

        await using var client = await RookeryClient.ConnectAsync(socket, Token);
        var output = new StringWriter();
        await ChatSession.RunAsync(client, "chat", new StringReader("hello\nsecond line\n\u00e9t\u00e9\n"), output, Token).WaitAsync(TimeSpan.FromSeconds(30), Token);

        var me = $"1/{Environment.ProcessId}";
        Assert.Equal([$"{me}: hello", $"{me}: second line", $"{me}: \u00e9t\u00e9"], output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        await stop.CancelAsync();
        Assert.Equal(0, await running.WaitAsync(TimeSpan.FromSeconds(30), Token));
    }

    /// <summary>Names of every project reachable through ProjectReference items, sorted.</summary>
    private static string[] ProjectClosure(string project)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(project)]);
        while (pending.TryPop(out var current))
        {
            foreach (var reference in XDocument.Load(current).Descendants("ProjectReference"))
            {
                var path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, (string)reference.Attribute("Include")!));
                if (found.Add(Path.GetFileNameWithoutExtension(path)))
                {
                    pending.Push(path);
                }
            }
        }

        return [.. found];
    }

    /// <summary>The assembly and every assembly it references, directly or not, outside the .NET runtime, sorted.</summary>
    private static string[] AssemblyClosure(Assembly start)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal) { start.GetName().Name! };
        var pending = new Stack<Assembly>([start]);
        while (pending.TryPop(out var current))
        {
            foreach (var name in current.GetReferencedAssemblies())
            {
                if (name.Name is { } simple && !IsRuntime(simple) && found.Add(simple))
                {
                    pending.Push(Assembly.Load(name));
                }
            }
        }

        return [.. found];
    }

    private static bool IsRuntime(string name) => name is "mscorlib" or "netstandard" || name.StartsWith("System", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Rookery.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Rookery.slnx above {AppContext.BaseDirectory}");
    }
}
