#:project ../../src/Rookery.Client/Rookery.Client.csproj
// rkbench: the baseline's cpgbench (shared/baseline/corosync/cpgbench.c) for Rookery, through Rookery.Client and the
// control socket instead of libcpg. Same options, same per-message CSV (nodeid,pid,seq,send_ns,recv_ns), same
// event-log lines and the same key=value summary, so bench/e2e analyses both tools' output with one script.
//   -g NAME -s BYTES -i USEC -d SEC -n COUNT -w N -e N -t SEC -o FILE -E FILE -l LABEL, plus --socket PATH
// Build/run: dotnet run --file bench/e2e/rkbench.cs -c Release -- ARGS  (bench/e2e/lib.sh builds it once).
// Sends are pipelined (GroupMembership.PostAsync); RKBENCH_AWAIT_EACH=1 waits for the daemon to accept each message
// instead (SendAsync), the one-request-per-message behaviour of earlier versions, for comparisons.
using System.Buffers.Binary;
using System.Globalization;
using Rookery.Client;
using Rookery.Control;

var options = BenchOptions.Parse(args);

// The paced sender sleeps in usleep on a pool thread; keep threads for the reader, the writer and the acknowledger.
ThreadPool.SetMinThreads(Math.Max(8, Environment.ProcessorCount * 4), 4);
return options.WaitQuorate is { } sockets ? await Bench.WaitQuorateAsync(sockets.Split(','), options.TimeLimitSeconds) : await Bench.RunAsync(options);

/// <summary>libc, for sleeps shorter than a millisecond.</summary>
internal static class Native
{
    [System.Runtime.InteropServices.DllImport("libc", SetLastError = false)]
    public static extern int usleep(uint microseconds);
}

/// <summary>cpgbench's command line.</summary>
internal sealed record BenchOptions(
    string Group, int Size, long IntervalUs, double DurationSeconds, long Count, int WaitMembers, int ExpectEnds,
    double TimeLimitSeconds, string? CsvFile, string? EventFile, string Label, string? Socket, double StartAt, string? WaitQuorate)
{
    public static BenchOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"option {args[i]} needs a value");
            }

            values[args[i]] = args[++i];
        }

        string? Get(string key) => values.TryGetValue(key, out var value) ? value : null;
        var invariant = CultureInfo.InvariantCulture;
        return new BenchOptions(
            Get("-g") ?? "bench",
            Math.Max(Bench.HeaderSize + 8, int.Parse(Get("-s") ?? "100", invariant)),
            long.Parse(Get("-i") ?? "0", invariant),
            double.Parse(Get("-d") ?? "0", invariant),
            long.Parse(Get("-n") ?? "0", invariant),
            int.Parse(Get("-w") ?? "0", invariant),
            int.Parse(Get("-e") ?? "0", invariant),
            double.Parse(Get("-t") ?? "600", invariant),
            Get("-o"),
            Get("-E"),
            Get("-l") ?? "",
            Get("--socket"),
            double.Parse(Get("-T") ?? "0", invariant),
            Get("--wait-quorate"));
    }
}

/// <summary>Per-sender delivery statistics, as cpgbench keeps them.</summary>
internal sealed class SenderStats(uint nodeid, uint pid)
{
    public uint Nodeid { get; } = nodeid;
    public uint Pid { get; } = pid;
    public long Messages { get; set; }
    public long Bytes { get; set; }
    public long FirstSeq { get; set; } = -1;
    public long NextSeq { get; set; }
    public long Lost { get; set; }
    public long Duplicates { get; set; }
    public long FirstNs { get; set; }
    public long LastNs { get; set; }
    public long MaxGapNs { get; set; }
    public long MaxGapAtNs { get; set; }
    public long MaxLatencyNs { get; set; }
    public bool Ended { get; set; }
    public List<double> LatenciesMs { get; } = [];
}

internal static class Bench
{
    public const uint Magic = 0xC0C0BE7C;
    public const int HeaderSize = 40;
    private const uint FlagEnd = 1;

    public static long NowNs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    /// <summary>
    /// --wait-quorate S1,S2,…: polls every socket every 10 ms; prints node&lt;k&gt;_quorate_epoch=T when node k first reports
    /// quorate and node&lt;k&gt;_members_epoch=T when it first reports every socket's node as a member (a node can be quorate
    /// with 2 of 3, so the two moments differ).
    /// </summary>
    public static async Task<int> WaitQuorateAsync(string[] sockets, double limitSeconds)
    {
        var invariant = CultureInfo.InvariantCulture;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(limitSeconds));
        var pending = Enumerable.Range(0, sockets.Length).ToHashSet();
        var quorate = new HashSet<int>();
        while (pending.Count > 0 && !stop.IsCancellationRequested)
        {
            foreach (var index in pending.ToArray())
            {
                try
                {
                    await using var client = await RookeryClient.ConnectAsync(sockets[index], stop.Token);
                    var status = await client.GetStatusAsync(stop.Token);
                    var now = NowNs() / 1e9;
                    if (status.Quorum.Quorate && quorate.Add(index))
                    {
                        Console.WriteLine(string.Create(invariant, $"node{index + 1}_quorate_epoch={now:F6}"));
                    }

                    if (status.Quorum.Quorate && status.Members.Count == sockets.Length)
                    {
                        Console.WriteLine(string.Create(invariant, $"node{index + 1}_members_epoch={now:F6}"));
                        pending.Remove(index);
                    }
                }
                catch (Exception e) when (e is NodeControlException or IOException or OperationCanceledException)
                {
                    // Not up yet.
                }
            }

            try
            {
                await Task.Delay(10, stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return pending.Count == 0 ? 0 : 1;
    }

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var invariant = CultureInfo.InvariantCulture;
        var startNs = NowNs();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(options.TimeLimitSeconds));
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, s => { s.Cancel = true; stop.Cancel(); });
        using var csv = options.CsvFile is null ? null : new StreamWriter(options.CsvFile) { AutoFlush = false };
        var events = options.EventFile is null ? Console.Error : new StreamWriter(options.EventFile) { AutoFlush = true };
        await using var client = await RookeryClient.ConnectAsync(options.Socket, stop.Token);
        await using var membership = await client.JoinGroupAsync(options.Group, stop.Token);
        var myPid = (uint)Environment.ProcessId;
        uint myNodeid = 0;
        var senders = new Dictionary<(uint, uint), SenderStats>();
        var membersNow = 0;
        var endsSeen = 0;
        long deliveries = 0;
        ulong orderHash = 1469598103934665603UL;
        var confchg = 0;
        var lastRing = "";
        var ownEndSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var membersReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allEnds = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new Lock();

        var receive = Task.Run(async () =>
        {
            try
            {
                await foreach (var ev in membership.ReadEventsAsync(stop.Token))
                {
                    var t = NowNs();
                    lock (gate)
                    {
                        if (ev.Event == GroupEvent.Membership)
                        {
                            confchg++;
                            membersNow = ev.Members?.Count ?? 0;
                            lastRing = ev.RingId;
                            if (myNodeid == 0 && ev.Joined?.FirstOrDefault(m => m.Pid == myPid) is { } me)
                            {
                                myNodeid = me.Nodeid;
                            }

                            static string List(IReadOnlyList<GroupMember>? list, bool reason) =>
                                string.Join(',', (list ?? []).Select(m => $"{m.Nodeid}/{m.Pid}" + (reason ? $":{m.Reason}" : "")));
                            events.WriteLine(string.Create(invariant, $"EV t={t / 1e9:F6} confchg members={List(ev.Members, false)} left={List(ev.Left, true)} joined={List(ev.Joined, true)} ring={ev.RingId}"));
                            if (options.WaitMembers > 0 && membersNow >= options.WaitMembers)
                            {
                                membersReady.TrySetResult();
                            }

                            continue;
                        }

                        if (ev.Data is not { Length: >= HeaderSize } data || BinaryPrimitives.ReadUInt32LittleEndian(data) != Magic)
                        {
                            continue;
                        }

                        var flags = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(4));
                        var nodeid = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(8));
                        var pid = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(12));
                        var seq = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(16));
                        var sendNs = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(24));
                        if (!senders.TryGetValue((nodeid, pid), out var s))
                        {
                            senders[(nodeid, pid)] = s = new SenderStats(nodeid, pid);
                        }

                        if ((flags & FlagEnd) != 0)
                        {
                            s.Ended = true;
                            endsSeen++;
                            if (pid == myPid && (myNodeid == 0 || nodeid == myNodeid))
                            {
                                ownEndSeen.TrySetResult();
                            }

                            if (options.ExpectEnds > 0 && endsSeen >= options.ExpectEnds)
                            {
                                allEnds.TrySetResult();
                            }

                            continue;
                        }

                        deliveries++;
                        orderHash = (orderHash ^ (((ulong)nodeid << 32) ^ pid ^ ((ulong)seq << 20))) * 1099511628211UL;
                        if (s.FirstSeq < 0)
                        {
                            s.FirstSeq = seq;
                            s.NextSeq = seq;
                            s.FirstNs = t;
                        }
                        else
                        {
                            var gap = t - s.LastNs;
                            if (gap > s.MaxGapNs)
                            {
                                s.MaxGapNs = gap;
                                s.MaxGapAtNs = t;
                            }
                        }

                        if (seq < s.NextSeq)
                        {
                            s.Duplicates++;
                        }
                        else
                        {
                            s.Lost += seq - s.NextSeq;
                            s.NextSeq = seq + 1;
                        }

                        s.LastNs = t;
                        s.Messages++;
                        s.Bytes += data.Length;
                        var latency = t - sendNs;
                        s.MaxLatencyNs = Math.Max(s.MaxLatencyNs, latency);
                        if (s.LatenciesMs.Count < 4 * 1024 * 1024)
                        {
                            s.LatenciesMs.Add(latency / 1e6);
                        }

                        csv?.WriteLine(string.Create(invariant, $"{nodeid},{pid},{seq},{sendNs},{t}"));
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or NodeControlException or IOException)
            {
                events.WriteLine(string.Create(invariant, $"EV t={NowNs() / 1e9:F6} dispatch ended ({e.GetType().Name})"));
            }
        });

        long sent = 0;
        long sendErrors = 0;
        long sendBegin = 0;
        long sendEnd = 0;
        long maxBlockNs = 0;
        if (options.DurationSeconds > 0)
        {
            try
            {
                if (options.WaitMembers > 0)
                {
                    await membersReady.Task.WaitAsync(stop.Token);
                }

                var startAt = (long)(options.StartAt * 1e9);
                while (NowNs() < startAt)
                {
                    await Task.Delay(1, stop.Token);
                }

                var awaitEach = Environment.GetEnvironmentVariable("RKBENCH_AWAIT_EACH") == "1";
                var payload = new byte[options.Size];
                BinaryPrimitives.WriteUInt32LittleEndian(payload, Magic);
                BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(12), myPid);
                BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(32), (uint)options.Size);
                sendBegin = NowNs();
                var end = sendBegin + (long)(options.DurationSeconds * 1e9);
                var next = sendBegin;
                while (true)
                {
                    var now = NowNs();
                    if (now >= end || (options.Count > 0 && sent >= options.Count))
                    {
                        break;
                    }

                    if (options.IntervalUs > 0 && now < next)
                    {
                        // Sleep to the microsecond (cpgbench waits in poll): Task.Delay has millisecond steps, and
                        // spinning out the rest of each interval took a core from the daemons on a 2-core machine.
                        Native.usleep((uint)Math.Min((next - now) / 1000, 1_000_000));
                        continue;
                    }

                    BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(8), myNodeid);
                    BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(16), sent);
                    var before = NowNs();
                    BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(24), before);
                    try
                    {
                        // Pipelined, as cpgbench streams with cpg_mcast_joined: waits only while the client's queue is full.
                        if (awaitEach)
                        {
                            await membership.SendAsync(payload, stop.Token);
                        }
                        else
                        {
                            await membership.PostAsync(payload, stop.Token);
                        }

                        sent++;
                        maxBlockNs = Math.Max(maxBlockNs, NowNs() - before);
                    }
                    catch (NodeControlException e)
                    {
                        // The daemon already retried flow control and syncs (CS_ERR_TRY_AGAIN) for a minute: give up.
                        sendErrors++;
                        events.WriteLine(string.Create(invariant, $"EV t={NowNs() / 1e9:F6} mcast error {e.Code} ({e.Message})"));
                        break;
                    }

                    if (options.IntervalUs > 0)
                    {
                        next += options.IntervalUs * 1000;
                    }
                }

                sendEnd = NowNs();
                var endMessage = new byte[HeaderSize];
                payload.AsSpan(0, HeaderSize).CopyTo(endMessage);
                BinaryPrimitives.WriteUInt32LittleEndian(endMessage.AsSpan(4), FlagEnd);
                BinaryPrimitives.WriteInt64LittleEndian(endMessage.AsSpan(16), sent);
                await membership.SendAsync(endMessage, stop.Token);
                if (options.ExpectEnds == 0)
                {
                    await ownEndSeen.Task.WaitAsync(stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
                // Time limit or signal.
            }
        }

        try
        {
            if (options.ExpectEnds > 0)
            {
                await allEnds.Task.WaitAsync(stop.Token);
            }
            else if (options.DurationSeconds <= 0)
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Time limit or signal.
        }

        var stopNs = NowNs();
        lock (gate)
        {
            csv?.Flush();
            Console.WriteLine($"label={options.Label}");
            Console.WriteLine(string.Create(invariant, $"nodeid={myNodeid} pid={myPid} size={options.Size} interval_us={options.IntervalUs}"));
            if (sendBegin != 0)
            {
                var seconds = (sendEnd - sendBegin) / 1e9;
                Console.WriteLine(string.Create(invariant,
                    $"sent={sent} try_again=0 send_errors={sendErrors} send_secs={seconds:F3} send_rate_msgs={(seconds > 0 ? sent / seconds : 0):F1} send_rate_MBps={(seconds > 0 ? sent * (double)options.Size / seconds / 1e6 : 0):F3} max_block_ms={maxBlockNs / 1e6:F3}"));
            }

            long totalMessages = 0;
            long totalBytes = 0;
            long first = 0;
            long last = 0;
            foreach (var s in senders.Values.Where(s => s.Messages > 0))
            {
                totalMessages += s.Messages;
                totalBytes += s.Bytes;
                first = first == 0 || s.FirstNs < first ? s.FirstNs : first;
                last = Math.Max(last, s.LastNs);
                var span = (s.LastNs - s.FirstNs) / 1e9;
                s.LatenciesMs.Sort();
                double Pct(double p) => s.LatenciesMs.Count == 0 ? 0 : s.LatenciesMs[(int)((p * (s.LatenciesMs.Count - 1)) + 0.5)];
                var self = s.Nodeid == myNodeid && s.Pid == myPid ? "(self)" : "";
                Console.WriteLine(string.Create(invariant,
                    $"from={s.Nodeid}/{s.Pid}{self} msgs={s.Messages} bytes={s.Bytes} first_seq={s.FirstSeq} last_seq={s.NextSeq - 1} lost={s.Lost} dups={s.Duplicates} span_s={span:F3} rate_msgs={(span > 0 ? s.Messages / span : 0):F1} rate_MBps={(span > 0 ? s.Bytes / span / 1e6 : 0):F3} max_gap_ms={s.MaxGapNs / 1e6:F3} max_gap_at={s.MaxGapAtNs / 1e9:F6} lat_p50_ms={Pct(0.5):F3} lat_p99_ms={Pct(0.99):F3} lat_max_ms={s.MaxLatencyNs / 1e6:F3} ended={(s.Ended ? 1 : 0)}"));
            }

            var totalSpan = (last - first) / 1e9;
            Console.WriteLine(string.Create(invariant,
                $"total_msgs={totalMessages} total_bytes={totalBytes} span_s={totalSpan:F3} total_rate_msgs={(totalSpan > 0 ? totalMessages / totalSpan : 0):F1} total_rate_MBps={(totalSpan > 0 ? totalBytes / totalSpan / 1e6 : 0):F3}"));
            Console.WriteLine(string.Create(invariant,
                $"deliveries={deliveries} order_hash={orderHash:x16} confchg={confchg} totem_confchg=0 last_ring={lastRing} runtime_s={(stopNs - startNs) / 1e9:F3}"));
        }

        await stop.CancelAsync();
        await receive.ConfigureAwait(false);
        return 0;
    }
}
