#!/bin/bash
# Captures the golden corosync-quorumtool -s of a real 2-node Debian corosync 3.1.7 cluster with a net quorum device
# (corosync-qdevice on each node, corosync-qnetd on a third namespace, ffsplit, TLS off), as QdeviceTests sets up a
# Rookery cluster: namespaces rkqdN, one bridge, 10.10.10.N; the configuration is QdeviceTests.Config's (printed by
# the test's golden config qdevice.conf). Run as root; writes qdevice-quorumtool-s.out next to this script.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
run=/tmp/rookery-qdevice-golden
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; rm -f /dev/shm/qb-*-"$p"-blackbox-*; done
  for n in 1 2 3; do ip netns del rkqd$n 2>/dev/null || true; ip link del rkqdv$n 2>/dev/null || true; done
  ip link del rkqdbr 2>/dev/null || true
}
trap cleanup EXIT
rm -rf "$run"; mkdir -p "$run"
ip link add rkqdbr type bridge; ip link set rkqdbr up
for n in 1 2 3; do
  ip netns add rkqd$n
  ip link add rkqdv$n type veth peer name eth0 netns rkqd$n
  ip link set rkqdv$n master rkqdbr up
  ip -n rkqd$n addr add 10.10.10.$n/24 dev eth0
  ip -n rkqd$n link set eth0 up; ip -n rkqd$n link set lo up
done
isolated() { # node dir-to-hide name command...
  local node=$1 dir=$2 name=$3; shift 3
  mkdir -p "$run/$name"
  ip netns exec rkqd$node unshare --mount --propagation private sh -c "mkdir -p $dir && mount --bind $run/$name $dir && exec $*" >"$run/$name.log" 2>&1 &
  pids+=($!)
}
isolated 3 /var/run/corosync-qnetd qnetd corosync-qnetd -f -s off
for n in 1 2; do
  mkdir -p "$run/n$n"
  sed -E "s|^(\s*to_stderr: yes)|\1\n    to_logfile: yes\n    logfile: $run/n$n/corosync.log|" "$here/qdevice.conf" > "$run/n$n/corosync.conf"
  printf 'system {\n    state_dir: %s\n    move_to_root_cgroup: no\n}\n' "$run/n$n" >> "$run/n$n/corosync.conf"
  mkdir -p "$run/n$n/run"
  ip netns exec rkqd$n unshare --mount --propagation private sh -c "mount --bind $run/n$n/run /run && exec corosync -f -c $run/n$n/corosync.conf" >"$run/n$n/stdout" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 120); do
  if ip netns exec rkqd1 corosync-quorumtool -s 2>/dev/null | grep -q '^Nodes: *2$'; then break; fi
  sleep 0.5
done
for n in 1 2; do isolated $n /var/run/corosync-qdevice qdevice$n corosync-qdevice -f; done
for _ in $(seq 1 120); do
  out=$(ip netns exec rkqd1 corosync-quorumtool -s 2>/dev/null || true)
  if grep -q '^Total votes: *3$' <<<"$out" && grep -q 'A,V,NMW node2' <<<"$out"; then break; fi
  sleep 0.5
done
ip netns exec rkqd1 corosync-quorumtool -s | sed -E 's/^(Date: +).*/\1<date>/; s/^(Ring ID: +).*/\1<ring>/' > "$here/qdevice-quorumtool-s.out"
cat "$here/qdevice-quorumtool-s.out"
