#!/usr/bin/env python3
"""Largest delivery gap in a stream_cut run directory (bench/e2e/lib.sh).

gap.py DIR NAME...        largest interval between two consecutive deliveries of node 1's stream whose later
                          delivery falls between the cut (t_down) and the restore (t_up), over the named CSVs
                          (recv2, recv3, send1: nodeid,pid,seq,send_ns,recv_ns); a receiver that delivered
                          nothing after the cut counts the whole window. Seconds.
gap.py --lost DIR NAME... messages of node 1's stream missing at the named receivers (sum). Node 1 sent sequence
                          numbers 0 .. sent-1 (sent= in send1.txt); a receiver misses every one of them it never
                          delivered, also those after the last one it did deliver. NAME:out names a receiver that was
                          outside the membership for a while (node 3 after losing both links): the longest run of
                          sequence numbers it misses is that time outside, and only the rest is counted.
"""
import gzip
import os
import sys


def rows(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rt') as f:
        for line in f:
            p = line.strip().split(',')
            if len(p) == 5:
                yield int(p[0]), int(p[2]), int(p[4]) / 1e9


def sent_count(d):
    """Messages node 1 sent (cpgbench and rkbench print sent=N; sequence numbers are 0 .. N-1), None if unknown."""
    path = os.path.join(d, 'send1.txt')
    if not os.path.exists(path):
        return None
    for line in open(path):
        for kv in line.split():
            if kv.startswith('sent='):
                return int(kv[5:])
    return None


def missing(seqs, sent, was_out):
    """Sequence numbers of 0 .. sent-1 not in seqs (sorted, distinct); without the longest missing run if was_out."""
    runs = []
    expected = 0
    for s in seqs + [sent]:
        if s > expected:
            runs.append(s - expected)
        expected = s + 1
    total = sum(runs)
    if was_out and runs:
        total -= max(runs)
    return total


def main(argv):
    lost_mode = argv[0] == '--lost'
    if lost_mode:
        argv = argv[1:]
    d = argv[0]
    times = dict(kv.split('=') for kv in open(os.path.join(d, 'times.txt')).read().split())
    t_down, t_up = float(times['t_down']), float(times['t_up'])
    worst = 0.0
    lost = 0
    sent = sent_count(d) if lost_mode else None
    for name in argv[1:]:
        name, _, mark = name.partition(':')
        path = os.path.join(d, name + '.csv')
        if not os.path.exists(path):
            print('nan')
            return
        deliveries = [r for r in rows(path) if r[0] == 1]
        if lost_mode:
            if sent is None:
                print('nan')
                return
            lost += missing(sorted({s for _, s, _ in deliveries if s < sent}), sent, mark == 'out')
            continue
        recv = sorted(t for _, _, t in deliveries)
        before = [t for t in recv if t <= t_down]
        after = [t for t in recv if t > t_down]
        prev = before[-1] if before else t_down
        gap = 0.0
        for t in after:
            if t > t_up:
                gap = max(gap, t - prev)
                break
            gap = max(gap, t - prev)
            prev = t
        if not any(t > t_down for t in recv):
            gap = t_up - prev
        worst = max(worst, gap)
    print(lost if lost_mode else f'{worst:.3f}')


if __name__ == '__main__':
    main(sys.argv[1:])
