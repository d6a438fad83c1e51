namespace Rookery.Control;

/// <summary>Where the daemon's control socket is: the default path and its override (architecture.md §4).</summary>
public static class ControlSocket
{
    /// <summary>The control socket (<c>--socket PATH</c>, env <c>ROOKERY_SOCKET</c>).</summary>
    public const string DefaultPath = "/run/rookery/rookery.sock";

    /// <summary>Environment variable that overrides <see cref="DefaultPath"/>.</summary>
    public const string EnvironmentVariable = "ROOKERY_SOCKET";

    /// <summary>The socket to use: the explicit one, else <c>ROOKERY_SOCKET</c>, else the default.</summary>
    public static string Resolve(string? explicitPath) =>
        !string.IsNullOrEmpty(explicitPath) ? explicitPath
        : Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : DefaultPath;
}
