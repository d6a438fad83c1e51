#!/usr/bin/env python3
"""Derives the trimmed captures in this folder from ../shared/ref/corosync-sync (real corosync 3.1.7 +
libknet 1.25, plaintext wire; see that folder's README.md). Python 3 stdlib only.

usage: trim.py REF_DIR   (REF_DIR = the corosync-sync reference folder)

Keeps, byte for byte, every captured frame within 5 ms of a Totem MCAST listed in the reference's
sync-order.txt (the distinct MCASTs of every ring: sync rounds, cpg joins and leaves and each sender's
first cpg MCAST, votequorum RECONFIGURE, cfg RELOAD_CONFIG) and drops the rest (idle tokens, pings, PMTUD), so the tests' fixtures stay small.
Also keeps node 1's log lines of subsystems SYNC and MAIN, and the quorum and cpg lines of each sync
(corosync.node1.log -> corosync.node1.sync.log).
"""
import os, struct, sys


def windows(sync_order, steps):
    first = open(steps).read().splitlines()[1].split()
    clock, epoch = first[0], float(first[1])
    h, m, s = clock.split(':')
    midnight = epoch - (int(h) * 3600 + int(m) * 60 + float(s))
    result = []
    for line in open(sync_order):
        parts = line.split()
        if len(parts) > 7 and parts[0] == 'seq' and (' cpg.MCAST ' not in line or line.rstrip().endswith(' seq=1')):
            h, m, s = parts[7].split(':')
            t = midnight + int(h) * 3600 + int(m) * 60 + float(s)
            result.append((t - 0.005, t + 0.005))
    return result


def trim(source, target, spans):
    data = open(source, 'rb').read()
    out = [data[:24]]
    offset = 24
    kept = 0
    while offset < len(data):
        seconds, micros, included, _ = struct.unpack_from('<IIII', data, offset)
        record = data[offset:offset + 16 + included]
        offset += 16 + included
        t = seconds + micros / 1e6
        if any(lo <= t <= hi for lo, hi in spans):
            out.append(record)
            kept += 1
    open(target, 'wb').write(b''.join(out))
    print('%s: kept %d frames' % (target, kept))


def keep_log_line(line):
    """SYNC and MAIN lines, and the quorum and cpg lines of a sync: its member lists, the downlists, the quorum report."""
    if '[SYNC  ]' in line or '[MAIN  ]' in line:
        return True
    quorum = ('] Sync members[', '] Sync joined[', '] Sync left[', '] Members[', 'within the primary component', 'within the non-primary component')
    return ('[QUORUM]' in line and any(q in line for q in quorum)) or ('[CPG   ]' in line and 'downlist left_list' in line)


def main():
    ref = sys.argv[1]
    for sub, prefix in (('', 'main-'), ('extra-cpg-joined', 'extra-')):
        folder = os.path.join(ref, sub)
        spans = windows(os.path.join(folder, 'sync-order.txt'), os.path.join(folder, 'steps.txt'))
        if sub == '':
            lines = [l for l in open(os.path.join(folder, 'corosync.node1.log')) if keep_log_line(l)]
            open('corosync.node1.sync.log', 'w').writelines(lines)
        for pcap in ('link0-cbbrA.pcap', 'link1-cbbrB.pcap') if sub == '' else ('link1-cbbrB.pcap',):
            trim(os.path.join(folder, pcap), prefix + pcap, spans)


if __name__ == '__main__':
    main()
