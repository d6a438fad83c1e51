using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Rookery.Web;

/// <summary>
/// Writes the instruments of one <see cref="Meter"/> in the Prometheus text exposition format (version 0.0.4): a
/// <c># HELP</c> and a <c># TYPE</c> line per instrument, then one sample line per measurement with its tags as labels.
/// Observable instruments are collected at the moment of <see cref="Write"/>; gauges are <c>gauge</c>, counters
/// <c>counter</c>.
/// </summary>
public sealed class PrometheusText : IDisposable
{
    /// <summary>The HTTP content type of the format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private readonly List<Instrument> _instruments = [];
    private readonly Dictionary<Instrument, List<(double Value, KeyValuePair<string, object?>[] Tags)>> _samples = [];

    public PrometheusText(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                lock (_gate)
                {
                    _instruments.Add(instrument);
                }

                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>Collects every instrument now and writes the exposition text.</summary>
    public string Write()
    {
        lock (_gate)
        {
            foreach (var list in _samples.Values)
            {
                list.Clear();
            }

            _listener.RecordObservableInstruments();
            var text = new StringBuilder();
            foreach (var instrument in _instruments)
            {
                text.Append("# HELP ").Append(instrument.Name).Append(' ').Append(EscapeHelp(instrument.Description ?? instrument.Name)).Append('\n');
                text.Append("# TYPE ").Append(instrument.Name).Append(' ').Append(TypeOf(instrument)).Append('\n');
                if (!_samples.TryGetValue(instrument, out var samples))
                {
                    continue;
                }

                foreach (var (value, tags) in samples)
                {
                    text.Append(instrument.Name);
                    if (tags.Length > 0)
                    {
                        text.Append('{');
                        for (var i = 0; i < tags.Length; i++)
                        {
                            text.Append(i == 0 ? "" : ",").Append(tags[i].Key).Append("=\"")
                                .Append(EscapeLabel(Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "")).Append('"');
                        }

                        text.Append('}');
                    }

                    text.Append(' ').Append(FormatValue(value)).Append('\n');
                }
            }

            return text.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // Called from RecordObservableInstruments, inside Write's lock.
        if (!_samples.TryGetValue(instrument, out var list))
        {
            list = [];
            _samples[instrument] = list;
        }

        list.Add((value, tags.ToArray()));
    }

    private static string TypeOf(Instrument instrument) =>
        instrument is ObservableCounter<long> or ObservableCounter<double> or Counter<long> or Counter<double> ? "counter" : "gauge";

    internal static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    internal static string EscapeHelp(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string EscapeLabel(string text) =>
        EscapeHelp(text).Replace("\"", "\\\"", StringComparison.Ordinal);
}
