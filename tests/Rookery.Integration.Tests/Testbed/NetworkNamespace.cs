using System.Runtime.InteropServices;

namespace Rookery.Integration.Tests.Testbed;

/// <summary>
/// Runs code with the calling thread inside a named network namespace (<c>/run/netns/NAME</c>).
/// A socket created there stays in that namespace for its whole life, whichever thread uses it
/// later, so one test process can host endpoints in several namespaces.
/// </summary>
public static class NetworkNamespace
{
    private const int CloneNewNet = 0x40000000;

    /// <summary>Runs <paramref name="action"/> on a fresh thread that joined <paramref name="name"/>, and returns its result.</summary>
    public static T Run<T>(string name, Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var path = Path.Combine("/run/netns", name);
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
                if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns({path}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                result = action();
            }
            catch (Exception exception)
            {
                failure = exception;
            }
        })
        {
            IsBackground = true,
            Name = $"netns-{name}",
        };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException($"in network namespace {name}: {failure.Message}", failure);
        }

        return result;
    }

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int namespaceType);
}
