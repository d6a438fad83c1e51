// The node shell uses Unix domain sockets, Unix file modes and systemd: it runs on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
