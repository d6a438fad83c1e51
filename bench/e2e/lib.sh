# Functions of bench/e2e/run-all.sh (sourced). Implementations: corosync, corosync-rrno, rookery, rookery-cpg.
# shellcheck disable=SC2034
log() { echo "[$(date -u +%H:%M:%S.%3N)] $*" >&2; }
now() { date +%s.%N; }
RK="$E2E_RUN/rookery/rookery.dll"
# The daemon as installed (packaging/publish.sh: one native executable) unless ROOKERY_BUILD=jit or the native build fails.
RKD=(dotnet "$RK")
RKB="$E2E_RUN/rkbench/rkbench.dll"
rk_dir() { echo "$E2E_RUN/rk/n$1"; }
rk_sock() { echo "$(rk_dir "$1")/rookery.sock"; }

e2e_setup() {
  mkdir -p "$OUT/raw" "$E2E_RUN"
  rm -rf "$BASE"; cp -r "$BASE_SRC" "$BASE"; rm -rf "$BASE/results"
  . "$BASE/lib.sh"
  "$BASE/teardown.sh" >/dev/null 2>&1 || true
  mkdir -p "$CB_RUN" "$CB_BIN"
  "$BASE/setup-net.sh" >/dev/null
  "$BASE/build.sh" >/dev/null
  log "building rookery and rkbench"
  dotnet build "$ROOT/src/Rookery.Cli" -c Release -o "$E2E_RUN/rookery" -nologo -v quiet -clp:ErrorsOnly >/dev/null
  dotnet build "$HERE/rkbench.cs" -c Release -o "$E2E_RUN/rkbench" -nologo -v quiet -clp:ErrorsOnly >/dev/null
  if [ -n "${ROOKERY_NATIVE:-}" ]; then
    # A native build made beforehand (packaging/publish.sh DIR) from the same tree: its build is minutes on a loaded machine.
    RKD=("$ROOKERY_NATIVE/rookery")
  elif [ "${ROOKERY_BUILD:-native}" = native ]; then
    if "$ROOT/packaging/publish.sh" "$E2E_RUN/rookery-native" >/dev/null; then
      RKD=("$E2E_RUN/rookery-native/rookery")
    else
      log "WARNING: native build failed (packaging/publish.sh); measuring the JIT build (dotnet rookery.dll)"
    fi
  fi
  log "rookery daemon: ${RKD[*]}"
  rk_config
}

e2e_cleanup() {
  rk_stop 2>/dev/null || true
  [ -n "${BASE:-}" ] && [ -x "$BASE/stop.sh" ] && "$BASE/stop.sh" >/dev/null 2>&1 || true
  [ -n "${BASE:-}" ] && [ -x "$BASE/teardown.sh" ] && "$BASE/teardown.sh" >/dev/null 2>&1 || true
  rm -rf "$E2E_RUN"
}

machine_info() {
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "kernel: $(uname -r)"; echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) x $(nproc)"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "dotnet: $(dotnet --version)"; dpkg-query -W corosync libknet1 libqb100 2>/dev/null | sed 's/^/deb: /'
  echo "rookery commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
  echo "rookery daemon: $([ "${RKD[0]}" = dotnet ] && echo "JIT build (dotnet rookery.dll)" || echo "native build (packaging/publish.sh)")"
}

# --- Rookery cluster on the baseline's namespaces -------------------------------------------------
rk_config() {
  local shared="$E2E_RUN/rk/cluster"
  rm -rf "$E2E_RUN/rk"; mkdir -p "$shared"
  dotnet "$RK" create bench --nodeid 1 --node n1 --link0 10.10.10.1,priority=15 --link1 10.20.20.1,priority=20 --config-dir "$shared" >/dev/null
  for i in 2 3; do dotnet "$RK" addnode "n$i" --nodeid "$i" --link0 "10.10.10.$i" --link1 "10.20.20.$i" --config-dir "$shared" >/dev/null; done
  for i in 1 2 3; do mkdir -p "$(rk_dir $i)/etc" "$(rk_dir $i)/state"; cp -r "$shared"/. "$(rk_dir $i)/etc/"; done
}

rk_start() {
  for i in 1 2 3; do
    local d; d=$(rk_dir $i)
    ip netns exec "cbn$i" "${RKD[@]}" daemon --config-dir "$d/etc" --state-dir "$d/state" --socket "$d/rookery.sock" --node "n$i" \
      >>"$d/daemon.log" 2>&1 </dev/null &
    echo $! > "$d/pid"
  done
}

rk_stop() {
  for i in 1 2 3; do
    local f; f="$(rk_dir $i)/pid"; [ -f "$f" ] || continue
    local p; p=$(cat "$f"); [ -d "/proc/$p" ] && kill -TERM "$p" 2>/dev/null
  done
  for i in 1 2 3; do
    local f; f="$(rk_dir $i)/pid"; [ -f "$f" ] || continue
    local p; p=$(cat "$f")
    for _ in $(seq 1 50); do [ -d "/proc/$p" ] || break; sleep 0.1; done
    [ -d "/proc/$p" ] && kill -KILL "$p" 2>/dev/null
    rm -f "$f" "$(rk_sock $i)"
  done
}

# --- the three implementations behind one interface --------------------------------------------
cl_start() { # cl_start IMPL: (re)generate the configuration and start the 3 nodes
  case "$1" in
    corosync) "$BASE/stop.sh" >/dev/null; SCHED_RR='' "$BASE/gen-conf.sh" >/dev/null; "$BASE/start.sh" >/dev/null ;;
    corosync-rrno) "$BASE/stop.sh" >/dev/null; SCHED_RR=no "$BASE/gen-conf.sh" >/dev/null; "$BASE/start.sh" >/dev/null ;;
    rookery|rookery-cpg) rk_stop; rk_start ;;
  esac
}

cl_stop() {
  case "$1" in
    corosync|corosync-rrno) "$BASE/stop.sh" >/dev/null ;;
    rookery|rookery-cpg) rk_stop ;;
  esac
}

cl_pids() {
  case "$1" in
    corosync|corosync-rrno) for i in 1 2 3; do cb_pid $i; done ;;
    rookery|rookery-cpg) for i in 1 2 3; do cat "$(rk_dir $i)/pid" 2>/dev/null; done ;;
  esac
}

cl_cpu_ticks() { # total utime+stime of the 3 daemons
  local t=0
  for p in $(cl_pids "$1"); do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo $t
}

# client IMPL NODE ARGS... : the CPG client (cpgbench / rkbench) inside node NODE's namespace; rookery-cpg is Rookery
# with the baseline's cpgbench (libcpg over corosync's IPC, which a Rookery daemon serves in its namespace).
client() {
  local impl=$1 n=$2; shift 2
  case "$impl" in
    corosync|corosync-rrno|rookery-cpg) ip netns exec "cbn$n" "$CB_BIN/cpgbench" "$@" ;;
    rookery) ip netns exec "cbn$n" dotnet "$RKB" --socket "$(rk_sock "$n")" "$@" ;;
  esac
}

# node_ready IMPL NODE: quorate with 3 votes and both links to both peers connected
node_ready() {
  case "$1" in
    corosync|corosync-rrno)
      [ "$(cb_in "$2" corosync-cfgtool -n 2>/dev/null | grep -c 'enabled connected' || true)" = 4 ] &&
        cb_in "$2" corosync-quorumtool -s 2>/dev/null | grep -q 'Total votes:      3' ;;
    rookery|rookery-cpg)
      ROOKERY_SOCKET="$(rk_sock "$2")" dotnet "$RK" status --json 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
ok = s["quorum"]["quorate"] and len(s["members"]) == 3 and all(
    l["connected"] for n in s["links"]["nodes"] if not n.get("local") for l in n["links"])
sys.exit(0 if ok else 1)' ;;
  esac
}

wait_ready() { # wait_ready IMPL [timeout s]
  local deadline; deadline=$(echo "$(now) + ${2:-60}" | bc)
  while :; do
    local ok=1
    if [ "$1" = rookery ]; then
      for i in 1 2 3; do
        [ -d "/proc/$(cat "$(rk_dir $i)/pid" 2>/dev/null || echo none)" ] ||
          { log "rookery daemon of node $i is not running: $(tail -3 "$(rk_dir $i)/daemon.log" 2>/dev/null | tr '\n' ' ')"; return 1; }
      done
    fi
    for i in 1 2 3; do node_ready "$1" $i || { ok=0; break; }; done
    [ $ok = 1 ] && return 0
    (( $(echo "$(now) > $deadline" | bc) )) && { log "$1: not ready within ${2:-60} s"; return 1; }
    sleep 0.2
  done
}

row() { # row FIGURE IMPL RUN VALUE UNIT
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$OUT/rows.tsv"
}

kv() { # kv FILE KEY [LINE-PATTERN]: the value of KEY= on the first line matching the pattern
  grep -E "${3:-.}" "$1" | grep -oE "(^| )$2=[^ ]+" | head -1 | cut -d= -f2
}

# --- figures ------------------------------------------------------------------------------------
m_start() { # launch -> every node quorate, and -> every node sees all 3 members (polled every 10-20 ms)
  local impl=$1 r=$2 d=$3
  cl_stop "$impl"; sleep 1
  local t0; t0=$(now)
  local last_quorate last_members
  case "$impl" in
    rookery|rookery-cpg)
      dotnet "$RKB" --wait-quorate "$(rk_sock 1),$(rk_sock 2),$(rk_sock 3)" -t 60 > "$d/quorate.txt" &
      local w=$!; t0=$(now); cl_start "$impl"; wait $w || true
      [ "$(grep -c members_epoch "$d/quorate.txt")" = 3 ] || { log "rookery: not every node quorate with 3 members within 60 s"; return 1; }
      last_quorate=$(grep quorate_epoch "$d/quorate.txt" | grep -oE '[0-9.]+$' | sort -n | tail -1)
      last_members=$(grep members_epoch "$d/quorate.txt" | grep -oE '[0-9.]+$' | sort -n | tail -1) ;;
    *)
      cl_start "$impl"
      declare -A tq=() tm=()
      while [ ${#tm[@]} -lt 3 ]; do
        for i in 1 2 3; do
          [ -n "${tm[$i]:-}" ] && continue
          local out; out=$(cb_in $i corosync-quorumtool -s 2>/dev/null) || continue
          [ -n "${tq[$i]:-}" ] || tq[$i]=$(now)
          echo "$out" | grep -qE '^Nodes: +3$' && tm[$i]=$(now)
        done
        (( $(echo "$(now) - $t0 > 60" | bc) )) && { log "$impl: not every node quorate with 3 members within 60 s"; return 1; }
        sleep 0.02
      done
      last_quorate=$(printf '%s\n' "${tq[@]}" | sort -n | tail -1)
      last_members=$(printf '%s\n' "${tm[@]}" | sort -n | tail -1) ;;
  esac
  row start_quorate_s "$impl" "$r" "$(echo "$last_quorate - $t0" | bc)" s
  row start_members_s "$impl" "$r" "$(echo "$last_members - $t0" | bc)" s
}

m_idle() { # RSS (VmRSS) and CPU % of each daemon over IDLE s, no load
  local impl=$1 r=$2 d=$3 hz; hz=$(getconf CLK_TCK)
  wait_ready "$impl"; sleep 2
  local pids; pids=$(cl_pids "$impl")
  declare -A t0=()
  for p in $pids; do t0[$p]=$(awk '{print $14+$15}' "/proc/$p/stat"); done
  local s; s=$(now); sleep "$IDLE"; local e; e=$(now)
  local rss=0 cpu=0 n=0
  for p in $pids; do
    local kb; kb=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status")
    local c; c=$(echo "scale=4; ($(awk '{print $14+$15}' "/proc/$p/stat") - ${t0[$p]}) / $hz / ($e - $s) * 100" | bc)
    echo "pid=$p rss_kB=$kb cpu_pct=$c" >> "$d/idle.txt"
    rss=$((rss + kb)); cpu=$(echo "$cpu + $c" | bc); n=$((n + 1))
  done
  row idle_rss_mib "$impl" "$r" "$(echo "scale=2; $rss / $n / 1024" | bc)" MiB
  row idle_cpu_pct "$impl" "$r" "$(echo "scale=3; $cpu / $n" | bc)" %
}

m_latency() { # 100 B at 1000 msg/s from node 1 for DUR s: the sender's own delivery latency
  local impl=$1 r=$2 d=$3/latency; mkdir -p "$d"
  wait_ready "$impl"
  local pids=()
  for i in 2 3; do client "$impl" $i -e 1 -t $((DUR + 60)) -E "$d/ev$i.log" > "$d/n$i.txt" & pids+=($!); done
  sleep 1
  client "$impl" 1 -i 1000 -d "$DUR" -w 3 -s 100 -t $((DUR + 60)) -E "$d/ev1.log" > "$d/n1.txt"
  wait "${pids[@]}" || true
  row latency_p50_ms "$impl" "$r" "$(kv "$d/n1.txt" lat_p50_ms '\(self\)')" ms
  row latency_p99_ms "$impl" "$r" "$(kv "$d/n1.txt" lat_p99_ms '\(self\)')" ms
}

# log_count IMPL PATTERN: lines matching PATTERN in the 3 daemons' logs so far (corosync's and Rookery's share the wording)
log_count() {
  local impl=$1 pattern=$2 n=0 f
  for i in 1 2 3; do
    case "$impl" in
      rookery|rookery-cpg) f="$(rk_dir $i)/daemon.log" ;;
      *) f="$CB_RUN/n$i/corosync.log" ;;
    esac
    [ -f "$f" ] && n=$((n + $(grep -cE "$pattern" "$f" || true)))
  done
  echo $n
}

m_throughput() { # 1 sender (node 1) and 3 senders, as fast as flow control allows, DUR s per size
  local impl=$1 r=$2 base=$3
  wait_ready "$impl"
  local hz; hz=$(getconf CLK_TCK)
  local downs0 rings0; downs0=$(log_count "$impl" 'link: [0-9]+ is down'); rings0=$(log_count "$impl" 'A new membership')
  for size in $SIZES; do
    local d="$base/one-$size"; mkdir -p "$d"
    local pids=()
    for i in 2 3; do client "$impl" $i -e 1 -t $((DUR + 60)) -s "$size" -E "$d/ev$i.log" -l "one-$size" > "$d/n$i.txt" & pids+=($!); done
    sleep 1
    local c0; c0=$(cl_cpu_ticks "$impl")
    client "$impl" 1 -i 0 -d "$DUR" -w 3 -s "$size" -t $((DUR + 60)) -E "$d/ev1.log" -l "one-$size" > "$d/n1.txt"
    wait "${pids[@]}" || true
    local c1; c1=$(cl_cpu_ticks "$impl")
    local msgs; msgs=$(kv "$d/n2.txt" total_msgs)
    row "tput1_${size}_msgs" "$impl" "$r" "$(kv "$d/n2.txt" total_rate_msgs)" msg/s
    row "tput1_${size}_MBps" "$impl" "$r" "$(kv "$d/n2.txt" total_rate_MBps)" MB/s
    [ "${msgs:-0}" -gt 0 ] && row "tput1_${size}_cpu_us_per_msg" "$impl" "$r" "$(echo "scale=3; ($c1 - $c0) / $hz * 1000000 / $msgs" | bc)" us
    sleep 1
    d="$base/all-$size"; mkdir -p "$d"
    local start; start=$(echo "$(now) + 2" | bc)
    c0=$(cl_cpu_ticks "$impl")
    pids=()
    for i in 1 2 3; do
      client "$impl" $i -i 0 -d "$DUR" -w 3 -T "$start" -e 3 -s "$size" -t $((DUR + 60)) -E "$d/ev$i.log" -l "all-$size" > "$d/n$i.txt" &
      pids+=($!)
    done
    wait "${pids[@]}" || true
    c1=$(cl_cpu_ticks "$impl")
    msgs=$(kv "$d/n2.txt" total_msgs)
    row "tput3_${size}_msgs" "$impl" "$r" "$(kv "$d/n2.txt" total_rate_msgs)" msg/s
    row "tput3_${size}_MBps" "$impl" "$r" "$(kv "$d/n2.txt" total_rate_MBps)" MB/s
    [ "${msgs:-0}" -gt 0 ] && row "tput3_${size}_cpu_us_per_msg" "$impl" "$r" "$(echo "scale=3; ($c1 - $c0) / $hz * 1000000 / $msgs" | bc)" us
    sleep 1
  done
  # A saturated node must not lose its links or its ring: count both over all the throughput runs (3 daemons' logs).
  row tput_link_downs "$impl" "$r" "$(( $(log_count "$impl" 'link: [0-9]+ is down') - downs0 ))" count
  row tput_ring_changes "$impl" "$r" "$(( $(log_count "$impl" 'A new membership') - rings0 ))" count
}

# stream_cut IMPL DIR HOLD DOWN-CMD UP-CMD: 100 B every 5 ms from node 1, receivers on 2 and 3; cut after PRE s,
# restore after HOLD s, UP s more; writes t_down/t_up and per-message CSVs.
stream_cut() {
  local impl=$1 d=$2 hold=$3 down=$4 up=$5
  local total; total=$(echo "$PRE + $hold + $UP" | bc)
  local pids=()
  for i in 2 3; do client "$impl" $i -e 1 -t $((${total%.*} + 40)) -o "$d/recv$i.csv" -E "$d/ev$i.log" > "$d/recv$i.txt" & pids+=($!); done
  sleep 1
  client "$impl" 1 -i 5000 -d "$total" -w 3 -s 100 -t $((${total%.*} + 40)) -o "$d/send1.csv" -E "$d/ev1.log" > "$d/send1.txt" &
  local sender=$!
  sleep 0.5; sleep "$PRE"
  local t_down; t_down=$(now); eval "$down"
  sleep "$hold"
  local t_up; t_up=$(now); eval "$up"
  wait $sender "${pids[@]}" || true
  echo "t_down=$t_down t_up=$t_up" > "$d/times.txt"
}

m_failover() { # largest delivery gap at nodes 2 and 3 while link 1 (active) of node 3 is down (ethB down in its namespace)
  local impl=$1 r=$2 d=$3/failover; mkdir -p "$d"
  wait_ready "$impl" || return 1
  stream_cut "$impl" "$d" "$DOWN" "ip -n cbn3 link set ethB down" "ip -n cbn3 link set ethB up"
  row failover_gap_s "$impl" "$r" "$(python3 "$HERE/gap.py" "$d" recv2 recv3)" s
  row failover_lost "$impl" "$r" "$(python3 "$HERE/gap.py" --lost "$d" send1 recv2 recv3)" msgs
}

m_bothdown() { # largest delivery gap at nodes 1 (own deliveries) and 2 while node 3 has lost both links; lost at 1, 2 and 3
  local impl=$1 r=$2 d=$3/bothdown; mkdir -p "$d"
  wait_ready "$impl" || return 1
  stream_cut "$impl" "$d" "$BOTH" "ip -n cbn3 link set ethA down; ip -n cbn3 link set ethB down" "ip -n cbn3 link set ethA up; ip -n cbn3 link set ethB up"
  row bothdown_stall_s "$impl" "$r" "$(python3 "$HERE/gap.py" "$d" send1 recv2)" s
  row bothdown_lost "$impl" "$r" "$(python3 "$HERE/gap.py" --lost "$d" send1 recv2 recv3:out)" msgs
  wait_ready "$impl" 90 || true
}

measure_round() { # measure_round IMPL RUN FIGURES
  local impl=$1 r=$2 figures=$3 d="$OUT/raw/$1/run$2" ok=0
  mkdir -p "$d"
  case " $figures " in *" start "*) ;; *) cl_start "$impl" ;; esac
  for f in $figures; do
    case "$f" in
      start) m_start "$impl" "$r" "$d" || ok=1 ;;
      idle) m_idle "$impl" "$r" "$d" || ok=1 ;;
      latency) m_latency "$impl" "$r" "$d" || ok=1 ;;
      throughput) m_throughput "$impl" "$r" "$d/throughput" || ok=1 ;;
      failover) m_failover "$impl" "$r" "$d" || ok=1 ;;
      bothdown) m_bothdown "$impl" "$r" "$d" || ok=1 ;;
    esac
  done
  case "$impl" in rookery|rookery-cpg) for i in 1 2 3; do cp "$(rk_dir $i)/daemon.log" "$d/daemon$i.log" 2>/dev/null || true; done ;; esac
  cl_stop "$impl"
  return $ok
}
