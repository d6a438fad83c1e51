using System.Text.Json.Serialization;
using Rookery.Control;

namespace Rookery.Web;

/// <summary>What the pages need to know first: whether this machine is in a cluster (then Cluster, Links, Config) or not (Create, Join).</summary>
/// <param name="InCluster">A node runs here.</param>
/// <param name="ConfigFile">Its corosync.conf.</param>
/// <param name="Setup">Create and Join can be used (no cluster yet).</param>
public sealed record WebState(bool InCluster, string? ConfigFile, bool Setup);

/// <summary>The running corosync.conf.</summary>
public sealed record ConfigText(string File, string Text);

/// <summary>One finding about an edited corosync.conf, on its line (0: the whole file).</summary>
/// <param name="Line">1-based line.</param>
/// <param name="Severity"><c>error</c> or <c>warning</c>.</param>
/// <param name="Message">What is wrong, in <c>rookery config check</c>'s words.</param>
public sealed record ConfigMessage(int Line, string Severity, string Message);

/// <summary>The Config page's check of an edited file (nothing sent) or the outcome of applying it.</summary>
/// <param name="Ok">Valid and applicable at run time (check), or applied on every member (apply).</param>
/// <param name="Messages">Errors and warnings, each on its line.</param>
/// <param name="RaisedVersion">The config_version the edit will carry or carried when it did not raise it (as <c>rookery config edit</c> does).</param>
/// <param name="Report">The node's report: what would be or was applied or refused, per member for an apply.</param>
/// <param name="Error">Why the node refused the request as a whole (not quorate, not in a ring).</param>
public sealed record ConfigOutcome(bool Ok, IReadOnlyList<ConfigMessage> Messages, ulong? RaisedVersion, ReloadReport? Report, string? Error);

/// <summary>Source-generated JSON of the web API (snake_case, as the control protocol).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    MaxDepth = 32)]
[JsonSerializable(typeof(WebState))]
[JsonSerializable(typeof(ConfigText))]
[JsonSerializable(typeof(ConfigOutcome))]
[JsonSerializable(typeof(SetupResult))]
[JsonSerializable(typeof(CreateForm))]
[JsonSerializable(typeof(JoinForm))]
internal sealed partial class WebJsonContext : JsonSerializerContext;
