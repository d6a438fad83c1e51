#!/usr/bin/env bash
# Idle resource use of a NODES-node (default 3), 2-link Rookery cluster on loopback (targets: <= 30 MiB RSS per node;
# <= 0.4 % CPU per node with 3 nodes, <= 0.6 % with 16).
# Usage: [NODES=16] [WEB=1] bench/idle/idle.sh [ROOKERY_DLL|ROOKERY_EXECUTABLE] [SECONDS]   (default: src/Rookery.Cli/bin/Release/net10.0/rookery.dll, 30 s)
# A native executable comes from packaging/publish.sh. Default totem/knet timers, secauth on. Prints, per daemon,
# VmRSS and CPU % (utime+stime from /proc/PID/stat over SECONDS, after 10 s to settle), then the mean per node and the
# sum over the cluster.
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
sum_cpu=0; sum_rss=0
for i in "${!pids[@]}"; do
  p=${pids[$i]}
  end=$(ticks "$p")
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$p/status")
  cpu=$(awk -v d=$((end - ${start[$p]})) -v hz="$hz" -v s="$seconds" 'BEGIN { printf "%.3f", 100 * d / hz / s }')
  printf 'node %d: RSS %.1f MiB, CPU %.2f %%\n' $((i + 1)) "$(echo "scale=2; $rss / 1024" | bc)" "$cpu"
  sum_cpu=$(echo "$sum_cpu + $cpu" | bc); sum_rss=$((sum_rss + rss))
done
printf 'mean of %d nodes: RSS %.1f MiB, CPU %.2f %% per node; %.1f %% of one core for the whole cluster\n' "$nodes" \
  "$(echo "scale=2; $sum_rss / $nodes / 1024" | bc)" "$(echo "scale=3; $sum_cpu / $nodes" | bc)" "$sum_cpu"
grep -h "members\|quorate\|Quorum" "$dir"/n1/log | tail -2 || true
