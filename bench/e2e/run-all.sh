#!/bin/bash
# Rookery and Debian's corosync 3.1.7 side by side, in ONE run, on the same 3-namespace testbed (the baseline's
# cbn1..3 / cbbrA (link 0, 10.10.10.x) / cbbrB (link 1, 10.20.20.x), built by its setup-net.sh from a copy of
# shared/baseline/corosync). Every run measures each implementation in turn, fresh cluster each time:
#   start of 3 nodes -> quorate; idle RSS and CPU per node; latency p50/p99 at 1000 msg/s (sender's own delivery);
#   agreed-order throughput, 1 and 3 senders x 100 B/1 KiB/10 KiB/64 KiB (+ daemon CPU time per delivered message);
#   delivery gap when the active link (link 1, priority 20) of node 3 dies; cluster-wide stall when node 3 loses
#   both links. Corosync runs at its default (SCHED_RR prio 99) = "corosync" and with `system { sched_rr: no }` =
#   "corosync-rrno" (throughput and latency only). Rookery uses the same priorities and its own defaults.
# Clients: the baseline's cpgbench (libcpg) for corosync, bench/e2e/rkbench.cs (Rookery.Client) for Rookery;
# "rookery-cpg" = Rookery measured with the same cpgbench (libcpg through corosync's IPC; latency and throughput only),
# so one client is compared against both daemons: IMPLS="corosync rookery rookery-cpg".
#
#   RUNS=5            runs (each figure gets min/median/max over runs, and the per-run Rookery/Corosync ratio)
#   QUICK=1           smoke test: short durations (figures are not comparable with a full run)
#   IMPLS="corosync corosync-rrno rookery"   what to measure
#   FIGURES="start idle latency throughput failover bothdown"
#   OUT=bench/e2e/results/<UTC time>          results: rows.tsv (every value), results.md (the table), raw/
#   ROOKERY_NATIVE=DIR  use DIR/rookery (packaging/publish.sh DIR, same tree) instead of building it; ROOKERY_BUILD=jit: JIT
# Needs root, corosync + libcpg-dev + gcc (cpgbench), iproute2, bc, python3, dotnet. Removes everything it
# created on exit (the baseline's teardown.sh: cbn*, cbbr*, cb*[ab], its nft table; our daemons; $E2E_RUN).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BASE_SRC=/work/shared/baseline/corosync
[ -d "$BASE_SRC" ] || BASE_SRC="$ROOT/../shared/baseline/corosync"
RUNS="${RUNS:-5}"; QUICK="${QUICK:-0}"
IMPLS="${IMPLS:-corosync corosync-rrno rookery}"
FIGURES="${FIGURES:-start idle latency throughput failover bothdown}"
SIZES="${SIZES:-100 1024 10240 65536}"
if [ "$QUICK" = 1 ]; then DUR=${DUR:-2}; IDLE=${IDLE:-3}; PRE=${PRE:-2}; DOWN=${DOWN:-4}; UP=${UP:-3}; BOTH=${BOTH:-10}
else DUR=${DUR:-10}; IDLE=${IDLE:-30}; PRE=${PRE:-3}; DOWN=${DOWN:-6}; UP=${UP:-6}; BOTH=${BOTH:-14}; fi
E2E_RUN="${E2E_RUN:-/tmp/rke2e}"
OUT="${OUT:-$HERE/results/$(date -u +%Y%m%dT%H%M%SZ)}"
export CB_RUN="$E2E_RUN/cb" CB_BIN="$E2E_RUN/cb/bin" CB_RES="$OUT/raw/baseline"
BASE="$E2E_RUN/baseline"
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || { echo "run-all.sh: needs root (network namespaces)" >&2; exit 1; }
trap e2e_cleanup EXIT
e2e_setup
machine_info > "$OUT/machine.txt"
echo "RUNS=$RUNS QUICK=$QUICK DUR=$DUR IDLE=$IDLE PRE=$PRE DOWN=$DOWN UP=$UP BOTH=$BOTH SIZES='$SIZES' IMPLS='$IMPLS'" > "$OUT/params.txt"
log "results in $OUT"
for r in $(seq 1 "$RUNS"); do
  for impl in $IMPLS; do
    log "run $r: $impl"
    figures="$FIGURES"
    case "$impl" in corosync-rrno|rookery-cpg) figures=$(echo "$FIGURES" | tr ' ' '\n' | grep -E '^(latency|throughput)$' | xargs) ;; esac
    [ -n "$figures" ] || continue
    measure_round "$impl" "$r" "$figures" || log "run $r: $impl: a measurement failed (see $OUT/raw/$impl/run$r)"
  done
done
python3 "$HERE/analyze.py" "$OUT" | tee "$OUT/results.md"
