using Rookery.Groups;
using Rookery.Totem;
using Rookery.Wire.Totem;

namespace Rookery.Testing;

/// <summary>
/// Which part of a ring an event belongs to: the sync after its regular configuration (with Path, the rings
/// this node went through since it last activated a sync, which fixes its state), or the operational time after.
/// </summary>
internal readonly record struct Phase(RingId Ring, bool Sync, string Path);

/// <summary>Drives a <see cref="ProcessGroups"/> core from the harness and records its events with their phase.</summary>
internal sealed class GroupsNode(NodeId node) : IServiceNode
{
    private Phase _phase;
    private readonly List<RingId> _path = [];
    private ulong _nextConnection = 1;

    public NodeId NodeId { get; } = node;

    public ProcessGroups Core { get; } = new(node);

    public List<GroupsOutput> Outputs { get; } = [];

    public List<(Phase Phase, string Event)> Events { get; } = [];

    public Instant NextDeadline => Instant.Never;

    public ulong NewConnection() => _nextConnection++;

    public void Start(Instant now, List<byte[]> submit)
    {
    }

    public void OnConfigurationChanged(Instant now, ConfigurationChanged change, List<byte[]> submit)
    {
        if (change.Kind == ConfigurationKind.Regular)
        {
            _path.Add(change.RingId);
            _phase = new Phase(change.RingId, true, string.Join('>', _path));
        }

        Run(submit, outputs => Core.OnConfigurationChanged(change, outputs));
    }

    public void OnDelivered(Instant now, Delivered delivered, List<byte[]> submit) =>
        Run(submit, outputs => Assert.Equal(Wire.Services.ServiceDecodeStatus.Ok, Core.OnDelivered(delivered, outputs)));

    public void SyncActivate(Instant now, List<byte[]> submit)
    {
        Run(submit, outputs => Core.SyncActivate(outputs));
        _phase = _phase with { Sync = false, Path = string.Empty };
        _path.Clear();
        _path.Add(_phase.Ring);
    }

    public void Tick(Instant now, List<byte[]> submit)
    {
    }

    public void Run(List<byte[]> submit, Action<List<GroupsOutput>> action)
    {
        var outputs = new List<GroupsOutput>();
        action(outputs);
        Outputs.AddRange(outputs);
        foreach (var output in outputs)
        {
            switch (output)
            {
                case GroupsSend send:
                    submit.Add(send.Message);
                    break;
                case GroupConfigurationChanged or GroupMessageDelivered or GroupTotemMembership:
                    Events.Add((_phase, output.ToString()!));
                    break;
            }
        }
    }
}
