#!/usr/bin/env bash
# Runs every test suite. On a fresh Debian machine as root it first installs what the tests need.
# Ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Debian packages for the root-only suites (real corosync for compatibility and interop,
# nftables and iproute2 for the network-namespace testbed, python3-prometheus-client to parse /metrics,
# gcc and libcpg-dev to build the libcpg clients of the mixed-cluster and corosync IPC tests (gcc also links the
# native program), dpkg-dev, man-db and systemd for the Debian package and its install test; zsh for the zsh
# completion test); pacemaker, pacemaker-cli-utils and resource-agents (ocf-shellfuncs for ocf:pacemaker:Dummy) for the
# Pacemaker-on-Rookery test; corosync-qdevice and corosync-qnetd for the quorum device test; chromium for the web
# interface's browser tests, driven headless over the DevTools protocol; libqb-dev for the hostile libqb IPC clients of
# HostileIpcTests and LogFloodTests.
debs=(corosync nftables iproute2 util-linux python3-prometheus-client gcc libcpg-dev dpkg-dev man-db systemd zsh
      pacemaker pacemaker-cli-utils resource-agents corosync-qdevice corosync-qnetd chromium libqb-dev)
if [ "$(id -u)" = 0 ]; then
    missing=()
    for p in "${debs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "test.sh: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null \
            || echo "test.sh: apt-get failed; root-only suites will report it"
    fi
else
    echo "test.sh: not root: the network-namespace and corosync interop suites will be skipped (they say so)"
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! dotnet build Rookery.slnx -c Release -nologo -clp:ErrorsOnly 2>&1 | tee -a "$log"; then :; fi
if [ "${PIPESTATUS[0]}" != 0 ]; then
    echo "test.sh: build failed"
    echo "0 passed, 1 failed"
    exit 1
fi
# The Debian package, once per run and before the tests: its native (AOT) build is CPU-heavy and must not run beside
# the timing-sensitive suites. The install test (DebianPackageTests) reuses it; build-deb.sh skips the native build
# while no source changed.
if [ "$(id -u)" = 0 ]; then
    started=$(date +%s)
    if packaging/build-deb.sh >"$log.deb" 2>&1; then
        echo "test.sh: Debian package built in $(( $(date +%s) - started )) s: $(tail -n 1 "$log.deb")"
    else
        tail -n 20 "$log.deb"
        echo "test.sh: packaging/build-deb.sh failed; the install test will report it"
    fi
    rm -f "$log.deb"
fi
dotnet test --solution Rookery.slnx -c Release --no-build --ignore-exit-code 8 2>&1 | tee -a "$log"
rc=${PIPESTATUS[0]}
summary=$(awk '/^[[:space:]]+failed:/{f+=$2} /^[[:space:]]+succeeded:/{p+=$2} /^[[:space:]]+skipped:/{s+=$2}
     END{printf "%d passed, %d failed, %d skipped", p, f, s}' "$log")
if [ "$rc" != 0 ] && [[ "$summary" == *" 0 failed"* ]]; then
    summary=$(awk '/^[[:space:]]+succeeded:/{p+=$2} /^[[:space:]]+skipped:/{s+=$2} END{printf "%d passed, 1 failed, %d skipped", p, s}' "$log")
fi
# CI shows only the end of this output: name each failed test there with the first lines of its message (the seed,
# the assertion), so a failure on a machine we cannot log into still says what broke.
awk '/^failed /{name=$0; n=0; print name; next}
     name!="" && /^  from /{next}
     name!="" && /^    at /{name=""; next}
     name!="" && /^  /{if (++n <= 4) print substr($0, 1, 300); next}
     {name=""}' "$log" > "$log.failed"
if [ -s "$log.failed" ]; then
    echo "test.sh: failed tests (first lines of each message):"
    head -n 24 "$log.failed"
fi
rm -f "$log.failed"
echo "$summary"
exit "$rc"
