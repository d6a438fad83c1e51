using Rookery.Node.Shell;

namespace Rookery.Node.Tests;

/// <summary>config check finds the daemon that runs a file through the registry; a dead pid's entry is ignored.</summary>
public sealed class DaemonRegistryTests
{
    [Fact]
    public void The_socket_of_the_daemon_running_a_file_is_found_until_it_unregisters()
    {
        var directory = Directory.CreateTempSubdirectory("rookery-registry-").FullName;
        try
        {
            var config = Path.Combine(directory, "corosync.conf");
            Assert.Null(DaemonRegistry.SocketFor(config, directory));
            using (var entry = DaemonRegistry.Register(config, Path.Combine(directory, "node.sock"), directory))
            {
                Assert.NotNull(entry);
                Assert.Equal(Path.Combine(directory, "node.sock"), DaemonRegistry.SocketFor(config, directory));
                Assert.Null(DaemonRegistry.SocketFor(Path.Combine(directory, "other.conf"), directory));
            }

            Assert.Null(DaemonRegistry.SocketFor(config, directory));

            // An entry left by a daemon that died (no such pid) is not used.
            File.WriteAllText(Path.Combine(directory, int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)), $"{config}\n/tmp/dead.sock\n");
            Assert.Null(DaemonRegistry.SocketFor(config, directory));

            // The next daemon to register removes it.
            using (DaemonRegistry.Register(config, Path.Combine(directory, "node.sock"), directory))
            {
                Assert.Single(Directory.EnumerateFiles(directory));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
