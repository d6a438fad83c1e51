using System.Globalization;
using System.Text.Json;
using Rookery.Web;

namespace Rookery.Cli.Commands;

/// <summary>
/// The web interface's Join information, Create cluster and Join cluster, run as the <c>join-info</c>, <c>create</c> and
/// <c>join</c> commands themselves (in this process, output captured): a form writes byte for byte what the command
/// writes for the same input, and refuses with the command's own messages.
/// </summary>
public sealed class WebClusterSetup(CliContext context, string configPath, string? nodeName, bool startService) : IClusterSetup
{
    /// <summary>One setup at a time: two browsers must not create and join at once.</summary>
    private readonly SemaphoreSlim _one = new(1, 1);

    public SetupResult JoinInformation()
    {
        var (code, output) = Run(["join-info", "--json", .. NodeArguments(nodeName)]);
        if (code != ExitCodes.Ok)
        {
            return new SetupResult(false, output.Trim());
        }

        using var document = JsonDocument.Parse(output);
        var root = document.RootElement;
        var addresses = string.Join(", ", root.GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));
        var text = string.Create(CultureInfo.InvariantCulture,
            $"Cluster:     {root.GetProperty("cluster_name").GetString()}\nNode:        {root.GetProperty("node").GetString()}\nLinks:       {addresses}\nFingerprint: {root.GetProperty("fingerprint").GetString()}\nPort:        {root.GetProperty("port").GetInt64()}/tcp");
        return new SetupResult(true, text, root.GetProperty("join_info").GetString());
    }

    public Task<SetupResult> CreateAsync(CreateForm form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        List<string> arguments = ["create", form.ClusterName, .. NodeArguments(form.NodeName ?? nodeName)];
        foreach (var row in form.Links)
        {
            arguments.Add(string.Create(CultureInfo.InvariantCulture, $"--link{row.Link}"));
            arguments.Add(row.Priority is { } priority ? string.Create(CultureInfo.InvariantCulture, $"{row.Address},priority={priority}") : row.Address);
        }

        return RunOneAsync(arguments, cancellationToken);
    }

    public Task<SetupResult> JoinAsync(JoinForm form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        List<string> arguments = ["join", "--info", form.Information, .. NodeArguments(form.NodeName ?? nodeName)];
        foreach (var row in form.Links)
        {
            arguments.Add(string.Create(CultureInfo.InvariantCulture, $"--link{row.Link}"));
            arguments.Add(row.Address);
        }

        if (!startService)
        {
            arguments.Add("--no-start");
        }

        return RunOneAsync(arguments, cancellationToken);
    }

    private async Task<SetupResult> RunOneAsync(List<string> arguments, CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The commands block (join waits for the cluster): off the request's thread.
            var (code, output) = await Task.Run(() => Run(arguments), cancellationToken).ConfigureAwait(false);
            return new SetupResult(code == ExitCodes.Ok, output.TrimEnd());
        }
        finally
        {
            _one.Release();
        }
    }

    private static IEnumerable<string> NodeArguments(string? name) => name is { Length: > 0 } ? ["--node", name] : [];

    private (int Code, string Output) Run(IEnumerable<string> arguments)
    {
        var output = new StringWriter(CultureInfo.InvariantCulture);
        var code = Program.Run([.. arguments, "--config", configPath], new CliContext
        {
            Output = output,
            Error = output,
            GetEnvironment = context.GetEnvironment,
            HostName = context.HostName,
            LocalAddresses = context.LocalAddresses,
            Resolve = context.Resolve,
        });
        return (code, output.ToString());
    }
}
