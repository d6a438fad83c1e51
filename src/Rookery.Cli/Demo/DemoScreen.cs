namespace Rookery.Cli.Demo;

/// <summary>
/// Where the demo shows itself. On a terminal: one screen redrawn in place (the live view, then the story so far).
/// Without one (a pipe, a file, a test): plain text, each event as a line and a frame whenever the view changes.
/// </summary>
public sealed class DemoScreen(TextWriter output, bool live)
{
    private const int EventsShown = 14;
    private readonly List<string> _events = [];
    private string? _lastSignature;
    private string _footer = "";

    public bool Live { get; } = live;

    /// <summary>Something happened: a step of the story or a measured result.</summary>
    public void Event(TimeSpan at, string text)
    {
        var line = $"[{at.TotalSeconds,6:0.0} s] {text}";
        _events.Add(line);
        if (!Live)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    /// <summary>A line under the view (the message stream's counters).</summary>
    public void Footer(string text) => _footer = text;

    /// <summary>Shows a new view: redrawn in place on a terminal; printed when it changed otherwise (or when <paramref name="force"/>).</summary>
    public void Show(DemoCluster cluster, DemoSnapshot snapshot, string phase, bool force = false)
    {
        if (Live)
        {
            output.Write("\u001b[H\u001b[2J");
            output.Write(snapshot.Render(cluster, phase));
            output.WriteLine(_footer);
            output.WriteLine();
            foreach (var line in _events.TakeLast(EventsShown))
            {
                output.WriteLine(line);
            }

            output.WriteLine();
            output.WriteLine("Ctrl-C stops the demo (every daemon is stopped and the temporary files are removed).");
            output.Flush();
            return;
        }

        var signature = snapshot.Signature();
        if (force || signature != _lastSignature)
        {
            _lastSignature = signature;
            output.Write(snapshot.Render(cluster, phase));
            if (_footer.Length > 0)
            {
                output.WriteLine("  " + _footer);
            }

            output.WriteLine();
            output.Flush();
        }
    }
}
