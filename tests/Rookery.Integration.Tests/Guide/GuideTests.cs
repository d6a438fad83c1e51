using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Rookery.Integration.Tests.Guide;

/// <summary>
/// Goal: the admin guide (docs/guide.md) says only what works: every <c>sh</c> block marked <c>&lt;!-- test: on
/// MACHINE --&gt;</c> runs, in order, as that machine of a three-node loopback cluster (create, addnode, copy, start,
/// the seed's runtime link add, a link unplugged with nftables and plugged back), and its C# example compiles and
/// delivers a message through a real daemon. The README keeps its two set-up commands and links only to files
/// that exist.
/// Method: the guide's text with 10.10.10.N / 10.20.20.N rewritten to 127.B.1.N / 127.B.2.N and /etc/rookery to
/// each machine's directory, run by bash with small stand-ins for what three machines have and one does not:
/// <c>systemctl</c> (starts the real <c>rookery daemon</c>), <c>journalctl</c> (its log), <c>scp</c> (a copy into the
/// other machine's directory); <c>rookery</c> and <c>nft</c> are the real ones. Each machine runs in its own UTS
/// namespace with its host name, as the guide's default node names need. Root only (nftables, unshare).
/// </summary>
public sealed partial class GuideTests
{
    private static readonly string[] Machines = ["uno", "due", "tre"];
    private static readonly TimeSpan BlockTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public void EveryShellBlockOfTheGuideIsRunOrSaysWhyNot()
    {
        var blocks = Blocks(GuideText());

        Assert.All(blocks.Where(b => b.Language == "sh"), b => Assert.True(
            b.Marker is not null && (b.Marker.StartsWith("on ", StringComparison.Ordinal) || b.Marker.StartsWith("skip (", StringComparison.Ordinal)),
            $"a sh block of docs/guide.md has no '<!-- test: on MACHINE -->' or '<!-- test: skip (why) -->' before it:\n{b.Text}"));
        Assert.True(blocks.Count(b => b.Marker?.StartsWith("on ", StringComparison.Ordinal) == true) >= 8, "the guide's runnable blocks went missing");
    }

    [Fact]
    public void TheReadmeHasTwoSetUpCommandsAndLinksOnlyInsideTheRepository()
    {
        var root = RepositoryRoot();
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        // The set-up section holds exactly the two commands (the install section after it has its own block).
        var start = readme.IndexOf("## Set-up on a fresh machine", StringComparison.Ordinal);
        Assert.True(start >= 0, "README has no '## Set-up on a fresh machine' section");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var setUp = Blocks(end < 0 ? readme[start..] : readme[start..end]).Single(b => b.Language == "sh");

        Assert.Equal(["./rookery demo", "./test.sh"], setUp.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('#')[0].Trim()));
        Assert.Contains("N passed, N failed, N skipped", readme, StringComparison.Ordinal);
        Assert.Contains("## Where to read on", readme, StringComparison.Ordinal);
        var links = MarkdownLink().Matches(readme).Select(m => m.Groups["target"].Value).ToList();
        Assert.Contains("docs/guide.md", links);
        Assert.All(links, link =>
        {
            Assert.DoesNotContain("://", link, StringComparison.Ordinal);
            var target = Path.Combine(root, link.Split('#')[0]);
            Assert.True(File.Exists(target) || Directory.Exists(target), $"README links to {link}, which is not in the repository");
        });
    }

    [Fact]
    public async Task TheGuidesCommandsRunOnALoopbackClusterAndItsClientExampleDelivers()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Skip("the guide unplugs a link with nftables: run as root (./test.sh as root)");
        }

        if (!File.Exists("/usr/sbin/nft"))
        {
            Assert.Skip("the guide unplugs a link with nftables: apt-get install nftables (test.sh installs it)");
        }

        var text = GuideText();
        var subnet = FreeSubnet();
        var table = string.Create(CultureInfo.InvariantCulture, $"unplug_{Environment.ProcessId}");
        var root = Directory.CreateTempSubdirectory("rookery-guide-").FullName;
        var log = new StringBuilder();
        try
        {
            var bin = WriteStandIns(root);
            foreach (var block in Blocks(text).Where(b => b.Marker?.StartsWith("on ", StringComparison.Ordinal) == true))
            {
                var machines = block.Marker == "on every machine" ? Machines : [block.Marker!["on ".Length..]];
                foreach (var machine in machines)
                {
                    Assert.Contains(machine, Machines);
                    var script = block.Text
                        .Replace("10.10.10.", $"127.{subnet}.1.", StringComparison.Ordinal)
                        .Replace("10.20.20.", $"127.{subnet}.2.", StringComparison.Ordinal)
                        .Replace("/etc/rookery", "$ETC", StringComparison.Ordinal)
                        .Replace("inet unplug", $"inet {table}", StringComparison.Ordinal);
                    var (exit, output) = await RunAsync(script, MachineEnvironment(root, bin, machine));
                    log.Append(CultureInfo.InvariantCulture, $"--- on {machine}:\n{script}\n--- exit {exit}:\n{output}\n");
                    Assert.True(exit == 0, $"a block of docs/guide.md failed on {machine}:\n{log}\n{Logs(root)}");
                }
            }

            var all = log.ToString();
            TestContext.Current.TestOutputHelper?.WriteLine(all);
            Assert.Contains("corosync.conf: valid (3 nodes, 1 link, 0 warning(s))", all, StringComparison.Ordinal);
            Assert.Matches(@"Nodes:\s+3\nRing ID:\s+\S+\nQuorate:\s+Yes", all);
            Assert.Contains("link: host: 3 link: 0 is down", all, StringComparison.Ordinal);
            Assert.Contains("rx: host: 3 link: 0 is up", all, StringComparison.Ordinal);

            var example = new StringWriter();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await Rookery.Examples.Hello.RunAsync(Path.Combine(root, "uno", "rookery.sock"), example, timeout.Token);
            Assert.Matches(@"^ring \S+, quorate: True, members: 3\ndelivered in agreed order by node 1: hello from pid \d+\n$", example.ToString());
        }
        finally
        {
            StopDaemons(root);
            Run("nft", "delete", "table", "inet", table);
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void TheGuidesClientExampleIsTheFileTheTestsCompile()
    {
        var block = Blocks(GuideText()).Single(b => b.Marker == "compiled and run as tests/Rookery.Integration.Tests/Guide/GuideClientExample.cs");
        var file = File.ReadAllText(Path.Combine(RepositoryRoot(), "tests", "Rookery.Integration.Tests", "Guide", "GuideClientExample.cs"));

        Assert.Equal(file, block.Text);
    }

    private sealed record Block(string? Marker, string Language, string Text);

    /// <summary>Fenced blocks with the <c>&lt;!-- test: ... --&gt;</c> marker on the line before them, if any.</summary>
    private static List<Block> Blocks(string markdown)
    {
        var blocks = new List<Block>();
        foreach (Match match in FencedBlock().Matches(markdown))
        {
            var marker = match.Groups["marker"].Success ? match.Groups["marker"].Value.Trim() : null;
            blocks.Add(new Block(marker, match.Groups["language"].Value, match.Groups["body"].Value));
        }

        return blocks;
    }

    private static string GuideText() => File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "guide.md"));

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

    /// <summary>The stand-ins for what three machines have: a service manager, a journal, a copy to another machine.</summary>
    private static string WriteStandIns(string root)
    {
        var bin = Path.Combine(root, "bin");
        Directory.CreateDirectory(bin);
        foreach (var machine in Machines)
        {
            Directory.CreateDirectory(Path.Combine(root, machine, "etc"));
            Directory.CreateDirectory(Path.Combine(root, machine, "state"));
        }

        Script(bin, "rookery", """exec dotnet "$ROOKERY_DLL" "$@" """);
        Script(bin, "systemctl", """
            # systemctl enable --now rookery | start rookery: the daemon in the background; returns when its socket answers.
            case "$*" in
              "enable --now rookery"|"start rookery") ;;
              *) echo "systemctl stand-in: only 'enable --now rookery' and 'start rookery'" >&2; exit 1 ;;
            esac
            setsid dotnet "$ROOKERY_DLL" daemon --node "$NODE" --state-dir "$MACHINE_DIR/state" >>"$MACHINE_DIR/daemon.log" 2>&1 </dev/null &
            echo $! >"$MACHINE_DIR/daemon.pid"
            for _ in $(seq 300); do
              rc=0; rookery status >/dev/null 2>&1 || rc=$?
              [ "$rc" != 1 ] && exit 0   # 0 quorate, 2 not yet: either way the daemon answers
              kill -0 "$(cat "$MACHINE_DIR/daemon.pid")" 2>/dev/null || { echo "rookery daemon exited:" >&2; tail -20 "$MACHINE_DIR/daemon.log" >&2; exit 1; }
              sleep 0.1
            done
            echo "systemctl stand-in: the daemon did not answer within 30 s" >&2
            exit 1
            """);
        Script(bin, "journalctl", """
            # journalctl -b -u rookery: this machine's daemon log.
            cat "$MACHINE_DIR/daemon.log"
            """);
        Script(bin, "scp", """
            # scp FILE... root@127.B.L.N:DIR: copies into machine N's configuration directory.
            target="${@: -1}"
            host="${target%%:*}"
            number="${host##*.}"
            case "$number" in 1) to=uno ;; 2) to=due ;; 3) to=tre ;; *) echo "scp stand-in: no machine $host" >&2; exit 1 ;; esac
            cp "${@:1:$#-1}" "$ROOT/$to/etc/"
            """);
        return bin;
    }

    private static void Script(string bin, string name, string body)
    {
        var path = Path.Combine(bin, name);
        File.WriteAllText(path, "#!/usr/bin/env bash\nset -euo pipefail\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        }
    }

    private static Dictionary<string, string> MachineEnvironment(string root, string bin, string machine)
    {
        var directory = Path.Combine(root, machine);
        return new Dictionary<string, string>
        {
            ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}",
            ["ROOT"] = root,
            ["NODE"] = machine,
            ["MACHINE_DIR"] = directory,
            ["ETC"] = Path.Combine(directory, "etc"),
            ["ROOKERY_CONFIG_DIR"] = Path.Combine(directory, "etc"),
            ["ROOKERY_SOCKET"] = Path.Combine(directory, "rookery.sock"),
            ["ROOKERY_DLL"] = Procedure.RookeryBinary.Dll,
        };
    }

    private static async Task<(int Exit, string Output)> RunAsync(string script, Dictionary<string, string> environment)
    {
        // Each machine has its own host name (the default node name of create and of the daemon): its own UTS namespace.
        var start = new ProcessStartInfo("unshare") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--uts", "bash", "-c", "hostname \"$NODE\" && exec bash -euo pipefail -c \"$GUIDE_BLOCK\"" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["GUIDE_BLOCK"] = script;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(BlockTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            return (-1, await output + await error + $"\n(killed after {BlockTimeout.TotalSeconds} s)");
        }

        return (process.ExitCode, await output + await error);
    }

    private static void StopDaemons(string root)
    {
        var daemons = new List<Process>();
        foreach (var machine in Machines)
        {
            var pidFile = Path.Combine(root, machine, "daemon.pid");
            if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
            {
                try
                {
                    var process = Process.GetProcessById(pid);
                    Run("kill", "-TERM", pid.ToString(CultureInfo.InvariantCulture));
                    daemons.Add(process);
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }
        }

        foreach (var daemon in daemons)
        {
            if (!daemon.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                daemon.Kill();
            }

            daemon.Dispose();
        }
    }

    private static string Logs(string root) =>
        string.Join('\n', Machines.Select(m => Path.Combine(root, m, "daemon.log")).Where(File.Exists).Select(p => $"--- {p}:\n{string.Join('\n', File.ReadLines(p).TakeLast(20))}"));

    private static void Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.WaitForExit();
    }

    /// <summary>A B for which 127.B.1-2.1-3 with UDP 5405-5406 are free (counting down from 250, away from the demo's).</summary>
    private static int FreeSubnet()
    {
        for (var subnet = 250; subnet > 100; subnet--)
        {
            var free = true;
            for (var link = 1; link <= 2 && free; link++)
            {
                for (var node = 1; node <= 3 && free; node++)
                {
                    try
                    {
                        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                        socket.Bind(new IPEndPoint(IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"127.{subnet}.{link}.{node}")), 5404 + link));
                    }
                    catch (SocketException)
                    {
                        free = false;
                    }
                }
            }

            if (free)
            {
                return subnet;
            }
        }

        throw new InvalidOperationException("no free loopback block 127.B.1-2.1-3 with UDP 5405-5406");
    }

    [GeneratedRegex(@"(?:<!-- test: (?<marker>.*?) -->\n)?```(?<language>[a-z]+)\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex FencedBlock();

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex MarkdownLink();
}
