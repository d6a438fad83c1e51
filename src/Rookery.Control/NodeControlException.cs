namespace Rookery.Control;

/// <summary>
/// A request to the node that could not be carried out: bad arguments, a refused operation or a node that is
/// not running. The code is stable (scripts match on it); the message says what to do.
/// </summary>
public sealed class NodeControlException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;

    /// <summary>A batch send that failed part way: how many of its messages, in order, the node accepted.</summary>
    public int? Accepted { get; init; }
}

/// <summary>The error codes of the control protocol.</summary>
public static class ControlErrorCodes
{
    /// <summary>The frame is not valid JSON, lacks a field, or has a field of the wrong type.</summary>
    public const string BadRequest = "bad_request";

    /// <summary>The frame is longer than <see cref="ControlProtocol.FrameSizeMax"/>.</summary>
    public const string FrameTooLarge = "frame_too_large";

    /// <summary>The frame's protocol version is not one this daemon speaks.</summary>
    public const string UnsupportedVersion = "unsupported_version";

    /// <summary>The command is unknown.</summary>
    public const string UnknownCommand = "unknown_command";

    /// <summary>An argument is out of range (e.g. a link number above 7).</summary>
    public const string InvalidArgument = "invalid_argument";

    /// <summary>The node refuses the operation in its current state (e.g. expected votes below the votes present).</summary>
    public const string Refused = "refused";

    /// <summary>The group operation is not valid for this connection (not joined, already joined).</summary>
    public const string GroupState = "group_state";

    /// <summary>Too many clients are connected.</summary>
    public const string Busy = "busy";

    /// <summary>The node failed while serving the request (a bug: see its log).</summary>
    public const string Internal = "internal";

    /// <summary>No daemon answers at the socket (client side only).</summary>
    public const string NotRunning = "not_running";
}
