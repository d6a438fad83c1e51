using Rookery.Web;

namespace Rookery.Web.Tests;

/// <summary>Goal: rookery.conf turns the web interface and the metrics endpoint on, and every mistake in it is named with its line.</summary>
public sealed class RookerySettingsTests
{
    [Fact]
    public void Web_and_metrics_listen_where_the_file_says()
    {
        var errors = new List<string>();
        var settings = RookerySettings.Parse("# comment\nweb {\n  listen: 192.0.2.10\n}\nmetrics {\n  listen: [::1]:9405\n}\n", "rookery.conf", errors);

        Assert.Empty(errors);
        Assert.Equal("192.0.2.10:8405", settings.Web?.ToString());
        Assert.Equal("[::1]:9405", settings.Metrics?.ToString());
    }

    [Fact]
    public void An_empty_file_serves_nothing()
    {
        var errors = new List<string>();
        Assert.Equal(RookerySettings.None, RookerySettings.Parse("", "rookery.conf", errors));
        Assert.Empty(errors);
    }

    [Fact]
    public void Every_mistake_is_named_with_its_line()
    {
        var errors = new List<string>();
        RookerySettings.Parse("web {\n  listen: somewhere\n  port: 1\n}\nmetric {\n}\nstray: 1\nmetrics {\n  listen: 127.0.0.1\n}\n", "/etc/rookery/rookery.conf", errors);

        Assert.Equal(
            [
                "/etc/rookery/rookery.conf:7: 'stray' is outside a section (sections: web, metrics)",
                "/etc/rookery/rookery.conf:2: web.listen: 'somewhere' is not ADDRESS[:PORT] (an IP address, IPv6 in brackets, and a port 0-65535; 8405 when left out)",
                "/etc/rookery/rookery.conf:3: unknown key 'port' in section 'web' (keys: listen)",
                "/etc/rookery/rookery.conf:5: unknown section 'metric' (sections: web, metrics)",
                "/etc/rookery/rookery.conf:9: metrics.listen: '127.0.0.1' is not ADDRESS:PORT (an IP address and a port 0-65535, IPv6 in brackets: [::1]:9405)",
            ],
            errors);
    }

    [Fact]
    public void A_syntax_error_is_reported_as_the_parser_reports_it()
    {
        var errors = new List<string>();
        RookerySettings.Parse("web {\n  listen: 127.0.0.1\n", "rookery.conf", errors);
        Assert.Single(errors);
        Assert.StartsWith("parser error: rookery.conf:", errors[0], StringComparison.Ordinal);
    }
}
