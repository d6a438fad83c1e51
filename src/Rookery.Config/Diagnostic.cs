namespace Rookery.Config;

/// <summary>How bad a finding is: an error makes the file unusable, a warning is worth reading.</summary>
public enum DiagnosticSeverity
{
    Error,
    Warning,
}

/// <summary>
/// Where a finding came from. Parse findings are printed the way corosync's parser prints them
/// (<c>parser error: FILE:LINE: reason</c>); validation findings as <c>FILE:LINE: reason</c>.
/// </summary>
public enum DiagnosticStage
{
    /// <summary>The file could not be read at all; the message says why and names the file.</summary>
    Read,
    Parse,
    Validate,
}

/// <summary>One finding about a configuration file, with the line it is about (0 when it concerns the whole file).</summary>
public sealed record Diagnostic(DiagnosticSeverity Severity, DiagnosticStage Stage, string File, int Line, string Message)
{
    public bool IsError => Severity == DiagnosticSeverity.Error;

    public static Diagnostic ParseError(string file, int line, string message) =>
        new(DiagnosticSeverity.Error, DiagnosticStage.Parse, file, line, message);

    public static Diagnostic ReadError(string file, string message) =>
        new(DiagnosticSeverity.Error, DiagnosticStage.Read, file, 0, message);

    public static Diagnostic Error(string file, int line, string message) =>
        new(DiagnosticSeverity.Error, DiagnosticStage.Validate, file, line, message);

    public static Diagnostic Warning(string file, int line, string message) =>
        new(DiagnosticSeverity.Warning, DiagnosticStage.Validate, file, line, message);

    /// <summary>The line an admin reads: corosync's wording, prefixed with the file and line.</summary>
    public override string ToString()
    {
        if (Stage == DiagnosticStage.Read)
        {
            return Message;
        }

        var where = Line > 0 ? $"{File}:{Line}" : File;
        if (Stage == DiagnosticStage.Parse)
        {
            return $"parser error: {where}: {Message}";
        }

        return Severity == DiagnosticSeverity.Warning ? $"{where}: warning: {Message}" : $"{where}: {Message}";
    }
}
