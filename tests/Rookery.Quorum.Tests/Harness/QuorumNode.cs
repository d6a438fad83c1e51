using Rookery.Quorum;
using Rookery.Totem;
using Rookery.Wire.Services;

namespace Rookery.Testing;

/// <summary>Drives a <see cref="Votequorum"/> core from the harness and records everything it emits.</summary>
internal sealed class QuorumNode(QuorumConfiguration configuration) : IServiceNode
{
    public Votequorum Core { get; } = new(configuration);

    public List<QuorumOutput> Outputs { get; } = [];

    public Instant NextDeadline => Core.NextDeadline;

    public void Start(Instant now, List<byte[]> submit) => Run(submit, outputs => Core.Start(now, outputs));

    public void OnConfigurationChanged(Instant now, ConfigurationChanged change, List<byte[]> submit) =>
        Run(submit, outputs => Core.OnConfigurationChanged(now, change, outputs));

    public void OnDelivered(Instant now, Delivered delivered, List<byte[]> submit) =>
        Run(submit, outputs => Assert.Equal(ServiceDecodeStatus.Ok, Core.OnDelivered(now, delivered, outputs)));

    public void SyncActivate(Instant now, List<byte[]> submit) => Run(submit, outputs => Core.SyncActivate(now, outputs));

    public void Tick(Instant now, List<byte[]> submit) => Run(submit, outputs => Core.Tick(now, outputs));

    public void Run(List<byte[]> submit, Action<List<QuorumOutput>> action)
    {
        var outputs = new List<QuorumOutput>();
        action(outputs);
        Outputs.AddRange(outputs);
        submit.AddRange(outputs.OfType<QuorumSend>().Select(s => s.Message));
    }

    public IEnumerable<string> LogLines => Outputs.OfType<QuorumLog>().Select(l => l.Line.Text);
}
