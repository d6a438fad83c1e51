namespace Rookery.Ipc.Services;

/// <summary>
/// corosync's cmap service (cmap.c, service 0) over one key store: the configuration's keys, the runtime keys
/// refreshed from the node before every request and after every membership or quorum change, and keys clients
/// set. get/set/delete/adjust, iteration, and tracking with corosync's notify callback. Changes to <c>uidgid.*</c>
/// keys update who may connect.
/// </summary>
public sealed class CmapService : IIpcService
{
    /// <summary>Iterators and trackers one connection may hold open.</summary>
    public const int HandlesPerConnectionMax = 1024;

    private const int RequestSet = 0;
    private const int RequestDelete = 1;
    private const int RequestGet = 2;
    private const int RequestAdjustInt = 3;
    private const int RequestIterInit = 4;
    private const int RequestIterNext = 5;
    private const int RequestIterFinalize = 6;
    private const int RequestTrackAdd = 7;
    private const int RequestTrackDelete = 8;
    private const int RequestSetCurrentMap = 9;
    private const int ResponseNotifyCallback = 9;
    private const int ResponseSetCurrentMap = 10;
    private const int KeyOffset = 16;
    private const int KeyNameMax = 255;
    private const int KeyNameMin = 3;
    private const int TrackAdd = 4;
    private const int TrackDelete = 1;
    private const int TrackModify = 2;
    private const int TrackPrefix = 8;

    private readonly ICorosyncNode _node;
    private readonly IpcAccess _access;
    private readonly SortedDictionary<string, CmapValue> _keys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _configKeys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _runtimeKeys = new(StringComparer.Ordinal);
    private readonly List<(IpcClient Client, Track Track)> _tracks = [];
    private ulong _nextHandle;

    public CmapService(ICorosyncNode node, IpcAccess access)
    {
        _node = node;
        _access = access;
        ReloadConfig();
    }

    public string Name => "cmap";

    public void OnConnect(IpcClient client) => client.State = new Connection();

    public void OnDisconnect(IpcClient client) => _tracks.RemoveAll(t => t.Client == client);

    /// <summary>The configuration was (re)loaded: its keys replace the previous file's, with notifications.</summary>
    public void ReloadConfig()
    {
        var fresh = new Dictionary<string, CmapValue>(StringComparer.Ordinal);
        foreach (var (key, value) in CmapKeys.FromConfig(_node.Config))
        {
            fresh[key] = value;
        }

        foreach (var stale in _configKeys.Where(k => !fresh.ContainsKey(k)).ToArray())
        {
            Delete(stale);
            _configKeys.Remove(stale);
        }

        foreach (var (key, value) in fresh)
        {
            Set(key, value);
            _configKeys.Add(key);
        }

        RefreshRuntime();
    }

    /// <summary>Brings the runtime keys up to date (membership, quorum, timers), notifying trackers of each change.</summary>
    public void RefreshRuntime()
    {
        var fresh = new Dictionary<string, CmapValue>(StringComparer.Ordinal);
        foreach (var (key, value) in CmapKeys.Runtime(_node))
        {
            fresh[key] = value;
        }

        foreach (var stale in _runtimeKeys.Where(k => !fresh.ContainsKey(k)).ToArray())
        {
            Delete(stale);
            _runtimeKeys.Remove(stale);
        }

        foreach (var (key, value) in fresh)
        {
            Set(key, value);
            _runtimeKeys.Add(key);
        }
    }

    public void OnRequest(IpcClient client, byte[] request)
    {
        RefreshRuntime();
        var state = (Connection)client.State!;
        var id = IpcMessage.RequestId(request);
        switch (id)
        {
            case RequestSet:
                client.Respond(IpcMessage.Response(RequestSet, 24, HandleSet(request)));
                break;
            case RequestDelete:
                client.Respond(IpcMessage.Response(RequestDelete, 24, HandleDelete(request)));
                break;
            case RequestGet:
                client.Respond(HandleGet(request));
                break;
            case RequestAdjustInt:
                client.Respond(IpcMessage.Response(RequestAdjustInt, 24, HandleAdjust(request)));
                break;
            case RequestIterInit:
                var init = IpcMessage.Response(RequestIterInit, 32, CsError.Ok);
                var prefix = IpcMessage.MarName(request, KeyOffset);
                if (prefix is null || state.Iterators.Count >= HandlesPerConnectionMax)
                {
                    IpcMessage.Put(init, 16, (int)(prefix is null ? CsError.InvalidParam : CsError.NoResources));
                }
                else
                {
                    var handle = ++_nextHandle;
                    state.Iterators[handle] = new Queue<string>(_keys.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)));
                    IpcMessage.Put(init, 24, handle);
                }

                client.Respond(init);
                break;
            case RequestIterNext:
                client.Respond(HandleIterNext(state, IpcMessage.UInt64(request, 16)));
                break;
            case RequestIterFinalize:
                var removed = state.Iterators.Remove(IpcMessage.UInt64(request, 16));
                client.Respond(IpcMessage.Response(RequestIterFinalize, 24, removed ? CsError.Ok : CsError.BadHandle));
                break;
            case RequestTrackAdd:
                client.Respond(HandleTrackAdd(client, state, request));
                break;
            case RequestTrackDelete:
                var trackHandle = IpcMessage.UInt64(request, 16);
                var deleted = IpcMessage.Response(RequestTrackDelete, 32, CsError.BadHandle);
                if (state.Tracks.Remove(trackHandle, out var track))
                {
                    _tracks.RemoveAll(t => t.Track == track);
                    IpcMessage.Put(deleted, 16, (int)CsError.Ok);
                    IpcMessage.Put(deleted, 24, track.InstanceHandle);
                }

                client.Respond(deleted);
                break;
            case RequestSetCurrentMap:
                // Only the main map: the stats map (cmapctl -m stats) is not kept.
                client.Respond(IpcMessage.Response(ResponseSetCurrentMap, 24, IpcMessage.UInt32(request, 16) == 0 ? CsError.Ok : CsError.NotSupported));
                break;
            default:
                client.Respond(IpcMessage.Response(0, 24, CsError.InvalidParam));
                break;
        }
    }

    private CsError HandleSet(byte[] request)
    {
        var key = IpcMessage.MarName(request, KeyOffset);
        var length = IpcMessage.UInt64(request, 280);
        var type = (CmapType)IpcMessage.Byte(request, 288);
        if (ValidateKey(key) is { } keyError)
        {
            return keyError;
        }

        if (request.Length < 296 || length > (ulong)(request.Length - 296) || !CmapValue.IsValid(type, request.AsSpan(296, (int)length)))
        {
            return CsError.InvalidParam;
        }

        if (IsReadOnly(key!))
        {
            return CsError.Access;
        }

        Set(key!, new CmapValue(type, request.AsSpan(296, (int)length).ToArray()));
        return CsError.Ok;
    }

    private CsError HandleDelete(byte[] request)
    {
        var key = IpcMessage.MarName(request, KeyOffset);
        if (ValidateKey(key) is { } keyError)
        {
            return keyError;
        }

        if (IsReadOnly(key!))
        {
            return CsError.Access;
        }

        return Delete(key!) ? CsError.Ok : CsError.NotExist;
    }

    private byte[] HandleGet(byte[] request)
    {
        var key = IpcMessage.MarName(request, KeyOffset);
        var bufferLength = IpcMessage.UInt64(request, 280);
        if (ValidateKey(key) is { } keyError)
        {
            return IpcMessage.Response(RequestGet, 40, keyError);
        }

        if (!_keys.TryGetValue(key!, out var value))
        {
            return IpcMessage.Response(RequestGet, 40, CsError.NotExist);
        }

        if (bufferLength > 0 && bufferLength < (ulong)value.Bytes.Length)
        {
            return IpcMessage.Response(RequestGet, 40, CsError.InvalidParam);
        }

        // corosync sizes the answer by the client's buffer (value_len), not by the value.
        var size = 40 + (int)Math.Min(bufferLength, (ulong)IpcLimits.DefaultMessageSize);
        var response = IpcMessage.Response(RequestGet, size, CsError.Ok);
        IpcMessage.Put(response, 24, (ulong)value.Bytes.Length);
        response[32] = (byte)value.Type;
        if (bufferLength > 0)
        {
            value.Bytes.CopyTo(response, 40);
        }

        return response;
    }

    private CsError HandleAdjust(byte[] request)
    {
        var key = IpcMessage.MarName(request, KeyOffset);
        if (ValidateKey(key) is { } keyError)
        {
            return keyError;
        }

        if (IsReadOnly(key!))
        {
            return CsError.Access;
        }

        if (!_keys.TryGetValue(key!, out var value))
        {
            return CsError.NotExist;
        }

        if (value.AsInteger() is not { } integer)
        {
            return CsError.InvalidParam;
        }

        Set(key!, value.WithInteger(integer.Value + IpcMessage.Int32(request, 280)));
        return CsError.Ok;
    }

    private byte[] HandleIterNext(Connection state, ulong handle)
    {
        var response = IpcMessage.Response(RequestIterNext, 304, CsError.Ok);
        if (!state.Iterators.TryGetValue(handle, out var keys))
        {
            IpcMessage.Put(response, 16, (int)CsError.BadHandle);
            return response;
        }

        while (keys.TryDequeue(out var key))
        {
            if (_keys.TryGetValue(key, out var value))
            {
                IpcMessage.PutMarName(response, 24, key);
                IpcMessage.Put(response, 288, (ulong)value.Bytes.Length);
                response[296] = (byte)value.Type;
                return response;
            }
        }

        IpcMessage.Put(response, 16, (int)CsError.NoSections);
        return response;
    }

    private byte[] HandleTrackAdd(IpcClient client, Connection state, byte[] request)
    {
        var response = IpcMessage.Response(RequestTrackAdd, 32, CsError.Ok);
        var key = IpcMessage.MarName(request, KeyOffset);
        var type = IpcMessage.Int32(request, 280);
        if (key is null || (type & (TrackAdd | TrackDelete | TrackModify)) == 0)
        {
            IpcMessage.Put(response, 16, (int)CsError.InvalidParam);
            return response;
        }

        if (state.Tracks.Count >= HandlesPerConnectionMax)
        {
            IpcMessage.Put(response, 16, (int)CsError.NoResources);
            return response;
        }

        var handle = ++_nextHandle;
        var track = new Track(key, type, IpcMessage.UInt64(request, 288));
        state.Tracks[handle] = track;
        _tracks.Add((client, track));
        IpcMessage.Put(response, 24, handle);
        return response;
    }

    private static CsError? ValidateKey(string? key)
    {
        if (key is null || key.Length > KeyNameMax)
        {
            return CsError.NameTooLong;
        }

        if (key.Length < KeyNameMin || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '/' or ':' or '.' or '-'))
        {
            return CsError.InvalidParam;
        }

        return null;
    }

    /// <summary>Keys clients may not change (corosync marks internal_configuration and the runtime service stats read-only).</summary>
    private static bool IsReadOnly(string key) =>
        key.StartsWith("internal_configuration.", StringComparison.Ordinal) || key.StartsWith("runtime.services.", StringComparison.Ordinal);

    private void Set(string key, CmapValue value)
    {
        var existed = _keys.TryGetValue(key, out var old);
        if (existed && old!.SameAs(value))
        {
            return;
        }

        _keys[key] = value;
        if (IpcAccess.IsAccessKey(key))
        {
            _access.Update(key, value.Type == CmapType.UInt8 ? value.Bytes[0] : (byte)0);
        }

        Notify(existed ? TrackModify : TrackAdd, key, value, old);
    }

    private bool Delete(string key)
    {
        if (!_keys.Remove(key, out var old))
        {
            return false;
        }

        if (IpcAccess.IsAccessKey(key))
        {
            _access.Update(key, null);
        }

        Notify(TrackDelete, key, null, old);
        return true;
    }

    private void Notify(int trackEvent, string key, CmapValue? newValue, CmapValue? oldValue)
    {
        foreach (var (client, track) in _tracks)
        {
            if ((track.Type & trackEvent) == 0)
            {
                continue;
            }

            var matches = (track.Type & TrackPrefix) != 0 ? key.StartsWith(track.Key, StringComparison.Ordinal) : key == track.Key;
            if (!matches)
            {
                continue;
            }

            var newBytes = newValue?.Bytes ?? [];
            var oldBytes = oldValue?.Bytes ?? [];
            var message = IpcMessage.Response(ResponseNotifyCallback, 336 + newBytes.Length + oldBytes.Length, CsError.Ok);
            IpcMessage.Put(message, 24, track.InstanceHandle);
            IpcMessage.PutMarName(message, 32, key);
            IpcMessage.Put(message, 296, trackEvent);
            message[304] = (byte)(newValue?.Type ?? 0);
            message[312] = (byte)(oldValue?.Type ?? 0);
            IpcMessage.Put(message, 320, (ulong)newBytes.Length);
            IpcMessage.Put(message, 328, (ulong)oldBytes.Length);
            newBytes.CopyTo(message, 336);
            oldBytes.CopyTo(message, 336 + newBytes.Length);
            client.SendEvent(message);
        }
    }

    private sealed record Track(string Key, int Type, ulong InstanceHandle);

    private sealed class Connection
    {
        public Dictionary<ulong, Queue<string>> Iterators { get; } = [];

        public Dictionary<ulong, Track> Tracks { get; } = [];
    }
}
