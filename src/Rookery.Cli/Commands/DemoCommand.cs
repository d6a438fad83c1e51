using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Rookery.Cli.Demo;

namespace Rookery.Cli.Commands;

/// <summary>
/// <c>rookery demo</c>: a 3-node cluster with two links on loopback addresses (no set-up), a live view, a real link
/// failure (as root; otherwise an admin's link disable, and why), a killed node and its rejoin. Ctrl-C (or
/// SIGTERM/SIGHUP) stops it cleanly at any point.
/// </summary>
public static class DemoCommand
{
    /// <summary>How long each phase is shown by default (seconds).</summary>
    public const double HoldDefaultSeconds = 5;

    public static Command Build(CliContext context)
    {
        var hold = new Option<double?>("--hold")
        {
            Description = string.Create(CultureInfo.InvariantCulture, $"Seconds each phase is shown (default {HoldDefaultSeconds})"),
            HelpName = "SECONDS",
        };
        var plain = new Option<bool>("--plain") { Description = "Plain text frames even on a terminal (the default without one)" };
        var demo = new Command("demo", "Run a 3-node cluster with two links on loopback addresses; cut a link for real (as root), kill a node and let it rejoin.");
        demo.Options.Add(hold);
        demo.Options.Add(plain);
        context.SetAction(demo, result =>
        {
            var seconds = result.GetValue(hold) ?? HoldDefaultSeconds;
            if (seconds is < 0 or > 3600 || double.IsNaN(seconds))
            {
                throw new CliException("--hold: value must be between 0 and 3600 seconds", ExitCodes.Usage);
            }

            var live = !result.GetValue(plain) && ReferenceEquals(context.Output, Console.Out) && !Console.IsOutputRedirected;
            using var stop = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true;
                stop.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
            {
                signal.Cancel = true;
                stop.Cancel();
            });
            using var onHangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, signal =>
            {
                signal.Cancel = true;
                stop.Cancel();
            });
            try
            {
                var runner = new DemoRunner(new DemoScreen(context.Output, live), TimeSpan.FromSeconds(seconds));
                return runner.RunAsync(stop.Token).GetAwaiter().GetResult();
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        });
        return demo;
    }
}
