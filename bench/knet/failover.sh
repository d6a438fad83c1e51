#!/bin/bash
# Failover of the active link, Rookery and real knet side by side in ONE run (issue 3, item 7).
#
# Topology (4 network namespaces, 2 bridges, everything prefixed "rkb" so it cannot collide with the
# baseline's cbn*/cbbr* nor the test suite's rkt*):
#   rkbn1, rkbn2  real corosync 3.1.7 / libknet 1.25, secauth on, link 0 prio 15, link 1 prio 20 (active)
#                 cpgbench on node 1 sends a 100-byte CPG message every 5 ms, cpgbench on node 2 logs deliveries
#   rkbn3, rkbn4  Rookery knet endpoints (tools/Rookery.KnetPeer, default fast detection), same priorities,
#                 node 3 broadcasts a 100-byte message every 5 ms, node 4 logs deliveries
#   bridge rkbb0 = link 0 (10.10.10.x/24), bridge rkbb1 = link 1 (10.20.20.x/24)
# Each run cuts link 1 of node 2 AND node 4 at the same moment (MODE), holds DOWN_HOLD s, restores, holds UP_HOLD s.
# Figures per run: detection time (first "link: host: X link: 1 is down" after the cut, on both ends) and the
# largest gap between consecutive deliveries of the 5 ms stream at the receiver.
#
#   MODE=brdrop|nsdown|brdown   (default brdrop: nftables bridge rule drops node 2's and node 4's link-1 frames)
#   RUNS=3 PRE=4 DOWN_HOLD=6 UP_HOLD=6 TOKEN=<ms, corosync default if unset>
#   OUT=bench/knet/results/<mode>-token<T>   KEEP=1 keeps the topology after the run
# Needs root, corosync, libcpg-dev + gcc (to build the baseline's cpgbench), nftables, python3, dotnet.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BASE=/work/shared/baseline/corosync
[ -d "$BASE" ] || BASE="$ROOT/../shared/baseline/corosync"
MODE="${MODE:-brdrop}"; RUNS="${RUNS:-3}"; PRE="${PRE:-4}"; DOWN_HOLD="${DOWN_HOLD:-6}"; UP_HOLD="${UP_HOLD:-6}"
RUN="${RKB_RUN:-/tmp/rkbench}"
OUT="${OUT:-$HERE/results/$MODE-token${TOKEN:-default}}"
P=rkb
ns() { echo "${P}n$1"; }
addr() { if [ "$2" = 0 ]; then echo "10.10.10.$1"; else echo "10.20.20.$1"; fi; }
log() { echo "[$(date +%H:%M:%S.%3N)] $*" >&2; }
now() { date +%s.%N; }

teardown() {
  for f in "$RUN"/*.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f"); [ -n "$p" ] && [ -d "/proc/$p" ] && kill -TERM "$p" 2>/dev/null || true
  done
  sleep 0.5
  for f in "$RUN"/*.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f"); [ -n "$p" ] && [ -d "/proc/$p" ] && kill -KILL "$p" 2>/dev/null || true
    rm -f "$f"
  done
  nft list table bridge ${P}_cut >/dev/null 2>&1 && nft delete table bridge ${P}_cut
  for i in 1 2 3 4; do  # anything this script started that is still inside a namespace
    for p in $(ip netns pids "$(ns $i)" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$(ns $i)" 2>/dev/null || true
  done
  for l in 0 1; do ip link del ${P}b$l 2>/dev/null || true; done
  for i in 1 2 3 4; do for l in 0 1; do ip link del ${P}v$i$l 2>/dev/null || true; done; done
}
[ "${KEEP:-0}" = 1 ] || trap teardown EXIT

setup() {
  teardown
  mkdir -p "$RUN/bin" "$OUT"
  for l in 0 1; do ip link add ${P}b$l type bridge stp_state 0 forward_delay 0; ip link set ${P}b$l up; done
  for i in 1 2 3 4; do
    ip netns add "$(ns $i)"; ip -n "$(ns $i)" link set lo up
    ip netns exec "$(ns $i)" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    for l in 0 1; do
      ip link add ${P}v$i$l type veth peer name eth$l netns "$(ns $i)"
      ip link set ${P}v$i$l master ${P}b$l; ip link set ${P}v$i$l up
      ip -n "$(ns $i)" addr add "$(addr $i $l)/24" dev eth$l; ip -n "$(ns $i)" link set eth$l up
    done
  done
  [ -s "$RUN/authkey" ] || { head -c 256 /dev/urandom > "$RUN/authkey"; chmod 400 "$RUN/authkey"; }
  gcc -O2 -o "$RUN/bin/cpgbench" "$BASE/cpgbench.c" -lcpg -lcorosync_common
  dotnet build "$ROOT/tools/Rookery.KnetPeer" -c Release -nologo -clp:ErrorsOnly >/dev/null
}

conf() { # conf <node>
  local d="$RUN/n$1"; mkdir -p "$d/state" "$d/run"
  cat > "$d/corosync.conf" <<CONF
totem {
    version: 2
    cluster_name: rkbench
    transport: knet
    secauth: on
    crypto_cipher: aes256
    crypto_hash: sha256
    keyfile: $RUN/authkey
    link_mode: passive
$( [ -n "${TOKEN:-}" ] && echo "    token: $TOKEN" )
    interface {
        linknumber: 0
        knet_link_priority: 15
    }
    interface {
        linknumber: 1
        knet_link_priority: 20
    }
}
nodelist {
    node {
        nodeid: 1
        name: node1
        ring0_addr: $(addr 1 0)
        ring1_addr: $(addr 1 1)
    }
    node {
        nodeid: 2
        name: node2
        ring0_addr: $(addr 2 0)
        ring1_addr: $(addr 2 1)
    }
}
quorum {
    provider: corosync_votequorum
    two_node: 1
}
logging {
    to_logfile: yes
    logfile: $d/corosync.log
    to_syslog: no
    to_stderr: no
    timestamp: hires
    logger_subsys {
        subsys: KNET
        debug: on
    }
}
system {
    state_dir: $d/state
    move_to_root_cgroup: no
}
CONF
}

start_corosync() { # start_corosync <node>
  local d="$RUN/n$1"; : > "$d/corosync.log"; rm -f "$d/run/corosync.pid"
  ip netns exec "$(ns $1)" unshare --mount --propagation private \
    /bin/sh -c "mount --bind '$d/run' /run && exec corosync -f -c '$d/corosync.conf'" >>"$d/corosync.out" 2>&1 </dev/null &
  echo $! > "$RUN/corosync$1.pid"
}

start_rookery() { # start_rookery <node> <peer> [extra args]
  local n=$1 peer=$2; shift 2
  ip netns exec "$(ns $n)" dotnet "$ROOT/tools/Rookery.KnetPeer/bin/Release/net10.0/Rookery.KnetPeer.dll" \
    --node "$n" --local "0=$(addr $n 0)" --local "1=$(addr $n 1)" \
    --peer "$peer:0=$(addr $peer 0),1=$(addr $peer 1)" --priority 0=15 --priority 1=20 \
    --key "$RUN/authkey" "$@" > "$RUN/rookery$n.log" 2>&1 &
  echo $! > "$RUN/rookery$n.pid"
}

wait_for() { # wait_for <seconds> <command...>: poll until the command succeeds
  local limit=$1; shift
  local end=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || { log "timed out waiting for: $*"; return 1; }
    sleep 0.1
  done
}
knet_links_up() { [ "$(ip netns exec "$(ns 1)" corosync-cfgtool -n 2>/dev/null | grep -c 'enabled connected')" = 2 ] &&
                  [ "$(ip netns exec "$(ns 2)" corosync-cfgtool -n 2>/dev/null | grep -c 'enabled connected')" = 2 ]; }
rookery_links_up() { [ "$(grep -c 'is up' "$RUN/rookery3.log")" -ge 2 ] && [ "$(grep -c 'is up' "$RUN/rookery4.log")" -ge 2 ]; }

cut() { # cut down|up
  case "$MODE" in
    nsdown) ip -n "$(ns 2)" link set eth1 "$1"; ip -n "$(ns 4)" link set eth1 "$1" ;;
    brdown) ip link set ${P}v21 "$1"; ip link set ${P}v41 "$1" ;;
    brdrop)
      if [ "$1" = down ]; then
        nft -f - <<NFT
table bridge ${P}_cut {
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname { "${P}v21", "${P}v41" } drop
    oifname { "${P}v21", "${P}v41" } drop
  }
}
NFT
      else nft delete table bridge ${P}_cut; fi ;;
    *) echo "unknown MODE $MODE" >&2; exit 1 ;;
  esac
}

setup
rm -rf "$OUT"; mkdir -p "$OUT"
echo "MODE=$MODE TOKEN=${TOKEN:-default} RUNS=$RUNS PRE=$PRE DOWN_HOLD=$DOWN_HOLD UP_HOLD=$UP_HOLD" > "$OUT/params.txt"
for r in $(seq 1 "$RUNS"); do
  rd="$OUT/run$r"; mkdir -p "$rd"
  conf 1; conf 2
  t_start=$(now)
  start_corosync 1; start_corosync 2
  start_rookery 4 3 --deliveries "$rd/rookery-recv4.csv"
  start_rookery 3 4 --stream-ms 5 --size 100
  wait_for 60 knet_links_up
  wait_for 30 rookery_links_up
  wait_for 60 sh -c "ip netns exec $(ns 1) corosync-quorumtool -s | grep -q 'Quorate:.*Yes'"
  total=$((PRE + DOWN_HOLD + UP_HOLD))
  ip netns exec "$(ns 2)" "$RUN/bin/cpgbench" -e 1 -t $((total + 30)) -o "$rd/knet-recv2.csv" -E "$rd/ev2.log" > "$rd/recv2.txt" &
  echo $! > "$RUN/cpg2.pid"
  sleep 0.5
  ip netns exec "$(ns 1)" "$RUN/bin/cpgbench" -i 5000 -d "$total" -w 2 -s 100 -o "$rd/knet-send1.csv" -E "$rd/ev1.log" > "$rd/send1.txt" &
  echo $! > "$RUN/cpg1.pid"
  # knet multiplies its pong timeout by 10 after start-up and decays it by one per second; measure in steady state.
  while [ "$(echo "$(now) - $t_start < 12" | bc)" = 1 ]; do sleep 0.2; done
  sleep "$PRE"
  t_down=$(now); cut down
  sleep "$DOWN_HOLD"
  t_up=$(now); cut up
  sleep "$UP_HOLD"
  wait "$(cat "$RUN/cpg1.pid")" || true
  wait "$(cat "$RUN/cpg2.pid")" 2>/dev/null || true
  echo "t_down=$t_down t_up=$t_up" > "$rd/times.txt"
  for p in rookery3 rookery4 corosync1 corosync2; do
    pid=$(cat "$RUN/$p.pid" 2>/dev/null || true); [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  for p in rookery3 rookery4 corosync1 corosync2; do
    pid=$(cat "$RUN/$p.pid" 2>/dev/null || true)
    for _ in $(seq 1 100); do [ -n "$pid" ] && [ -d "/proc/$pid" ] || break; sleep 0.1; done
    rm -f "$RUN/$p.pid"
  done
  cp "$RUN/n1/corosync.log" "$rd/corosync1.log"; cp "$RUN/n2/corosync.log" "$rd/corosync2.log"
  cp "$RUN/rookery3.log" "$rd/rookery3.log"; cp "$RUN/rookery4.log" "$rd/rookery4.log"
  log "run $r done"
done
python3 "$HERE/analyze.py" "$OUT" | tee "$OUT/summary.txt"
