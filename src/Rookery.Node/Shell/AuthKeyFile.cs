using System.Globalization;
using Rookery.Config;
using Rookery.Wire.Knet;

namespace Rookery.Node.Shell;

/// <summary>
/// Reads the shared authkey the way corosync does (<c>totemconfig.c</c> reads at most
/// <c>KNET_MAX_KEY_LEN</c> bytes, so a longer file means its first 4,096 bytes) without trusting the
/// path: only a regular file is opened (a FIFO would block the start, /dev/zero never ends), and a
/// key that group or others can read or write is accepted with a loud warning (see docs/hostile-input.md).
/// </summary>
public static class AuthKeyFile
{
    /// <summary>Permission bits that let someone other than the owner read or replace the key.</summary>
    public const UnixFileMode ExposingModes = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    /// <summary>The key bytes, or null with <paramref name="error"/> saying what to fix; <paramref name="warnings"/> gets what an admin must see.</summary>
    public static byte[]? Read(string path, out string? error, List<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        error = null;
        if (!BoundedFile.TryRead(path, KnetCrypto.KeySizeMax, out var key, out var longer, out var facts, out var reason))
        {
            error = $"Could not open {path}: {reason} (totem.keyfile must name a regular file; create one with 'rookery keygen {path}')";
            return null;
        }

        if (key.Length < KnetCrypto.KeySizeMin)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"Could only read {key.Length * 8} bits of minimum {KnetCrypto.KeySizeMin * 8} bits from {path}.");
            return null;
        }

        if (longer)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{path} is longer than {KnetCrypto.KeySizeMax} bytes: only its first {KnetCrypto.KeySizeMax} bytes are the key (as in corosync)"));
        }

        if ((facts.Mode & ExposingModes) != 0)
        {
            var access = (facts.Mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0 ? "writable" : "readable";
            warnings.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"WARNING: authkey {path} is {access} by group or others (mode {Convert.ToString((int)facts.Mode, 8).PadLeft(4, '0')}): whoever can read it can join the cluster and forge its traffic; run 'chmod 0400 {path}'"));
        }

        return key;
    }
}
