using Rookery.Control;
using Rookery.Node.Logging;
using Rookery.Node.Shell;

namespace Rookery.Node.Tests.Shell;

/// <summary>
/// Goal: every executable hook of the hooks directory runs once per cluster event, in name order, with the event as
/// JSON on stdin and in its environment; files that are not executable are not run.
/// Method: real shell scripts in a temporary directory append what they were given to a file; the test waits for
/// the lines with a deadline.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class EventHooksTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rookery-hooks-").FullName;

    [Fact]
    public async Task Each_executable_hook_gets_each_event_in_order_with_its_json()
    {
        var output = Path.Combine(_directory, "seen.txt");
        Script("10-first", $"#!/bin/sh\nread line\necho \"first $ROOKERY_EVENT_TYPE $line\" >> {output}\n");
        Script("20-second", $"#!/bin/sh\necho \"second $ROOKERY_EVENT_TYPE\" >> {output}\n");
        File.WriteAllText(Path.Combine(_directory, "30-not-executable"), $"#!/bin/sh\necho never >> {output}\n");
        using var log = new ClusterLog(new LoggingSettings(), []);
        var hooks = new EventHooks(_directory, log);

        hooks.Post(new ClusterEvent(ClusterEventTypes.Link, "2026-12-07T18:00:00.000Z") { Nodeid = 2, Link = 1, State = "up" });
        hooks.Post(new ClusterEvent(ClusterEventTypes.Config, "2026-12-07T18:00:01.000Z") { ConfigVersion = 5 });

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        string[] lines = [];
        while (DateTime.UtcNow < deadline && lines.Length < 4)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            lines = File.Exists(output) ? File.ReadAllLines(output) : [];
        }

        Assert.Equal(4, lines.Length);
        Assert.Equal("first link {\"type\":\"link\",\"time\":\"2026-12-07T18:00:00.000Z\",\"nodeid\":2,\"link\":1,\"state\":\"up\"}", lines[0]);
        Assert.Equal("second link", lines[1]);
        Assert.StartsWith("first config {\"type\":\"config\"", lines[2], StringComparison.Ordinal);
        Assert.Equal("second config", lines[3]);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private void Script(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
