# Functions of bench/idle/idle.sh and startup.sh (sourced as `. cluster.sh [BUILD]`): a NODES-node (default 3, at most
# 32), 2-link Rookery cluster on loopback addresses in a scratch directory removed on exit. BUILD: rookery.dll (run by dotnet; default: the JIT build)
# or a native rookery executable (packaging/publish.sh). Default totem/knet timers, secauth on; link 1 (priority 20)
# carries data, link 0 (priority 15) is standby.
dll=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/src/Rookery.Cli/bin/Release/net10.0/rookery.dll}
dir=$(mktemp -d /tmp/rookery-cluster-XXXXXX)
trap 'cluster_stop; rm -rf "$dir"' EXIT
b=$(( 150 + $$ % 50 ))
run=(dotnet "$dll")
case "$dll" in *.dll) ;; *) run=("$dll") ;; esac
pids=()
nodes=${NODES:-3}
[[ "$nodes" =~ ^[0-9]+$ ]] && [ "$nodes" -ge 2 ] && [ "$nodes" -le 32 ] || { echo "cluster.sh: NODES must be 2..32, not '$nodes'" >&2; exit 2; }

cluster_config() {
  head -c 256 /dev/urandom > "$dir/authkey"
  for n in $(seq 1 "$nodes"); do
    rm -rf "$dir/n$n"; mkdir -p "$dir/n$n/state"
    {
      printf 'totem {\n  version: 2\n  cluster_name: idle\n  config_version: 1\n  secauth: on\n  keyfile: %s\n' "$dir/authkey"
      printf '  interface {\n    linknumber: 0\n    knet_link_priority: 15\n  }\n  interface {\n    linknumber: 1\n    knet_link_priority: 20\n  }\n}\n'
      printf 'logging {\n  to_syslog: no\n}\nquorum {\n  provider: corosync_votequorum\n}\nnodelist {\n'
      for m in $(seq 1 "$nodes"); do printf '  node {\n    name: n%d\n    nodeid: %d\n    ring0_addr: 127.%d.1.%d\n    ring1_addr: 127.%d.2.%d\n  }\n' $m $m $b $m $b $m; done
      printf '}\n'
    } > "$dir/n$n/corosync.conf"
    # WEB=1: every node also serves its web interface (rookery.conf, any free port), to measure what it costs idle.
    if [ -n "${WEB:-}" ]; then printf 'web {\n  listen: 127.0.0.1:0\n}\n' > "$dir/n$n/rookery.conf"; fi
  done
}

cluster_start() {
  pids=()
  for n in $(seq 1 "$nodes"); do
    env -u NOTIFY_SOCKET "${run[@]}" daemon --config "$dir/n$n/corosync.conf" --state-dir "$dir/n$n/state" \
      --socket "$dir/n$n/rookery.sock" --node "n$n" > "$dir/n$n/log" 2>&1 &
    pids+=($!)
  done
}

cluster_stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}
