using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Rookery.Control;
using Rookery.Node.Logging;

namespace Rookery.Node.Shell;

/// <summary>
/// Hook scripts on cluster events (like corosync-notifyd, links included): every executable file of the hooks
/// directory (<c>events.d</c> next to corosync.conf), in name order, runs once per event with the event as one JSON
/// line on stdin and <c>ROOKERY_EVENT_TYPE</c> / <c>ROOKERY_EVENT</c> in its environment. Events wait in a bounded
/// queue (the oldest are dropped, and counted in the log, when hooks are slower than the cluster); a hook that runs
/// longer than <see cref="HookTimeout"/> is killed. Hooks never delay the node: they run on a task of their own.
/// </summary>
public sealed class EventHooks
{
    /// <summary>The hooks directory's name, next to corosync.conf.</summary>
    public const string DirectoryName = "events.d";

    /// <summary>Events waiting for the hooks; beyond it the oldest are dropped.</summary>
    public const int QueueMax = 256;

    /// <summary>Longest a hook may run for one event before it is killed.</summary>
    public static readonly TimeSpan HookTimeout = TimeSpan.FromSeconds(10);

    private readonly string _directory;
    private readonly ClusterLog _log;
    private readonly Channel<ClusterEvent> _queue;
    private long _dropped;

    public EventHooks(string directory, ClusterLog log)
    {
        _directory = directory;
        _log = log;
        _queue = Channel.CreateBounded<ClusterEvent>(
            new BoundedChannelOptions(QueueMax) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
        _ = Task.Run(RunAsync);
    }

    /// <summary>Queues an event (never blocks).</summary>
    public void Post(ClusterEvent clusterEvent) => _queue.Writer.TryWrite(clusterEvent);

    private async Task RunAsync()
    {
        await foreach (var clusterEvent in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (Interlocked.Exchange(ref _dropped, 0) is > 0 and var dropped)
            {
                _log.Warning(LogSubsystem.Main, $"event hooks: {dropped} events dropped, the hooks in {_directory} are slower than the cluster's events (queue of {QueueMax})");
            }

            var json = JsonSerializer.Serialize(clusterEvent, ControlJsonContext.Default.ClusterEvent);
            string[] hooks;
            try
            {
                hooks = [.. Directory.EnumerateFiles(_directory).Where(IsExecutable).Order(StringComparer.Ordinal)];
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var hook in hooks)
            {
                await RunHookAsync(hook, clusterEvent.Type, json).ConfigureAwait(false);
            }
        }
    }

    private async Task RunHookAsync(string hook, string type, string json)
    {
        var start = new ProcessStartInfo(hook) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = false };
        start.Environment["ROOKERY_EVENT_TYPE"] = type;
        start.Environment["ROOKERY_EVENT"] = json;
        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return;
            }

            await process.StandardInput.WriteLineAsync(json).ConfigureAwait(false);
            process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(HookTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                if (process.ExitCode != 0)
                {
                    _log.Warning(LogSubsystem.Main, $"event hook {hook} exited with code {process.ExitCode} for a {type} event");
                }
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                _log.Warning(LogSubsystem.Main, $"event hook {hook} killed after {HookTimeout.TotalSeconds} s on a {type} event");
            }
        }
        catch (Exception exception) when (exception is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            _log.Warning(LogSubsystem.Main, $"event hook {hook} could not run: {exception.Message}");
        }
    }

    private static bool IsExecutable(string path) =>
        !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
