#!/usr/bin/env python3
"""Summarise bench/knet/failover.sh results: detection time and data gap, Rookery vs real knet, per run
and min / median / max over runs. Usage: analyze.py <result-dir>"""
import datetime
import os
import re
import statistics
import sys

LOGTS = re.compile(r'^(\w{3} +\d+ \d\d:\d\d:\d\d\.\d{3}) ')
DOWN = re.compile(r'link: host: (\d+) link: 1 is down')
UP = re.compile(r'rx: host: (\d+) link: 1 is up')


def corosync_events(path, year):
    out = []
    for line in open(path, errors='replace'):
        m = LOGTS.match(line)
        if m:
            t = datetime.datetime.strptime(f"{year} {m.group(1)}", "%Y %b %d %H:%M:%S.%f")
            out.append((t.replace(tzinfo=datetime.timezone.utc).timestamp(), line))
    return out


def rookery_events(path):
    out = []
    for line in open(path, errors='replace'):
        parts = line.split(' ', 1)
        try:
            out.append((float(parts[0]), line))
        except (ValueError, IndexError):
            pass
    return out


def first_after(events, pattern, t0):
    for t, line in events:
        if t >= t0 - 0.001 and pattern.search(line):
            return (t - t0) * 1000
    return None


def max_gap(times, t0, t1):
    window = sorted(t for t in times if t0 - 1 <= t <= t1)
    if len(window) < 2:
        return None
    return max(b - a for a, b in zip(window, window[1:])) * 1000


def main(out):
    year = datetime.datetime.now(datetime.timezone.utc).year
    rows = []
    for run in sorted(d for d in os.listdir(out) if d.startswith('run')):
        rd = os.path.join(out, run)
        times = dict(kv.split('=') for kv in open(os.path.join(rd, 'times.txt')).read().split())
        t_down, t_up = float(times['t_down']), float(times['t_up'])
        k1 = corosync_events(os.path.join(rd, 'corosync1.log'), year)
        k2 = corosync_events(os.path.join(rd, 'corosync2.log'), year)
        r3 = rookery_events(os.path.join(rd, 'rookery3.log'))
        r4 = rookery_events(os.path.join(rd, 'rookery4.log'))
        knet_recv = []
        path = os.path.join(rd, 'knet-recv2.csv')
        if os.path.exists(path):
            for line in open(path):
                f = line.strip().split(',')
                if len(f) == 5 and f[0] == '1':
                    knet_recv.append(int(f[4]) / 1e9)
        rk_recv = []
        path = os.path.join(rd, 'rookery-recv4.csv')
        if os.path.exists(path):
            for line in open(path).readlines()[1:]:
                f = line.strip().split(',')
                if len(f) == 3:
                    rk_recv.append(float(f[2]))
        rows.append({
            'run': run,
            'knet_down_cut_side': first_after(k2, re.compile(r'link: host: 1 link: 1 is down'), t_down),
            'knet_down_far_side': first_after(k1, re.compile(r'link: host: 2 link: 1 is down'), t_down),
            'rookery_down_cut_side': first_after(r4, re.compile(r'link: host: 3 link: 1 is down'), t_down),
            'rookery_down_far_side': first_after(r3, re.compile(r'link: host: 4 link: 1 is down'), t_down),
            'knet_gap': max_gap(knet_recv, t_down, t_up),
            'rookery_gap': max_gap(rk_recv, t_down, t_up),
            'knet_up_far_side': first_after(k1, re.compile(r'rx: host: 2 link: 1 is up'), t_up),
            'rookery_up_far_side': first_after(r3, re.compile(r'rx: host: 4 link: 1 is up'), t_up),
            'knet_steady_gap': max_gap(knet_recv, t_down - 3, t_down - 1),
            'rookery_steady_gap': max_gap(rk_recv, t_down - 3, t_down - 1),
        })
    keys = [k for k in rows[0] if k != 'run'] if rows else []
    fmt = lambda v: '-' if v is None else f'{v:.0f}'
    print(open(os.path.join(out, 'params.txt')).read().strip())
    print('run   ' + ' '.join(f'{k:>22}' for k in keys))
    for r in rows:
        print(f"{r['run']:<5} " + ' '.join(f'{fmt(r[k]):>22}' for k in keys))
    print('all times in ms; min / median / max over runs:')
    for k in keys:
        vals = [r[k] for r in rows if r[k] is not None]
        if vals:
            print(f'  {k:<24} {min(vals):7.0f} / {statistics.median(vals):7.0f} / {max(vals):7.0f}   (n={len(vals)})')
        else:
            print(f'  {k:<24} -')


if __name__ == '__main__':
    main(sys.argv[1])
