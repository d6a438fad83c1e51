using System.Diagnostics.Metrics;
using Rookery.Web;

namespace Rookery.Web.Tests;

/// <summary>
/// Goal: the exposition text follows the Prometheus text format 0.0.4 for what the node's instruments produce: HELP and
/// TYPE per instrument, counters typed counter, labels quoted and escaped, values in invariant form.
/// Method: a meter of the test's own with one instrument of each kind, written and compared line by line.
/// </summary>
public sealed class PrometheusTextTests
{
    [Fact]
    public void Gauges_counters_labels_and_escapes_are_written_as_the_format_says()
    {
        using var meter = new Meter("Rookery.Test." + Guid.NewGuid());
        meter.CreateObservableGauge("t_gauge", () => 2L, description: "A gauge\\with a backslash\nand a newline.");
        meter.CreateObservableCounter("t_total", () => new[]
        {
            new Measurement<long>(5, new KeyValuePair<string, object?>("peer", "2"), new KeyValuePair<string, object?>("link", "1")),
            new Measurement<long>(7, new KeyValuePair<string, object?>("peer", "a\"b\\c\nd")),
        });
        meter.CreateObservableGauge("t_seconds", () => 0.001234);
        using var text = new PrometheusText(meter);

        var lines = text.Write().Split('\n');

        Assert.Equal(
            [
                "# HELP t_gauge A gauge\\\\with a backslash\\nand a newline.",
                "# TYPE t_gauge gauge",
                "t_gauge 2",
                "# HELP t_total t_total",
                "# TYPE t_total counter",
                "t_total{peer=\"2\",link=\"1\"} 5",
                "t_total{peer=\"a\\\"b\\\\c\\nd\"} 7",
                "# HELP t_seconds t_seconds",
                "# TYPE t_seconds gauge",
                "t_seconds 0.001234",
                "",
            ],
            lines);
    }

    [Fact]
    public void Instruments_of_another_meter_are_not_written()
    {
        using var mine = new Meter("Rookery.Test." + Guid.NewGuid());
        using var other = new Meter("Rookery.Test." + Guid.NewGuid());
        mine.CreateObservableGauge("mine", () => 1L);
        other.CreateObservableGauge("theirs", () => 1L);
        using var text = new PrometheusText(mine);

        var written = text.Write();

        Assert.Contains("mine 1\n", written, StringComparison.Ordinal);
        Assert.DoesNotContain("theirs", written, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(1e21, "1E+21")]
    [InlineData(-0.5, "-0.5")]
    public void Special_and_large_values_use_the_formats_spelling(double value, string expected) =>
        Assert.Equal(expected, PrometheusText.FormatValue(value));
}
