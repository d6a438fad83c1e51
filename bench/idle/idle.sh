#!/usr/bin/env bash
# Idle resource use of a 3-node, 2-link Rookery cluster on loopback (issue 6: <= 30 MiB RSS, <= 0.4 % CPU per node).
# Usage: bench/idle/idle.sh [ROOKERY_DLL|ROOKERY_EXECUTABLE] [SECONDS]   (default: src/Rookery.Cli/bin/Release/net10.0/rookery.dll, 30 s)
# A native executable comes from packaging/publish.sh. Default totem/knet timers, secauth on. Prints, per daemon,
# VmRSS and CPU % (utime+stime from /proc/PID/stat over SECONDS, after 10 s to settle).
set -euo pipefail
. "$(dirname "$0")/cluster.sh" "${1:-}"
seconds=${2:-30}
cluster_config
cluster_start
sleep 10
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
declare -A start
for p in "${pids[@]}"; do start[$p]=$(ticks "$p"); done
sleep "$seconds"
for i in 0 1 2; do
  p=${pids[$i]}
  end=$(ticks "$p")
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$p/status")
  awk -v n=$((i + 1)) -v d=$((end - ${start[$p]})) -v hz="$hz" -v s="$seconds" -v rss="$rss" \
    'BEGIN { printf "node %d: RSS %.1f MiB, CPU %.2f %%\n", n, rss / 1024, 100 * d / hz / s }'
done
grep -h "members\|quorate\|Quorum" "$dir"/n1/log | tail -2 || true
