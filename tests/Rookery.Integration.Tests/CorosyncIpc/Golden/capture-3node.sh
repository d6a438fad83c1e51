#!/bin/bash
# Captures the golden outputs of corosync's tools against a real 3-node Debian corosync 3.1.7 cluster
# (shared/baseline/corosync harness: namespaces cbn1..3, link0 10.10.10.N, link1 10.20.20.N, aes256/sha256),
# run on node 1. CorosyncIpcTests runs the same tools against Rookery daemons with the same configuration
# (node1.conf.in is gen-conf.sh's file with its run paths replaced) and compares. Run as root, under
# flock /tmp/rookery-timing.lock; writes *.out next to this script.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
B="${BASELINE:-$here/../../../../../shared/baseline/corosync}"
export CB_RUN=/tmp/rookery-ipc-golden
trap '"$B/stop.sh" >/dev/null 2>&1 || true; "$B/teardown.sh" >/dev/null 2>&1 || true' EXIT
rm -rf "$CB_RUN"
"$B/setup-net.sh" >/dev/null
"$B/gen-conf.sh" >/dev/null
"$B/start.sh" >/dev/null
for _ in $(seq 1 120); do
  if ip netns exec cbn1 corosync-quorumtool -s 2>/dev/null | grep -q '^Nodes: *3$'; then break; fi
  sleep 0.5
done
sleep 3
mask() { sed -E 's/^(Date: +).*/\1<date>/; s/^(Ring ID: +).*/\1<ring>/'; }
ip netns exec cbn1 corosync-quorumtool -s | mask > "$here/3node-quorumtool-s.out"
ip netns exec cbn1 corosync-quorumtool -l | mask > "$here/3node-quorumtool-l.out"
ip netns exec cbn1 corosync-cfgtool -s > "$here/3node-cfgtool-s.out"
ip netns exec cbn1 corosync-cfgtool -n > "$here/3node-cfgtool-n.out"
ip netns exec cbn1 corosync-cmapctl -g totem.cluster_name > "$here/3node-cmapctl-g.out"
sed -E "s|$CB_RUN/n1|@RUN@|g; s|$CB_RUN/authkey|@KEY@|g" "$CB_RUN/n1/corosync.conf" > "$here/node.conf.in"
