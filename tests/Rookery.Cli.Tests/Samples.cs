using Rookery.Control;

namespace Rookery.Cli.Tests;

/// <summary>Status models shaped like the examples in pvecm.md §3 and corosync-spec.md §8.</summary>
internal static class Samples
{
    /// <summary>pve-docs "Cluster status after adding 4 nodes", with node 1 local.</summary>
    public static ClusterStatus DocsExample() => new(
        new ClusterInfo("prod-central", 3, "knet", SecureAuth: true),
        new QuorumInfo(true, 1, "1.1a8", 4, 4, 4, 3, [QuorumFlags.Quorate], "corosync_votequorum"),
        [
            new MemberInfo(1, 1, "hp1", true, "192.168.15.91"),
            new MemberInfo(2, 1, "hp2", false, "192.168.15.92"),
            new MemberInfo(3, 1, "hp3", false, "192.168.15.93"),
            new MemberInfo(4, 1, "hp4", false, "192.168.15.94"),
        ],
        new LinksStatus(1, "knet", []));

    public static ClusterStatus ThreeNodeStatus() => new(
        new ClusterInfo("rookery", 4, "knet", SecureAuth: true),
        new QuorumInfo(true, 1, "1.c", 3, 3, 3, 2, [QuorumFlags.Quorate], "corosync_votequorum"),
        [
            new MemberInfo(1, 1, "uno", true, "127.0.1.1"),
            new MemberInfo(2, 1, "due", false, "127.0.1.2"),
            new MemberInfo(3, 1, "tre", false, "127.0.1.3"),
        ],
        ThreeNodeLinks());

    public static LinksStatus ThreeNodeLinks() => new(1, "knet",
    [
        new NodeLinks(1, "uno", true, true,
        [
            new LinkInfo(0, true, true, false, 15, "127.0.1.1", "127.0.1.1", 0, 0, 0, 0, 0),
            new LinkInfo(1, true, true, false, 20, "127.0.2.1", "127.0.2.1", 0, 0, 0, 0, 0),
        ]),
        new NodeLinks(2, "due", true, false,
        [
            new LinkInfo(0, true, true, false, 15, "127.0.1.1", "127.0.1.2", 140, 10, 11, 0, 1),
            new LinkInfo(1, true, true, true, 20, "127.0.2.1", "127.0.2.2", 152, 900, 901, 1, 2),
        ]),
        new NodeLinks(3, "tre", false, false,
        [
            new LinkInfo(0, true, false, false, 15, "127.0.1.1", "127.0.1.3", 0, 3, 0, 1, 1),
            new LinkInfo(1, false, false, false, 20, "127.0.2.1", "127.0.2.3", 0, 0, 0, 0, 0),
        ]),
    ]);
}
