#!/usr/bin/env bash
# Start of a 3-node, 2-link Rookery cluster on loopback -> every node quorate (issue 6: <= 0.5 s), RUNS times.
# Usage: bench/idle/startup.sh [ROOKERY_DLL|ROOKERY_EXECUTABLE] [RUNS]   (default: the JIT build's rookery.dll, 5 runs)
# Each run: fresh state, launch the 3 daemons at once, poll their logs every 10 ms until each says it is in the
# primary component ("This node is within the primary component"); prints the time of the last one and min/median/max.
# KEEP=DIR keeps each run's daemon logs in DIR/runN. bench/e2e/run-all.sh measures the same on network namespaces (FIGURES=start).
set -euo pipefail
. "$(dirname "$0")/cluster.sh" "${1:-}"
runs=${2:-5}
times=()
for r in $(seq 1 "$runs"); do
  cluster_config
  t0=$(date +%s.%N)
  cluster_start
  while true; do
    quorate=0
    for n in $(seq 1 "$nodes"); do grep -q "within the primary component" "$dir/n$n/log" 2>/dev/null && quorate=$((quorate + 1)); done
    [ "$quorate" = "$nodes" ] && break
    dead=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || dead=1; done
    if [ "$dead" = 1 ] || (( $(echo "$(date +%s.%N) - $t0 > 60" | bc) )); then
      echo "run $r: not every node quorate within 60 s, or a daemon exited (another cluster on the same address?)" >&2
      for n in $(seq 1 "$nodes"); do echo "--- node $n" >&2; tail -15 "$dir/n$n/log" >&2; done
      exit 1
    fi
    sleep 0.01
  done
  t=$(echo "$(date +%s.%N) - $t0" | bc)
  times+=("$t")
  printf 'run %d: start -> %d nodes quorate %.3f s\n' "$r" "$nodes" "$t"
  cluster_stop
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP/run$r"; for n in 1 2 3; do cp "$dir/n$n/log" "$KEEP/run$r/n$n.log"; done; fi
  sleep 1
done
printf '%s\n' "${times[@]}" | sort -n | awk '{v[NR] = $1} END {printf "min %.3f / median %.3f / max %.3f s over %d runs\n", v[1], v[int((NR + 1) / 2)], v[NR], NR}'
