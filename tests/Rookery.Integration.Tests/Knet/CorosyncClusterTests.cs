using Rookery.Integration.Tests.Testbed;

namespace Rookery.Integration.Tests.Knet;

/// <summary>The corosync side of the interop fixture on its own: config, start with a private /run, cfgtool, stop.</summary>
[Collection(TestbedCollection.Name)]
public sealed class CorosyncClusterTests
{
    [Fact]
    public async Task TwoRealCorosyncNodesConnectOnBothLinksAndShowTheSilentThirdNodeAsNotConnected()
    {
        SkipUnlessAvailable();
        using var testbed = NetnsTestbed.Create(nodes: 3, links: 2);
        using var work = new TemporaryDirectory();
        using var cluster = new CorosyncCluster(testbed, [1, 2], work.Path);

        cluster.StartAll();

        var connected = await Eventually.TrueAsync(
            () => cluster.Status(1).IsConnected(0, 2) && cluster.Status(1).IsConnected(1, 2)
                && cluster.Status(2).IsConnected(0, 1) && cluster.Status(2).IsConnected(1, 1),
            TimeSpan.FromSeconds(20),
            TimeSpan.FromMilliseconds(100));
        var status = cluster.Status(1);
        Assert.True(connected, status.Text);
        Assert.Equal(1, status.LocalNodeId);
        Assert.Equal("localhost", status.Of(0, 1));
        Assert.False(status.IsConnected(0, 3), status.Text);
        Assert.False(status.IsConnected(1, 3), status.Text);

        cluster.Stop(2);
        Assert.False(cluster.IsRunning(2));
        Assert.True(await Eventually.TrueAsync(() => !cluster.Status(1).IsConnected(1, 2), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100)));
        Assert.Contains(cluster.LogLines(1), line => line.Contains("host: 2 link: 1 is down", StringComparison.Ordinal));
    }

    [Fact]
    public void CfgtoolStatusParsesCorosync317Output()
    {
        const string text = "Local node ID 1, transport knet\nLINK ID 0 udp\n\taddr\t= 10.10.10.1\n\tstatus:\n\t\tnodeid:          1:\tlocalhost\n\t\tnodeid:          2:\tconnected\n\t\tnodeid:          3:\tdisconnected\nLINK ID 1 udp\n\taddr\t= 10.20.20.1\n\tstatus:\n\t\tnodeid:          1:\tlocalhost\n\t\tnodeid:          2:\tconnected\n";

        var status = CfgtoolStatus.Parse(text);

        Assert.Equal(1, status.LocalNodeId);
        Assert.True(status.IsConnected(0, 2));
        Assert.Equal("disconnected", status.Of(0, 3));
        Assert.Equal("localhost", status.Of(1, 1));
        Assert.Null(status.Of(1, 3));
    }

    internal static void SkipUnlessAvailable()
    {
        if (CorosyncCluster.UnavailableReason is { } reason)
        {
            Assert.Skip(reason);
        }
    }
}

/// <summary>A private temporary directory removed on dispose.</summary>
public sealed class TemporaryDirectory : IDisposable
{
    public TemporaryDirectory()
    {
        Path = Directory.CreateTempSubdirectory("rookery-it-").FullName;
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A corosync that was SIGKILLed may still hold its log for a moment; the OS temp cleaner gets it.
        }
    }
}
