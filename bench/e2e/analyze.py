#!/usr/bin/env python3
"""Turns bench/e2e/run-all.sh's rows.tsv into the side-by-side table (markdown, stdout).

analyze.py OUT_DIR   (reads OUT_DIR/rows.tsv, machine.txt, params.txt)

Each row: Corosync (default = SCHED_RR) and Corosync with sched_rr: no, each min/median/max over runs; Rookery the
same; the Rookery/Corosync ratio computed per run against the better of Corosync's two settings in that run wherever
both were measured (throughput, latency, CPU per message), then min/median/max; the target and whether the median
meets it.
"""
import collections
import os
import statistics
import sys

SIZES = ['100', '1024', '10240', '65536']
SIZE_NAMES = {'100': '100 B', '1024': '1 KiB', '10240': '10 KiB', '65536': '64 KiB'}

# figure, label, better ('lower'/'higher'), absolute target for Rookery (or None), compare with ('default'/'best')
FIGURES = [
    ('failover_gap_s', 'delivery gap, active link of node 3 dies (s)', 'lower', 0.25, 'default'),
    ('bothdown_stall_s', 'cluster-wide stall, node 3 loses both links (s)', 'lower', 1.0, 'default'),
    ('failover_lost', 'messages of node 1 missing at nodes 1-3 (also after the last delivered), active link dies', 'lower', 0.0, 'default'),
    ('bothdown_lost', 'messages of node 1 missing at nodes 1-3, node 3 loses both links (its time outside the membership excluded)', 'lower', 0.0, 'default'),
]
for n in ('1', '3'):
    for size in SIZES:
        unit = 'msgs' if size in ('100', '1024') else 'MBps'
        label = f'throughput {n} sender{"s" if n == "3" else ""}, {SIZE_NAMES[size]} ({"msg/s" if unit == "msgs" else "MB/s"})'
        FIGURES.append((f'tput{n}_{size}_{unit}', label, 'higher', None, 'best'))
FIGURES += [
    ('latency_p50_ms', 'latency p50 at 1000 msg/s, sender\'s own delivery (ms)', 'lower', None, 'best'),
    ('latency_p99_ms', 'latency p99 at 1000 msg/s (ms)', 'lower', None, 'best'),
    ('tput_link_downs', 'links declared down during the throughput runs (3 daemons)', 'lower', 0.0, 'default'),
    ('tput_ring_changes', 'new memberships during the throughput runs (3 daemons)', 'lower', 0.0, 'default'),
    ('start_quorate_s', 'start of 3 nodes -> every node quorate (s)', 'lower', 0.5, 'default'),
    ('start_members_s', 'start of 3 nodes -> every node sees all 3 members (s)', 'lower', 0.5, 'default'),
    ('idle_rss_mib', 'idle RSS per node (MiB)', 'lower', 30.0, 'default'),
    ('idle_cpu_pct', 'idle CPU per node (%)', 'lower', 0.4, 'default'),
]
for n in ('1', '3'):
    for size in SIZES:
        FIGURES.append((f'tput{n}_{size}_cpu_us_per_msg', f'daemon CPU per delivered msg, {n} sender{"s" if n == "3" else ""}, {SIZE_NAMES[size]} (µs, all 3 daemons)', 'lower', None, 'best'))


def fmt(v):
    if v is None:
        return '—'
    a = abs(v)
    return f'{v:.0f}' if a >= 1000 else f'{v:.1f}' if a >= 10 else f'{v:.2f}' if a >= 0.1 else f'{v:.3f}'


def mmm(values):
    if not values:
        return '—'
    return f'{fmt(min(values))} / **{fmt(statistics.median(values))}** / {fmt(max(values))}'


def main(out):
    data = collections.defaultdict(dict)  # (figure, impl) -> {run: value}
    path = os.path.join(out, 'rows.tsv')
    if os.path.exists(path):
        for line in open(path):
            p = line.rstrip('\n').split('\t')
            if len(p) < 5:
                continue
            try:
                data[(p[0], p[1])][int(p[2])] = float(p[3])
            except ValueError:
                continue
    print('# Rookery vs Corosync 3.1.7, side by side (bench/e2e/run-all.sh)\n')
    for name in ('machine.txt', 'params.txt'):
        f = os.path.join(out, name)
        if os.path.exists(f):
            print('```\n' + open(f).read().strip() + '\n```\n')
    print('min / **median** / max over runs. Corosync = default (SCHED_RR prio 99); Corosync rr-no = `system { sched_rr: no }`.')
    print('Ratio = Rookery / Corosync per run, against the better Corosync setting of that run where both settings were')
    print('measured (throughput, latency, CPU per message), min / **median** / max.\n')
    print('| figure | Corosync | Corosync rr-no | Rookery | ratio R/C | target | met (median) |')
    print('|---|---|---|---|---|---|---|')
    for fig, label, better, target, compare in FIGURES:
        c = data.get((fig, 'corosync'), {})
        c2 = data.get((fig, 'corosync-rrno'), {})
        r = data.get((fig, 'rookery'), {})
        if not (c or c2 or r):
            continue
        ratios = []
        for run, rv in r.items():
            refs = [v for v in (c.get(run), c2.get(run) if compare == 'best' else None) if v is not None]
            if not refs:
                continue
            ref = max(refs) if better == 'higher' else min(refs) if compare == 'best' else refs[0]
            if ref > 0:
                ratios.append(rv / ref)
        if target is not None:
            tgt = f'≤ {fmt(target)}' if target else '0'
            met = statistics.median(r.values()) <= target if r else None
        else:
            tgt = 'ratio ≥ 1' if better == 'higher' else 'ratio ≤ 1'
            med = statistics.median(ratios) if ratios else None
            met = None if med is None else (med >= 1 if better == 'higher' else med <= 1)
        verdict = '—' if met is None else ('yes' if met else '**no**')
        print(f'| {label} | {mmm(list(c.values()))} | {mmm(list(c2.values()))} | {mmm(list(r.values()))} | {mmm(ratios)} | {tgt} | {verdict} |')
    same_client_table(data)


def same_client_table(data):
    """rookery-cpg rows: Rookery measured with corosync's own client (cpgbench over libcpg), against Corosync."""
    rows = [(fig, label, better) for fig, label, better, _, _ in FIGURES
            if fig.startswith(('tput', 'latency')) and data.get((fig, 'rookery-cpg'))]
    if not rows:
        return
    print('\nSame client against both daemons: the baseline\'s cpgbench (libcpg) on Corosync and on Rookery (its libqb IPC).\n')
    print('| figure | Corosync (cpgbench) | Rookery (cpgbench) | ratio R/C |')
    print('|---|---|---|---|')
    for fig, label, better in rows:
        c = data.get((fig, 'corosync'), {})
        r = data.get((fig, 'rookery-cpg'), {})
        ratios = [rv / c[run] for run, rv in r.items() if c.get(run)]
        print(f'| {label} | {mmm(list(c.values()))} | {mmm(list(r.values()))} | {mmm(ratios)} |')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else '.')
