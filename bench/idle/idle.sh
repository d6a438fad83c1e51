#!/usr/bin/env bash
# Idle resource use of a 3-node, 2-link Rookery cluster on loopback (issue 6: <= 30 MiB RSS, <= 0.4 % CPU per node).
# Usage: bench/idle/idle.sh [ROOKERY_DLL|ROOKERY_EXECUTABLE] [SECONDS]   (default: src/Rookery.Cli/bin/Release/net10.0/rookery.dll, 30 s)
# Default totem/knet timers, secauth on. Prints, per daemon, VmRSS and CPU % (utime+stime from /proc/PID/stat over SECONDS).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
dll=${1:-$here/src/Rookery.Cli/bin/Release/net10.0/rookery.dll}
seconds=${2:-30}
dir=$(mktemp -d /tmp/rookery-idle-XXXXXX)
b=$(( 150 + $$ % 50 ))
head -c 256 /dev/urandom > "$dir/authkey"
run=(dotnet "$dll")
case "$dll" in *.dll) ;; *) run=("$dll") ;; esac
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for n in 1 2 3; do
  mkdir -p "$dir/n$n/state"
  {
    printf 'totem {\n  version: 2\n  cluster_name: idle\n  config_version: 1\n  secauth: on\n  keyfile: %s\n' "$dir/authkey"
    printf '  interface {\n    linknumber: 0\n    knet_link_priority: 15\n  }\n  interface {\n    linknumber: 1\n    knet_link_priority: 20\n  }\n}\n'
    printf 'logging {\n  to_syslog: no\n}\nquorum {\n  provider: corosync_votequorum\n}\nnodelist {\n'
    for m in 1 2 3; do printf '  node {\n    name: n%d\n    nodeid: %d\n    ring0_addr: 127.%d.1.%d\n    ring1_addr: 127.%d.2.%d\n  }\n' $m $m $b $m $b $m; done
    printf '}\n'
  } > "$dir/n$n/corosync.conf"
  env -u NOTIFY_SOCKET "${run[@]}" daemon --config "$dir/n$n/corosync.conf" --state-dir "$dir/n$n/state" \
    --socket "$dir/n$n/rookery.sock" --node "n$n" > "$dir/n$n/log" 2>&1 &
  pids+=($!)
done
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
