using Rookery.Web;

namespace Rookery.Web.Tests;

/// <summary>Goal: <c>--metrics</c> takes ADDRESS:PORT exactly (IPv6 in brackets) and says why anything else is refused.</summary>
public sealed class MetricsAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:9405", "127.0.0.1", 9405)]
    [InlineData("0.0.0.0:0", "0.0.0.0", 0)]
    [InlineData("[::1]:9405", "::1", 9405)]
    [InlineData("[fe80::1]:80", "fe80::1", 80)]
    public void Addresses_with_a_port_are_taken(string text, string address, int port)
    {
        var endPoint = MetricsServer.ParseEndPoint(text, out var problem);

        Assert.Null(problem);
        Assert.NotNull(endPoint);
        Assert.Equal(address, endPoint.Address.ToString());
        Assert.Equal(port, endPoint.Port);
    }

    [Theory]
    [InlineData("localhost:9405")]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("[::1]")]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("127.0.0.1:-1")]
    [InlineData(":9405")]
    [InlineData("")]
    public void Anything_else_is_refused_with_the_form_expected(string text)
    {
        Assert.Null(MetricsServer.ParseEndPoint(text, out var problem));
        Assert.Equal($"'{text}' is not ADDRESS:PORT (an IP address and a port 0-65535, IPv6 in brackets: [::1]:9405)", problem);
    }
}
